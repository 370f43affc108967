"""Typed calls to Jira's REST API, the same for every way a site is connected.

Auth is a per-request hook (`bugbridge.jira.auth`), so a Connect JWT is computed for the exact
method, path and query of each call. Errors are raised as `bugbridge.jira.errors` types.
"""

from __future__ import annotations

import email.utils
import time
from datetime import UTC, datetime
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


def _retry_after_seconds(response: httpx.Response) -> float | None:
    """Seconds to wait, from Retry-After (seconds or HTTP date) or X-RateLimit-Reset (ISO)."""
    retry_after = response.headers.get("Retry-After")
    if retry_after:
        if retry_after.strip().isdigit():
            return float(retry_after)
        parsed = email.utils.parsedate_to_datetime(retry_after)
        return max(0.0, (parsed - datetime.now(UTC)).total_seconds())

    reset = response.headers.get("X-RateLimit-Reset")
    if reset:
        try:
            at = datetime.fromisoformat(reset.replace("Z", "+00:00"))
        except ValueError:
            return None
        return max(0.0, (at - datetime.now(UTC)).total_seconds())
    return None


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
