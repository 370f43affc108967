"""Failures of calls to Jira, typed by cause so callers can tell transient from permanent."""

from __future__ import annotations

from typing import Any


class JiraError(Exception):
    """Jira answered with an error (or could not be reached). Holds Jira's own words."""

    # A retry may succeed later (rate limits, outages); otherwise a person must act.
    transient = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_messages: list[str] | None = None,
        field_errors: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_messages = error_messages or []
        self.field_errors = field_errors or {}

    @classmethod
    def from_body(cls, status: int, body: Any, fallback: str) -> JiraError:
        messages: list[str] = []
        fields: dict[str, str] = {}
        if isinstance(body, dict):
            messages = [str(m) for m in body.get("errorMessages") or []]
            fields = {str(k): str(v) for k, v in (body.get("errors") or {}).items()}
        summary = "; ".join(messages + [f"{k}: {v}" for k, v in fields.items()]) or fallback
        return cls(summary, status=status, error_messages=messages, field_errors=fields)


class JiraAuthError(JiraError):
    """401/403: the credentials are wrong, revoked, or lack a permission."""


class JiraNotFound(JiraError):
    """404: the issue (or project, comment…) does not exist or is not visible to us."""


class JiraValidationError(JiraError):
    """400/409/422: Jira refused the values; `field_errors` maps field ids to its messages."""


class JiraRateLimited(JiraError):
    transient = True

    def __init__(self, message: str, *, retry_after: float | None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class JiraUnavailable(JiraError):
    """5xx, timeout, reset or refused connection: try again later."""

    transient = True
