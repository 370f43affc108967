from django.urls import URLPattern, path

from bugbridge.jira.webhooks import views

urlpatterns: list[URLPattern] = [
    path("<uuid:public_id>/", views.site_webhook, name="jira-webhook"),
]
