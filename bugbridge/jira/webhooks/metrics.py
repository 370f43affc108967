"""Prometheus counters for webhook deliveries."""

from __future__ import annotations

from prometheus_client import Counter

DELIVERIES = Counter(
    "bugbridge_jira_webhook_deliveries",
    "Verified Jira webhook deliveries, by event and outcome.",
    ["event", "outcome"],
)
REJECTED = Counter(
    "bugbridge_jira_webhook_rejected",
    "Jira webhook deliveries refused before storing, by reason.",
    ["reason"],
)
