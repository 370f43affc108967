from django.urls import path

from bugbridge.jira.connect import binding, descriptor, lifecycle, search, views, webhooks
from bugbridge.jira.panel.views import issue_panel

app_name = "jira-connect"

urlpatterns = [
    path("atlassian-connect.json", descriptor.descriptor_view, name="descriptor"),
    path("installed", lifecycle.installed, name="installed"),
    path("uninstalled", lifecycle.uninstalled, name="uninstalled"),
    path("enabled", lifecycle.enabled, name="enabled"),
    path("disabled", lifecycle.disabled, name="disabled"),
    path("configure", binding.configure_page, name="configure"),
    path("bind/", binding.bind_view, name="bind"),
    path("webhook", webhooks.connect_webhook, name="webhook"),
    path("issue-panel/<str:issue_key>", issue_panel, name="issue-panel"),
    path("search/<uuid:public_id>/", search.search_view, name="search"),
    path("icon.svg", views.icon, name="icon"),
]
