from django.contrib import admin
from django.urls import include, path

from bugbridge.api.api import api as bugbridge_api
from bugbridge.core.views import healthz, metrics, page_not_found

urlpatterns = [
    path("api/v1/", bugbridge_api.urls),
    path("api/", include("bugbridge.ingest.urls")),
    path("jira/", include("bugbridge.jira.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("", include("bugbridge.web.urls")),
]

handler404 = page_not_found
