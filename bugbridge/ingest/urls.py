from django.urls import URLPattern, path

from bugbridge.ingest import views

# The project id is matched as text so that a non-numeric one gets Sentry's JSON 403, not a 404.
urlpatterns: list[URLPattern] = [
    path("<str:project_id>/envelope/", views.envelope, name="ingest-envelope"),
    path("<str:project_id>/store/", views.store, name="ingest-store"),
]
