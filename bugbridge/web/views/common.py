"""What every page shares: sign-in required, domain refusals turned into 404/403 pages, and
form errors shown next to the input that caused them."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render

from bugbridge.tracker.actors import Actor
from bugbridge.tracker.errors import DomainError, NotFound, PermissionDenied

View = Callable[..., HttpResponse]


def _nul_field(request: HttpRequest) -> str | None:
    """The first submitted field holding a NUL character, which PostgreSQL cannot store."""
    for name, values in request.POST.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            return name.replace("\x00", "")[:64]
    return None


def member_view(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        field = _nul_field(request) if request.method == "POST" else None
        if field is not None:
            return HttpResponseBadRequest(
                f"The field {field!r} contains a NUL character (\\0): remove it and send again.",
                content_type="text/plain; charset=utf-8",
            )
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from None
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from None

    return login_required(wrapped)


def actor(request: HttpRequest) -> Actor:
    return Actor.member(request.user)  # type: ignore[arg-type]


def errors_of(exc: DomainError) -> dict[str, str]:
    fields = getattr(exc, "fields", None)
    if fields:
        return {"general": exc.message, **fields}
    return {exc.field or "general": exc.message}


def render_refused(
    request: HttpRequest, template: str, context: dict[str, Any], exc: DomainError
) -> HttpResponse:
    """Re-show the page with the refusal next to the input at fault (400)."""
    context = {**context, "errors": errors_of(exc), "form": request.POST}
    return render(request, template, context, status=400)


def checkbox(request: HttpRequest, name: str) -> bool:
    return request.POST.get(name) in {"on", "true", "1"}
