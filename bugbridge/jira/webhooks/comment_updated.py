"""`comment_updated`: the notes made from the comment follow its new text."""

from __future__ import annotations

from typing import Any

from bugbridge.jira.models import JiraSite
from bugbridge.jira.webhooks._comments import handle_comment
from bugbridge.sync.inbound import CommentAction, InboundResult


def handle(site: JiraSite, body: dict[str, Any]) -> InboundResult:
    # A missed comment_created is made good here: an unknown comment is imported as new.
    return handle_comment(site, body, CommentAction.UPDATED)
