"""GET /jira/connect/search/<site public id>/?field=issue|project|assignee&query=…

Look-ups for the "link a ticket" and create forms, for members of an organization bound to the
site (session auth). An issue key in any case, or a pasted browse URL, goes straight to that
ticket; other text is a JQL text search.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import structlog
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from bugbridge.jira.client import JiraClient
from bugbridge.jira.errors import JiraError, JiraNotFound
from bugbridge.jira.models import JiraSite

log = structlog.get_logger(__name__)

JSON = dict[str, Any]
_KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*-\d+$")
_BROWSE_RE = re.compile(r"/browse/([A-Za-z][A-Za-z0-9_]*-\d+)")
FIELDS = ("issue", "project", "assignee")


def issue_key_from(text: str) -> str | None:
    """The issue key in `text`: a bare key (any case) or a Jira URL that names one."""
    text = text.strip()
    if _KEY_RE.match(text):
        return text.upper()
    parts = urlsplit(text)
    if not parts.scheme or not parts.netloc:
        return None
    found = _BROWSE_RE.search(parts.path)
    if found:
        return found.group(1).upper()
    # Board and search views keep the open issue in ?selectedIssue=KEY.
    for value in parse_qs(parts.query).get("selectedIssue", []):
        if _KEY_RE.match(value):
            return value.upper()
    return None


def _jql_text(query: str) -> str:
    escaped = query.replace("\\", "\\\\").replace('"', '\\"')
    return f'text ~ "{escaped}" ORDER BY updated DESC'


def _issue_option(issue: JSON) -> JSON:
    key = str(issue.get("key"))
    summary = str((issue.get("fields") or {}).get("summary") or "")
    return {"label": f"({key}) {summary}".strip(), "value": key}


def search_issues(client: JiraClient, query: str) -> list[JSON]:
    key = issue_key_from(query)
    if key:
        try:
            return [_issue_option(client.get_issue(key, fields="summary"))]
        except JiraNotFound:
            return []
    page = client.search_jql(_jql_text(query), fields=["summary"], max_results=20)
    return [_issue_option(issue) for issue in page.get("issues") or []]


def search_projects(client: JiraClient, query: str) -> list[JSON]:
    return [
        {"label": f"{p.get('key')} - {p.get('name')}", "value": str(p.get("id"))}
        for p in client.search_projects(query, max_results=20)
    ]


def search_assignees(client: JiraClient, query: str, project: str) -> list[JSON]:
    users = (
        client.assignable_users(query, project=project) if project else client.search_users(query)
    )
    return [
        {
            "label": str(u.get("displayName") or u.get("name")),
            "value": str(u.get("accountId") or u.get("name")),
        }
        for u in users
    ]


def _visible_site(request: HttpRequest, public_id: uuid.UUID) -> JiraSite | None:
    return (
        JiraSite.objects.filter(
            public_id=public_id,
            is_enabled=True,
            bindings__organization__memberships__user=request.user,
        )
        .distinct()
        .first()
    )


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


@require_GET
def search_view(request: HttpRequest, public_id: uuid.UUID) -> JsonResponse:
    if not request.user.is_authenticated:
        return _error(401, "Log in to search Jira.")
    site = _visible_site(request, public_id)
    if site is None:
        return _error(404, "No such Jira site in your organizations.")
    field = request.GET.get("field", "")
    query = request.GET.get("query", "").strip()
    if field not in FIELDS:
        return _error(400, f"'field' must be one of {', '.join(FIELDS)}.")
    if not query and field == "issue":
        return _error(400, "'query' is required.")
    try:
        with JiraClient.for_site(site) as client:
            if field == "issue":
                results = search_issues(client, query)
            elif field == "project":
                results = search_projects(client, query)
            else:
                results = search_assignees(client, query, request.GET.get("project", ""))
    except JiraError as exc:
        log.warning("jira.connect.search.failed", site=site.pk, field=field, error=exc.message)
        return _error(502, f"Jira could not answer the search: {exc.message[:200]}")
    return JsonResponse(results, safe=False)
