from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("connect/", include("bugbridge.jira.connect.urls")),
    path("webhooks/", include("bugbridge.jira.webhooks.urls")),
]
