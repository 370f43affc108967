"""What the panel shows, in a fixed number of queries however many groups are linked.

Event counts for the last 24 hours and 14 days are conditional COUNTs over the events join in the
same query that selects the groups, so 1 or 100 linked groups cost the same round trips.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.urls import NoReverseMatch, reverse

from bugbridge.jira.models import JiraSite
from bugbridge.sync.models import Ticket
from bugbridge.tracker.models import Group


@dataclass(frozen=True)
class PanelRow:
    group: Group
    url: str
    events_24h: int
    events_14d: int

    @property
    def users_affected(self) -> int:
        return self.group.users_seen


def find_ticket(site: JiraSite, issue_key: str) -> Ticket | None:
    # Keys are upper case in Jira but a URL template may be typed by hand; a moved issue can
    # leave an older row with the same key, so the most recently refreshed one wins.
    return (
        Ticket.objects.filter(site=site, key__iexact=issue_key)
        .order_by("-refreshed_at", "-pk")
        .first()
    )


def linked_groups(site: JiraSite, ticket: Ticket, now: datetime) -> QuerySet[Group]:
    """Groups linked to `ticket` in every organization bound to `site`, with event counts."""
    day_ago = now - timedelta(hours=24)
    fortnight_ago = now - timedelta(days=14)
    return (
        Group.objects.filter(
            links__ticket=ticket,
            project__organization__site_bindings__site=site,
        )
        .select_related("project", "project__organization")
        .annotate(
            events_24h=Count("events", filter=Q(events__timestamp__gte=day_ago), distinct=True),
            events_14d=Count(
                "events", filter=Q(events__timestamp__gte=fortnight_ago), distinct=True
            ),
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
    return [
        PanelRow(
            group=group,
            url=group_url(group),
            events_24h=group.events_24h,  # type: ignore[attr-defined]
            events_14d=group.events_14d,  # type: ignore[attr-defined]
        )
        for group in linked_groups(site, ticket, now)
    ]
