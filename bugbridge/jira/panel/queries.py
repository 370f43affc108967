"""What the panel shows, in a fixed number of queries however many groups are linked.

Event counts for the last 24 hours and 14 days are computed inside the one query that selects the
groups (correlated COUNT subqueries over Event.timestamp), so 1 or 100 linked groups cost the
same round trips.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse

from bugbridge.jira.models import JiraSite, SiteBinding
from bugbridge.sync.models import Ticket
from bugbridge.tracker.models import Event, Group


@dataclass(frozen=True)
class PanelRow:
    """One linked group as the panel shows it: plain values, formatted once."""

    pk: int
    type: str
    title: str
    url: str
    status: str
    first_seen: str
    last_seen: str
    first_release: str
    last_release: str
    events_24h: int
    events_14d: int
    users_affected: int


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%b %d, %Y %H:%M UTC")


def _row(group: Group) -> PanelRow:
    return PanelRow(
        pk=group.pk,
        type=group.type,
        title=group.title,
        url=group_url(group),
        status=group.get_status_display(),
        first_seen=_when(group.first_seen),
        last_seen=_when(group.last_seen),
        first_release=group.first_release,
        last_release=group.last_release,
        events_24h=group.events_24h,  # type: ignore[attr-defined]
        events_14d=group.events_14d,  # type: ignore[attr-defined]
        users_affected=group.users_seen,
    )


def find_ticket(site: JiraSite, issue_key: str) -> Ticket | None:
    # Jira keys are upper case (the project key part always is), so an exact match on the
    # upper-cased key can use the (site, key) index. A moved issue can leave an older row with
    # the same key: the most recently refreshed one wins.
    return (
        Ticket.objects.filter(site=site, key=issue_key.upper())
        # PostgreSQL sorts NULLs first in DESC; a never-refreshed row must not win.
        .order_by(F("refreshed_at").desc(nulls_last=True), "-pk")
        .first()
    )


# What the panel shows; a group row has more (culprit, fingerprint…) that it does not need.
_PANEL_FIELDS = (
    "type",
    "title",
    "status",
    "first_seen",
    "last_seen",
    "first_release",
    "last_release",
    "users_seen",
)


def _events_since(since: datetime) -> Subquery:
    # A correlated COUNT per group: it walks the (group, -timestamp) index from `since` on, so
    # it costs the events in the window, not all events of every linked group (a GROUP BY over
    # the joined events would), and it needs no GROUP BY over the group's columns.
    counted = (
        Event.objects.filter(group=OuterRef("pk"), timestamp__gte=since)
        .order_by()
        .values("group")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(counted, output_field=IntegerField())


def linked_groups(site: JiraSite, ticket: Ticket, now: datetime) -> QuerySet[Group]:
    """Groups linked to `ticket` in every organization bound to `site`, with event counts."""
    bound_orgs = SiteBinding.objects.filter(site=site).values("organization_id")
    return (
        Group.objects.filter(links__ticket=ticket, project__organization_id__in=bound_orgs)
        .only(*_PANEL_FIELDS)
        .annotate(
            events_24h=Coalesce(_events_since(now - timedelta(hours=24)), 0),
            events_14d=Coalesce(_events_since(now - timedelta(days=14)), 0),
        )
        .order_by("-last_seen", "pk")
    )


def group_url(group: Group) -> str:
    try:
        path = reverse("web:group", args=[group.pk])
    except NoReverseMatch:
        path = f"/issues/{group.pk}/"
    return f"{settings.BASE_URL}{path}"


def panel_rows(site: JiraSite, ticket: Ticket, now: datetime) -> list[PanelRow]:
    return [_row(group) for group in linked_groups(site, ticket, now)]
