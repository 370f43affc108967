"""Hostile and odd input over real HTTP: never a 500, always a clear answer, nothing half-stored."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest

from bugbridge.tracker.models import Event, Group
from tests.ingest.conftest import Ingest, auth_header, row_counts

pytestmark = pytest.mark.django_db(transaction=True)


def _raw_envelope(payload: bytes, header: bytes = b"{}") -> bytes:
    return header + b'\n{"type":"event"}\n' + payload + b"\n"


def _json_envelope(event: dict[str, Any], header: dict[str, Any] | None = None) -> bytes:
    return _raw_envelope(json.dumps(event).encode(), json.dumps(header or {}).encode())


@pytest.mark.parametrize("project_id", ["²", "9" * 30, "-1", "0042x", "%00"])
def test_odd_project_ids_are_403(ingest: Ingest, project_id: str) -> None:
    response = ingest.client.post(
        f"/api/{project_id}/envelope/",
        content=_json_envelope({"message": "m"}),
        headers=auth_header(ingest.key),
    )
    assert response.status_code == 403
    assert "unknown project" in response.json()["detail"].lower()


@pytest.mark.parametrize("key", ["%00", "a" * 5000, "k%27%20OR%201=1"])
def test_odd_keys_are_403(ingest: Ingest, key: str) -> None:
    response = ingest.client.post(
        f"{ingest.url()}?sentry_key={key}", content=_json_envelope({"message": "m"})
    )
    assert response.status_code == 403
    assert row_counts()["events"] == 0


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("lone surrogate", b'{"message": "\\ud800 x"}'),
        ("surrogate key", b'{"message": "x", "extra": {"\\udc00": 1}}'),
        ("nul in keys", b'{"message": "n", "extra": {"a\\u0000b": 1}, "tags": {"a\\u0000": "b"}}'),
        ("nan", b'{"message": "nan", "extra": {"x": NaN, "y": Infinity}, "level": 1e400}'),
        ("deep", b'{"message": "d", "extra": ' + b"[" * 900 + b"]" * 900 + b"}"),
        ("exception int", b'{"message": "e", "exception": 5}'),
        ("stacktrace list", b'{"exception": {"values": [{"type": "E", "stacktrace": [1]}]}}'),
        (
            "frames odd",
            b'{"exception": {"values": [{"type": "E", "stacktrace": {"frames": '
            b'[{"function": "f", "pre_context": 5, "vars": 3}, 7]}}]}}',
        ),
        ("year 1", b'{"message": "y", "timestamp": "0001-01-01T00:00:00+05:00"}'),
        ("year 9999", b'{"message": "y", "timestamp": "9999-12-31T23:59:59-05:00"}'),
        ("huge timestamp", b'{"message": "t", "timestamp": 1e30}'),
        ("huge fingerprint", b'{"message": "f", "fingerprint": ["' + b"x" * 1_000_000 + b'"]}'),
        ("odd tags", b'{"message": "t", "tags": [["a"], 5, ["k", {"v": 1}], ["b", "c"]]}'),
        ("user list", b'{"message": "u", "user": ["id", 1]}'),
    ],
)
def test_odd_events_are_stored(ingest: Ingest, name: str, payload: bytes) -> None:
    response = ingest.envelope(_raw_envelope(payload))
    assert response.status_code == 200, (name, response.text)
    assert Event.objects.count() == Group.objects.count() == 1


def test_many_tags_and_huge_fields_are_stored_truncated(ingest: Ingest) -> None:
    event = {
        "message": "T" * 100_000,
        "release": "r" * 1000,
        "environment": "e" * 1000,
        "platform": "p" * 1000,
        "user": {"id": "u" * 1000},
        "tags": {f"k{i}": "v" for i in range(20_000)},
    }
    assert ingest.envelope(_json_envelope(event)).status_code == 200
    stored = Event.objects.get()
    assert (len(stored.title), len(stored.release), len(stored.user_ident)) == (1024, 200, 256)
    assert len(stored.tags) == 20_000


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (_raw_envelope(b"[" * 5000 + b"]" * 5000), 400),  # deeper than json.loads will go
        (_json_envelope({"message": "m", "event_id": 12}), 400),
        (_json_envelope({"message": "m"}, {"event_id": "zz"}), 400),
    ],
)
def test_refused_events_store_nothing(ingest: Ingest, body: bytes, status: int) -> None:
    response = ingest.envelope(body)
    assert response.status_code == status
    assert response.json()["detail"]
    assert row_counts()["events"] == 0


def test_gzip_bomb_is_413_and_mislabelled_encoding_is_400(ingest: Ingest) -> None:
    headers = {**auth_header(ingest.key), "Content-Encoding": "gzip"}
    bomb = gzip.compress(b"{" + b" " * 50_000_000)
    assert ingest.envelope(bomb, headers=headers).status_code == 413
    plain = _json_envelope({"message": "m"})
    assert ingest.envelope(plain, headers=headers).status_code == 400
    assert row_counts()["events"] == 0


def test_store_endpoint_with_lone_surrogate(ingest: Ingest) -> None:
    assert ingest.store(b'{"message": "\\ud800"}').status_code == 200
    assert Event.objects.get().title == "?"


def test_response_id_is_hex_even_for_a_dashed_header_id(ingest: Ingest) -> None:
    dashed = "0f8fad5b-d9cb-469f-a165-70867728950e"
    response = ingest.envelope(_json_envelope({"message": "m"}, {"event_id": dashed}))
    assert response.json() == {"id": dashed.replace("-", "")}
