"""REST: dynamic webhooks (OAuth 2.0 / Connect apps) and admin/DC webhook registration."""

import time
from typing import Any

from .errors import JiraError
from .jql import compile_jql
from .model import AdminWebhook
from .router import Ctx, Reply, route
from .util import jira_time

API = "/rest/api/{v}"
DYNAMIC_EVENTS = {
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
    "comment_deleted",
    "issue_property_set",
    "issue_property_deleted",
}
# Dynamic webhook JQL may only use these fields (and = != IN NOT IN).
DYNAMIC_JQL_FIELDS = {"issuekey", "project", "issuetype", "status", "assignee", "reporter"}
THIRTY_DAYS_MS = 30 * 24 * 3600 * 1000


def _app_owner(ctx: Ctx) -> tuple[str, str]:
    """(owner, kind) for the calling app; user credentials may not use dynamic webhooks."""
    if ctx.auth == "jwt" and ctx.client:
        return ctx.client, "connect"
    if ctx.auth == "bearer" and ctx.client:
        return ctx.client, "dynamic"
    raise JiraError(403, ["Only Connect and OAuth 2.0 apps can use this operation."])


def _jql_errors(ctx: Ctx, jql: Any) -> list[str]:
    if not isinstance(jql, str) or not jql.strip():
        return ["The jqlFilter is required."]
    import re

    for word in re.findall(r"([A-Za-z_.\[\]0-9]+)\s*(?:=|!=|\bin\b|\bnot\s+in\b)", jql, re.I):
        if word.lower() not in DYNAMIC_JQL_FIELDS and not word.lower().startswith(
            ("cf[", "issue.property")
        ):
            return [f"The clause {word} is unsupported"]
    try:
        compile_jql(ctx.site, jql)
    except JiraError as err:
        return err.messages
    return []


@route("POST", API + "/webhook", "registerDynamicWebhooks", deployments=("cloud",))
def register(ctx: Ctx) -> dict[str, Any]:
    owner, kind = _app_owner(ctx)
    body = ctx.json()
    url = body.get("url")
    if not isinstance(url, str) or not url:
        raise JiraError(400, [], {"url": "The URL must be provided."})
    if kind == "connect" and ctx.site.connect and not url.startswith(ctx.site.connect.base_url):
        raise JiraError(400, ["The webhook URL must be under the app's base URL."])
    results = [_register_one(ctx, owner, kind, url, w) for w in body.get("webhooks") or []]
    return {"webhookRegistrationResult": results}


def _register_one(ctx: Ctx, owner: str, kind: str, url: str, spec: Any) -> dict[str, Any]:
    events = spec.get("events") if isinstance(spec, dict) else None
    if not isinstance(events, list) or not events:
        return {"errors": ["At least one event is required."]}
    bad = [e for e in events if e not in DYNAMIC_EVENTS]
    if bad:
        return {"errors": [f"Unsupported event: {bad[0]}"]}
    errors = _jql_errors(ctx, spec.get("jqlFilter"))
    if errors:
        return {"errors": errors}
    expires = int(time.time() * 1000) + THIRTY_DAYS_MS
    hook = ctx.site.add_admin_webhook(
        url, None, events, spec["jqlFilter"], kind=kind, owner=owner, expires_ms=expires
    )
    return {"createdWebhookId": hook.id}


def _owned(ctx: Ctx, owner: str) -> list[AdminWebhook]:
    return [
        h
        for h in ctx.site.webhooks
        if h.owner == owner and h.kind in {"dynamic", "connect"} and h.expires_ms is not None
    ]


@route("GET", API + "/webhook", "getDynamicWebhooksForApp", deployments=("cloud",))
def list_dynamic(ctx: Ctx) -> dict[str, Any]:
    owner, _ = _app_owner(ctx)
    hooks = _owned(ctx, owner)
    start, limit = ctx.qint("startAt", 0), ctx.qint("maxResults", 100)
    page = hooks[start : start + limit]
    return {
        "maxResults": limit,
        "startAt": start,
        "total": len(hooks),
        "isLast": start + limit >= len(hooks),
        "values": [
            {
                "id": h.id,
                "jqlFilter": h.jql,
                "events": h.events,
                "expirationDate": h.expires_ms,
                "url": h.url,
            }
            for h in page
        ],
    }


def _ids(ctx: Ctx) -> list[int]:
    ids = ctx.json().get("webhookIds")
    if not isinstance(ids, list) or not ids:
        raise JiraError(400, [], {"webhookIds": "The list of webhook IDs must not be empty."})
    return [int(i) for i in ids]


@route("DELETE", API + "/webhook", "deleteWebhookById", deployments=("cloud",))
def delete_dynamic(ctx: Ctx) -> Reply:
    owner, _ = _app_owner(ctx)
    ids = set(_ids(ctx))
    with ctx.site.lock:
        for h in _owned(ctx, owner):
            if h.id in ids:
                ctx.site.remove_webhook(h.id)
    return Reply(202)


@route("PUT", API + "/webhook/refresh", "refreshWebhooks", deployments=("cloud",))
def refresh(ctx: Ctx) -> dict[str, Any]:
    owner, _ = _app_owner(ctx)
    ids = set(_ids(ctx))
    expires = int(time.time() * 1000) + THIRTY_DAYS_MS
    with ctx.site.lock:
        for h in _owned(ctx, owner):
            if h.id in ids:
                h.expires_ms = expires
    return {"expirationDate": expires}


# ------------------------------------------------------- admin / Data Center webhooks
def _require_admin(ctx: Ctx) -> None:
    if ctx.user is None or ctx.user.account_id != ctx.site.admin["accountId"]:
        raise JiraError(403, ["You must be a Jira administrator to manage webhooks."])


def _major(ctx: Ctx) -> int:
    try:
        return int(ctx.site.version.split(".")[0])
    except ValueError:
        return 0


def _legacy_allowed(ctx: Ctx) -> None:
    """/rest/webhooks/1.0 is gone from Data Center 10 (replaced by /rest/jira-webhook/1.0)."""
    if ctx.site.is_dc and _major(ctx) >= 10:
        raise JiraError(404, ["Not Found"], headers={"X-Sandbox-Unknown-Path": "1"})


def _modern_allowed(ctx: Ctx) -> None:
    if not ctx.site.is_dc or _major(ctx) < 10:
        raise JiraError(404, ["Not Found"], headers={"X-Sandbox-Unknown-Path": "1"})


LEGACY = "/rest/webhooks/1.0/webhook"


def _legacy_json(ctx: Ctx, h: AdminWebhook) -> dict[str, Any]:
    return {
        "name": h.name,
        "url": h.url,
        "excludeBody": h.exclude_body,
        "filters": {"issue-related-events-section": h.jql},
        "events": h.events,
        "enabled": h.enabled,
        "self": f"{ctx.site.base_url}{LEGACY}/{h.id}",
        "lastUpdatedUser": ctx.site.user_ref(ctx.user),
        "lastUpdatedDisplayName": ctx.user.display_name if ctx.user else "",
        "lastUpdated": int(time.time() * 1000),
    }


def _hook(ctx: Ctx, hook_id: str) -> AdminWebhook:
    for h in ctx.site.webhooks:
        if str(h.id) == hook_id and h.kind in {"admin", "dc"}:
            return h
    raise JiraError(404, [f"Webhook {hook_id} not found."])


def _add_from_body(ctx: Ctx, jql: str, active: bool = True) -> AdminWebhook:
    body = ctx.json()
    if not body.get("url") or not body.get("events"):
        raise JiraError(400, [], {"url": "A webhook needs a url and events."})
    kind = "dc" if ctx.site.is_dc else "admin"
    hook = ctx.site.add_admin_webhook(body["url"], body.get("secret"), body["events"], jql, kind)
    hook.name = str(body.get("name") or hook.name)
    hook.enabled = active
    config = body.get("configuration") or {}
    hook.exclude_body = bool(body.get("excludeBody")) or config.get("EXCLUDE_BODY") == "true"
    return hook


@route("GET", LEGACY)
def legacy_list(ctx: Ctx) -> list[dict[str, Any]]:
    _legacy_allowed(ctx)
    _require_admin(ctx)
    return [_legacy_json(ctx, h) for h in ctx.site.webhooks if h.kind in {"admin", "dc"}]


@route("POST", LEGACY)
def legacy_create(ctx: Ctx) -> Reply:
    _legacy_allowed(ctx)
    _require_admin(ctx)
    filters = ctx.json().get("filters") or {}
    hook = _add_from_body(ctx, str(filters.get("issue-related-events-section") or ""))
    return Reply(201, _legacy_json(ctx, hook))


@route("GET", LEGACY + "/{hook}")
def legacy_get(ctx: Ctx) -> dict[str, Any]:
    _legacy_allowed(ctx)
    _require_admin(ctx)
    return _legacy_json(ctx, _hook(ctx, ctx.params["hook"]))


@route("DELETE", LEGACY + "/{hook}")
def legacy_delete(ctx: Ctx) -> Reply:
    _legacy_allowed(ctx)
    _require_admin(ctx)
    ctx.site.remove_webhook(_hook(ctx, ctx.params["hook"]).id)
    return Reply(204)


MODERN = "/rest/jira-webhook/1.0/webhooks"


def _modern_json(ctx: Ctx, h: AdminWebhook) -> dict[str, Any]:
    """Shape of the DC 10 webhook resource (from memory of the DC docs, unverified)."""
    now = jira_time(int(time.time() * 1000))
    return {
        "id": h.id,
        "name": h.name,
        "url": h.url,
        "events": h.events,
        "configuration": {"FILTERS": h.jql, "EXCLUDE_BODY": str(h.exclude_body).lower()},
        "active": h.enabled,
        "createdDate": now,
        "updatedDate": now,
    }


@route("GET", MODERN, deployments=("dc",))
def modern_list(ctx: Ctx) -> list[dict[str, Any]]:
    _modern_allowed(ctx)
    _require_admin(ctx)
    return [_modern_json(ctx, h) for h in ctx.site.webhooks if h.kind == "dc"]


@route("POST", MODERN, deployments=("dc",))
def modern_create(ctx: Ctx) -> Reply:
    _modern_allowed(ctx)
    _require_admin(ctx)
    config = ctx.json().get("configuration") or {}
    hook = _add_from_body(
        ctx, str(config.get("FILTERS") or ""), bool(ctx.json().get("active", True))
    )
    return Reply(201, _modern_json(ctx, hook))


@route("GET", MODERN + "/{hook}", deployments=("dc",))
def modern_get(ctx: Ctx) -> dict[str, Any]:
    _modern_allowed(ctx)
    _require_admin(ctx)
    return _modern_json(ctx, _hook(ctx, ctx.params["hook"]))


@route("DELETE", MODERN + "/{hook}", deployments=("dc",))
def modern_delete(ctx: Ctx) -> Reply:
    _modern_allowed(ctx)
    _require_admin(ctx)
    ctx.site.remove_webhook(_hook(ctx, ctx.params["hook"]).id)
    return Reply(204)
