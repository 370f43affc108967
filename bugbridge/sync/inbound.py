"""Applying what Jira reports to the groups linked to a ticket.

Every change goes through the domain services with the actor "Jira site <name>" carrying the
ticket's id, so the audit trail and other links see it, while nothing is echoed back to the
ticket it came from. Only groups of organizations bound to the delivering site are touched.

Jira retries and reorders deliveries for up to ~30 minutes, and a delivery can be lost, so the
ticket's *current* state (`issue.fields`) is compared with what Bugbridge last knew of it (the
Ticket row), guarded by the per-ticket watermark `issue.fields.updated`; the changelog only fills
in what `fields` leaves out.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import structlog
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from bugbridge.jira.models import (
    DeliveryOutcome,
    JiraSite,
    ResolveStrategy,
    SiteBinding,
    StatusMapping,
    UserMapping,
    WebhookDelivery,
)
from bugbridge.jira.webhooks.payload import (
    CommentData,
    IssueState,
    JiraUser,
    issue_state,
    parse_jira_time,
)
from bugbridge.sync.models import (
    ChangeKind,
    ChangeState,
    CommentLink,
    GroupLink,
    OutboundChange,
    Ticket,
)
from bugbridge.tracker import services
from bugbridge.tracker.actors import Actor
from bugbridge.tracker.errors import DomainError
from bugbridge.tracker.models import (
    Activity,
    ActorKind,
    Group,
    GroupStatus,
    Membership,
    Note,
)

log = structlog.get_logger(__name__)

# The comment (or issue) property the outbound worker puts on everything it writes.
BUGBRIDGE_PROPERTY = "bugbridge.note"

_OPEN_CHANGE_STATES = (ChangeState.PENDING, ChangeState.IN_FLIGHT)


@dataclass(frozen=True)
class InboundResult:
    outcome: DeliveryOutcome
    detail: str = ""


def _applied(detail: str) -> InboundResult:
    return InboundResult(DeliveryOutcome.APPLIED, detail[:500])


def _ignored(detail: str) -> InboundResult:
    return InboundResult(DeliveryOutcome.IGNORED, detail[:500])


@dataclass(frozen=True)
class Target:
    """A linked group this site may change, with its organization's settings for the site."""

    group: Group
    binding: SiteBinding


def integration_actor(site: JiraSite, ticket: Ticket) -> Actor:
    return Actor.integration(site.actor_label, origin_ticket_id=ticket.pk)


def _locked_ticket(site: JiraSite, issue_id: str) -> Ticket | None:
    # By id, never by key: a ticket moved to another project keeps its id but changes its key.
    # FOR NO KEY UPDATE: a plain FOR UPDATE also blocks the FOR KEY SHARE lock that PostgreSQL
    # takes on the ticket when a UI/API change inserts an OutboundChange row for it, while that
    # change already holds the group this delivery is about to lock: a deadlock.
    tickets = Ticket.objects.select_for_update(no_key=True)
    return tickets.filter(site=site, issue_id=issue_id).first()


def targets_for(site: JiraSite, ticket: Ticket) -> list[Target]:
    """Linked groups of organizations bound to this site (tenant isolation)."""
    bindings = {b.organization_id: b for b in SiteBinding.objects.filter(site=site)}
    links = (
        GroupLink.objects.filter(ticket=ticket, group__project__organization_id__in=bindings)
        .select_related("group__project")
        .order_by("pk")
    )
    return [Target(link.group, bindings[link.group.project.organization_id]) for link in links]


# -- identity -------------------------------------------------------------------------------


def member_for_jira_user(binding: SiteBinding, jira_user: JiraUser) -> User | None:
    """The organization member a Jira person is: by UserMapping, else by a visible e-mail."""
    members = Membership.objects.filter(organization_id=binding.organization_id)
    mapping = (
        UserMapping.objects.filter(binding=binding, account_id__in=jira_user.idents)
        .select_related("user")
        .first()
    )
    if mapping is not None and members.filter(user=mapping.user).exists():
        return mapping.user
    if not jira_user.email:
        return None
    by_email = (
        members.filter(user__email__iexact=jira_user.email, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return by_email.user if by_email else None


# -- issue state ----------------------------------------------------------------------------


def apply_issue_state(site: JiraSite, state: IssueState) -> InboundResult:
    """Bring the linked groups in line with the ticket's state as this delivery reports it."""
    with transaction.atomic():
        ticket = _locked_ticket(site, state.issue_id)
        if ticket is None:
            return _ignored(f"issue {state.key or state.issue_id} is not linked")
        if _is_stale(ticket, state):
            log.info(
                "sync.inbound.stale",
                site=site.pk,
                ticket=ticket.key,
                updated=str(state.updated),
                watermark=str(ticket.watermark),
            )
            return InboundResult(
                DeliveryOutcome.STALE,
                f"issue.fields.updated {state.updated:%Y-%m-%dT%H:%M:%S.%f%z} is not newer "
                f"than the last applied {ticket.watermark:%Y-%m-%dT%H:%M:%S.%f%z}",
            )
        actor = integration_actor(site, ticket)
        targets = targets_for(site, ticket)
        _lock_groups(targets)
        notes = _apply_assignee(site, ticket, state, targets, actor)
        notes += _apply_status(site, ticket, state, targets, actor)
        _remember(ticket, state)
    return _applied("; ".join(notes) or "nothing to change")


def apply_pushed_snapshot(
    site: JiraSite, issue: dict[str, Any], pushed: Collection[str]
) -> InboundResult:
    """For the outbound worker, after a successful call: record what it pushed, then apply the
    rest of the issue it read back as if Jira had delivered it.

    Moving the watermark past a person's change that Jira has not delivered yet (deliveries
    can be 30 minutes late) would otherwise lose that change: its delivery would be stale.
    `pushed` names what the call changed ("assignee", "status"); those are Bugbridge's own
    and never applied back to the other groups.
    """
    state = issue_state({"issue": issue})
    if state is None:
        return _ignored("no issue id in the snapshot")
    with transaction.atomic():
        ticket = _locked_ticket(site, state.issue_id)
        if ticket is None:
            return _ignored(f"issue {state.key} is not linked")
        _record_pushed(ticket, state, pushed)
        return apply_issue_state(site, state)


def _lock_groups(targets: list[Target]) -> None:
    """Lock the linked groups before any outbound change of the ticket is touched.

    A UI/API change locks its group, then the ticket's pending outbound change; this delivery
    drops such pending changes (`_supersede_open_changes`) before the services lock the group.
    Taking the groups first, in id order, gives both paths one order and no deadlock.
    """
    pks = sorted(target.group.pk for target in targets)
    list(Group.objects.select_for_update().filter(pk__in=pks).order_by("pk").values_list("pk"))


def _record_pushed(ticket: Ticket, state: IssueState, pushed: Collection[str]) -> None:
    if "assignee" in pushed and state.assignee_known:
        ticket.assignee_account_id = state.assignee.ident if state.assignee else ""
    if "status" in pushed and state.status_id:
        ticket.status_id = state.status_id
        ticket.status_category = state.status_category or ticket.status_category
    ticket.save(update_fields=["assignee_account_id", "status_id", "status_category"])


def _is_stale(ticket: Ticket, state: IssueState) -> bool:
    # Without `issue.fields.updated` (trimmed bodies) the guard cannot work; apply as is.
    if state.updated is None or ticket.watermark is None:
        return False
    return state.updated <= ticket.watermark


def _remember(ticket: Ticket, state: IssueState) -> None:
    """Cache what Jira now holds, and move the watermark forward (never back)."""
    ticket.key = state.key or ticket.key
    ticket.project_key = state.project_key or ticket.project_key
    if state.summary is not None:
        ticket.summary = state.summary[:255]
    if state.status_id:
        ticket.status_id = state.status_id
        ticket.status_name = state.status_name[:100]
        ticket.status_category = state.status_category or ticket.status_category
    if state.assignee_known:
        ticket.assignee_account_id = state.assignee.ident if state.assignee else ""
        ticket.assignee_name = state.assignee.label[:200] if state.assignee else ""
    if state.updated is not None and (ticket.watermark is None or state.updated > ticket.watermark):
        ticket.watermark = state.updated
    ticket.refreshed_at = timezone.now()
    ticket.save()


# -- assignee -------------------------------------------------------------------------------


def _apply_assignee(
    site: JiraSite, ticket: Ticket, state: IssueState, targets: list[Target], actor: Actor
) -> list[str]:
    if not state.assignee_known:
        return []
    incoming = state.assignee
    if _same_assignee_as_cached(ticket, incoming):
        # What Bugbridge last knew (or last pushed): the echo of our own call, or no change.
        return []
    if _assignee_echo_in_flight(ticket, incoming, targets):
        return ["assignee: echo of Bugbridge's own change"]
    changing = [t for t in targets if t.binding.sync_assignee_inbound]
    if changing:
        actor = _supersede_open_changes(site, ticket, ChangeKind.ASSIGNEE, actor)
    for target in changing:
        _assign_target(site, target, incoming, actor)
    return [f"assignee: {incoming.label if incoming else 'nobody'}"]


def _supersede_open_changes(
    site: JiraSite, ticket: Ticket, kind: ChangeKind, actor: Actor
) -> Actor:
    """A person's change in Jira wins over Bugbridge's own change of the same thing that Jira
    has not received yet: that pending change is dropped, or Jira would be set back to it.

    A change already in flight cannot be recalled; it will land after the person's, so the
    groups' new value is sent to this ticket too (the actor then names no origin ticket).
    """
    open_changes = OutboundChange.objects.filter(ticket=ticket, kind=kind)
    dropped, _ = open_changes.filter(state=ChangeState.PENDING).delete()
    if dropped:
        log.info("sync.inbound.superseded", site=site.pk, ticket=ticket.key, kind=str(kind))
    if not open_changes.filter(state=ChangeState.IN_FLIGHT).exists():
        return actor
    return Actor.integration(site.actor_label)


def _same_assignee_as_cached(ticket: Ticket, incoming: JiraUser | None) -> bool:
    if incoming is None:
        return ticket.assignee_account_id == ""
    return ticket.assignee_account_id in incoming.idents


def _assignee_echo_in_flight(
    ticket: Ticket, incoming: JiraUser | None, targets: list[Target]
) -> bool:
    """An assignee change Bugbridge is sending to this ticket right now.

    Jira fires the webhook as soon as it has answered our call, which can be before the worker
    has recorded the answer on the Ticket row; the change is still pending or in flight then.
    """
    changes = OutboundChange.objects.filter(
        ticket=ticket, kind=ChangeKind.ASSIGNEE, state__in=_OPEN_CHANGE_STATES
    )
    wanted = {change.payload.get("user_id") for change in changes}
    if not wanted:
        return False
    if incoming is None:
        return None in wanted
    mapped = {member_for_jira_user(t.binding, incoming) for t in targets}
    return any(user is not None and user.pk in wanted for user in mapped)


def _assign_target(site: JiraSite, target: Target, incoming: JiraUser | None, actor: Actor) -> None:
    user = member_for_jira_user(target.binding, incoming) if incoming else None
    if incoming is not None and user is None:
        services.assign_group(target.group, None, actor)
        services.record_activity(
            target.group,
            "jira_assignee_unmapped",
            actor,
            {
                "assignee": incoming.label,
                "jira_user": incoming.label,
                "jira_account": incoming.ident,
                "site": site.name,
            },
        )
        log.info(
            "sync.inbound.assignee_unmapped",
            site=site.pk,
            group=target.group.pk,
            jira_account=incoming.ident,
        )
        return
    services.assign_group(target.group, user, actor)


# -- status ---------------------------------------------------------------------------------


class StatusClass(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    IGNORED = "ignored"


def classify_status(
    mapping: StatusMapping | None, status_id: str, category: str
) -> StatusClass | None:
    """What a Jira status means for a group; None when it cannot be told (unknown category)."""
    if mapping is not None and status_id in mapping.inbound_ignored_status_ids:
        return StatusClass.IGNORED
    if mapping is not None and mapping.inbound_resolved_status_ids:
        in_list = status_id in mapping.inbound_resolved_status_ids
        return StatusClass.RESOLVED if in_list else StatusClass.OPEN
    # Default: every status of the done category resolves (Done, Won't Do, Duplicate, …).
    if not category:
        return None
    return StatusClass.RESOLVED if category == "done" else StatusClass.OPEN


def _apply_status(
    site: JiraSite, ticket: Ticket, state: IssueState, targets: list[Target], actor: Actor
) -> list[str]:
    if not state.status_id or state.status_id == ticket.status_id:
        return []
    previous_id = ticket.status_id or state.previous_status_id
    previous_category = ticket.status_category if previous_id == ticket.status_id else ""
    project_key = state.project_key or ticket.project_key
    moves: list[tuple[Target, StatusClass]] = []
    for target in targets:
        if not target.binding.sync_status_inbound:
            continue
        mapping = _status_mapping(target.binding, project_key)
        new = classify_status(mapping, state.status_id, state.status_category)
        old = classify_status(mapping, previous_id, previous_category) if previous_id else None
        if new is None or new == old or _status_echo_in_flight(ticket, new):
            continue
        # Moving between two open statuses (To Do → In Progress) changes no group; moving out
        # of an unknown status only counts when it lands on resolved or ignored.
        if old is None and new == StatusClass.OPEN:
            continue
        moves.append((target, new))
    if moves:
        actor = _supersede_open_changes(site, ticket, ChangeKind.STATUS, actor)
    moved = sum(int(_move_group(target, new, actor)) for target, new in moves)
    return [f"status: {state.status_name or state.status_id} ({moved} group(s) changed)"]


def _status_mapping(binding: SiteBinding, project_key: str) -> StatusMapping | None:
    return StatusMapping.objects.filter(binding=binding, jira_project_key=project_key).first()


def _status_echo_in_flight(ticket: Ticket, new: StatusClass) -> bool:
    changes = OutboundChange.objects.filter(
        ticket=ticket, kind=ChangeKind.STATUS, state__in=_OPEN_CHANGE_STATES
    )
    wanted = {str(change.payload.get("status")) for change in changes}
    group_status = {
        StatusClass.OPEN: GroupStatus.UNRESOLVED,
        StatusClass.RESOLVED: GroupStatus.RESOLVED,
        StatusClass.IGNORED: GroupStatus.IGNORED,
    }[new]
    return str(group_status) in wanted


def _move_group(target: Target, new: StatusClass, actor: Actor) -> bool:
    group = Group.objects.get(pk=target.group.pk)
    if group.status == GroupStatus.IGNORED and _keeps_ignored(target.binding, group):
        return False
    if new == StatusClass.RESOLVED:
        release = ""
        if target.binding.resolve_strategy == ResolveStrategy.NEXT_RELEASE:
            release = group.last_release
        return services.set_group_status(group, GroupStatus.RESOLVED, actor, in_release=release)
    if new == StatusClass.IGNORED:
        return services.set_group_status(group, GroupStatus.IGNORED, actor)
    if group.status == GroupStatus.UNRESOLVED:
        return False
    return services.set_group_status(group, GroupStatus.UNRESOLVED, actor)


def _keeps_ignored(binding: SiteBinding, group: Group) -> bool:
    """A group a person (or a rule) ignored stays ignored; one Jira ignored follows Jira."""
    if not binding.keep_ignored_on_inbound:
        return False
    last = (
        Activity.objects.filter(group=group, kind=f"set_{GroupStatus.IGNORED}")
        .order_by("-created_at", "-pk")
        .first()
    )
    return last is None or last.actor_kind != ActorKind.INTEGRATION


# -- deletion -------------------------------------------------------------------------------


def apply_issue_deleted(site: JiraSite, issue_id: str, key: str) -> InboundResult:
    """The ticket is gone: unlink the groups this site may touch and say so on each."""
    with transaction.atomic():
        ticket = _locked_ticket(site, issue_id)
        if ticket is None:
            return _ignored(f"issue {key or issue_id} is not linked")
        actor = integration_actor(site, ticket)
        targets = targets_for(site, ticket)
        for target in targets:
            services.record_activity(
                target.group, "jira_ticket_deleted", actor, {"key": ticket.key, "site": site.name}
            )
        GroupLink.objects.filter(ticket=ticket, group__in=[t.group for t in targets]).delete()
        # Links of organizations no longer bound to the site are not ours to remove.
        if not GroupLink.objects.filter(ticket=ticket).exists():
            ticket.delete()
    log.info("sync.inbound.ticket_deleted", site=site.pk, key=key, groups=len(targets))
    return _applied(f"{key or issue_id} deleted in Jira: {len(targets)} group(s) unlinked")


# -- comments -------------------------------------------------------------------------------


class CommentAction(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


def apply_comment(
    site: JiraSite, data: CommentData, action: CommentAction, *, ours: bool = False
) -> InboundResult:
    """Mirror a person's Jira comment as notes on the linked groups (and follow its edits).

    `ours` is the caller's verdict that Bugbridge wrote the comment (marker seen); comments
    with an outbound CommentLink are recognised here.
    """
    with transaction.atomic():
        ticket = _locked_ticket(site, data.issue_id)
        if ticket is None:
            return _ignored(f"issue {data.issue_key or data.issue_id} is not linked")
        links = list(
            CommentLink.objects.filter(ticket=ticket, comment_id=data.comment_id).select_related(
                "note__group__project"
            )
        )
        if ours or any(link.outbound for link in links):
            return _ignored(f"comment {data.comment_id} was written by Bugbridge")
        actor = integration_actor(site, ticket)
        bound = _comment_orgs(site)
        links = [link for link in links if link.note.group.project.organization_id in bound]
        if action == CommentAction.DELETED:
            return _delete_notes(links, data, actor)
        if not links:
            return _import_comment(site, ticket, data, actor)
        if _newer_comment_applied(site, data):
            return InboundResult(
                DeliveryOutcome.STALE, f"a newer text of comment {data.comment_id} is applied"
            )
        return _edit_notes(links, data, actor)


def _comment_orgs(site: JiraSite) -> set[int]:
    bindings = SiteBinding.objects.filter(site=site, sync_comments_inbound=True)
    return set(bindings.values_list("organization_id", flat=True))


def author_label(site: JiraSite, author: JiraUser | None) -> str:
    who = author.label if author else "Someone"
    return f"{who} (Jira {site.name})"[:200]


def _import_comment(
    site: JiraSite, ticket: Ticket, data: CommentData, actor: Actor
) -> InboundResult:
    if not data.body.strip():
        return _ignored(f"comment {data.comment_id} has no text")
    targets = [t for t in targets_for(site, ticket) if t.binding.sync_comments_inbound]
    if not targets:
        return _ignored("comment sync from Jira is off for every linked group")
    label = author_label(site, data.author)
    for target in targets:
        note = services.add_note(target.group, data.body, actor, author_label=label)
        CommentLink.objects.create(
            note=note, ticket=ticket, comment_id=data.comment_id, outbound=False
        )
    log.info("sync.inbound.comment_imported", site=site.pk, ticket=ticket.key, notes=len(targets))
    return _applied(f"comment {data.comment_id} added as a note on {len(targets)} group(s)")


def _newer_comment_applied(site: JiraSite, data: CommentData) -> bool:
    """Whether an applied delivery already carried a later edit of this comment.

    Edits arrive out of order like everything else; the comment's own `updated` orders them.
    """
    if data.updated is None:
        return False
    applied = WebhookDelivery.objects.filter(
        site=site, outcome=DeliveryOutcome.APPLIED, body__comment__id=data.comment_id
    ).values_list("body__comment__updated", flat=True)
    for value in applied:
        seen = parse_jira_time(value)
        if seen is not None and seen > data.updated:
            return True
    return False


def _edit_notes(links: list[CommentLink], data: CommentData, actor: Actor) -> InboundResult:
    edited = 0
    for link in links:
        note = link.note
        if note.is_deleted or note.body == data.body.strip():
            continue
        try:
            services.edit_note(note, data.body, actor)
        except DomainError as exc:
            return _ignored(f"comment {data.comment_id}: {exc.message}")
        edited += 1
    if not edited:
        return _ignored(f"comment {data.comment_id}: notes already hold this text")
    return _applied(f"comment {data.comment_id} edited on {edited} note(s)")


def _delete_notes(links: list[CommentLink], data: CommentData, actor: Actor) -> InboundResult:
    live = [link.note for link in links if not link.note.is_deleted]
    for note in live:
        services.delete_note(note, actor)
    if not live:
        return _ignored(f"comment {data.comment_id} has no live note")
    return _applied(f"comment {data.comment_id} deleted: {len(live)} note(s) deleted")


def comment_written_by_bugbridge(
    site: JiraSite, data: CommentData, account_lookup: Callable[[], str] | None = None
) -> bool:
    """Whether a comment without an outbound CommentLink is nonetheless Bugbridge's own.

    Recognised by the marker property when the body shows properties, and, in the short window
    between Jira answering the worker and the worker recording the comment id, by being written
    by the account Bugbridge connects as while a comment create for that ticket is in flight.
    `account_lookup` gives that account (it may call Jira once, so it is only asked then).
    """
    if BUGBRIDGE_PROPERTY in data.property_keys:
        return True
    if data.author is None or account_lookup is None:
        return False
    if not _comment_create_in_flight(site, data.issue_id):
        return False
    account = account_lookup()
    return bool(account) and account in data.author.idents


def _comment_create_in_flight(site: JiraSite, issue_id: str) -> bool:
    # The worker records an outbound CommentLink without a comment id before it calls Jira.
    pending_link = CommentLink.objects.filter(
        ticket__site=site, ticket__issue_id=issue_id, outbound=True, comment_id=""
    )
    open_change = OutboundChange.objects.filter(
        ticket__site=site,
        ticket__issue_id=issue_id,
        kind=ChangeKind.COMMENT_CREATE,
        state__in=_OPEN_CHANGE_STATES,
    )
    return pending_link.exists() or open_change.exists()


def notes_for_comment(site: JiraSite, issue_id: str, comment_id: str) -> QuerySet[Note]:
    """Notes mirroring one Jira comment (both directions); for tests and the UI."""
    return Note.objects.filter(
        comment_links__ticket__site=site,
        comment_links__ticket__issue_id=issue_id,
        comment_links__comment_id=comment_id,
    )


__all__: list[Any] = [
    "BUGBRIDGE_PROPERTY",
    "CommentAction",
    "InboundResult",
    "StatusClass",
    "Target",
    "apply_comment",
    "apply_issue_deleted",
    "apply_issue_state",
    "apply_pushed_snapshot",
    "author_label",
    "classify_status",
    "comment_written_by_bugbridge",
    "integration_actor",
    "member_for_jira_user",
    "notes_for_comment",
    "targets_for",
]
