"""Recording what linked tickets must follow. Called inside the domain services' transactions."""

from __future__ import annotations

from typing import Any

import structlog
from django.db import transaction
from django.utils import timezone

from bugbridge.jira.models import SiteBinding
from bugbridge.sync.models import ChangeKind, ChangeState, OutboundChange, Ticket
from bugbridge.tracker.actors import Actor
from bugbridge.tracker.models import Group

log = structlog.get_logger(__name__)

# Which per-binding switch governs each kind of change.
_SWITCH_FOR_KIND = {
    ChangeKind.ASSIGNEE: "sync_assignee_outbound",
    ChangeKind.STATUS: "sync_status_outbound",
    ChangeKind.COMMENT_CREATE: "sync_comments_outbound",
    ChangeKind.COMMENT_UPDATE: "sync_comments_outbound",
    ChangeKind.COMMENT_DELETE: "sync_comments_outbound",
}


def _tickets_to_follow(group: Group, kind: ChangeKind, actor: Actor) -> list[Ticket]:
    switch = _SWITCH_FOR_KIND[kind]
    bindings = SiteBinding.objects.filter(organization_id=group.project.organization_id)
    enabled_sites = bindings.filter(**{switch: True}).values("site_id")
    tickets = Ticket.objects.filter(
        links__group=group, site_id__in=enabled_sites, site__is_enabled=True
    )
    if actor.origin_ticket_id is not None:
        tickets = tickets.exclude(pk=actor.origin_ticket_id)
    return list(tickets)


def enqueue(
    group: Group, kind: ChangeKind, coalesce_key: str, payload: dict[str, Any], actor: Actor
) -> list[OutboundChange]:
    """Write (or coalesce into) one pending change per linked ticket. Needs a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbound.enqueue must run inside the state change's transaction")

    if actor.origin_ticket_id is not None and kind in _STATE_KINDS:
        _drop_superseded(actor.origin_ticket_id, coalesce_key)
    changes = []
    for ticket in _tickets_to_follow(group, kind, actor):
        changes.append(_upsert_pending(ticket, group, kind, coalesce_key, payload))
    return changes


# Kinds whose change carries the whole target state (the last one wins).
_STATE_KINDS = {ChangeKind.ASSIGNEE, ChangeKind.STATUS}


def _drop_superseded(ticket_id: int, coalesce_key: str) -> None:
    """The group now takes this state from the ticket itself (a person changed it in Jira),
    so an older Bugbridge change still waiting for that ticket would overwrite a newer one."""
    dropped = OutboundChange.objects.filter(
        ticket_id=ticket_id, coalesce_key=coalesce_key, state=ChangeState.PENDING
    ).update(
        state=ChangeState.DONE,
        completed_at=timezone.now(),
        updated_at=timezone.now(),
        last_error="Superseded by a newer change made in Jira.",
    )
    if dropped:
        log.info("sync.outbound.superseded_by_jira", ticket=ticket_id, key=coalesce_key)


def _upsert_pending(
    ticket: Ticket, group: Group, kind: ChangeKind, coalesce_key: str, payload: dict[str, Any]
) -> OutboundChange:
    now = timezone.now()
    pending = (
        OutboundChange.objects.select_for_update()
        .filter(ticket=ticket, coalesce_key=coalesce_key, state=ChangeState.PENDING)
        .first()
    )
    if pending is None:
        change = OutboundChange.objects.create(
            ticket=ticket,
            group=group,
            kind=kind,
            coalesce_key=coalesce_key,
            payload=payload,
            due_at=now,
        )
        log.info("sync.outbound.enqueued", ticket=ticket.key, kind=str(kind), change=change.pk)
        return change

    # A later change of the same thing replaces the earlier one: Jira only needs the last state.
    # A create followed by an edit stays a create (of the edited text); a delete wins over both.
    pending.kind = coalesced_kind(ChangeKind(pending.kind), kind)
    pending.payload = payload
    pending.group = group
    pending.due_at = now
    pending.attempts = 0
    pending.save(update_fields=["kind", "payload", "group", "due_at", "attempts", "updated_at"])
    log.info("sync.outbound.coalesced", ticket=ticket.key, kind=str(kind), change=pending.pk)
    return pending


def coalesced_kind(earlier: ChangeKind, later: ChangeKind) -> ChangeKind:
    if earlier == ChangeKind.COMMENT_CREATE and later == ChangeKind.COMMENT_UPDATE:
        return ChangeKind.COMMENT_CREATE
    return later


def has_unsent(ticket: Ticket, coalesce_key: str) -> bool:
    """Whether Bugbridge still owes the ticket a change of this thing ("assignee", "status",
    "comment:<note>"). Inbound sync can skip Jira's older state for it: the pending change will
    overwrite Jira anyway, and applying the old state would make the two sides disagree."""
    return OutboundChange.objects.filter(
        ticket=ticket,
        coalesce_key=coalesce_key,
        state__in=[ChangeState.PENDING, ChangeState.IN_FLIGHT],
    ).exists()


def failed_changes(group: Group) -> list[OutboundChange]:
    """Changes for the group's tickets that Jira refused, newest first (for the group page:
    each has `last_error` in Jira's words and can be sent again with `worker.retry_change`)."""
    rows = OutboundChange.objects.filter(
        state=ChangeState.FAILED, ticket__links__group=group
    ).select_related("ticket")
    return list(rows.order_by("-updated_at").distinct())


def unsent_count(group: Group) -> int:
    """Changes for the group's tickets still waiting for (or being sent to) Jira."""
    return (
        OutboundChange.objects.filter(
            state__in=[ChangeState.PENDING, ChangeState.IN_FLIGHT], ticket__links__group=group
        )
        .distinct()
        .count()
    )
