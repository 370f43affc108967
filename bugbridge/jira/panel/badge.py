"""The glance badge: the number of linked groups, written as an issue property Jira reads.

Written only when the count differs from the last one we wrote (kept on the Ticket row), so a
panel render normally makes no call to Jira at all. A failure never breaks the panel: it comes
back as a short note the panel shows.
"""

from __future__ import annotations

import structlog

from bugbridge.jira.client import JiraClient
from bugbridge.jira.connect.descriptor import glance_property_key
from bugbridge.jira.errors import JiraAuthError, JiraError, JiraNotFound, JiraUnavailable
from bugbridge.jira.models import JiraSite
from bugbridge.sync.models import Ticket

log = structlog.get_logger(__name__)


def badge_value(count: int) -> dict[str, object]:
    # The glance shows `label` as its badge; Jira wants the label as a string.
    return {"type": "badge", "value": {"label": str(count)}}


def _note_for(error: JiraError) -> str:
    if isinstance(error, JiraUnavailable):
        return "Jira could not be reached to update the badge; it will be retried."
    if isinstance(error, JiraAuthError | JiraNotFound):
        return "Bugbridge lacks permission to update the badge on this issue."
    return f"Jira refused the badge update: {error.message[:120]}"


def sync_badge(site: JiraSite, ticket: Ticket, count: int) -> str:
    """Write the badge if it changed. Returns a note for the panel ("" when all went well)."""
    if ticket.badge_count == count:
        return ""
    try:
        with JiraClient.for_site(site) as client:
            client.set_issue_property(ticket.key, glance_property_key(), badge_value(count))
    except JiraError as exc:
        log.warning(
            "jira.panel.badge.failed",
            site=site.pk,
            ticket=ticket.key,
            status=exc.status,
            error=exc.message,
        )
        return _note_for(exc)
    Ticket.objects.filter(pk=ticket.pk).update(badge_count=count)
    ticket.badge_count = count
    log.info("jira.panel.badge.set", site=site.pk, ticket=ticket.key, count=count)
    return ""
