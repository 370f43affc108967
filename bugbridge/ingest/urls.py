from django.urls import URLPattern, path, re_path

from bugbridge.ingest import views

# The project id is matched as text so that a non-numeric one gets Sentry's JSON 403, not a 404.
# The same views answer without the trailing slash, as Sentry does: APPEND_SLASH cannot redirect
# a POST.
urlpatterns: list[URLPattern] = [
    path("<str:project_id>/envelope/", views.envelope, name="ingest-envelope"),
    path("<str:project_id>/store/", views.store, name="ingest-store"),
    re_path(r"^(?P<project_id>[^/]+)/envelope$", views.envelope),
    re_path(r"^(?P<project_id>[^/]+)/store$", views.store),
]
