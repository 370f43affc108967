"""GET /jira/connect/search/<site public id>/?field=issue|project|assignee&query=…

Look-ups for the "link a ticket" and create forms, for members of an organization bound to the
site (session auth). An issue key in any case, or a pasted Jira URL, goes straight to that
ticket; other text goes to jira-out's search (issue picker, then `/search/jql` text search).
"""

from __future__ import annotations

import uuid

import structlog
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from bugbridge.jira import search
from bugbridge.jira.client import JiraClient
from bugbridge.jira.errors import JiraError, JiraNotFound
from bugbridge.jira.models import JiraSite
from bugbridge.sync.links import parse_issue_ref

log = structlog.get_logger(__name__)

FIELDS = ("issue", "project", "assignee")


def _option(choice: search.Choice) -> dict[str, str]:
    return {"value": choice.value, "label": choice.label}


def find_issues(site: JiraSite, query: str) -> list[search.Choice]:
    key = parse_issue_ref(query)
    if key is None:
        return search.search_issues(site, query)
    try:
        with JiraClient.for_site(site) as client:
            issue = client.get_issue(key, fields="summary")
    except JiraNotFound:
        return []
    summary = (issue.get("fields") or {}).get("summary") or ""
    return [search.Choice(value=str(issue["key"]), label=f"{issue['key']} {summary}".strip())]


def _visible_site(user_id: int, public_id: uuid.UUID) -> JiraSite | None:
    return (
        JiraSite.objects.filter(
            public_id=public_id,
            is_enabled=True,
            bindings__organization__memberships__user_id=user_id,
        )
        .distinct()
        .first()
    )


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def _lookup(site: JiraSite, field: str, query: str, project: str) -> list[search.Choice]:
    if field == "issue":
        return find_issues(site, query)
    if field == "project":
        return search.search_projects(site, query)
    return search.search_users(site, query, project=project or None)


@require_GET
def search_view(request: HttpRequest, public_id: uuid.UUID) -> JsonResponse:
    if not request.user.is_authenticated:
        return _error(401, "Log in to search Jira.")
    site = _visible_site(int(request.user.pk), public_id)
    if site is None:
        return _error(404, "No such Jira site in your organizations.")
    field = request.GET.get("field", "")
    query = request.GET.get("query", "").strip()
    if field not in FIELDS:
        return _error(400, f"'field' must be one of {', '.join(FIELDS)}.")
    if field == "issue" and not query:
        return _error(400, "'query' is required.")
    try:
        choices = _lookup(site, field, query, request.GET.get("project", ""))
    except JiraError as exc:
        log.warning("jira.connect.search.failed", site=site.pk, field=field, error=exc.message)
        return _error(502, f"Jira could not answer the search: {exc.message[:200]}")
    return JsonResponse([_option(choice) for choice in choices], safe=False)
