"""Shared by the comment_* handlers and the comment twin of jira:issue_updated."""

from __future__ import annotations

from typing import Any

from bugbridge.jira.models import DeliveryOutcome, JiraSite
from bugbridge.jira.webhooks.payload import comment_data
from bugbridge.sync import inbound
from bugbridge.sync.inbound import CommentAction, InboundResult


def handle_comment(site: JiraSite, body: dict[str, Any], action: CommentAction) -> InboundResult:
    from bugbridge.jira.sites import connection_account_id

    data = comment_data(body)
    if data is None:
        return InboundResult(DeliveryOutcome.IGNORED, "no comment id in body")
    ours = inbound.comment_written_by_bugbridge(
        site, data, account_lookup=lambda: connection_account_id(site)
    )
    return inbound.apply_comment(site, data, action, ours=ours)
