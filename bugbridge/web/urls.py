from django.shortcuts import redirect
from django.urls import path

from bugbridge.web.views import accounts, issues, jira, projects, settings

app_name = "web"

urlpatterns = [
    path("", lambda request: redirect("web:issues"), name="home"),
    path("login/", accounts.SignInView.as_view(), name="login"),
    path("logout/", accounts.sign_out, name="logout"),
    path("setup/", accounts.setup, name="setup"),
    path("account/password/", accounts.password_change, name="password"),
    path("projects/", projects.project_list, name="projects"),
    path("projects/<int:pk>/", projects.project_detail, name="project"),
    path("projects/<int:pk>/keys/rotate/", projects.rotate_key, name="rotate_key"),
    path("issues/", issues.issue_list, name="issues"),
    path("issues/<int:pk>/", issues.group_detail, name="group"),
    path("issues/<int:pk>/assign/", issues.assign, name="assign"),
    path("issues/<int:pk>/status/", issues.set_status, name="status"),
    path("issues/<int:pk>/notes/", issues.add_note, name="add_note"),
    path("issues/<int:pk>/jira/create/", jira.create_form, name="jira_create"),
    path("issues/<int:pk>/jira/create/fields/", jira.create_fields, name="jira_fields"),
    path("issues/<int:pk>/jira/create/submit/", jira.create_ticket, name="jira_create_submit"),
    path("issues/<int:pk>/jira/autocomplete/", jira.autocomplete, name="jira_autocomplete"),
    path("issues/<int:pk>/jira/link/", jira.link_ticket, name="jira_link"),
    path("issues/<int:pk>/jira/panel/", jira.jira_panel, name="jira_panel"),
    path("issues/<int:pk>/jira/search/", jira.search_tickets, name="jira_search"),
    path("events/<int:pk>/", issues.event_detail, name="event"),
    path("notes/<int:pk>/edit/", issues.edit_note, name="edit_note"),
    path("notes/<int:pk>/delete/", issues.delete_note, name="delete_note"),
    path("links/<int:pk>/unlink/", jira.unlink, name="unlink"),
    path("sync/", settings.sync_health, name="sync_health"),
    path("sync/changes/<int:pk>/retry/", jira.retry_change, name="retry"),
    path("settings/integrations/", settings.integrations, name="integrations"),
    path("settings/integrations/connect/token/", settings.connect_token, name="connect_token"),
    path("settings/integrations/<int:pk>/", settings.binding_detail, name="binding"),
    path("settings/integrations/<int:pk>/switches/", settings.save_switches, name="switches"),
    path("settings/integrations/<int:pk>/check/", settings.check_connection, name="site_check"),
    path(
        "settings/integrations/<int:pk>/webhook/register/",
        settings.register_webhook,
        name="webhook_register",
    ),
    path(
        "settings/integrations/<int:pk>/webhook/rotate/",
        settings.rotate_secret,
        name="webhook_rotate",
    ),
    path("settings/integrations/<int:pk>/status-maps/", settings.save_status_map, name="smap"),
    path("settings/integrations/<int:pk>/user-maps/", settings.save_user_map, name="umap"),
    path(
        "settings/integrations/<int:pk>/user-maps/suggest/",
        settings.user_map_suggestions,
        name="umap_suggest",
    ),
    path("settings/status-maps/<int:pk>/delete/", settings.delete_status_map, name="smap_delete"),
    path("settings/user-maps/<int:pk>/delete/", settings.delete_user_map, name="umap_delete"),
    path("settings/tokens/", settings.api_tokens, name="tokens"),
    path("settings/tokens/<int:pk>/revoke/", settings.revoke_token, name="revoke_token"),
]
