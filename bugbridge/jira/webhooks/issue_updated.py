"""`jira:issue_updated`: assignee and status follow the ticket; a comment twin is imported.

What changed is read from the changelog's `fieldId` (else the lower-cased `field`), never from
`issue_event_type_name`: Cloud mostly says `issue_generic`, and an assignment made in the old
issue view arrives as `issue_updated`. Jira also fires this event next to every comment event,
with the comment at the top level (Data Center's only reliable carrier of the issue); there the
type name is the one hint of whether the comment was added, edited or deleted.
"""

from __future__ import annotations

from typing import Any

from bugbridge.jira.models import DeliveryOutcome, JiraSite
from bugbridge.jira.webhooks._comments import handle_comment
from bugbridge.jira.webhooks.payload import issue_state
from bugbridge.sync import inbound
from bugbridge.sync.inbound import CommentAction, InboundResult

_COMMENT_ACTION_BY_TYPE = {
    "issue_comment_deleted": CommentAction.DELETED,
    "issue_comment_edited": CommentAction.UPDATED,
}


def handle(site: JiraSite, body: dict[str, Any]) -> InboundResult:
    state = issue_state(body)
    if state is None:
        return InboundResult(DeliveryOutcome.IGNORED, "no issue in body")
    results = []
    if isinstance(body.get("comment"), dict):
        hint = str(body.get("issue_event_type_name") or "")
        action = _COMMENT_ACTION_BY_TYPE.get(hint, CommentAction.CREATED)
        results.append(handle_comment(site, body, action))
    results.append(inbound.apply_issue_state(site, state))
    return combine(results)


def combine(results: list[InboundResult]) -> InboundResult:
    """One outcome for a delivery that did two things: applied wins, then stale, then ignored."""
    detail = "; ".join(r.detail for r in results if r.detail)
    for outcome in (DeliveryOutcome.APPLIED, DeliveryOutcome.STALE):
        if any(r.outcome == outcome for r in results):
            return InboundResult(outcome, detail[:500])
    return InboundResult(DeliveryOutcome.IGNORED, detail[:500])
