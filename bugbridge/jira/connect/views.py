"""Small views of the Connect integration that fit nowhere else."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

_ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">'
    '<rect width="24" height="24" rx="4" fill="#0052cc"/>'
    '<path d="M6 16l4-8 4 6 2-3 2 5z" fill="#fff"/></svg>'
)


@require_GET
def icon(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_ICON, content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response
