"""Reading Jira webhook bodies into small typed values.

Jira's bodies differ by deployment and by age: Cloud identifies people by accountId (repeated in
`tmpToAccountId` on changelog items), Server/Data Center by user name or key; older payloads have
no changelog `fieldId`; comment events on Data Center carry no `issue`. Everything that knows
these shapes lives here, so the sync code sees one form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

JSON = dict[str, Any]

log = structlog.get_logger(__name__)

# Cloud webhooks show a hidden e-mail address as this literal, quotes included.
_HIDDEN_EMAILS = frozenset({'"?"', "?", ""})

# `…/rest/api/2/issue/<issue id>/comment/<comment id>`: the only place Data Center comment events
# name their issue.
_COMMENT_SELF = re.compile(r"/issue/(?P<issue>[^/]+)/comment/(?P<comment>[^/?#]+)")


def parse_jira_time(value: Any) -> datetime | None:
    """Jira's timestamps look like `2019-02-05T14:12:07.651+0000`; None when absent or bad."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _obj(value: Any) -> JSON:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class JiraUser:
    """A person as a webhook names them. `ident` is what UserMapping stores for the site."""

    ident: str
    account_id: str = ""
    name: str = ""
    key: str = ""
    display_name: str = ""
    email: str = ""

    @property
    def idents(self) -> set[str]:
        """Every identifier a mapping may hold for this person (Data Center: name or key)."""
        return {i for i in (self.ident, self.account_id, self.name, self.key) if i}

    @property
    def label(self) -> str:
        return self.display_name or self.ident


def user_from(value: Any) -> JiraUser | None:
    data = _obj(value)
    account_id = _str(data.get("accountId"))
    name = _str(data.get("name"))
    key = _str(data.get("key"))
    ident = account_id or name or key
    if not ident:
        return None
    email = _str(data.get("emailAddress")).strip()
    return JiraUser(
        ident=ident,
        account_id=account_id,
        name=name,
        key=key,
        display_name=_str(data.get("displayName")),
        email="" if email in _HIDDEN_EMAILS else email,
    )


def changelog_items(body: JSON) -> list[JSON]:
    items = _obj(body.get("changelog")).get("items")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def item_field(item: JSON) -> str:
    """The stable id of what a changelog item changed.

    `field` is the display name (`Status`, `Fix Version`, a custom field's name); `fieldId` is
    the stable id but older Cloud and Server payloads lack it.
    """
    return _str(item.get("fieldId")) or _str(item.get("field")).lower()


def changed_fields(body: JSON) -> set[str]:
    return {item_field(i) for i in changelog_items(body)} - {""}


def _changelog_item(body: JSON, field: str) -> JSON | None:
    # The last item for a field wins: Jira lists them in the order they were applied.
    found = None
    for item in changelog_items(body):
        if item_field(item) == field:
            found = item
    return found


@dataclass(frozen=True)
class IssueState:
    """The ticket's state as one delivery reports it (`issue.fields` at the time it was sent)."""

    issue_id: str
    key: str
    project_key: str = ""
    summary: str | None = None
    updated: datetime | None = None
    # False when the body tells nothing about the assignee (trimmed `fields`, no changelog item).
    assignee_known: bool = False
    assignee: JiraUser | None = None
    status_id: str = ""
    status_name: str = ""
    status_category: str = ""
    # The status before this change, from the changelog, when it says.
    previous_status_id: str = ""
    changed: frozenset[str] = frozenset()


def issue_state(body: JSON) -> IssueState | None:
    issue = _obj(body.get("issue"))
    issue_id = _str(issue.get("id"))
    if not issue_id:
        return None
    fields = _obj(issue.get("fields"))
    known, assignee = _assignee(body, fields)
    status_id, status_name, category, previous = _status(body, fields)
    summary = fields.get("summary")
    return IssueState(
        issue_id=issue_id,
        key=_str(issue.get("key")),
        project_key=_str(_obj(fields.get("project")).get("key")),
        summary=summary if isinstance(summary, str) else None,
        updated=parse_jira_time(fields.get("updated")),
        assignee_known=known,
        assignee=assignee,
        status_id=status_id,
        status_name=status_name,
        status_category=category,
        previous_status_id=previous,
        changed=frozenset(changed_fields(body)),
    )


def _assignee(body: JSON, fields: JSON) -> tuple[bool, JiraUser | None]:
    """Who the ticket is assigned to, and whether the body says at all.

    `issue.fields.assignee` is the current state and wins when it names someone. A changelog
    item is the fallback: the accountId is in `tmpToAccountId` when present, else in `to` (Cloud);
    Server/Data Center put the user key in `to`. Captures exist where `fields.assignee` is null
    although the changelog assigns someone, so a null field does not override the changelog.
    """
    current = user_from(fields.get("assignee"))
    item = _changelog_item(body, "assignee")
    changed_to = _str(item.get("tmpToAccountId")) or _str(item.get("to")) if item else ""
    if current is not None:
        if changed_to and changed_to not in current.idents:
            # A later change already landed (the body is built when sent); current state wins.
            log.info("jira.webhook.assignee_mismatch", changelog=changed_to, fields=current.ident)
        return True, current
    if item is not None:
        if not changed_to:
            return True, None
        return True, JiraUser(ident=changed_to, display_name=_str(item.get("toString")))
    return ("assignee" in fields), None


def _status(body: JSON, fields: JSON) -> tuple[str, str, str, str]:
    item = _changelog_item(body, "status") or {}
    previous = _str(item.get("from"))
    status = _obj(fields.get("status"))
    if status.get("id"):
        category = _str(_obj(status.get("statusCategory")).get("key"))
        return _str(status.get("id")), _str(status.get("name")), category, previous
    # No status in `fields` (trimmed body): the changelog has the id and name, not the category.
    return _str(item.get("to")), _str(item.get("toString")), "", previous


@dataclass(frozen=True)
class CommentData:
    comment_id: str
    issue_id: str
    issue_key: str
    body: str
    author: JiraUser | None
    updated: datetime | None
    property_keys: frozenset[str] = frozenset()


def comment_data(body: JSON) -> CommentData | None:
    comment = _obj(body.get("comment"))
    comment_id = _str(comment.get("id"))
    issue = _obj(body.get("issue"))
    issue_id = _str(issue.get("id"))
    match = _COMMENT_SELF.search(_str(comment.get("self")))
    if match:
        comment_id = comment_id or match["comment"]
        issue_id = issue_id or match["issue"]
    if not comment_id or not issue_id:
        return None
    return CommentData(
        comment_id=comment_id,
        issue_id=issue_id,
        issue_key=_str(issue.get("key")),
        body=rich_text(comment.get("body")),
        author=user_from(comment.get("author")),
        updated=parse_jira_time(comment.get("updated")),
        property_keys=frozenset(_property_keys(comment)),
    )


def _property_keys(comment: JSON) -> list[str]:
    # Connect apps and `expand=properties` readers see comment properties inline.
    props = comment.get("properties")
    if not isinstance(props, list):
        return []
    return [_str(p.get("key")) for p in props if isinstance(p, dict)]


def rich_text(value: Any) -> str:
    """Webhook bodies carry wiki text even on Cloud; flatten ADF anyway, should one appear."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        return ""
    if value.get("type") == "text":
        return _str(value.get("text"))
    if value.get("type") == "hardBreak":
        return "\n"
    children = value.get("content")
    if not isinstance(children, list):
        return ""
    sep = "\n\n" if value.get("type") == "doc" else ""
    return sep.join(rich_text(c) for c in children)


def issue_key_hint(body: JSON) -> str:
    """The issue key (or id when that is all there is) for storing with the delivery."""
    issue = _obj(body.get("issue"))
    if issue.get("key"):
        return _str(issue.get("key"))
    comment = comment_data(body)
    return comment.issue_id if comment else ""
