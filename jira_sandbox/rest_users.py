"""REST: server info, myself, users and assignable-user search."""

import time
from typing import Any

from . import render
from .errors import JiraError
from .model import User
from .router import Ctx, route
from .util import jira_time

CLOUD_VERSION = "1001.0.0-SNAPSHOT"


@route("GET", "/rest/api/{v}/serverInfo", "getServerInfo", anonymous=True)
def server_info(ctx: Ctx) -> dict[str, Any]:
    site = ctx.site
    if site.is_dc:
        numbers = [int(p) for p in site.version.split(".")[:3]]
        numbers += [0] * (3 - len(numbers))
        version = ".".join(str(n) for n in numbers)
        deployment, build = "Server", 9_120_000
    else:
        version, numbers, deployment, build = CLOUD_VERSION, [1001, 0, 0], "Cloud", 100_000
    out: dict[str, Any] = {
        "baseUrl": site.base_url,
        "version": version,
        "versionNumbers": numbers,
        "deploymentType": deployment,
        "buildNumber": build,
        "buildDate": "2026-01-01T00:00:00.000+0000",
        "serverTime": jira_time(int(time.time() * 1000)),
        "scmInfo": "0" * 40,
        "serverTitle": f"Jira ({site.name})",
    }
    if not site.is_dc:
        out["displayUrl"] = site.base_url
    return out


def _user_json(ctx: Ctx, u: User) -> dict[str, Any]:
    out = render.user(ctx.site, u, ctx.version)
    if not ctx.site.is_dc:
        out["locale"] = "en_US"
    return out


@route("GET", "/rest/api/{v}/myself", "getCurrentUser")
def myself(ctx: Ctx) -> dict[str, Any]:
    if ctx.user is None:
        raise JiraError(
            401, ["You are not authenticated. Authentication required to perform this operation."]
        )
    return _user_json(ctx, ctx.user)


def _gdpr_guard(ctx: Ctx) -> None:
    """Cloud dropped username/key lookups in GDPR strict mode."""
    if ctx.site.is_dc:
        return
    for name in ("username", "key"):
        if ctx.q(name):
            raise JiraError(
                400,
                [f"The query parameter '{name}' is not supported in GDPR strict mode."],
            )


@route("GET", "/rest/api/{v}/user", "getUser")
def get_user(ctx: Ctx) -> dict[str, Any]:
    _gdpr_guard(ctx)
    ref = ctx.q("accountId") or ctx.q("username") or ctx.q("key")
    if not ref:
        raise JiraError(400, ["Either the 'accountId' or 'username' parameter must be provided."])
    u = ctx.site.find_user(ref)
    if u is None or (ctx.site.is_dc and ref == u.email):
        raise JiraError(404, [f"The user with account ID '{ref}' does not exist."])
    return _user_json(ctx, u)


def _matches(u: User, query: str) -> bool:
    """Jira matches display name and (when visible) e-mail by prefix of any word."""
    q = query.lower().strip()
    if not q:
        return True
    words = [*u.display_name.lower().split(), u.display_name.lower(), u.name.lower()]
    if u.email and not u.email_hidden:
        words.append(u.email.lower())
    return any(w.startswith(q) for w in words) or q == u.account_id


def _search(ctx: Ctx) -> list[dict[str, Any]]:
    _gdpr_guard(ctx)
    query = ctx.q("query") or ctx.q("username") or ctx.q("accountId") or ""
    if not query and not ctx.site.is_dc and not ctx.q("accountId"):
        query = ""
    start, limit = ctx.qint("startAt", 0), min(ctx.qint("maxResults", 50), 1000)
    with ctx.site.lock:
        found = [u for u in ctx.site.users.values() if u.active and _matches(u, query)]
        return [_user_json(ctx, u) for u in found[start : start + limit]]


@route("GET", "/rest/api/{v}/user/search", "findUsers")
def user_search(ctx: Ctx) -> list[dict[str, Any]]:
    if not ctx.site.is_dc and ctx.q("query") is None and ctx.q("accountId") is None:
        raise JiraError(400, ["One of 'query' or 'accountId' parameters must be provided."])
    return _search(ctx)


@route("GET", "/rest/api/{v}/user/assignable/search", "findAssignableUsers")
def assignable_search(ctx: Ctx) -> list[dict[str, Any]]:
    site = ctx.site
    project, issue_key = ctx.q("project"), ctx.q("issueKey") or ctx.q("issueId")
    if not project and not issue_key:
        raise JiraError(400, ["A project, issue key or issue id is required."])
    if project and site.project(project) is None:
        raise JiraError(404, [f"No project could be found with key '{project}'."])
    if issue_key:
        site.issue(issue_key)
    return _search(ctx)


@route("GET", "/rest/api/3/user/email", "", deployments=("cloud",))
def user_email(ctx: Ctx) -> dict[str, Any]:
    """Connect apps with ACCESS_EMAIL_ADDRESSES may read hidden e-mails."""
    u = ctx.site.find_user(ctx.q("accountId"))
    if u is None:
        raise JiraError(404, ["User not found."])
    return {"accountId": u.account_id, "email": u.email or ""}
