"""In-memory Jira data: users, projects, workflow, issues, comments, webhooks."""

from dataclasses import dataclass, field
from typing import Any

# Jira's fixed status categories (ids and colours as Cloud returns them).
STATUS_CATEGORIES: dict[str, dict[str, Any]] = {
    "new": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    "indeterminate": {
        "id": 4,
        "key": "indeterminate",
        "colorName": "yellow",
        "name": "In Progress",
    },
    "done": {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
}


@dataclass
class User:
    account_id: str
    display_name: str
    email: str | None
    email_hidden: bool = False
    name: str = ""  # Data Center username (login name)
    key: str = ""  # Data Center user key (stable id, e.g. JIRAUSER10100)
    active: bool = True
    time_zone: str = "Etc/UTC"
    account_type: str = "atlassian"


@dataclass
class Status:
    id: str
    name: str
    category: str  # new | indeterminate | done
    resolution: str | None = None  # resolution id set when entering this (done) status


@dataclass
class Transition:
    id: str
    name: str
    to_status: str  # status id
    required_fields: list[str] = field(default_factory=list)


@dataclass
class IssueType:
    id: str
    name: str
    description: str
    subtask: bool = False
    avatar_id: int = 10300


@dataclass
class FieldDef:
    """A field as create-metadata describes it; `allowed` holds option dicts for selects."""

    id: str
    name: str
    schema: dict[str, Any]
    allowed: list[dict[str, Any]] | None = None
    custom: bool = False


@dataclass
class Project:
    id: str
    key: str
    name: str
    issue_types: list[str]  # issue type ids
    required: dict[str, list[str]] = field(default_factory=dict)  # issuetype id -> field ids
    lead: str = ""
    next_number: int = 1
    type_key: str = "software"  # (added by jira-out) "service_desk" for a JSM project


@dataclass
class Comment:
    id: str
    issue_id: str
    author: str  # user ref (accountId on Cloud, key on DC)
    body: str
    body_adf: dict[str, Any] | None
    created: int
    updated: int
    update_author: str = ""
    properties: dict[str, Any] = field(default_factory=dict)
    visibility: dict[str, Any] | None = None


@dataclass
class Issue:
    id: str
    key: str
    project_id: str
    issuetype_id: str
    summary: str
    status_id: str
    reporter: str | None
    creator: str | None
    created: int
    updated: int
    description: str | None = None
    description_adf: dict[str, Any] | None = None
    assignee: str | None = None
    resolution: str | None = None
    resolution_date: int | None = None
    priority_id: str = "3"
    labels: list[str] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)
    parent_id: str | None = None
    comments: list[Comment] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    remote_links: list[dict[str, Any]] = field(default_factory=list)
    changelog: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class AdminWebhook:
    id: int
    url: str
    events: list[str]
    secret: str | None = None
    name: str = "sandbox webhook"
    kind: str = "admin"  # admin | dynamic | connect | dc
    jql: str = ""
    expires_ms: int | None = None  # dynamic webhooks expire after 30 days
    owner: str = ""  # OAuth client id / Connect app key that registered it
    enabled: bool = True
    exclude_body: bool = False  # admin/DC option: POST with an empty body


RESOLUTIONS: dict[str, dict[str, str]] = {
    "10000": {
        "id": "10000",
        "name": "Done",
        "description": "Work has been completed on this issue.",
    },
    "10001": {"id": "10001", "name": "Won't Do", "description": "This issue won't be actioned."},
    "10002": {"id": "10002", "name": "Duplicate", "description": "The problem is a duplicate."},
}

PRIORITIES: dict[str, str] = {"1": "Highest", "2": "High", "3": "Medium", "4": "Low", "5": "Lowest"}
