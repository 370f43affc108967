from __future__ import annotations

import json

import pytest

from bugbridge.ingest.envelope import parse_envelope, parse_store
from bugbridge.ingest.errors import IngestError
from tests.ingest.conftest import make_envelope, make_event


def test_events_and_headers_are_read_with_the_sdk_parser() -> None:
    first, second = make_event(), make_event()
    body = make_envelope(
        ({"type": "event"}, json.dumps(first).encode()),
        ({"type": "session"}, b"{}"),
        ({"type": "event"}, json.dumps(second).encode()),
        event_id=first["event_id"],
        dsn="https://k@h/1",
    )
    parsed = parse_envelope(body)
    assert [e["event_id"] for e in parsed.events] == [first["event_id"], second["event_id"]]
    assert (parsed.event_id, parsed.dsn) == (first["event_id"], "https://k@h/1")


def test_envelope_without_trailing_newline() -> None:
    body = make_envelope(({"type": "event"}, b'{"message": "x"}')).rstrip(b"\n")
    assert parse_envelope(body).events == [{"message": "x"}]


@pytest.mark.parametrize(
    "body",
    [b"", b"\n", b"{", b'{}\n{"type":"event"}\nnot json\n', b'{}\n{"type":"event"}\n"text"\n'],
)
def test_malformed_envelopes(body: bytes) -> None:
    with pytest.raises(IngestError) as caught:
        parse_envelope(body)
    assert caught.value.status == 400


def test_deeply_nested_json_is_a_400_not_a_crash() -> None:
    nested = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(IngestError):
        parse_store(nested)
    with pytest.raises(IngestError):
        parse_envelope(b'{}\n{"type":"event"}\n' + nested + b"\n")


def test_store_body() -> None:
    assert parse_store(b'{"message": "x"}').events == [{"message": "x"}]
    with pytest.raises(IngestError):
        parse_store(b"\xff\xfe")
