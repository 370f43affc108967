"""Sentry ingest under attack, over real HTTP: hostile bodies, encodings, ids and replays."""

from __future__ import annotations

import gzip
import json
import threading
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import brotli
import httpx
import pytest

from bugbridge.tracker.models import Event, Group, ProjectKey
from tests.adversarial.helpers import envelope, send_envelope
from tests.web.conftest import World


def _accepted(response: httpx.Response) -> Event:
    assert response.status_code == 200, response.text[:300]
    return Event.objects.get(event_id=response.json()["id"])


def _refused(response: httpx.Response, status: int = 400) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.json()["detail"]


@pytest.fixture
def url(live_server: Any, world: World) -> str:
    return live_server.url


# -- ids in the URL and keys --------------------------------------------------------------------


@pytest.mark.parametrize(
    "project_id", ["²", "\u0661", str(2**63), str(2**64), "9" * 40, "-1", "0x1"]
)
def test_odd_project_ids_with_a_valid_key_are_a_403(
    url: str, world: World, project_id: str
) -> None:
    key = ProjectKey.objects.get(project=world.project_a)
    response = httpx.post(
        f"{url}/api/{project_id}/envelope/",
        content=envelope({"message": "hi"}),
        headers={"X-Sentry-Auth": f"Sentry sentry_key={key.public_key}"},
    )
    _refused(response, 403)
    assert Event.objects.count() == 2  # the World's own


@pytest.mark.parametrize("key", ["%00", "a" * 5000, "%F0%9F%92%A9", "../../etc/passwd"])
def test_odd_keys_are_a_403(url: str, world: World, key: str) -> None:
    response = httpx.post(
        f"{url}/api/{world.project_a.pk}/envelope/?sentry_key={key}",
        content=envelope({"message": "hi"}),
    )
    _refused(response, 403)


# -- bodies -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", lambda data: gzip.compress(data, 9)),
        ("deflate", lambda data: zlib.compress(data, 9)),
        ("br", lambda data: brotli.compress(data, quality=5)),
        ("gzip, gzip", lambda data: gzip.compress(gzip.compress(data, 9), 9)),
    ],
    ids=["gzip", "deflate", "br", "gzip-twice"],
)
def test_decompression_bombs_are_a_413(
    url: str, world: World, encoding: str, compress: Any
) -> None:
    bomb = compress(b'{}\n{"type":"event"}\n{"message":"' + b"A" * 60_000_000 + b'"}\n')
    assert len(bomb) < 1_000_000

    response = send_envelope(url, world.project_a, bomb, **{"Content-Encoding": encoding})

    _refused(response, 413)
    assert Event.objects.count() == 2


@pytest.mark.parametrize("encoding", ["gzip", "br", "deflate", "zstd", "compress"])
def test_plain_body_under_a_wrong_content_encoding_is_a_400(
    url: str, world: World, encoding: str
) -> None:
    response = send_envelope(
        url, world.project_a, envelope({"message": "hi"}), **{"Content-Encoding": encoding}
    )
    _refused(response)


def test_truncated_gzip_is_a_400(url: str, world: World) -> None:
    packed = gzip.compress(envelope({"message": "hi"}))[:-12]
    _refused(send_envelope(url, world.project_a, packed, **{"Content-Encoding": "gzip"}))


@pytest.mark.parametrize(
    "body",
    [
        b'{}\n{"type":"event"}\n["not", "an", "object"]\n',
        b"[1]\n",
        b'{}\n"item header"\n{}\n',
        b'{}\n{"type":"event"}\n' + b"[" * 100_000 + b"\n",
        b'{}\n{"type":"attachment","length":500}\nshort\n',
    ],
    ids=[
        "event not an object",
        "header list",
        "item header string",
        "unclosed nesting",
        "attachment shorter than its length",
    ],
)
def test_malformed_envelopes_are_a_400(url: str, world: World, body: bytes) -> None:
    _refused(send_envelope(url, world.project_a, body))
    assert Event.objects.count() == 2


def test_invalid_utf8_is_stored_with_replacement_characters(url: str, world: World) -> None:
    # Like the SDK's own envelope reader: bytes that are not UTF-8 become U+FFFD.
    body = b'{}\n{"type":"event"}\n{"message":"bad \xff\xfe utf-8"}\n'
    event = _accepted(send_envelope(url, world.project_a, body))
    assert event.title == "bad \ufffd\ufffd utf-8"


@pytest.mark.parametrize("escaped", ["\\ud800", "\\udfff x \\ud83d", "a\\u0000b"])
def test_text_the_database_refuses_is_stored_cleaned(url: str, world: World, escaped: str) -> None:
    raw = envelope(
        (
            '{"message":"boom ' + escaped + '","tags":{"k' + escaped + '":"v' + escaped + '"},'
            '"release":"r' + escaped + '","user":{"id":"' + escaped + '"}}'
        ).encode()
    )
    event = _accepted(send_envelope(url, world.project_a, raw))
    assert event.title.startswith("boom ")
    event.title.encode("utf-8")  # storable as UTF-8
    assert "\x00" not in event.title


def test_deep_nesting_is_trimmed_not_a_500(url: str, world: World) -> None:
    raw = envelope(b'{"message":"deep","extra":{"x":' + b"[" * 900 + b"]" * 900 + b"}}")
    _accepted(send_envelope(url, world.project_a, raw))


@pytest.mark.parametrize(
    "timestamp",
    [
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        -62135596800.0,
        1e300,
        "NaN",
        True,
        [2024],
    ],
)
def test_timestamps_out_of_range_fall_back_to_now(url: str, world: World, timestamp: Any) -> None:
    event = _accepted(
        send_envelope(url, world.project_a, envelope({"message": "ts", "timestamp": timestamp}))
    )
    assert event.timestamp.year >= 2026


def test_enormous_fingerprint_title_and_tags_are_truncated(url: str, world: World) -> None:
    payload = {
        "message": "T" * 200_000,
        "fingerprint": ["x" * 1_000_000, {"nested": ["y"] * 1000}],
        "tags": {f"k{i}" * 50: "v" * 5000 for i in range(2000)},
        "release": "r" * 5000,
        "environment": "e" * 5000,
        "user": {"id": "u" * 5000},
    }
    event = _accepted(send_envelope(url, world.project_a, envelope(payload)))
    assert len(event.title) <= 1024
    assert len(event.release) <= 200
    assert len(event.environment) <= 64
    assert all(len(k) <= 200 and len(v) <= 200 for k, v in event.tags.items())


def test_one_bad_event_in_an_envelope_stores_none_of_it(url: str, world: World) -> None:
    good = json.dumps({"message": "good", "event_id": uuid.uuid4().hex}).encode()
    body = b'{}\n{"type":"event"}\n' + good + b'\n{"type":"event"}\n{"event_id":"zz"}\n'

    _refused(send_envelope(url, world.project_a, body))
    assert not Event.objects.filter(title="good").exists()


# -- replays ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_event_id_replayed_concurrently_is_stored_once(url: str, world: World) -> None:
    event_id = uuid.uuid4().hex
    body = envelope({"message": "replayed", "event_id": event_id}, {"event_id": event_id})
    barrier = threading.Barrier(8)

    def send(_: int) -> httpx.Response:
        barrier.wait()
        return send_envelope(url, world.project_a, body)

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(send, range(8)))

    assert [r.status_code for r in responses] == [200] * 8
    assert {r.json()["id"] for r in responses} == {event_id}
    assert Event.objects.filter(event_id=event_id).count() == 1
    group = Group.objects.get(events__event_id=event_id)
    assert group.times_seen == 1


def test_same_event_id_in_another_project_is_another_event(url: str, world: World) -> None:
    event_id = uuid.uuid4().hex
    body = envelope({"message": "twice", "event_id": event_id})
    assert send_envelope(url, world.project_a, body).status_code == 200
    assert send_envelope(url, world.project_b, body).status_code == 200

    assert Event.objects.filter(event_id=event_id).count() == 2
