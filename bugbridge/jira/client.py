"""Typed calls to Jira's REST API, the same for every way a site is connected.

Auth is a per-request hook (`bugbridge.jira.auth`), so a Connect JWT is computed for the exact
method, path and query of each call. Errors are raised as `bugbridge.jira.errors` types.
"""

from __future__ import annotations

import email.utils
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import structlog
from django.conf import settings

from bugbridge.jira import errors
from bugbridge.jira.auth import auth_for_site
from bugbridge.jira.models import Deployment, JiraSite

log = structlog.get_logger(__name__)

JSON = dict[str, Any]


class JiraClient:
    def __init__(
        self,
        site: JiraSite,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float | None = None,
    ) -> None:
        self.site = site
        # Data Center has no v3; Cloud's v2 takes wiki text where v3 wants ADF. We write rich
        # text as v3 ADF on Cloud and v2 wiki markup on Data Center.
        self.api_version = "2" if site.deployment == Deployment.DATA_CENTER else "3"
        seconds = timeout if timeout is not None else settings.JIRA_HTTP_TIMEOUT_SECONDS
        self._http = httpx.Client(
            base_url=site.base_url.rstrip("/"),
            auth=auth_for_site(site),
            timeout=httpx.Timeout(seconds, connect=min(seconds, 5.0)),
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "Bugbridge"},
        )

    @classmethod
    def for_site(cls, site: JiraSite) -> JiraClient:
        return cls(site)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> JiraClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def is_cloud(self) -> bool:
        return self.site.deployment == Deployment.CLOUD

    def api(self, path: str, *, version: str | None = None) -> str:
        return f"/rest/api/{version or self.api_version}/{path.lstrip('/')}"

    # -- transport ------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        started = time.monotonic()
        try:
            response = self._http.request(method, path, params=params, json=json)
        except httpx.TimeoutException as exc:
            raise errors.JiraUnavailable(f"Jira did not answer in time ({method} {path})") from exc
        except httpx.TransportError as exc:
            raise errors.JiraUnavailable(f"Jira could not be reached: {exc}") from exc

        log.debug(
            "jira.http.response",
            site=self.site.pk,
            method=method,
            path=path,
            status=response.status_code,
            ms=round((time.monotonic() - started) * 1000),
        )
        if response.status_code >= 400:
            raise _error_for(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    # -- issues ---------------------------------------------------------------------------

    def server_info(self) -> JSON:
        result: JSON = self.request("GET", self.api("serverInfo"))
        return result

    def myself(self) -> JSON:
        result: JSON = self.request("GET", self.api("myself"))
        return result

    def create_issue(self, fields: JSON, *, properties: list[JSON] | None = None) -> JSON:
        body: JSON = {"fields": fields}
        if properties:
            body["properties"] = properties
        result: JSON = self.request("POST", self.api("issue"), json=body)
        return result

    def get_issue(self, key: str, *, fields: str | None = None) -> JSON:
        params = {"fields": fields} if fields else None
        result: JSON = self.request("GET", self.api(f"issue/{key}"), params=params)
        return result

    def assign_issue(self, key: str, account_id: str | None) -> None:
        # Cloud identifies users only by accountId (GDPR strict mode refuses `name`); Data
        # Center still uses the user name.
        body = {"accountId": account_id} if self.is_cloud else {"name": account_id}
        self.request("PUT", self.api(f"issue/{key}/assignee"), json=body)

    def add_comment(self, key: str, body: Any, *, extra: JSON | None = None) -> JSON:
        payload: JSON = {"body": body, **(extra or {})}
        result: JSON = self.request("POST", self.api(f"issue/{key}/comment"), json=payload)
        return result

    # -- added by jira-out: the calls the outbound sync, create form and search need ---------

    def edit_issue(
        self, key: str, *, fields: JSON | None = None, update: JSON | None = None
    ) -> None:
        body: JSON = {}
        if fields:
            body["fields"] = fields
        if update:
            body["update"] = update
        self.request("PUT", self.api(f"issue/{key}"), json=body)

    def get_transitions(self, key: str) -> list[JSON]:
        # `expand=transitions.fields` lists the fields a transition screen requires.
        params = {"expand": "transitions.fields"}
        result = self.request("GET", self.api(f"issue/{key}/transitions"), params=params)
        return list((result or {}).get("transitions") or [])

    def transition_issue(self, key: str, transition_id: str, *, fields: JSON | None = None) -> None:
        # Jira wants the transition's id (a numeric string), never its name.
        body: JSON = {"transition": {"id": str(transition_id)}}
        if fields:
            body["fields"] = fields
        self.request("POST", self.api(f"issue/{key}/transitions"), json=body)

    def update_comment(self, key: str, comment_id: str, body: Any) -> JSON:
        path = self.api(f"issue/{key}/comment/{comment_id}")
        result: JSON = self.request("PUT", path, json={"body": body})
        return result

    def delete_comment(self, key: str, comment_id: str) -> None:
        self.request("DELETE", self.api(f"issue/{key}/comment/{comment_id}"))

    def get_comments(self, key: str, *, expand: str = "") -> list[JSON]:
        """Every comment of an issue, walking Jira's startAt/maxResults pages."""
        comments: list[JSON] = []
        while True:
            params: JSON = {"startAt": len(comments), "maxResults": 100}
            if expand:
                params["expand"] = expand
            page = self.request("GET", self.api(f"issue/{key}/comment"), params=params) or {}
            batch = list(page.get("comments") or [])
            comments.extend(batch)
            total = int(page.get("total") or 0)
            if not batch or len(comments) >= total:
                return comments

    def get_issue_property(self, key: str, prop: str) -> Any:
        result = self.request("GET", self.api(f"issue/{key}/properties/{prop}"))
        return (result or {}).get("value")

    def set_issue_property(self, key: str, prop: str, value: Any) -> None:
        self.request("PUT", self.api(f"issue/{key}/properties/{prop}"), json=value)

    def get_comment_property(self, comment_id: str, prop: str) -> Any:
        result = self.request("GET", self.api(f"comment/{comment_id}/properties/{prop}"))
        return (result or {}).get("value")

    def set_comment_property(self, comment_id: str, prop: str, value: Any) -> None:
        self.request("PUT", self.api(f"comment/{comment_id}/properties/{prop}"), json=value)

    def createmeta_issue_types(self, project: str) -> list[JSON]:
        """Issue types one may create in a project (the split create-metadata endpoint)."""
        return self._createmeta_pages(f"issue/createmeta/{project}/issuetypes", "issueTypes")

    def createmeta_fields(self, project: str, issue_type_id: str) -> list[JSON]:
        path = f"issue/createmeta/{project}/issuetypes/{issue_type_id}"
        return self._createmeta_pages(path, "fields")

    def _createmeta_pages(self, path: str, cloud_key: str) -> list[JSON]:
        # Cloud lists under `issueTypes`/`fields`, Data Center (8.4+) under `values`; both page
        # with startAt/maxResults and report `total` (DC also `isLast`).
        items: list[JSON] = []
        while True:
            params = {"startAt": len(items), "maxResults": 50}
            page = self.request("GET", self.api(path), params=params) or {}
            batch = list(page.get(cloud_key) or page.get("values") or [])
            items.extend(batch)
            total = page.get("total")
            done = page.get("isLast") is True or (total is not None and len(items) >= int(total))
            if not batch or done or (total is None and page.get("isLast") is None):
                return items

    def search_jql(
        self,
        jql: str,
        *,
        fields: list[str] | None = None,
        properties: list[str] | None = None,
        max_results: int = 50,
        next_page_token: str | None = None,
    ) -> JSON:
        """One page of `/search/jql` (Cloud; no total, no startAt, only `id` unless asked)."""
        params: JSON = {"jql": jql, "maxResults": max_results}
        params["fields"] = ",".join(fields or ["summary", "status", "assignee", "updated"])
        if properties:
            params["properties"] = ",".join(properties)
        if next_page_token:
            params["nextPageToken"] = next_page_token
        if not self.is_cloud:
            # Data Center never got /search/jql; the old /search pages by startAt.
            start = int(next_page_token or 0)
            params.pop("nextPageToken", None)
            params["startAt"] = start
            page = self.request("GET", self.api("search"), params=params) or {}
            issues = list(page.get("issues") or [])
            end = start + len(issues)
            is_last = not issues or end >= int(page.get("total") or 0)
            return {
                "issues": issues,
                "isLast": is_last,
                "nextPageToken": None if is_last else str(end),
            }
        result: JSON = self.request("GET", self.api("search/jql"), params=params) or {}
        return result

    def issue_picker(self, query: str, *, current_project_id: str | None = None) -> list[JSON]:
        params: JSON = {"query": query, "showSubTasks": "true"}
        if current_project_id:
            params["currentProjectId"] = current_project_id
        result = self.request("GET", self.api("issue/picker"), params=params) or {}
        seen: dict[str, JSON] = {}
        for section in result.get("sections") or []:
            for issue in section.get("issues") or []:
                seen.setdefault(str(issue.get("key")), issue)
        return list(seen.values())

    def search_users(self, query: str, *, max_results: int = 20) -> list[JSON]:
        # Cloud searches with `query`; Data Center still with `username`.
        name = "query" if self.is_cloud else "username"
        params: JSON = {name: query, "maxResults": max_results}
        return list(self.request("GET", self.api("user/search"), params=params) or [])

    def assignable_users(
        self, query: str, *, project: str | None = None, issue_key: str | None = None
    ) -> list[JSON]:
        name = "query" if self.is_cloud else "username"
        params: JSON = {name: query, "maxResults": 20}
        if issue_key:
            params["issueKey"] = issue_key
        elif project:
            params["project"] = project
        path = self.api("user/assignable/search")
        return list(self.request("GET", path, params=params) or [])

    def search_projects(self, query: str = "", *, max_results: int = 50) -> list[JSON]:
        if not self.is_cloud:
            # Data Center has no paged project search; the plain list is small enough there.
            projects = list(self.request("GET", self.api("project")) or [])
            needle = query.lower()
            return [p for p in projects if needle in f"{p.get('key')} {p.get('name')}".lower()]
        params: JSON = {"query": query, "maxResults": max_results, "expand": "issueTypes"}
        page = self.request("GET", self.api("project/search"), params=params) or {}
        return list(page.get("values") or [])

    def get_project(self, key: str) -> JSON:
        result: JSON = self.request("GET", self.api(f"project/{key}"))
        return result

    def upsert_remote_link(self, key: str, global_id: str, url: str, title: str) -> None:
        # The same globalId updates the existing link instead of adding a second one.
        body = {
            "globalId": global_id,
            "application": {"type": "io.bugbridge", "name": "Bugbridge"},
            "relationship": "error group",
            "object": {"url": url, "title": title},
        }
        self.request("POST", self.api(f"issue/{key}/remotelink"), json=body)

    def get_statuses(self) -> list[JSON]:
        return list(self.request("GET", self.api("status")) or [])


def _retry_after_seconds(response: httpx.Response) -> float | None:
    """Seconds to wait, from Retry-After (seconds or HTTP date) or X-RateLimit-Reset (ISO)."""
    retry_after = (response.headers.get("Retry-After") or "").strip()
    if retry_after.isdigit():
        return float(retry_after)
    if retry_after:
        try:
            parsed = email.utils.parsedate_to_datetime(retry_after)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return max(0.0, (parsed - datetime.now(UTC)).total_seconds())

    return _rate_limit_reset_seconds(response.headers.get("X-RateLimit-Reset") or "")


def _rate_limit_reset_seconds(reset: str) -> float | None:
    # Jira Cloud writes this as `yyyy-MM-ddTHH:mmZ`: the instant is cut to the minute, so the
    # window may reopen up to 59 seconds after it. Waiting to the end of that minute never
    # retries early (an early retry extends the penalty).
    try:
        at = datetime.fromisoformat(reset.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    if at.second == 0 and at.microsecond == 0 and reset.count(":") == 1:
        at += timedelta(seconds=59)
    return max(0.0, (at - datetime.now(UTC)).total_seconds())


def _error_for(response: httpx.Response) -> errors.JiraError:
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        # Data Center answers some errors with an HTML page; keep the status as the message.
        body = None
    fallback = f"Jira answered {status} {response.reason_phrase}"

    if status == 429:
        base = errors.JiraError.from_body(status, body, fallback)
        return errors.JiraRateLimited(
            base.message, retry_after=_retry_after_seconds(response), status=status
        )
    if status >= 500:
        error: errors.JiraError = errors.JiraUnavailable.from_body(status, body, fallback)
        return error
    kind: type[errors.JiraError] = errors.JiraValidationError
    if status in (401, 403):
        kind = errors.JiraAuthError
    elif status == 404:
        kind = errors.JiraNotFound
    return kind.from_body(status, body, fallback)
