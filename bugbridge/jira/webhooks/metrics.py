"""Prometheus metrics for webhook deliveries."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

DELIVERIES = Counter(
    "bugbridge_jira_webhook_deliveries",
    "Verified Jira webhook deliveries, by event and outcome (duplicate = seen before).",
    ["event", "outcome"],
)
REJECTED = Counter(
    "bugbridge_jira_webhook_rejected",
    "Jira webhook deliveries refused before storing, by reason.",
    ["reason"],
)
APPLY_SECONDS = Histogram(
    "bugbridge_jira_webhook_apply_seconds",
    "Time to apply one stored delivery to the linked groups, by event.",
    ["event"],
)
