"""Prometheus counters of the ingest endpoints (exposed at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter

EVENTS = Counter(
    "bugbridge_ingest_events",
    "Events received by the ingest endpoints: accepted, duplicate (same event_id) or rejected "
    "(counted per refused request, with the reason).",
    ["outcome", "reason"],
)


def accepted() -> None:
    EVENTS.labels(outcome="accepted", reason="").inc()


def duplicate() -> None:
    EVENTS.labels(outcome="duplicate", reason="").inc()


def rejected(reason: str) -> None:
    EVENTS.labels(outcome="rejected", reason=reason).inc()
