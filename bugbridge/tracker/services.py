"""Every state change on a group goes through here.

Each function validates, changes the rows, writes one activity row naming the actor, and asks
the sync layer to record what linked tickets must follow, all in one transaction. UI, API, rules
and inbound sync all call these, so none of them can forget the audit trail or the sync.
"""

from __future__ import annotations

from typing import Any

import structlog
from django.contrib.auth.models import User
from django.db import transaction

from bugbridge.sync import outbound
from bugbridge.sync.models import ChangeKind
from bugbridge.tracker.actors import Actor
from bugbridge.tracker.errors import DomainError
from bugbridge.tracker.models import Activity, Group, GroupStatus, Membership, Note

log = structlog.get_logger(__name__)


def record_activity(
    group: Group, kind: str, actor: Actor, data: dict[str, Any] | None = None
) -> Activity:
    return Activity.objects.create(
        group=group,
        kind=kind,
        actor_kind=actor.kind,
        actor_user=actor.user,
        actor_label=actor.label,
        data=data or {},
    )


def _require_member(group: Group, user: User) -> None:
    organization_id = group.project.organization_id
    if not Membership.objects.filter(organization_id=organization_id, user=user).exists():
        raise DomainError(
            f"{user.get_username()} is not a member of this organization.", field="assignee"
        )


@transaction.atomic
def assign_group(group: Group, assignee: User | None, actor: Actor) -> bool:
    """Assign (or with None, unassign) a group. Returns False when nothing changed."""
    if assignee is not None:
        _require_member(group, assignee)

    group = Group.objects.select_for_update().get(pk=group.pk)
    if group.assignee_id == (assignee.pk if assignee else None):
        return False

    group.assignee = assignee  # type: ignore[assignment]
    group.save(update_fields=["assignee"])

    if assignee is None:
        record_activity(group, "unassigned", actor)
    else:
        record_activity(group, "assigned", actor, {"assignee": assignee.get_username()})
    payload = {"user_id": assignee.pk if assignee else None}
    outbound.enqueue(group, ChangeKind.ASSIGNEE, "assignee", payload, actor)
    log.info("tracker.group.assigned", group=group.pk, assignee=payload["user_id"])
    return True


@transaction.atomic
def set_group_status(
    group: Group, status: GroupStatus | str, actor: Actor, *, in_release: str = ""
) -> bool:
    """Resolve, unresolve or ignore a group. Returns False when nothing changed."""
    status = GroupStatus(status)
    group = Group.objects.select_for_update().get(pk=group.pk)
    release = in_release if status == GroupStatus.RESOLVED else ""
    if group.status == status and group.resolved_in_release == release:
        return False

    group.status = status
    group.resolved_in_release = release
    group.save(update_fields=["status", "resolved_in_release"])

    data = {"release": release} if release else {}
    record_activity(group, f"set_{status}", actor, data)
    outbound.enqueue(group, ChangeKind.STATUS, "status", {"status": str(status)}, actor)
    log.info("tracker.group.status_changed", group=group.pk, status=str(status))
    return True


@transaction.atomic
def record_regression(group: Group, release: str) -> None:
    """A new event arrived on a resolved group: it is unresolved again."""
    group.status = GroupStatus.UNRESOLVED
    group.resolved_in_release = ""
    group.save(update_fields=["status", "resolved_in_release"])

    actor = Actor.system()
    record_activity(group, "regression", actor, {"release": release} if release else {})
    outbound.enqueue(
        group, ChangeKind.STATUS, "status", {"status": "unresolved", "regression": True}, actor
    )
    log.info("tracker.group.regressed", group=group.pk, release=release)


def _clean_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise DomainError("A note needs some text.", field="body")
    if len(body) > 30000:
        raise DomainError("A note can hold at most 30,000 characters.", field="body")
    return body


@transaction.atomic
def add_note(group: Group, body: str, actor: Actor, *, author_label: str = "") -> Note:
    note = Note.objects.create(
        group=group,
        author=actor.user,
        author_label=author_label or actor.label,
        body=_clean_body(body),
    )
    record_activity(group, "note_added", actor, {"note": note.pk})
    outbound.enqueue(
        group, ChangeKind.COMMENT_CREATE, f"comment:{note.pk}", {"note_id": note.pk}, actor
    )
    return note


@transaction.atomic
def edit_note(note: Note, body: str, actor: Actor) -> Note:
    if note.is_deleted:
        raise DomainError("This note was deleted.", field="body")
    note.body = _clean_body(body)
    note.save(update_fields=["body", "updated_at"])

    record_activity(note.group, "note_edited", actor, {"note": note.pk})
    outbound.enqueue(
        note.group, ChangeKind.COMMENT_UPDATE, f"comment:{note.pk}", {"note_id": note.pk}, actor
    )
    return note


@transaction.atomic
def delete_note(note: Note, actor: Actor) -> None:
    if note.is_deleted:
        return
    note.is_deleted = True
    note.save(update_fields=["is_deleted", "updated_at"])

    record_activity(note.group, "note_deleted", actor, {"note": note.pk})
    outbound.enqueue(
        note.group, ChangeKind.COMMENT_DELETE, f"comment:{note.pk}", {"note_id": note.pk}, actor
    )
