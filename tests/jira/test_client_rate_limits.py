"""How long the client says to wait after Jira's 429, from each header Jira uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from bugbridge.jira.client import _retry_after_seconds


def _answer(**headers: str) -> httpx.Response:
    return httpx.Response(429, headers=headers)


def test_retry_after_in_seconds_is_taken_as_is() -> None:
    assert _retry_after_seconds(_answer(**{"Retry-After": "7"})) == 7.0


def test_minute_precision_reset_waits_to_the_end_of_that_minute() -> None:
    reset_minute = (datetime.now(UTC) + timedelta(minutes=2)).replace(second=0, microsecond=0)
    header = reset_minute.strftime("%Y-%m-%dT%H:%MZ")

    wait = _retry_after_seconds(_answer(**{"X-RateLimit-Reset": header}))

    expected = (reset_minute + timedelta(seconds=59) - datetime.now(UTC)).total_seconds()
    assert wait is not None and abs(wait - expected) < 2


def test_a_reset_in_the_past_means_no_wait() -> None:
    assert _retry_after_seconds(_answer(**{"X-RateLimit-Reset": "2020-01-01T00:00Z"})) == 0.0


def test_unreadable_headers_leave_the_wait_to_the_caller() -> None:
    assert _retry_after_seconds(_answer(**{"Retry-After": "soon"})) is None
    assert _retry_after_seconds(_answer(**{"X-RateLimit-Reset": "tomorrow"})) is None
    assert _retry_after_seconds(_answer()) is None
