"""Writing an event: its group (created once, even under concurrency), the event row, the
distinct user, the group's counters, and a regression when the group was resolved.

Queries per event, inside the request's transaction (asserted in tests/ingest/test_store.py):
an existing group takes 6 (savepoint, select group, insert event, insert-or-skip group user,
update counters, release); a new group adds 3 (savepoint, insert, release); a regression adds
the locked re-read and the activity/sync rows of `record_regression`; an event without a user
saves the group-user insert.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from django.db import IntegrityError, connection, transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Greatest, Least

from bugbridge.ingest.normalize import NormalizedEvent
from bugbridge.tracker import services
from bugbridge.tracker.models import Event, Group, GroupStatus, GroupUser

log = structlog.get_logger(__name__)

_GET_OR_CREATE_ATTEMPTS = 3


class DuplicateEventError(Exception):
    """This event_id is already stored for the project: the SDK retried a delivery."""


@dataclass(frozen=True)
class Stored:
    group_id: int
    created_group: bool
    regressed: bool


def store_event(project_id: int, event: NormalizedEvent, fingerprint: str) -> Stored | None:
    """Store one event (None when it was a duplicate). Must run inside a transaction."""
    try:
        # A savepoint per event: a duplicate undoes only its own writes, not the request's.
        with transaction.atomic():
            return _store(project_id, event, fingerprint)
    except DuplicateEventError:
        log.info("ingest.event.duplicate", project=project_id, event_id=event.event_id.hex)
        return None


def _store(project_id: int, event: NormalizedEvent, fingerprint: str) -> Stored:
    group, created = _get_or_create_group(project_id, event, fingerprint)
    _insert_event(project_id, group.pk, event)
    new_user = _add_group_user(group.pk, event.user_ident)
    _bump_group(group, event, new_user)
    regressed = group.status == GroupStatus.RESOLVED and _maybe_regress(group.pk, event.release)
    log.info(
        "ingest.event.stored",
        project=project_id,
        group=group.pk,
        event_id=event.event_id.hex,
        new_group=created,
        regressed=regressed,
    )
    return Stored(group_id=group.pk, created_group=created, regressed=regressed)


def _get_or_create_group(
    project_id: int, event: NormalizedEvent, fingerprint: str
) -> tuple[Group, bool]:
    # Two first events of one fingerprint may race: the loser's insert hits the unique
    # constraint, Django rolls back its savepoint and reads the winner's row.
    for attempt in range(_GET_OR_CREATE_ATTEMPTS):
        try:
            return Group.objects.get_or_create(
                project_id=project_id,
                fingerprint_hash=fingerprint,
                defaults=_new_group_fields(event),
            )
        except IntegrityError:
            if attempt == _GET_OR_CREATE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _new_group_fields(event: NormalizedEvent) -> dict[str, Any]:
    # Counters start at zero: _bump_group counts this event like every other.
    return {
        "title": event.title,
        "culprit": event.culprit,
        "type": event.type,
        "level": event.level,
        "platform": event.platform,
        "first_seen": event.timestamp,
        "last_seen": event.timestamp,
        "first_release": event.release,
        "last_release": event.release,
    }


def _insert_event(project_id: int, group_id: int, event: NormalizedEvent) -> None:
    try:
        Event.objects.create(
            project_id=project_id,
            group_id=group_id,
            event_id=event.event_id,
            timestamp=event.timestamp,
            title=event.title,
            level=event.level,
            release=event.release,
            environment=event.environment,
            user_ident=event.user_ident,
            tags=event.tags,
            data=event.data,
        )
    except IntegrityError as exc:
        raise DuplicateEventError(event.event_id.hex) from exc


def _add_group_user(group_id: int, ident: str) -> bool:
    """Record the user on the group; True when the group had not seen them before."""
    if not ident:
        return False
    quote = connection.ops.quote_name
    table, group_col, ident_col = GroupUser._meta.db_table, "group_id", "ident"
    # One statement that also says whether a row was inserted (SQLite ≥ 3.35 and PostgreSQL).
    sql = (
        f"INSERT INTO {quote(table)} ({quote(group_col)}, {quote(ident_col)}) VALUES (%s, %s) "  # noqa: S608
        f"ON CONFLICT ({quote(group_col)}, {quote(ident_col)}) DO NOTHING RETURNING {quote('id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [group_id, ident])
        return cursor.fetchone() is not None


def _bump_group(group: Group, event: NormalizedEvent, new_user: bool) -> None:
    at = Value(event.timestamp, output_field=DateTimeField())
    # Counters and first/last seen are computed by the database from the row as it is, so
    # concurrent events all count. No read-modify-write of a counter.
    updates: dict[str, Any] = {
        "times_seen": F("times_seen") + 1,
        "first_seen": Least(F("first_seen"), at),
        "last_seen": Greatest(F("last_seen"), at),
    }
    if new_user:
        updates["users_seen"] = F("users_seen") + 1
    updates |= _display_updates(group, event)
    Group.objects.filter(pk=group.pk).update(**updates)


def _display_updates(group: Group, event: NormalizedEvent) -> dict[str, str]:
    """Title, culprit, level and releases follow the latest event, as in Sentry.

    These are plain values decided from the row read at the start of the event. A concurrent
    event may win the last write, which only decides which of two current titles is shown; it
    never loses a count. Unchanged values are left out to keep the UPDATE small.
    """
    wanted: dict[str, str] = {}
    if event.timestamp >= group.last_seen:
        wanted |= {"title": event.title, "culprit": event.culprit, "level": event.level}
    if event.release:
        wanted["last_release"] = event.release
        if not group.first_release:
            wanted["first_release"] = event.release
    return {name: value for name, value in wanted.items() if getattr(group, name) != value}


def _maybe_regress(group_id: int, release: str) -> bool:
    # Re-read under lock: of two concurrent events on a resolved group, only one regresses it.
    group = Group.objects.select_for_update().select_related("project").get(pk=group_id)
    if group.status != GroupStatus.RESOLVED:
        return False
    if group.resolved_in_release and group.resolved_in_release == release:
        # Resolved "in the next release": events of the release it was resolved in are
        # expected, only a different release brings it back.
        return False
    services.record_regression(group, release)
    return True
