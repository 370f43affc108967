"""Request and response shapes of the JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AfterValidator, Field


def _storable(value: str) -> str:
    # PostgreSQL cannot store NUL characters in text columns, and a lone surrogate (valid in
    # JSON's \uXXXX escapes) is not UTF-8 at all.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    return value


Text = Annotated[str, AfterValidator(_storable)]
# Database ids are bigints: larger numbers would overflow the query, not just miss.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class ErrorOut(Schema):
    detail: str
    fields: dict[str, str] | None = None


ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class ProjectOut(Schema):
    id: int
    organization_id: int
    organization: str
    name: str
    slug: str
    platform: str
    dsn: str | None
    created_at: datetime


class ProjectIn(Schema):
    organization_id: Id
    name: Text = Field(min_length=1, max_length=200)
    platform: Text = Field("python", max_length=64)


class TicketOut(Schema):
    key: str
    site_id: int
    site: str
    url: str
    summary: str
    status: str
    status_category: str
    assignee: str


class LinkOut(Schema):
    id: int
    group_id: int
    ticket: TicketOut
    sync_state: Literal["in_step", "pending", "failed"]
    pending_changes: int
    failures: list[ChangeOut]
    created_at: datetime


class ChangeOut(Schema):
    id: int
    ticket_key: str
    kind: str
    state: str
    attempts: int
    last_error: str
    due_at: datetime
    group_id: int | None


class GroupOut(Schema):
    id: int
    short_id: str
    project_id: int
    title: str
    culprit: str
    level: str
    status: str
    resolved_in_release: str
    assignee_id: int | None
    assignee: str | None
    first_seen: datetime
    last_seen: datetime
    times_seen: int
    users_seen: int
    first_release: str
    last_release: str
    tickets: list[str]


class GroupDetailOut(GroupOut):
    links: list[LinkOut]


class GroupUpdateIn(Schema):
    status: Literal["resolved", "unresolved", "ignored"] | None = None
    in_release: Text = Field("", max_length=200)
    assignee_id: Id | None = None


class EventOut(Schema):
    id: int
    event_id: str
    group_id: int
    timestamp: datetime
    title: str
    level: str
    release: str
    environment: str
    user: str
    tags: Any


class EventDetailOut(EventOut):
    data: dict[str, Any]


class NoteOut(Schema):
    id: int
    group_id: int
    author: str
    body: str
    created_at: datetime
    updated_at: datetime


class NoteIn(Schema):
    body: Text = Field(max_length=30000)


class LinkIn(Schema):
    site_id: Id
    issue: Text = Field(min_length=1, max_length=500, description="Issue key or browse URL")


class TicketIn(Schema):
    site_id: Id
    project: Text = Field(min_length=1, max_length=64, description="Jira project id or key")
    issuetype: Text = Field(min_length=1, max_length=64, description="Issue type id")
    summary: Text = Field("", max_length=255)
    description: Text = Field("", max_length=30000)
    fields: dict[str, Any] = Field(default_factory=dict)
    request_token: Text = Field(
        "", max_length=64, description="Sending the same token again never creates a second ticket."
    )


class BindingOut(Schema):
    id: int
    organization_id: int
    site_id: int
    site: str
    base_url: str
    auth_method: str
    enabled: bool
    sync_assignee_outbound: bool
    sync_assignee_inbound: bool
    sync_status_outbound: bool
    sync_status_inbound: bool
    sync_comments_outbound: bool
    sync_comments_inbound: bool
    reopen_on_regression: bool
    keep_ignored_on_inbound: bool
    jsm_comments_public: bool
    resolve_strategy: Literal["now", "next_release"]


class BindingSettingsIn(Schema):
    sync_assignee_outbound: bool | None = None
    sync_assignee_inbound: bool | None = None
    sync_status_outbound: bool | None = None
    sync_status_inbound: bool | None = None
    sync_comments_outbound: bool | None = None
    sync_comments_inbound: bool | None = None
    reopen_on_regression: bool | None = None
    keep_ignored_on_inbound: bool | None = None
    jsm_comments_public: bool | None = None
    resolve_strategy: Literal["now", "next_release"] | None = None


class StatusMapOut(Schema):
    id: int
    jira_project_key: str
    resolved_status_id: str
    unresolved_status_id: str
    ignored_status_id: str
    inbound_resolved_status_ids: list[str]
    inbound_ignored_status_ids: list[str]


StatusId = Annotated[Text, Field(max_length=32)]


class StatusMapIn(Schema):
    resolved_status_id: StatusId = ""
    unresolved_status_id: StatusId = ""
    ignored_status_id: StatusId = ""
    inbound_resolved_status_ids: list[StatusId] = Field(default_factory=list, max_length=50)
    inbound_ignored_status_ids: list[StatusId] = Field(default_factory=list, max_length=50)


class UserMapOut(Schema):
    id: int
    user_id: int
    username: str
    account_id: str
    display_name: str


class UserMapIn(Schema):
    user_id: Id
    account_id: Text = Field(min_length=1, max_length=128)
    display_name: Text = Field("", max_length=200)


LinkOut.model_rebuild()
