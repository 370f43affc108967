"""`jira:issue_deleted`: unlink the groups and say so on each (no changelog, no type name)."""

from __future__ import annotations

from typing import Any

from bugbridge.jira.models import DeliveryOutcome, JiraSite
from bugbridge.sync import inbound
from bugbridge.sync.inbound import InboundResult


def handle(site: JiraSite, body: dict[str, Any]) -> InboundResult:
    issue = body.get("issue")
    if not isinstance(issue, dict) or not issue.get("id"):
        return InboundResult(DeliveryOutcome.IGNORED, "no issue id in body")
    return inbound.apply_issue_deleted(site, str(issue["id"]), str(issue.get("key") or ""))
