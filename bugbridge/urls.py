from django.contrib import admin
from django.urls import include, path

from bugbridge.core.views import healthz, metrics

urlpatterns = [
    path("api/", include("bugbridge.ingest.urls")),
    path("jira/", include("bugbridge.jira.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
]
