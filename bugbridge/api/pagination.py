"""Cursor pagination on (sort column, id): stable while rows are added, no offsets.

A cursor is the sort value and id of the last row served, base64url-encoded JSON. Rows come
after it in the listing's order (descending or ascending on both columns).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import DateTimeField, Q, QuerySet

from bugbridge.tracker.errors import DomainError


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


def _encode(value: Any, pk: int) -> str:
    kind = "dt" if isinstance(value, datetime) else "n"
    raw = value.isoformat() if isinstance(value, datetime) else value
    payload = json.dumps([kind, raw, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def _decode(cursor: str, expected_kind: str) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        kind, raw, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(pk, int) or not 0 < pk < 2**63:
            raise ValueError(pk)
        # A cursor of another listing or sort order (a client changed `sort` and kept the
        # cursor) holds a value of another type than this column's.
        if kind != expected_kind:
            raise ValueError(kind)
        if kind == "dt":
            return _aware(datetime.fromisoformat(raw)), pk
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise ValueError(raw)
        number = raw
        if abs(number) >= 2**63:
            raise ValueError(number)
        return number, pk
    except (
        ValueError,
        TypeError,
        OverflowError,
        binascii.Error,
        UnicodeDecodeError,
        json.JSONDecodeError,
    ):
        raise DomainError("This cursor is not one the API handed out.", field="cursor") from None


def _aware(moment: datetime) -> datetime:
    # A forged cursor may hold a naive time or one that leaves the calendar once in UTC.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def paginate(
    rows: QuerySet[Any], column: str, cursor: str | None, limit: int, *, descending: bool = True
) -> Page:
    direction = "lt" if descending else "gt"
    if cursor:
        is_time = isinstance(rows.model._meta.get_field(column), DateTimeField)
        value, pk = _decode(cursor, "dt" if is_time else "n")
        after = Q(**{f"{column}__{direction}": value}) | Q(
            **{column: value, f"pk__{direction}": pk}
        )
        rows = rows.filter(after)
    sign = "-" if descending else ""
    found = list(rows.order_by(f"{sign}{column}", f"{sign}pk")[: limit + 1])
    if len(found) <= limit:
        return Page(items=found, next_cursor=None)
    last = found[limit - 1]
    return Page(items=found[:limit], next_cursor=_encode(getattr(last, column), last.pk))
