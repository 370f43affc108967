"""Ingest fixtures: envelopes built by hand, HTTP against the live server, row counts."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bugbridge.tracker.models import Activity, Event, Group, GroupUser, ProjectKey


def make_event(**fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": uuid.uuid4().hex,
        "platform": "python",
        "level": "error",
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": "bad input",
                    "stacktrace": {
                        "frames": [
                            {"module": "app.main", "function": "run", "lineno": 3, "in_app": True},
                            {
                                "module": "app.orders",
                                "function": "pay",
                                "lineno": 40,
                                "in_app": True,
                            },
                        ]
                    },
                }
            ]
        },
    }
    event.update(fields)
    return event


def make_envelope(*items: tuple[dict[str, Any], bytes], **headers: Any) -> bytes:
    lines = [json.dumps(headers).encode()]
    for item_headers, payload in items:
        lines += [json.dumps({**item_headers, "length": len(payload)}).encode(), payload]
    return b"\n".join(lines) + b"\n"


def event_envelope(event: dict[str, Any], **headers: Any) -> bytes:
    headers.setdefault("event_id", event.get("event_id"))
    return make_envelope(({"type": "event"}, json.dumps(event).encode()), **headers)


def auth_header(key: ProjectKey | str) -> dict[str, str]:
    public_key = key if isinstance(key, str) else key.public_key
    return {"X-Sentry-Auth": f"Sentry sentry_key={public_key}, sentry_version=7"}


def row_counts() -> dict[str, int]:
    return {
        "events": Event.objects.count(),
        "groups": Group.objects.count(),
        "users": GroupUser.objects.count(),
        "activity": Activity.objects.count(),
    }


class Ingest:
    """Posts to the live server's ingest endpoints over real HTTP."""

    def __init__(self, base_url: str, key: ProjectKey) -> None:
        self.key = key
        self.client = httpx.Client(base_url=base_url, timeout=30)

    def url(self, kind: str = "envelope", project_id: int | str | None = None) -> str:
        return f"/api/{self.key.project_id if project_id is None else project_id}/{kind}/"

    def envelope(self, body: bytes, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", auth_header(self.key))
        return self.client.post(self.url("envelope"), content=body, **kwargs)

    def event(self, event: dict[str, Any]) -> httpx.Response:
        return self.envelope(event_envelope(event))

    def store(self, body: bytes, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", auth_header(self.key))
        return self.client.post(self.url("store"), content=body, **kwargs)


@pytest.fixture(autouse=True)
def _ingest_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.ingest.urls"


@pytest.fixture
def ingest(live_server: Any, project_key: ProjectKey) -> Iterator[Ingest]:
    client = Ingest(live_server.url, project_key)
    yield client
    client.client.close()
