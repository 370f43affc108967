"""HTTP control API under /_control: drive the sandbox as a person, read its state."""

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .errors import JiraError
from .site import Site
from .webhooks import Delivery

if TYPE_CHECKING:
    from .server import Sandbox

Fn = Callable[["Sandbox", dict[str, str], dict[str, Any]], Any]
_ROUTES: list[tuple[str, re.Pattern[str], Fn]] = []


def ctl(method: str, template: str) -> Callable[[Fn], Fn]:
    pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "/?$")

    def deco(fn: Fn) -> Fn:
        _ROUTES.append((method, pattern, fn))
        return fn

    return deco


async def handle_control(sb: "Sandbox", request: Request, path: str) -> Response:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        return JSONResponse({"error": "invalid JSON"}, 400)
    body = {**dict(request.query_params), **(body if isinstance(body, dict) else {"value": body})}
    for method, pattern, fn in _ROUTES:
        m = pattern.match(path or "/")
        if m and method == request.method:
            return await run_in_threadpool(_run, fn, sb, m.groupdict(), body)
    return JSONResponse({"error": f"no control endpoint {request.method} {path}"}, 404)


def _run(fn: Fn, sb: "Sandbox", params: dict[str, str], body: dict[str, Any]) -> Response:
    try:
        result = fn(sb, params, body)
    except JiraError as err:
        return JSONResponse(err.body(), err.status)
    except (KeyError, ValueError, TypeError) as exc:
        return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, 400)
    if isinstance(result, Response):
        return result
    return JSONResponse(result, 200)


def _site(sb: "Sandbox", params: dict[str, str]) -> Site:
    try:
        return sb.sites[params["site"]]
    except KeyError as exc:
        raise JiraError(404, [f"No site '{params.get('site')}'."]) from exc


def _acted(site: Site, deliveries: list[Delivery], key: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"deliveries": [d.as_dict() for d in deliveries]}
    if key:
        out["issue"] = site.get_issue(key) if key in site.issues else None
        out["key"] = key
    return out


def site_info(site: Site) -> dict[str, Any]:
    return {
        "name": site.name,
        "deployment": site.deployment,
        "version": site.version,
        "base_url": site.base_url,
        "admin": site.admin,
        "admin_email": "admin@example.com",
        "admin_token": "admin-token",
        "projects": [{"id": p.id, "key": p.key, "name": p.name} for p in site.projects.values()],
        "rest_emits_webhooks": site.rest_emits_webhooks,
    }


# ----------------------------------------------------------------------------- sites
@ctl("GET", "/health")
def health(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    return {"ok": True, "url": sb.url, "sites": sorted(sb.sites)}


@ctl("GET", "/sites")
def list_sites(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    return [site_info(s) for s in sb.sites.values()]


@ctl("POST", "/sites")
def create_site(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    site = sb.add_site(b["name"], b.get("deployment", "cloud"), b.get("version"))
    return site_info(site)


@ctl("GET", "/sites/{site}")
def get_site(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    return site_info(_site(sb, p))


@ctl("POST", "/sites/{site}/settings")
def settings(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    site = _site(sb, p)
    allowed = {
        "rest_emits_webhooks",
        "comment_emits_issue_updated",
        "webhook_retries",
        "webhook_backoff",
        "webhook_timeout",
    }
    for key, value in b.items():
        if key not in allowed:
            raise ValueError(f"unknown setting {key!r}")
        setattr(site, key, value)
    return {k: getattr(site, k) for k in sorted(allowed)}


# ----------------------------------------------------------------------------- users
@ctl("GET", "/sites/{site}/users")
def list_users(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    site = _site(sb, p)
    with site.lock:
        return [
            site.user_info(u) | {"email": u.email, "email_hidden": u.email_hidden}
            for u in site.users.values()
        ]


@ctl("POST", "/sites/{site}/users")
def add_user(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    site = _site(sb, p)
    user = site.add_user(
        b["display_name"],
        b.get("email"),
        bool(b.get("email_hidden")),
        b.get("name"),
        account_id=b.get("account_id"),
    )
    if b.get("token") and b.get("email"):
        site.add_api_token(b["email"], b["token"])
    return user


@ctl("PUT", "/sites/{site}/users/{ref}")
def update_user(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    site = _site(sb, p)
    if "email_hidden" in b:
        site.set_email_hidden(p["ref"], bool(b["email_hidden"]))
    with site.lock:
        u = site.resolve_user(p["ref"])
        if "display_name" in b:
            u.display_name = str(b["display_name"])
        if "active" in b:
            u.active = bool(b["active"])
        return site.user_info(u)


@ctl("POST", "/sites/{site}/tokens")
def add_token(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    site = _site(sb, p)
    if "bearer" in b:
        site.add_bearer_token(b["bearer"], b["user"], b.get("kind", "oauth"), b.get("expires_ms"))
    else:
        site.add_api_token(b["email"], b["token"])
    return {"ok": True}


# -------------------------------------------------------------------------- webhooks
def _hook_json(h: Any) -> dict[str, Any]:
    keys = ("id", "url", "events", "kind", "jql", "expires_ms", "owner", "enabled")
    return {k: getattr(h, k) for k in keys} | {"has_secret": bool(h.secret)}


@ctl("GET", "/sites/{site}/webhooks")
def list_hooks(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    return [_hook_json(h) for h in _site(sb, p).webhooks]


@ctl("POST", "/sites/{site}/webhooks")
def add_hook(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    site = _site(sb, p)
    hook = site.add_admin_webhook(b["url"], b.get("secret"), b.get("events"), b.get("jql", ""))
    return _hook_json(hook)


@ctl("DELETE", "/sites/{site}/webhooks/{hook}")
def delete_hook(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    return {"deleted": _site(sb, p).remove_webhook(int(p["hook"]))}


@ctl("GET", "/sites/{site}/deliveries")
def deliveries(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    site = _site(sb, p)
    sb.wait_for_webhooks(float(b.get("wait", 5)))
    with site.lock:
        return [d.as_dict() for d in site.deliveries]


@ctl("DELETE", "/sites/{site}/deliveries")
def clear_deliveries(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    site = _site(sb, p)
    with site.lock:
        site.deliveries.clear()
    return {"ok": True}


# ---------------------------------------------------------------------------- issues
@ctl("GET", "/sites/{site}/issues")
def list_issues(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    return _site(sb, p).issues


@ctl("GET", "/sites/{site}/issues/{key}")
def get_issue(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    return _site(sb, p).get_issue(p["key"])


@ctl("POST", "/sites/{site}/issues")
def create_issue(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    site = _site(sb, p)
    results = site.act_create(
        b["summary"],
        b.get("project", "BB"),
        b.get("issuetype", "Bug"),
        b.get("description"),
        b.get("actor"),
        b.get("assignee"),
        b.get("labels"),
    )
    return _acted(site, results, site.last_key)


@ctl("PUT", "/sites/{site}/issues/{key}")
def edit_issue(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    site = _site(sb, p)
    actor = b.pop("actor", None)
    return _acted(site, site.act_edit(p["key"], actor, **b), p["key"])


@ctl("DELETE", "/sites/{site}/issues/{key}")
def delete_issue(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    site = _site(sb, p)
    return _acted(site, site.act_delete_issue(p["key"], b.get("actor")))


@ctl("POST", "/sites/{site}/issues/{key}/assign")
def assign(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    site = _site(sb, p)
    who = b.get("accountId", b.get("assignee"))
    return _acted(site, site.act_assign(p["key"], who, b.get("actor")), p["key"])


@ctl("POST", "/sites/{site}/issues/{key}/transition")
def transition(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    site = _site(sb, p)
    return _acted(site, site.act_transition(p["key"], b["status"], b.get("actor")), p["key"])


@ctl("POST", "/sites/{site}/issues/{key}/comments")
def comment(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    site = _site(sb, p)
    out = _acted(site, site.act_comment(p["key"], b["body"], b.get("actor")), p["key"])
    out["comment_id"] = site.issue(p["key"]).comments[-1].id
    return out


@ctl("PUT", "/sites/{site}/issues/{key}/comments/{cid}")
def edit_comment(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    site = _site(sb, p)
    results = site.act_edit_comment(p["key"], p["cid"], b["body"], b.get("actor"))
    return _acted(site, results, p["key"])


@ctl("DELETE", "/sites/{site}/issues/{key}/comments/{cid}")
def delete_comment(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    site = _site(sb, p)
    return _acted(site, site.act_delete_comment(p["key"], p["cid"], b.get("actor")), p["key"])


# ---------------------------------------------------------------------------- faults
@ctl("GET", "/sites/{site}/faults")
def list_faults(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    return [f.as_dict() for f in _site(sb, p).faults.faults]


@ctl("POST", "/sites/{site}/faults")
def add_fault(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    return _site(sb, p).set_fault(**b).as_dict()


@ctl("DELETE", "/sites/{site}/faults")
def clear_faults(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    _site(sb, p).clear_faults()
    return {"ok": True}


@ctl("POST", "/sites/{site}/delivery-fault")
def delivery_fault(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    _site(sb, p).set_delivery_fault(b["kind"], b.get("count"), float(b.get("seconds", 0)))
    return {"ok": True}


@ctl("POST", "/sites/{site}/delivery-fault/flush")
def flush_held(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    return {"deliveries": [d.as_dict() for d in _site(sb, p).flush_held_deliveries()]}


# --------------------------------------------------------------------- connect/oauth
@ctl("POST", "/sites/{site}/connect/install")
def connect_install(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    site = _site(sb, p)
    resp = site.connect_install(b["descriptor_url"], b.get("variant", "ok"))
    return {
        "status": resp.status_code,
        "installed": bool(site.connect and site.connect.installed),
        "client_key": site.connect.client_key if site.connect else None,
    }


@ctl("POST", "/sites/{site}/connect/uninstall")
def connect_uninstall(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    resp = _site(sb, p).connect_uninstall(b.get("variant", "ok"))
    return {"status": resp.status_code}


@ctl("POST", "/oauth/apps")
def oauth_app(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    sb.add_oauth_app(b["client_id"], b["client_secret"])
    return {"ok": True}


@ctl("POST", "/oauth/consent")
def oauth_consent(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    """Who consents on GET /authorize: {"site": name, "user": ref-or-null}."""
    _site(sb, {"site": b["site"]})
    sb.oauth_consent = (b["site"], b.get("user"))
    return {"ok": True}


# ------------------------------------------------------------------- configuration
@ctl("POST", "/sites/{site}/projects")
def add_project(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    return _site(sb, p).add_project(b["key"], b["name"], b.get("required"))


@ctl("POST", "/sites/{site}/required-fields")
def required_fields(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    _site(sb, p).set_required_fields(b["project"], b["issuetype"], b["fields"])
    return {"ok": True}


@ctl("POST", "/sites/{site}/transition-fields")
def transition_fields(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    _site(sb, p).require_transition_fields(b["transition"], b["fields"])
    return {"ok": True}


@ctl("POST", "/sites/{site}/permissions")
def permissions(sb: "Sandbox", p: dict[str, str], b: dict[str, Any]) -> Any:
    """{"user": ref, "permission": "ASSIGN_ISSUES", "granted": false}"""
    site = _site(sb, p)
    if b.get("granted", False):
        site.grant_permission(b["user"], b["permission"])
    else:
        site.revoke_permission(b["user"], b["permission"])
    return {"ok": True}
