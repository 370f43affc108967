"""Envelope and store bodies → the event payloads they carry.

Envelopes are read with the Sentry SDK's own parser. It trusts its input (a header line that
is not a JSON object, or a `length` that is not a number, surface as AttributeError or
TypeError), so every failure is turned into a 400 that says what is wrong.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sentry_sdk.envelope import Envelope, Item

from bugbridge.ingest.errors import bad_request

# Items that carry an error event. Everything else (transaction, session(s), attachment,
# client_report, check_in, profile, replay_*, span, log, statsd, user_report, ...) is accepted
# and ignored, as a Sentry without those features would.
EVENT_ITEM_TYPES = frozenset({"event"})
_PARSE_ERRORS = (ValueError, TypeError, AttributeError, RecursionError, UnicodeDecodeError)


@dataclass(frozen=True)
class ParsedBody:
    """What a request carries: its events and, for envelopes, the header's event id and DSN."""

    events: list[dict[str, Any]]
    event_id: str | None = None
    dsn: str | None = None


def parse_envelope(body: bytes) -> ParsedBody:
    if not body.strip():
        raise bad_request("malformed_envelope", "The envelope is empty.")
    try:
        envelope = Envelope.deserialize(body)
    except _PARSE_ERRORS as exc:
        raise bad_request("malformed_envelope", f"The envelope could not be parsed: {exc}") from exc
    headers = envelope.headers
    if not isinstance(headers, dict):
        raise bad_request("malformed_envelope", "The envelope header is not a JSON object.")
    events = [_event_payload(index, item) for index, item in enumerate(envelope.items)]
    return ParsedBody(
        events=[event for event in events if event is not None],
        event_id=_header_event_id(headers.get("event_id")),
        dsn=_optional_str(headers.get("dsn")),
    )


def _header_event_id(value: Any) -> str | None:
    """The envelope's event id as 32 hex digits (the form Sentry answers with)."""
    if value is None or value == "":
        return None
    try:
        return uuid.UUID(str(value)).hex
    except ValueError as exc:
        raise bad_request(
            "bad_event_id", f"The envelope header's event_id {str(value)[:64]!r} is not a UUID."
        ) from exc


def _event_payload(index: int, item: Item) -> dict[str, Any] | None:
    if not isinstance(item.headers, dict):
        raise bad_request("malformed_envelope", f"Item {index}'s header is not a JSON object.")
    declared = item.headers.get("length")
    if item.type not in EVENT_ITEM_TYPES:
        _check_length(index, declared, item.payload.bytes)
        return None
    payload = item.payload.json
    if not isinstance(payload, dict):
        raise bad_request("malformed_event", f"Item {index} (event) is not a JSON object.")
    return payload


def _check_length(index: int, declared: Any, payload: bytes | None) -> None:
    # The SDK's parser reads `length` bytes without checking that they were all there.
    if isinstance(declared, int) and payload is not None and len(payload) != declared:
        raise bad_request(
            "malformed_envelope",
            f"Item {index} is truncated: {len(payload)} of {declared} declared bytes.",
        )


def parse_store(body: bytes) -> ParsedBody:
    """The legacy /store/ endpoint: the body is one event as a JSON object."""
    try:
        payload = json.loads(body)
    except _PARSE_ERRORS as exc:
        raise bad_request("malformed_json", f"The body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise bad_request("malformed_json", "The body is not a JSON object.")
    return ParsedBody(events=[payload])


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
