"""Jira's error shapes, raised by handlers and turned into responses by the server."""

from typing import Any


class JiraError(Exception):
    """An error Jira would answer with `{"errorMessages": [...], "errors": {...}}`."""

    def __init__(
        self,
        status: int,
        messages: list[str] | None = None,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status}: {messages or ''} {errors or ''}")
        self.status = status
        self.messages = messages or []
        self.errors = errors or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"errorMessages": self.messages, "errors": self.errors}


def not_found_issue() -> JiraError:
    return JiraError(404, ["Issue does not exist or you do not have permission to see it."])
