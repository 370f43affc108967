"""The JSON API under /api/v1/: token auth, `{detail, fields?}` errors, the routers."""

from __future__ import annotations

from typing import Any

import structlog
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from bugbridge.api import tokens
from bugbridge.api.routers import groups, projects, sites
from bugbridge.tracker.errors import DomainError

log = structlog.get_logger(__name__)


class TokenAuth(HttpBearer):
    openapi_description = "A personal API token (Settings → API tokens), as `Bearer <token>`."

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = tokens.user_for_token(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Bugbridge API",
    version="1",
    description="Groups, events, notes, Jira links and sync settings of your organizations.",
    auth=TokenAuth(),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


def _error(request: HttpRequest, status: int, detail: str, fields: Any = None) -> HttpResponse:
    body: dict[str, Any] = {"detail": detail}
    if fields:
        body["fields"] = fields
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    fields = getattr(exc, "fields", None) or ({exc.field: exc.message} if exc.field else None)
    return _error(request, exc.status_code, exc.message, fields)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, str] = {}
    for error in exc.errors:
        fields[_field_name(error.get("loc", ()))] = str(error.get("msg", "is not valid"))
    return _error(request, 400, "Some values are not valid.", fields)


# Ninja names each error by where it was (body, query, path), then the view's parameter for a
# schema (e.g. "data"), then the field.
_SCHEMA_PARAMS = {"data", "params", "page"}


def _field_name(loc: Any) -> str:
    parts = [str(p) for p in loc][1:]
    if len(parts) > 1 and parts[0] in _SCHEMA_PARAMS:
        parts = parts[1:]
    return ".".join(parts) or "body"


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "Send a valid API token as `Authorization: Bearer <token>`.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, str(exc) or "Not found.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc))


api.add_router("/", projects.router)
api.add_router("/", groups.router)
api.add_router("/", sites.router)
