"""One outbound change → the Jira calls that make the ticket follow it.

Every function here is safe to run twice for the same change (a worker may be killed after
Jira did the work but before the result was committed): assignments and transitions are
idempotent, and a comment is created only after looking for the copy an earlier attempt may
have made (its comment property `bugbridge.note`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from bugbridge.jira import formatting
from bugbridge.jira.client import JiraClient
from bugbridge.jira.errors import JiraError, JiraNotFound, JiraRateLimited
from bugbridge.jira.models import SiteBinding, StatusMapping, UserMapping
from bugbridge.sync.links import SNAPSHOT_FIELDS, apply_snapshot
from bugbridge.sync.models import ChangeKind, CommentLink, OutboundChange, Ticket
from bugbridge.tracker.models import Group, Note

log = structlog.get_logger(__name__)

JSON = dict[str, Any]

NOTE_PROPERTY = "bugbridge.note"
# Jira Service Management shows a comment to the customer unless this property marks it
# internal (the agent view's "Add internal note").
JSM_PUBLIC_PROPERTY = "sd.public.comment"
_PROJECT_CACHE_SECONDS = 600


class DeliveryRefused(Exception):
    """A permanent refusal found on our side (unmapped user, no transition): a person must act."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Result:
    """What a delivery did: `calls` Jira writes made (0 = nothing needed), and a note."""

    calls: int = 0
    detail: str = ""
    # Jira rate-limited the read-back after the change: the site should rest this long.
    pause_seconds: float | None = None
    # What this change made Jira hold, to tell our own state from someone else's in the
    # read-back: the assignee written ("" = nobody), the status aimed at.
    sets_assignee: bool = False
    assignee: str = ""
    status_target: StatusTarget | None = None


def deliver(change: OutboundChange, client: JiraClient) -> Result:
    """Make the ticket follow the change. Raises JiraError or DeliveryRefused."""
    ticket = change.ticket
    binding = binding_for(change)
    kind = ChangeKind(change.kind)
    if kind == ChangeKind.ASSIGNEE:
        result = _deliver_assignee(change, ticket, binding, client)
    elif kind == ChangeKind.STATUS:
        result = _deliver_status(change, ticket, binding, client)
    elif kind == ChangeKind.COMMENT_DELETE:
        result = _deliver_comment_delete(change, ticket, client)
    else:
        result = _deliver_comment(change, ticket, binding, client)
    if result.calls:
        result.pause_seconds = refresh_ticket(ticket, client, result)
    return result


def binding_for(change: OutboundChange) -> SiteBinding:
    group = change.group or Group.objects.filter(links__ticket=change.ticket).first()
    if group is None:
        raise DeliveryRefused("No group is linked to this ticket any more.")
    binding = SiteBinding.objects.filter(
        site_id=change.ticket.site_id, organization_id=group.project.organization_id
    ).first()
    if binding is None:
        raise DeliveryRefused("The Jira site is no longer connected to this organization.")
    return binding


def refresh_ticket(
    ticket: Ticket, client: JiraClient, result: Result | None = None
) -> float | None:
    """Read back what Jira holds, so the webhook echo of our own change reads as old news.

    Only when Jira holds what we expect: if someone changed the issue between our call and
    this read, recording it (and its `updated` as the watermark) would make their webhook look
    old, and the group would never hear of their change. Then the row is left to the webhooks.
    Returns how long the site should rest when Jira rate-limited this read."""
    try:
        issue = client.get_issue(ticket.key, fields=SNAPSHOT_FIELDS)
    except JiraError as exc:
        # The change itself went through; a stale row is fixed by the next webhook or call.
        log.warning("sync.outbound.snapshot_failed", ticket=ticket.key, error=exc.message)
        if isinstance(exc, JiraRateLimited):
            return exc.retry_after if exc.retry_after is not None else 1.0
        return None
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().filter(pk=ticket.pk).first()
        if locked is None:
            return None
        if not _as_expected(issue, locked, result or Result()):
            log.info("sync.outbound.snapshot_moved", ticket=ticket.key)
            return None
        apply_snapshot(locked, issue)
    return None


def _as_expected(issue: JSON, row: Ticket, result: Result) -> bool:
    fields_ = issue.get("fields") or {}
    target = result.status_target
    if target is None and row.status_id:
        target = StatusTarget(status_id=row.status_id)
    if target is not None and not target.matches(fields_.get("status") or {}):
        return False
    assignee = fields_.get("assignee") or {}
    actual = str(assignee.get("accountId") or assignee.get("name") or "")
    if result.sets_assignee:
        return actual == result.assignee
    if row.refreshed_at is not None:
        return actual == row.assignee_account_id
    return True


# -- assignee -------------------------------------------------------------------------------


def _deliver_assignee(
    change: OutboundChange, ticket: Ticket, binding: SiteBinding, client: JiraClient
) -> Result:
    user_id = change.payload.get("user_id")
    account = None if user_id is None else jira_account_for(binding, int(user_id), client, ticket)
    client.assign_issue(ticket.key, account)
    return Result(
        calls=1, detail=f"assignee={account or 'none'}", sets_assignee=True, assignee=account or ""
    )


def jira_account_for(binding: SiteBinding, user_id: int, client: JiraClient, ticket: Ticket) -> str:
    """The member's Jira account: the stored mapping, else a match by e-mail (remembered)."""
    mapping = UserMapping.objects.filter(binding=binding, user_id=user_id).first()
    if mapping is not None:
        return mapping.account_id
    from django.contrib.auth.models import User

    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise DeliveryRefused("The assigned member no longer exists.")
    account = _match_by_email(client, ticket, user.email)
    if account is None:
        who = user.get_full_name() or user.get_username()
        raise DeliveryRefused(
            f"{who} has no Jira account mapped on {binding.site.name}"
            + (
                f" and Jira shows no user with the e-mail {user.email}"
                if user.email
                else " and has no e-mail address to match"
            )
            + ". Map them under the site's people settings, then retry."
        )
    UserMapping.objects.get_or_create(
        binding=binding,
        user=user,
        defaults={"account_id": account[0], "display_name": account[1]},
    )
    return account[0]


def _match_by_email(client: JiraClient, ticket: Ticket, email: str) -> tuple[str, str] | None:
    # Jira Cloud hides e-mail addresses unless the person allowed them to be shown, so this
    # finds only some people; the user mapping is the reliable way.
    if not email:
        return None
    try:
        candidates = client.assignable_users(email, issue_key=ticket.key)
    except JiraError as exc:
        if exc.transient:
            raise
        return None
    for user in candidates:
        if str(user.get("emailAddress") or "").lower() == email.lower():
            ident = user.get("accountId") if client.is_cloud else user.get("name")
            if ident:
                return str(ident), str(user.get("displayName") or "")
    return None


# -- status ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusTarget:
    """Either a status id (from a mapping) or a status category (the defaults)."""

    status_id: str = ""
    category: str = ""

    def matches(self, status: JSON) -> bool:
        if self.status_id:
            return str(status.get("id")) == self.status_id
        return str((status.get("statusCategory") or {}).get("key")) == self.category

    def describe(self) -> str:
        return f"status {self.status_id}" if self.status_id else f"a '{self.category}' status"


def _deliver_status(
    change: OutboundChange, ticket: Ticket, binding: SiteBinding, client: JiraClient
) -> Result:
    if change.payload.get("regression") and not binding.reopen_on_regression:
        return Result(detail="regression: reopening is off")
    issue = client.get_issue(ticket.key, fields="status,project,updated")
    fields_ = issue.get("fields") or {}
    current: JSON = fields_.get("status") or {}
    project_key = str((fields_.get("project") or {}).get("key") or ticket.project_key)
    target = _status_target(binding, project_key, str(change.payload.get("status")))
    if target is None:
        return Result(detail="no target status for this state")
    if target.matches(current):
        return Result(detail=f"already in {current.get('name')}")
    transition = _pick_transition(client.get_transitions(ticket.key), target)
    if transition is None:
        raise DeliveryRefused(
            f"No transition from {current.get('name') or 'its status'} to "
            f"{target.describe()} is available on {ticket.key}."
        )
    client.transition_issue(
        ticket.key, str(transition["id"]), fields=_transition_fields(transition) or None
    )
    return Result(calls=1, detail=f"transition {transition['id']}", status_target=target)


def _status_target(binding: SiteBinding, project_key: str, state: str) -> StatusTarget | None:
    mapping = StatusMapping.objects.filter(binding=binding, jira_project_key=project_key).first()
    if mapping is not None:
        status_id = {
            "resolved": mapping.resolved_status_id,
            "unresolved": mapping.unresolved_status_id,
            "ignored": mapping.ignored_status_id,
        }.get(state, "")
        # An empty mapping entry means "do not move the ticket" for that state.
        return StatusTarget(status_id=status_id) if status_id else None
    # Without a mapping, go by Jira's status categories: any "done" status means resolved,
    # so a ticket closed as "Won't Do" is not moved to "Done".
    category = {"resolved": "done", "unresolved": "new"}.get(state)
    return StatusTarget(category=category) if category else None


def _pick_transition(transitions: list[JSON], target: StatusTarget) -> JSON | None:
    for transition in transitions:
        if transition.get("isAvailable") is False:
            continue
        if target.matches(transition.get("to") or {}):
            return transition
    return None


def _transition_fields(transition: JSON) -> JSON:
    """Values for fields the transition screen requires (Jira 400s without them)."""
    out: JSON = {}
    for fid, meta in (transition.get("fields") or {}).items():
        if not meta.get("required") or meta.get("hasDefaultValue"):
            continue
        allowed = meta.get("allowedValues") or []
        if not allowed:
            name = meta.get("name") or fid
            raise DeliveryRefused(
                f"The transition '{transition.get('name')}' requires {name}, "
                "which Bugbridge cannot fill in."
            )
        out[fid] = {"id": str(_preferred_value(fid, allowed).get("id"))}
    return out


def _preferred_value(fid: str, allowed: list[JSON]) -> JSON:
    if fid == "resolution":
        for value in allowed:
            if str(value.get("name")).lower() in {"done", "fixed"}:
                return value
    return allowed[0]


# -- comments -------------------------------------------------------------------------------


def _deliver_comment(
    change: OutboundChange, ticket: Ticket, binding: SiteBinding, client: JiraClient
) -> Result:
    note = Note.objects.filter(pk=change.payload.get("note_id")).first()
    if note is None or note.is_deleted:
        return _deliver_comment_delete(change, ticket, client)
    body = formatting.comment_body(
        note.author_label or "A Bugbridge member", note.body, client.api_version
    )
    link = CommentLink.objects.filter(note=note, ticket=ticket).first()
    if link is not None and not link.outbound:
        # The note is a copy of a person's Jira comment; their words are not ours to rewrite.
        return Result(detail="note came from this ticket; not written back")
    if link is not None and link.comment_id:
        updated = _update_comment(client, ticket, link.comment_id, body)
        if updated:
            return Result(calls=1, detail=f"comment {link.comment_id} updated")
    existing = _find_marked_comment(client, ticket, note.pk) if link is not None else None
    if existing is not None:
        _store_comment_link(note, ticket, str(existing["id"]))
        if formatting.plain_text(existing.get("body")) != formatting.plain_text(body):
            client.update_comment(ticket.key, str(existing["id"]), body)
        return Result(calls=1, detail=f"comment {existing['id']} found by marker")
    # Record the intent first: if we die after Jira made the comment, the next attempt sees
    # this row and looks for the marked copy instead of making a second one.
    _store_comment_link(note, ticket, "")
    created = client.add_comment(
        ticket.key, body, extra={"properties": _comment_properties(note, binding, ticket, client)}
    )
    _store_comment_link(note, ticket, str(created["id"]))
    return Result(calls=1, detail=f"comment {created['id']} created")


def _update_comment(client: JiraClient, ticket: Ticket, comment_id: str, body: Any) -> bool:
    try:
        client.update_comment(ticket.key, comment_id, body)
    except JiraNotFound:
        # Someone deleted our comment in Jira; the note still exists, so it is written again.
        log.info("sync.outbound.comment_gone", ticket=ticket.key, comment=comment_id)
        CommentLink.objects.filter(ticket=ticket, comment_id=comment_id).update(comment_id="")
        return False
    return True


def _comment_properties(
    note: Note, binding: SiteBinding, ticket: Ticket, client: JiraClient
) -> list[JSON]:
    properties = [{"key": NOTE_PROPERTY, "value": _note_marker(note.pk)}]
    if _is_service_desk(client, ticket) and not binding.jsm_comments_public:
        properties.append({"key": JSM_PUBLIC_PROPERTY, "value": {"internal": True}})
    return properties


def _note_marker(note_id: int) -> JSON:
    return {"note": note_id, "instance": settings.BASE_URL}


def _is_service_desk(client: JiraClient, ticket: Ticket) -> bool:
    project_key = ticket.project_key or ticket.key.rsplit("-", 1)[0]
    cache_key = f"bb:jira:project-type:{ticket.site_id}:{project_key}"
    type_key = cache.get(cache_key)
    if type_key is None:
        type_key = str(client.get_project(project_key).get("projectTypeKey") or "software")
        cache.set(cache_key, type_key, _PROJECT_CACHE_SECONDS)
    return bool(type_key == "service_desk")


def _find_marked_comment(client: JiraClient, ticket: Ticket, note_id: int) -> JSON | None:
    for comment in client.get_comments(ticket.key, expand="properties"):
        for prop in comment.get("properties") or []:
            value = prop.get("value") or {}
            if prop.get("key") == NOTE_PROPERTY and value.get("note") == note_id:
                return dict(comment)
    return None


def _store_comment_link(note: Note, ticket: Ticket, comment_id: str) -> None:
    CommentLink.objects.update_or_create(
        note=note, ticket=ticket, defaults={"comment_id": comment_id, "outbound": True}
    )


def _deliver_comment_delete(change: OutboundChange, ticket: Ticket, client: JiraClient) -> Result:
    note_id = change.payload.get("note_id")
    link = CommentLink.objects.filter(note_id=note_id, ticket=ticket).first()
    if link is None:
        return Result(detail="comment was never sent")
    if not link.outbound:
        # The note was a copy of a Jira person's comment: their comment stays theirs (the
        # link stays too, so their later edits are recognised as belonging to this note).
        return Result(detail="note came from this ticket; comment left alone")
    comment_id = link.comment_id
    if not comment_id:
        found = _find_marked_comment(client, ticket, int(note_id))
        comment_id = str(found["id"]) if found else ""
    calls = 0
    if comment_id:
        try:
            client.delete_comment(ticket.key, comment_id)
            calls = 1
        except JiraNotFound:
            log.info("sync.outbound.comment_already_gone", ticket=ticket.key, comment=comment_id)
    link.delete()
    return Result(calls=calls, detail=f"comment {comment_id or '-'} deleted")
