"""The Sentry ingest endpoints: /api/<project_id>/envelope/ and /api/<project_id>/store/.

Answers follow Sentry's: 200 {"id": "<event id>"} when accepted, otherwise the status and
{"detail": "..."}. Browser SDKs post cross-origin, hence the permissive CORS headers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from bugbridge.ingest import metrics
from bugbridge.ingest.auth import authenticate, key_from_dsn, key_from_request
from bugbridge.ingest.decoding import decode_body, decode_legacy_store_body
from bugbridge.ingest.envelope import ParsedBody, parse_envelope, parse_store
from bugbridge.ingest.errors import IngestError
from bugbridge.ingest.grouping import fingerprint_hash
from bugbridge.ingest.normalize import NormalizedEvent, normalize
from bugbridge.ingest.store import store_event
from bugbridge.tracker.models import ProjectKey

log = structlog.get_logger(__name__)

_CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Content-Encoding, X-Sentry-Auth",
}


@dataclass(frozen=True)
class _Endpoint:
    parse: Callable[[bytes], ParsedBody]
    # The envelope header may carry the DSN, so only envelopes may authenticate after parsing.
    key_in_body: bool


def _parse_store_body(body: bytes) -> ParsedBody:
    return parse_store(decode_legacy_store_body(body, settings.INGEST_MAX_BODY_BYTES))


ENVELOPE = _Endpoint(parse=parse_envelope, key_in_body=True)
STORE = _Endpoint(parse=_parse_store_body, key_in_body=False)


@csrf_exempt
def envelope(request: HttpRequest, project_id: str) -> HttpResponse:
    return _respond(request, project_id, ENVELOPE)


@csrf_exempt
def store(request: HttpRequest, project_id: str) -> HttpResponse:
    return _respond(request, project_id, STORE)


def _respond(request: HttpRequest, project_id: str, endpoint: _Endpoint) -> HttpResponse:
    if request.method == "OPTIONS":
        return _with_cors(HttpResponse())
    if request.method != "POST":
        return _with_cors(JsonResponse({"detail": "Use POST."}, status=405))
    try:
        event_id = _ingest(request, project_id, endpoint)
    except IngestError as exc:
        log.info("ingest.rejected", reason=exc.reason, status=exc.status, project=project_id)
        metrics.rejected(exc.reason)
        return _with_cors(JsonResponse({"detail": exc.detail}, status=exc.status))
    return _with_cors(JsonResponse({"id": event_id} if event_id else {}))


def _ingest(request: HttpRequest, project_id: str, endpoint: _Endpoint) -> str | None:
    """Authenticate, decode, parse, normalise and store; the event id to answer with."""
    public_key = key_from_request(request)
    key = None if endpoint.key_in_body and not public_key else authenticate(project_id, public_key)
    limit = settings.INGEST_MAX_BODY_BYTES
    body = decode_body(request, request.headers.get("Content-Encoding", ""), limit)
    parsed = endpoint.parse(body)
    key = key or authenticate(project_id, key_from_dsn(parsed.dsn))
    events = [normalize(payload, parsed.event_id) for payload in parsed.events]
    _store_all(key, events)
    return parsed.event_id or (events[0].event_id.hex if events else None)


def _store_all(key: ProjectKey, events: list[NormalizedEvent]) -> None:
    keyed = sorted(((fingerprint_hash(e.data), e) for e in events), key=lambda pair: pair[0])
    # One transaction per request: all of its events are stored, or (on an error) none. Groups
    # are touched in fingerprint order, so two multi-event envelopes cannot deadlock on them.
    with transaction.atomic():
        stored = [store_event(key.project_id, event, fp) for fp, event in keyed]
    for result in stored:
        (metrics.accepted if result else metrics.duplicate)()


def _with_cors(response: HttpResponse) -> HttpResponse:
    for name, value in _CORS_HEADERS.items():
        response[name] = value
    return response
