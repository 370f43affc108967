"""Which module handles which `webhookEvent`, and which events are deliberately ignored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog

from bugbridge.jira.models import DeliveryOutcome, JiraSite
from bugbridge.jira.webhooks import (
    comment_created,
    comment_deleted,
    comment_updated,
    issue_deleted,
    issue_updated,
)
from bugbridge.sync.inbound import InboundResult

log = structlog.get_logger(__name__)

Handler = Callable[[JiraSite, dict[str, Any]], InboundResult]

HANDLERS: dict[str, Handler] = {
    "jira:issue_updated": issue_updated.handle,
    "jira:issue_deleted": issue_deleted.handle,
    "comment_created": comment_created.handle,
    "comment_updated": comment_updated.handle,
    "comment_deleted": comment_deleted.handle,
}

# Events a site may be subscribed to that change nothing here. A new ticket cannot be linked
# yet (tickets Bugbridge creates are linked from the create call's answer); properties are
# Bugbridge's own markers; the rest has no counterpart on a group.
IGNORED: frozenset[str] = frozenset(
    {
        "jira:issue_created",
        "issue_property_set",
        "issue_property_deleted",
        "worklog_created",
        "worklog_updated",
        "worklog_deleted",
        "attachment_created",
        "attachment_deleted",
        "issuelink_created",
        "issuelink_deleted",
        "jira:version_created",
        "jira:version_updated",
        "jira:version_released",
        "jira:version_unreleased",
        "jira:version_deleted",
        "jira:version_moved",
        "project_created",
        "project_updated",
        "project_deleted",
        "user_created",
        "user_updated",
        "user_deleted",
        "sprint_created",
        "sprint_started",
        "sprint_closed",
        "sprint_updated",
        "sprint_deleted",
        "board_created",
        "board_updated",
        "board_deleted",
        "board_configuration_changed",
        "option_voting_changed",
        "option_watching_changed",
        "option_unassigned_issues_changed",
        "option_subtasks_changed",
        "option_attachments_changed",
        "option_issuelinks_changed",
        "option_timetracking_changed",
    }
)


def metric_event(event: str) -> str:
    """A bounded label for metrics: unknown event names are not trusted as label values."""
    return event if event in HANDLERS or event in IGNORED else "unknown"


def dispatch(site: JiraSite, event: str, body: dict[str, Any]) -> InboundResult:
    handler = HANDLERS.get(event)
    if handler is not None:
        return handler(site, body)
    if event in IGNORED:
        return InboundResult(DeliveryOutcome.IGNORED, f"{event} changes nothing here")
    log.info("jira.webhook.unknown_event", site=site.pk, webhook_event=event[:64])
    return InboundResult(DeliveryOutcome.IGNORED, f"unknown event {event[:64]}")
