from __future__ import annotations

import pytest
from django.test import RequestFactory

from bugbridge.ingest.auth import authenticate, key_from_dsn, key_from_request, parse_auth_header
from bugbridge.ingest.errors import IngestError
from bugbridge.tracker.models import ProjectKey


def test_parse_auth_header() -> None:
    header = (
        'Sentry sentry_key=abc, sentry_version=7, sentry_client="raven-js/3.0", sentry_secret=s'
    )
    assert parse_auth_header(header) == {
        "sentry_key": "abc",
        "sentry_version": "7",
        "sentry_client": "raven-js/3.0",
        "sentry_secret": "s",
    }
    assert parse_auth_header("Bearer abc") == {}
    assert parse_auth_header("") == {}


def test_key_from_header_authorization_or_query() -> None:
    factory = RequestFactory()
    header = factory.post("/", HTTP_X_SENTRY_AUTH="Sentry sentry_key=k1, sentry_version=7")
    authorization = factory.post("/", HTTP_AUTHORIZATION="Sentry sentry_key=k2")
    query = factory.post("/?sentry_key=k3&sentry_version=7")
    assert [key_from_request(r) for r in (header, authorization, query)] == ["k1", "k2", "k3"]
    assert key_from_request(factory.post("/")) is None


def test_key_from_dsn() -> None:
    assert key_from_dsn("https://abc@o1.example.com/42") == "abc"
    assert key_from_dsn("https://abc:secret@example.com/42") == "abc"
    assert key_from_dsn("https://example.com/42") is None
    assert key_from_dsn(None) is None
    assert key_from_dsn("http://[bad") is None


def test_authenticate_statuses(project_key: ProjectKey) -> None:
    project_id = str(project_key.project_id)
    assert authenticate(project_id, project_key.public_key) == project_key

    cases = [
        (None, project_id, 401, "missing_key"),
        ("nope", project_id, 403, "unknown_key"),
        (project_key.public_key, "424242", 403, "unknown_project"),
        (project_key.public_key, "x", 403, "unknown_project"),
    ]
    for key, target, status, reason in cases:
        with pytest.raises(IngestError) as caught:
            authenticate(target, key)
        assert (caught.value.status, caught.value.reason) == (status, reason)
