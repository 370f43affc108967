"""The ingest routes alone, mounted as bugbridge/urls.py mounts them.

The ingest tests use this URLconf so that they do not depend on every other app's routes
importing cleanly while those are being worked on in the same tree.
"""

from django.urls import include, path

from bugbridge.core.views import metrics

urlpatterns = [
    path("api/", include("bugbridge.ingest.urls")),
    path("metrics", metrics, name="metrics"),
]
