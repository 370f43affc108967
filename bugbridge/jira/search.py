"""Finding things in Jira for the link dialog and the create form's searchable fields.

Issue search uses `/search/jql` (Cloud removed the old `/search`; it answers 410 there) and the
issue picker, which is what Jira's own "link issue" box uses and matches partial words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import structlog

from bugbridge.jira.client import JiraClient
from bugbridge.jira.errors import JiraError
from bugbridge.jira.models import JiraSite

log = structlog.get_logger(__name__)

JSON = dict[str, Any]

_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*-\d+$")
# The issue picker highlights matches with HTML tags.
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def jql_string(text: str) -> str:
    """A JQL string literal: backslashes and double quotes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def search_issues(
    site: JiraSite, query: str, *, project: str | None = None, limit: int = 20
) -> list[Choice]:
    """Issues matching a key (exact) or text, as (key, "KEY summary") choices."""
    text = query.strip()
    if not text:
        return []
    with JiraClient.for_site(site) as client:
        if _KEY.match(text):
            found = _jql_issues(client, f"key = {jql_string(text.upper())}", limit)
            if found:
                return found
        picked = _picker_issues(client, text, project, limit)
        if picked:
            return picked
        return _jql_issues(client, _text_jql(text, project), limit)


def _text_jql(text: str, project: str | None) -> str:
    clause = f"text ~ {jql_string(text)}"
    if project:
        clause = f"project = {jql_string(project)} AND {clause}"
    return clause + " ORDER BY updated DESC"


def _jql_issues(client: JiraClient, jql: str, limit: int) -> list[Choice]:
    try:
        page = client.search_jql(jql, fields=["summary"], max_results=limit)
    except JiraError as exc:
        # A key of a project that does not exist is a JQL error, not "no results".
        log.info("jira.search.jql_failed", error=exc.message)
        return []
    return [
        _issue_choice(i.get("key"), (i.get("fields") or {}).get("summary"))
        for i in page.get("issues") or []
    ]


def _picker_issues(client: JiraClient, text: str, project: str | None, limit: int) -> list[Choice]:
    try:
        issues = client.issue_picker(text, current_project_id=project)
    except JiraError as exc:
        log.info("jira.search.picker_failed", error=exc.message)
        return []
    choices = []
    for issue in issues[:limit]:
        summary = issue.get("summaryText") or _TAGS.sub("", str(issue.get("summary") or ""))
        choices.append(_issue_choice(issue.get("key"), summary))
    return choices


def _issue_choice(key: Any, summary: Any) -> Choice:
    return Choice(value=str(key), label=f"{key} {summary or ''}".strip())


def search_users(site: JiraSite, query: str, *, project: str | None = None) -> list[Choice]:
    """Assignable users of a project (or all users), valued by accountId (Cloud) / name (DC)."""
    with JiraClient.for_site(site) as client:
        if project:
            users = client.assignable_users(query, project=project)
        else:
            users = client.search_users(query)
    return [c for c in (_user_choice(u) for u in users) if c is not None]


def _user_choice(user: JSON) -> Choice | None:
    ident = user.get("accountId") or user.get("name")
    if not ident:
        return None
    label = str(user.get("displayName") or ident)
    if user.get("emailAddress"):
        label += f" - {user['emailAddress']}"
    return Choice(value=str(ident), label=label)


def search_projects(site: JiraSite, query: str = "") -> list[Choice]:
    with JiraClient.for_site(site) as client:
        projects = client.search_projects(query)
    return [Choice(value=str(p["id"]), label=f"{p.get('key')} - {p.get('name')}") for p in projects]


def autocomplete(
    site: JiraSite, field: str, query: str, *, project: str | None = None
) -> list[Choice]:
    """Choices for a searchable create-form field (see `fields.FormField.autocomplete_url`)."""
    if field in {"parent", "issue", "customfield_epic"}:
        return search_issues(site, query, project=project)
    if field == "project":
        return search_projects(site, query)
    if field == "labels":
        return [Choice(value=v, label=v) for v in query.replace(",", " ").split()]
    # User pickers (assignee, reporter, custom user fields): assignable users of the project.
    return search_users(site, query, project=project)
