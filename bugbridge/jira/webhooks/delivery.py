"""Store a verified delivery once, apply it, and record the outcome.

Shared by every way in: each verifies its own way, then calls `handle_verified_delivery`.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.datastructures import CaseInsensitiveMapping

from bugbridge.jira.models import DeliveryOutcome, JiraSite, WebhookDelivery
from bugbridge.jira.webhooks import dispatch as dispatching
from bugbridge.jira.webhooks.metrics import APPLY_SECONDS, DELIVERIES
from bugbridge.jira.webhooks.payload import issue_key_hint
from bugbridge.sync.inbound import InboundResult

log = structlog.get_logger(__name__)

IDENTIFIER_HEADER = "X-Atlassian-Webhook-Identifier"
# A delivery stored but never finished (its process died) is taken over by a retry after this.
ABANDONED_AFTER = timedelta(minutes=5)
_CLAIM_PREFIX = "claim:"


@dataclass(frozen=True)
class ReceiveResult:
    """What to answer Jira: an HTTP status and a JSON body."""

    status: int
    payload: dict[str, Any] = field(default_factory=dict)
    delivery: WebhookDelivery | None = None


def delivery_identifier(headers: Mapping[str, str], raw_body: bytes) -> str:
    """Jira's identifier is stable across retries; without one, the body's hash is."""
    given = CaseInsensitiveMapping(headers).get(IDENTIFIER_HEADER, "") if headers else ""
    if given and given.strip():
        return _storable_text(given.strip())[:200]
    return "sha256:" + hashlib.sha256(raw_body).hexdigest()


def handle_verified_delivery(
    site: JiraSite,
    identifier: str | None,
    body: bytes | dict[str, Any],
    headers: Mapping[str, str] | None = None,
) -> ReceiveResult:
    """Store (once) and apply a delivery whose origin was verified. Never raises for Jira's sake.

    `identifier` None means: `X-Atlassian-Webhook-Identifier`, else the sha256 of the body.
    `body` is the raw bytes (parsed here; bad JSON → 400) or an already parsed object.
    """
    raw = body if isinstance(body, bytes) else json.dumps(body, sort_keys=True).encode()
    parsed = _parse(body)
    if isinstance(parsed, ReceiveResult):
        return parsed
    event = str(parsed["webhookEvent"])
    ident = identifier or delivery_identifier(headers or {}, raw)

    delivery = _store_once(site, ident, event, parsed)
    if delivery is None:
        DELIVERIES.labels(dispatching.metric_event(event), "duplicate").inc()
        log.info("jira.webhook.duplicate", site=site.pk, identifier=ident, webhook_event=event)
        return ReceiveResult(200, {"status": "duplicate"})

    with APPLY_SECONDS.labels(dispatching.metric_event(event)).time():
        result = _apply(site, event, parsed, delivery)
    _finish(delivery, result)
    DELIVERIES.labels(dispatching.metric_event(event), str(result.outcome)).inc()
    return ReceiveResult(
        200, {"status": str(result.outcome), "delivery": delivery.pk}, delivery=delivery
    )


def _parse(body: bytes | dict[str, Any]) -> dict[str, Any] | ReceiveResult:
    parsed: Any = body
    if isinstance(body, bytes) and not body.strip():
        # Jira's admin webhooks have an "Exclude body" option; without the body nothing can
        # be applied, and a 400 tells Jira not to retry.
        return _bad_request(
            "The body is empty: untick 'Exclude body' in this webhook's settings in Jira."
        )
    try:
        if isinstance(body, bytes):
            parsed = json.loads(body)
        parsed = _storable(parsed, 0)
    except (UnicodeDecodeError, ValueError):
        return _bad_request("The body is not valid JSON.")
    except (RecursionError, _TooDeepError):
        return _bad_request(f"The body is nested more than {_MAX_DEPTH} levels deep.")
    if not isinstance(parsed, dict):
        return _bad_request("The body must be a JSON object.")
    if not isinstance(parsed.get("webhookEvent"), str) or not parsed["webhookEvent"]:
        return _bad_request("The body has no webhookEvent.")
    return parsed


# Jira's bodies are about 15 levels deep (ADF comments a few more); deeper ones are not Jira's
# and would exhaust the stack in the readers, which recurse.
_MAX_DEPTH = 100


class _TooDeepError(Exception):
    pass


def _storable(value: Any, depth: int) -> Any:
    """The body as PostgreSQL's jsonb can store it: json.loads accepts NUL characters, lone
    surrogates ("\\ud800") and NaN, which jsonb refuses. A person can paste the first two
    into a Jira comment, so they are replaced, not refused."""
    if depth > _MAX_DEPTH:
        raise _TooDeepError
    if isinstance(value, str):
        return _storable_text(value)
    if isinstance(value, dict):
        return {_storable_text(str(k)): _storable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v, depth + 1) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _storable_text(value: str) -> str:
    if value.isascii():
        return value.replace("\x00", "\ufffd")
    return value.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def _bad_request(detail: str) -> ReceiveResult:
    log.warning("jira.webhook.rejected", reason="bad_body", detail=detail)
    return ReceiveResult(400, {"detail": detail})


def _store_once(
    site: JiraSite, identifier: str, event: str, body: dict[str, Any]
) -> WebhookDelivery | None:
    """Insert the delivery unless (site, identifier) exists: INSERT … ON CONFLICT DO NOTHING.

    The insert carries a random claim in `detail`; reading the row back tells whether this
    request inserted it. Concurrent duplicates wait on the unique index, then find the row.
    """
    claim = _CLAIM_PREFIX + secrets.token_hex(8)
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                site=site,
                identifier=identifier,
                event=event[:64],
                issue_key=issue_key_hint(body)[:64],
                body=body,
                detail=claim,
            )
        ],
        ignore_conflicts=True,
    )
    row = WebhookDelivery.objects.get(site=site, identifier=identifier)
    if row.detail == claim:
        return row
    return _take_over_abandoned(row, claim)


def _take_over_abandoned(row: WebhookDelivery, claim: str) -> WebhookDelivery | None:
    if row.outcome != DeliveryOutcome.RECEIVED or row.received_at > timezone.now() - (
        ABANDONED_AFTER
    ):
        return None
    taken = WebhookDelivery.objects.filter(
        pk=row.pk, outcome=DeliveryOutcome.RECEIVED, detail=row.detail
    ).update(detail=claim)
    if not taken:
        return None
    log.warning("jira.webhook.retaken", site=row.site_id, delivery=row.pk)
    row.detail = claim
    return row


def _apply(
    site: JiraSite, event: str, body: dict[str, Any], delivery: WebhookDelivery
) -> InboundResult:
    try:
        return dispatching.dispatch(site, event, body)
    except Exception as exc:
        # A verified delivery is never answered 500: Jira would retry a bug for 30 minutes.
        log.exception(
            "jira.webhook.failed", site=site.pk, delivery=delivery.pk, webhook_event=event
        )
        return InboundResult(DeliveryOutcome.FAILED, f"{type(exc).__name__}: {exc}"[:500])


def _finish(delivery: WebhookDelivery, result: InboundResult) -> None:
    delivery.outcome = result.outcome
    delivery.detail = result.detail[:500]
    delivery.processed_at = timezone.now()
    delivery.save(update_fields=["outcome", "detail", "processed_at"])
    log.info(
        "jira.webhook.processed",
        site=delivery.site_id,
        delivery=delivery.pk,
        webhook_event=delivery.event,
        issue=delivery.issue_key,
        outcome=str(result.outcome),
        detail=result.detail,
    )


def respond_to_verified_request(request: HttpRequest, site: JiraSite) -> JsonResponse:
    """For a view that has verified `request` as coming from `site`: store, apply, answer."""
    result = handle_verified_delivery(site, None, request.body, request.headers)
    return JsonResponse(result.payload, status=result.status)


def prune_deliveries(older_than: timedelta = timedelta(days=30)) -> int:
    """Delete processed deliveries older than `older_than` (Jira retries for ~30 minutes, so
    nothing older can be repeated). Returns how many rows went. For a periodic job."""
    cutoff = timezone.now() - older_than
    done = WebhookDelivery.objects.filter(received_at__lt=cutoff, processed_at__isnull=False)
    deleted, _ = done.delete()
    log.info("jira.webhook.pruned", deleted=deleted)
    return deleted
