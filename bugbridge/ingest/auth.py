"""Which DSN key sent a request, and whether it may send to this project.

SDKs put the public key in the `X-Sentry-Auth` header (`Sentry sentry_key=..., sentry_version=7`),
browsers that cannot set headers put it in the `sentry_key` query parameter, and envelopes may
carry the whole DSN in their header. The secret part of old DSNs is ignored, as Sentry does.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.http import HttpRequest

from bugbridge.ingest.errors import IngestError
from bugbridge.tracker.models import Project, ProjectKey


def parse_auth_header(value: str) -> dict[str, str]:
    scheme, _, params = value.strip().partition(" ")
    if scheme.lower() != "sentry":
        return {}
    fields: dict[str, str] = {}
    for part in params.split(","):
        name, sep, field_value = part.strip().partition("=")
        if sep:
            fields[name.strip().lower()] = field_value.strip().strip('"')
    return fields


def key_from_request(request: HttpRequest) -> str | None:
    for header in ("X-Sentry-Auth", "Authorization"):
        key = parse_auth_header(request.headers.get(header, "")).get("sentry_key")
        if key:
            return key
    return request.GET.get("sentry_key") or None


def key_from_dsn(dsn: str | None) -> str | None:
    if not dsn:
        return None
    try:
        return urlsplit(dsn).username or None
    except ValueError:
        return None


# Public keys are 32 hex digits; anything else (NUL bytes, megabytes of text) is not looked up.
_KEY_PATTERN = re.compile(r"[0-9A-Za-z]{1,64}")
# Project ids are ASCII digits that fit a 64-bit integer ("²".isdigit() is True, int() fails).
_PROJECT_ID_PATTERN = re.compile(r"[0-9]{1,18}")


def authenticate(project_id: str, public_key: str | None) -> ProjectKey:
    """The active key of this project, or a 401 (no key) / 403 (wrong key) saying why."""
    if not public_key:
        raise IngestError(
            401,
            "missing_key",
            "No sentry_key: send the X-Sentry-Auth header, the sentry_key query parameter "
            "or a DSN in the envelope header.",
        )
    key = _find_key(public_key)
    project_pk = parse_project_id(project_id)
    if key.project_id != project_pk:
        raise _wrong_project(project_id, project_pk)
    if not key.is_active:
        raise IngestError(403, "inactive_key", "This sentry_key is disabled: use an active key.")
    return key


def parse_project_id(project_id: str) -> int | None:
    return int(project_id) if _PROJECT_ID_PATTERN.fullmatch(project_id) else None


def _find_key(public_key: str) -> ProjectKey:
    unknown = IngestError(403, "unknown_key", "Unknown sentry_key: check the DSN.")
    if not _KEY_PATTERN.fullmatch(public_key):
        raise unknown
    try:
        return ProjectKey.objects.get(public_key=public_key)
    except ProjectKey.DoesNotExist:
        raise unknown from None


def _wrong_project(project_id: str, project_pk: int | None) -> IngestError:
    if project_pk is None or not Project.objects.filter(pk=project_pk).exists():
        return IngestError(403, "unknown_project", f"Unknown project {project_id[:32]!r}.")
    return IngestError(
        403, "wrong_project", f"This sentry_key does not belong to project {project_pk}."
    )
