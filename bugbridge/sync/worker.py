"""The outbound worker: claim due changes, deliver them to Jira, record the outcome.

Claiming is a short transaction (PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED`; SQLite: the
IMMEDIATE transaction serialises claimers) that marks rows `in_flight` with a lease and commits
before any HTTP call. A worker killed mid-call loses nothing: when the lease runs out the row
is due again, and delivery is safe to repeat (see `delivery`).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone
from prometheus_client import Counter, Histogram

from bugbridge.jira.client import JiraClient
from bugbridge.jira.errors import JiraError, JiraRateLimited
from bugbridge.jira.models import JiraSite
from bugbridge.sync.delivery import DeliveryRefused, Result, deliver
from bugbridge.sync.models import ChangeKind, ChangeState, OutboundChange, Ticket
from bugbridge.sync.outbound import coalesced_kind

log = structlog.get_logger(__name__)

DELIVERED = Counter(
    "bugbridge_sync_outbound_total",
    "Outbound changes processed, by kind and outcome",
    ["kind", "outcome"],
)
LATENCY = Histogram(
    "bugbridge_sync_outbound_latency_seconds",
    "From the change being recorded to Jira having it",
    ["kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
)
CALL_SECONDS = Histogram(
    "bugbridge_sync_delivery_seconds", "Time spent delivering one change to Jira", ["kind"]
)

# Assignee and status changes carry the whole target state, so an older one that is still
# unfinished is worthless once a newer one for the same ticket is recorded.
_STATE_KINDS = {ChangeKind.ASSIGNEE, ChangeKind.STATUS}


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def lease_seconds() -> float:
    return _setting("SYNC_LEASE_SECONDS", 120.0)


# -- claiming -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    change_id: int
    lease_until: datetime


def claim_due(limit: int = 20) -> list[Claim]:
    """Mark up to `limit` due changes in flight, at most one per ticket and thing changed."""
    with transaction.atomic():
        now = timezone.now()
        candidates = list(
            OutboundChange.objects.filter(_due(now)).order_by("due_at", "pk")[: limit * 4]
        )
        if not candidates:
            return []
        tickets = _lock_tickets({c.ticket_id for c in candidates})
        # Read the rows again now that their tickets are ours: another worker may have taken
        # or finished some of them since the first read.
        candidates = list(
            OutboundChange.objects.filter(
                _due(now), pk__in=[c.pk for c in candidates], ticket_id__in=tickets
            )
        )
        busy = _busy_keys(tickets, now)
        lease = now + timedelta(seconds=lease_seconds())
        claims: list[Claim] = []
        for change in sorted(candidates, key=lambda c: (c.created_at, c.pk)):
            key = (change.ticket_id, change.coalesce_key)
            if change.ticket_id not in tickets or key in busy or len(claims) >= limit:
                continue
            busy.add(key)
            if _superseded(change):
                continue
            change.state, change.lease_until = ChangeState.IN_FLIGHT, lease
            change.attempts += 1
            change.save(update_fields=["state", "lease_until", "attempts", "updated_at"])
            claims.append(Claim(change.pk, lease))
        return claims


def _due(now: datetime) -> Q:
    pending = Q(state=ChangeState.PENDING, due_at__lte=now)
    # A worker that died (or hangs) past its lease: the row is due again.
    abandoned = Q(state=ChangeState.IN_FLIGHT, lease_until__lt=now)
    return pending | abandoned


def _lock_tickets(ticket_ids: set[int]) -> set[int]:
    """Lock the tickets' rows so two workers never claim for the same ticket at once."""
    rows = Ticket.objects.filter(pk__in=ticket_ids)
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    return set(rows.values_list("pk", flat=True))


def _busy_keys(ticket_ids: set[int], now: datetime) -> set[tuple[int, str]]:
    rows = OutboundChange.objects.filter(
        ticket_id__in=ticket_ids, state=ChangeState.IN_FLIGHT, lease_until__gte=now
    ).values_list("ticket_id", "coalesce_key")
    return set(rows)


def _superseded(change: OutboundChange) -> bool:
    """An abandoned in-flight row with a newer pending one: fold it in instead of resending."""
    if change.state != ChangeState.IN_FLIGHT:
        return False
    newer = _pending_sibling(change)
    if newer is None:
        return False
    _fold_into(change, newer)
    return True


def _pending_sibling(change: OutboundChange) -> OutboundChange | None:
    return (
        OutboundChange.objects.filter(
            ticket_id=change.ticket_id, coalesce_key=change.coalesce_key, state=ChangeState.PENDING
        )
        .exclude(pk=change.pk)
        .first()
    )


def _fold_into(older: OutboundChange, newer: OutboundChange) -> None:
    """The newer pending change takes over: it carries the latest state (or the comment's
    create, which looks for an earlier copy before making one)."""
    if ChangeKind(older.kind) not in _STATE_KINDS:
        newer.kind = coalesced_kind(ChangeKind(older.kind), ChangeKind(newer.kind))
        newer.save(update_fields=["kind", "updated_at"])
    older.state, older.lease_until = ChangeState.DONE, None
    older.completed_at = timezone.now()
    older.last_error = f"Superseded by change {newer.pk}."
    older.save(update_fields=["state", "lease_until", "completed_at", "last_error", "updated_at"])


# -- processing -----------------------------------------------------------------------------


# Sites Jira asked this process to leave alone for a while (by public id, monotonic time).
# Rows pending at the time are pushed back in the database for every worker; this also holds
# back changes recorded after the refusal.
_paused_until: dict[str, float] = {}
_pause_lock = threading.Lock()


def pause_site(site: JiraSite, seconds: float) -> None:
    key = str(site.public_id)
    with _pause_lock:
        _paused_until[key] = max(time.monotonic() + seconds, _paused_until.get(key, 0.0))


def site_paused_for(site: JiraSite) -> float:
    with _pause_lock:
        return max(0.0, _paused_until.get(str(site.public_id), 0.0) - time.monotonic())


class ClientPool:
    """One HTTP client per site for a batch (keeps connections to Jira open)."""

    def __init__(self) -> None:
        self._clients: dict[int, JiraClient] = {}

    def get(self, site: JiraSite) -> JiraClient:
        client = self._clients.get(site.pk)
        if client is None:
            client = self._clients[site.pk] = JiraClient.for_site(site)
        return client

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


def process(claim: Claim, pool: ClientPool | None = None) -> str:
    """Deliver one claimed change and record the outcome: delivered|failed|retry|lost."""
    change = (
        OutboundChange.objects.select_related("ticket__site", "group__project")
        .filter(pk=claim.change_id)
        .first()
    )
    if change is None or change.lease_until != claim.lease_until:
        return "lost"
    own_pool = pool or ClientPool()
    started = time.monotonic()
    try:
        outcome = _attempt(change, claim, own_pool)
    finally:
        CALL_SECONDS.labels(change.kind).observe(time.monotonic() - started)
        if pool is None:
            own_pool.close()
    return outcome


def _attempt(change: OutboundChange, claim: Claim, pool: ClientPool) -> str:
    site = change.ticket.site
    if not site.is_enabled:
        return _fail(change, claim, f"The Jira site {site.name} is disabled.")
    resting = site_paused_for(site)
    if resting > 0:
        # Claimed in the same batch as a change that met a rate limit: wait with it.
        return _release(change, claim, resting)
    try:
        result = deliver(change, pool.get(site))
    except JiraRateLimited as exc:
        wait = _rate_limit_wait(change, exc)
        pause_site(site, wait)
        return _rate_limited(change, claim, exc, wait)
    except JiraError as exc:
        if exc.transient:
            return _retry_later(change, claim, exc.message)
        return _fail(change, claim, exc.message)
    except DeliveryRefused as exc:
        return _fail(change, claim, exc.message)
    except Exception as exc:
        # A bug or an answer we cannot read: retried with backoff, then failed visibly,
        # instead of the row sitting in flight until every lease runs out.
        log.exception("sync.outbound.crashed", change=change.pk, kind=change.kind)
        return _retry_later(change, claim, f"Unexpected error: {exc!r}")
    if result.pause_seconds:
        pause_site(site, result.pause_seconds)
        _hold_site(change.ticket.site_id, result.pause_seconds)
    return _delivered(change, claim, result)


def _finish(change: OutboundChange, claim: Claim, **values: object) -> bool:
    """Write the outcome only if the row is still ours (its lease was not taken over)."""
    updated = OutboundChange.objects.filter(
        pk=change.pk, state=ChangeState.IN_FLIGHT, lease_until=claim.lease_until
    ).update(updated_at=timezone.now(), **values)
    return bool(updated)


def _delivered(change: OutboundChange, claim: Claim, result: Result) -> str:
    now = timezone.now()
    if not _finish(
        change, claim, state=ChangeState.DONE, lease_until=None, completed_at=now, last_error=""
    ):
        return "lost"
    DELIVERED.labels(change.kind, "delivered").inc()
    LATENCY.labels(change.kind).observe((now - change.created_at).total_seconds())
    log.info(
        "sync.outbound.delivered",
        change=change.pk,
        kind=change.kind,
        ticket=change.ticket.key,
        attempts=change.attempts,
        calls=result.calls,
        detail=result.detail,
    )
    return "delivered"


@transaction.atomic
def _fail(change: OutboundChange, claim: Claim, message: str) -> str:
    if not _finish(change, claim, state=ChangeState.FAILED, lease_until=None, last_error=message):
        return "lost"
    DELIVERED.labels(change.kind, "failed").inc()
    log.warning(
        "sync.outbound.failed",
        change=change.pk,
        kind=change.kind,
        ticket=change.ticket.key,
        error=message,
    )
    return "failed"


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: half fixed, half random, capped."""
    base = _setting("SYNC_BACKOFF_BASE_SECONDS", 2.0)
    cap = _setting("SYNC_BACKOFF_MAX_SECONDS", 600.0)
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    return delay / 2 + random.uniform(0, delay / 2)


@transaction.atomic
def _retry_later(
    change: OutboundChange, claim: Claim, message: str, delay: float | None = None
) -> str:
    limit = int(_setting("SYNC_MAX_TRANSIENT_ATTEMPTS", 15))
    if change.attempts >= limit:
        return _fail(change, claim, f"Gave up after {change.attempts} attempts: {message}")
    wait = backoff_seconds(change.attempts) if delay is None else delay
    due = timezone.now() + timedelta(seconds=wait)
    newer = _pending_sibling(change)
    if newer is not None:
        # A newer change for the same thing was recorded meanwhile; it carries on for both.
        _fold_into(change, newer)
        newer.due_at = max(newer.due_at, due)
        newer.save(update_fields=["due_at", "updated_at"])
        return "retry"
    if not _finish(
        change, claim, state=ChangeState.PENDING, lease_until=None, due_at=due, last_error=message
    ):
        return "lost"
    DELIVERED.labels(change.kind, "retry").inc()
    log.info(
        "sync.outbound.retry_scheduled",
        change=change.pk,
        ticket=change.ticket.key,
        seconds=round(wait, 2),
        error=message,
    )
    return "retry"


def _rate_limit_wait(change: OutboundChange, exc: JiraRateLimited) -> float:
    wait = exc.retry_after if exc.retry_after is not None else backoff_seconds(change.attempts)
    return min(wait, _setting("SYNC_RATE_LIMIT_MAX_WAIT_SECONDS", 3600.0))


def _hold_site(site_id: int, seconds: float) -> None:
    """Jira's Retry-After (or X-RateLimit-Reset) holds for the whole site: retrying early only
    extends the penalty, so every pending change of the site waits, not just the one refused."""
    until = timezone.now() + timedelta(seconds=seconds)
    OutboundChange.objects.filter(
        ticket__site_id=site_id, state=ChangeState.PENDING, due_at__lt=until
    ).update(due_at=until)


def _release(change: OutboundChange, claim: Claim, wait: float) -> str:
    """Hand a claimed change back untried (it does not count as an attempt)."""
    OutboundChange.objects.filter(pk=change.pk).update(attempts=max(0, change.attempts - 1))
    change.attempts = max(0, change.attempts - 1)
    outcome = _retry_later(change, claim, change.last_error, delay=wait)
    return "deferred" if outcome == "retry" else outcome


def _rate_limited(change: OutboundChange, claim: Claim, exc: JiraRateLimited, wait: float) -> str:
    _hold_site(change.ticket.site_id, wait)
    DELIVERED.labels(change.kind, "rate_limited").inc()
    log.warning(
        "sync.outbound.rate_limited",
        change=change.pk,
        site=change.ticket.site_id,
        seconds=round(wait, 2),
    )
    # A rate limit is not the change's fault: it does not count toward giving up.
    OutboundChange.objects.filter(pk=change.pk).update(attempts=max(0, change.attempts - 1))
    change.attempts = max(0, change.attempts - 1)
    return _retry_later(change, claim, exc.message, delay=wait)


# -- retry by a person ----------------------------------------------------------------------


@transaction.atomic
def retry_change(change_id: int) -> OutboundChange:
    """Send a failed change again (the "retry" button). Folds into a newer pending change."""
    # Retries of one ticket's changes queue on the ticket: two failed changes of one kind,
    # retried at once, would otherwise both find no pending sibling and both become pending,
    # which the one-pending-per-key constraint refuses (a 500). Ticket first, as inbound does.
    ticket_id = OutboundChange.objects.filter(pk=change_id).values_list("ticket_id", flat=True)
    list(Ticket.objects.select_for_update(no_key=True).filter(pk__in=ticket_id).values_list("pk"))
    change = OutboundChange.objects.select_for_update().get(pk=change_id)
    if change.state != ChangeState.FAILED:
        return change
    newer = _pending_sibling(change)
    if newer is not None:
        if ChangeKind(change.kind) not in _STATE_KINDS:
            newer.kind = coalesced_kind(ChangeKind(change.kind), ChangeKind(newer.kind))
        newer.due_at = timezone.now()
        newer.save(update_fields=["kind", "due_at", "updated_at"])
        change.state, change.last_error = ChangeState.DONE, f"Retried as change {newer.pk}."
        change.completed_at = timezone.now()
        change.save(update_fields=["state", "last_error", "completed_at", "updated_at"])
        return newer
    change.state, change.due_at, change.attempts = ChangeState.PENDING, timezone.now(), 0
    change.save(update_fields=["state", "due_at", "attempts", "updated_at"])
    log.info("sync.outbound.retry_requested", change=change.pk)
    return change


# -- loops ----------------------------------------------------------------------------------


def run_once(limit: int = 20) -> dict[str, int]:
    """Claim one batch and process it. Returns counts per outcome."""
    counts: dict[str, int] = {}
    pool = ClientPool()
    try:
        for claim in claim_due(limit):
            outcome = process(claim, pool)
            counts[outcome] = counts.get(outcome, 0) + 1
    finally:
        pool.close()
    return counts


def next_due_in() -> float | None:
    """Seconds until the next pending change is due (0 if one is due now), None if idle."""
    row = (
        OutboundChange.objects.filter(state__in=[ChangeState.PENDING, ChangeState.IN_FLIGHT])
        .order_by("due_at")
        .values_list("state", "due_at", "lease_until")
        .first()
    )
    if row is None:
        return None
    state, due_at, lease_until = row
    at = lease_until if state == ChangeState.IN_FLIGHT and lease_until else due_at
    return max(0.0, (at - timezone.now()).total_seconds())


def drain(max_seconds: float = 30.0, *, limit: int = 20) -> dict[str, int]:
    """Process until no change is pending or in flight, or `max_seconds` pass (sleeping
    through backoffs and rate-limit waits). Used by tests, the demo and benchmarks."""
    deadline = time.monotonic() + max_seconds
    totals: dict[str, int] = {}
    while time.monotonic() < deadline:
        for outcome, n in run_once(limit).items():
            totals[outcome] = totals.get(outcome, 0) + n
        wait = next_due_in()
        if wait is None:
            break
        remaining = deadline - time.monotonic()
        if wait > 0:
            time.sleep(max(0.0, min(wait, remaining, 1.0)))
    return totals


def run_worker(stop_event: threading.Event | None = None, poll_interval: float = 1.0) -> None:
    """Deliver changes until `stop_event` is set (`bugbridge worker`, or a thread of serve)."""
    stop = stop_event or threading.Event()
    log.info("sync.worker.started", poll_interval=poll_interval)
    while not stop.is_set():
        try:
            counts = run_once()
        except Exception:
            # A database hiccup must not kill the worker; the rows stay due.
            log.exception("sync.worker.batch_failed")
            counts = {}
        finally:
            close_old_connections()
        if not counts:
            stop.wait(poll_interval)
    # The loop may run on its own thread (inside `serve`): its connection is its own to close.
    connection.close()
    log.info("sync.worker.stopped")
