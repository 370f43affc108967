"""`comment_created`: a person's comment becomes a note on every linked group."""

from __future__ import annotations

from typing import Any

from bugbridge.jira.models import JiraSite
from bugbridge.jira.webhooks._comments import handle_comment
from bugbridge.sync.inbound import CommentAction, InboundResult


def handle(site: JiraSite, body: dict[str, Any]) -> InboundResult:
    return handle_comment(site, body, CommentAction.CREATED)
