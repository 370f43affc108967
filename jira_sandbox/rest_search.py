"""REST: JQL search (new cursor API and the old one), issue picker, properties, remote links."""

import base64
import json
from typing import Any

from . import render
from .errors import JiraError
from .jql import _split_order, search
from .model import Comment, Issue
from .router import Ctx, Reply, route
from .webhooks import WebhookEvent

API = "/rest/api/{v}"
REMOVED_SEARCH = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at "
    "https://developer.atlassian.com/changelog/#CHANGE-2046"
)
PROPERTY_MAX = 32768


# ------------------------------------------------------------------------ search/jql
def _search_args(ctx: Ctx) -> dict[str, Any]:
    if ctx.method == "POST":
        body = ctx.json()
        fields = body.get("fields")
        return {
            "jql": body.get("jql", ""),
            "token": body.get("nextPageToken"),
            "max": int(body.get("maxResults", 50)),
            "fields": fields if isinstance(fields, list) else None,
            "start": int(body.get("startAt", 0)),
        }
    fields_q = ",".join(ctx.query.getlist("fields"))
    return {
        "jql": ctx.q("jql", ""),
        "token": ctx.q("nextPageToken"),
        "max": ctx.qint("maxResults", 50),
        "fields": fields_q.split(",") if fields_q else None,
        "start": ctx.qint("startAt", 0),
    }


def _token(offset: int, jql: str) -> str:
    raw = json.dumps({"o": offset, "q": jql}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _offset(token: str | None, jql: str) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError as exc:
        raise JiraError(400, ["The provided next page token is invalid."]) from exc
    if data.get("q") != jql:
        raise JiraError(400, ["The provided next page token is invalid or expired."])
    return int(data["o"])


def _render_hit(ctx: Ctx, issue: Issue, fields: list[str] | None) -> dict[str, Any]:
    wanted = fields or ["id"]
    if wanted == ["id"]:
        return {"id": issue.id}
    return render.issue(ctx.site, issue, ctx.version, wanted)


@route("GET", API + "/search/jql", "searchAndReconsileIssuesUsingJql", deployments=("cloud",))
@route("POST", API + "/search/jql", "searchAndReconsileIssuesUsingJqlPost", deployments=("cloud",))
def search_jql(ctx: Ctx) -> dict[str, Any]:
    args = _search_args(ctx)
    jql = args["jql"] or ""
    if not _split_order(jql)[0].strip():
        raise JiraError(
            400,
            [
                "Unbounded JQL queries are not allowed here. Please add a search restriction "
                "to your query."
            ],
        )
    limit = max(1, min(args["max"], 5000 if args["fields"] in (None, ["id"]) else 100))
    if ctx.site.max_page_size is not None:
        limit = min(limit, ctx.site.max_page_size)
    with ctx.site.lock:
        found = search(ctx.site, jql, ctx.actor)
        start = _offset(args["token"], jql)
        page = found[start : start + limit]
        out: dict[str, Any] = {"issues": [_render_hit(ctx, i, args["fields"]) for i in page]}
        is_last = start + limit >= len(found)
        if not is_last:
            out["nextPageToken"] = _token(start + limit, jql)
        out["isLast"] = is_last
        return out


@route("GET", API + "/search", "searchForIssuesUsingJql")
@route("POST", API + "/search", "searchForIssuesUsingJqlPost")
def search_old(ctx: Ctx) -> Any:
    """Removed on Cloud (CHANGE-2046, 410 Gone); still the search API on Data Center."""
    if not ctx.site.is_dc:
        raise JiraError(410, [REMOVED_SEARCH])
    args = _search_args(ctx)
    with ctx.site.lock:
        found = search(ctx.site, args["jql"] or "", ctx.actor)
        start, limit = args["start"], args["max"]
        fields = args["fields"] or ["*navigable"]
        return {
            "expand": "schema,names",
            "startAt": start,
            "maxResults": limit,
            "total": len(found),
            "issues": [render.issue(ctx.site, i, 2, fields) for i in found[start : start + limit]],
        }


@route("POST", API + "/search/approximate-count", "countIssues", deployments=("cloud",))
def approximate_count(ctx: Ctx) -> dict[str, int]:
    with ctx.site.lock:
        return {"count": len(search(ctx.site, ctx.json().get("jql", ""), ctx.actor))}


# ---------------------------------------------------------------------- issue picker
@route("GET", API + "/issue/picker", "getIssuePickerResource")
def issue_picker(ctx: Ctx) -> dict[str, Any]:
    query = (ctx.q("query") or "").strip().lower()
    with ctx.site.lock:
        pool = search(ctx.site, ctx.q("currentJQL") or "", ctx.actor)
        if ctx.q("showSubTasks") == "false":
            pool = [i for i in pool if not ctx.site.issue_types[i.issuetype_id].subtask]
        hits = [
            i for i in pool if not query or query in i.key.lower() or query in i.summary.lower()
        ]
        hits = [i for i in hits if i.key != ctx.q("currentIssueKey")]
        issues = [_suggestion(ctx, i) for i in hits[:50]]
        section_id = "cs" if ctx.q("currentJQL") else "hs"
        label = "Current Search" if section_id == "cs" else "History Search"
        sub = f"Showing {len(issues)} of {len(hits)} matching issues"
        return {"sections": [{"label": label, "sub": sub, "id": section_id, "issues": issues}]}


def _suggestion(ctx: Ctx, i: Issue) -> dict[str, Any]:
    icon = render.issuetype(ctx.site, i.issuetype_id)["iconUrl"].replace(ctx.site.base_url, "")
    return {
        "id": int(i.id),
        "key": i.key,
        "keyHtml": i.key,
        "img": icon,
        "summary": i.summary,
        "summaryText": i.summary,
    }


# ----------------------------------------------------------------- issue properties
PROPS = API + "/issue/{key}/properties"


@route("GET", PROPS, "getIssuePropertyKeys")
def property_keys(ctx: Ctx) -> dict[str, Any]:
    with ctx.site.lock:
        issue = ctx.site.issue(ctx.params["key"])
        base = f"{ctx.site.base_url}/rest/api/{ctx.version}/issue/{issue.id}/properties"
        return {"keys": [{"self": f"{base}/{k}", "key": k} for k in issue.properties]}


@route("GET", PROPS + "/{prop}", "getIssueProperty")
def property_get(ctx: Ctx) -> dict[str, Any]:
    with ctx.site.lock:
        issue = ctx.site.issue(ctx.params["key"])
        prop = ctx.params["prop"]
        if prop not in issue.properties:
            raise JiraError(404, [f"The property with key '{prop}' does not exist."])
        return {"key": prop, "value": issue.properties[prop]}


def _property_value(ctx: Ctx) -> Any:
    if ctx.body is None:
        raise JiraError(400, ["The property value must not be empty."])
    if len(json.dumps(ctx.body)) > PROPERTY_MAX:
        raise JiraError(400, ["The property value is too long (max 32768 characters)."])
    return ctx.body


@route("PUT", PROPS + "/{prop}", "setIssueProperty")
def property_set(ctx: Ctx) -> Reply:
    value = _property_value(ctx)
    site = ctx.site
    with site.lock:
        issue = site.issue(ctx.params["key"])
        prop = ctx.params["prop"]
        created = prop not in issue.properties
        issue.properties[prop] = value
        ctx.events.append(_property_event(ctx, issue, "issue_property_set", prop, value))
    return Reply(201 if created else 200)


@route("DELETE", PROPS + "/{prop}", "deleteIssueProperty")
def property_delete(ctx: Ctx) -> Reply:
    site = ctx.site
    with site.lock:
        issue = site.issue(ctx.params["key"])
        prop = ctx.params["prop"]
        if prop not in issue.properties:
            raise JiraError(404, [f"The property with key '{prop}' does not exist."])
        del issue.properties[prop]
        ctx.events.append(_property_event(ctx, issue, "issue_property_deleted", prop, None))
    return Reply(204)


def _property_event(ctx: Ctx, issue: Issue, name: str, key: str, value: Any) -> WebhookEvent:
    """Dynamic-webhook property events (body shape not captured; kept minimal)."""
    from .actions import site_match

    site = ctx.site
    body: dict[str, Any] = {
        "timestamp": site.sandbox.clock.now_ms(),
        "webhookEvent": name,
        "property": {"key": key, "value": value} if value is not None else {"key": key},
        "issue": {
            "id": issue.id,
            "self": f"{site.base_url}/rest/api/2/issue/{issue.id}",
            "key": issue.key,
        },
    }
    return WebhookEvent(name, body, site_match(site, issue))


# --------------------------------------------------------------- comment properties
CPROPS = API + "/comment/{cid}/properties"


def _comment(ctx: Ctx) -> Comment:
    for issue in ctx.site.issues_by_id.values():
        for c in issue.comments:
            if c.id == ctx.params["cid"]:
                return c
    raise JiraError(404, [f"Can not find a comment for the id: {ctx.params['cid']}."])


@route("GET", CPROPS, "getCommentPropertyKeys")
def comment_property_keys(ctx: Ctx) -> dict[str, Any]:
    with ctx.site.lock:
        c = _comment(ctx)
        base = f"{ctx.site.base_url}/rest/api/{ctx.version}/comment/{c.id}/properties"
        return {"keys": [{"self": f"{base}/{k}", "key": k} for k in c.properties]}


@route("GET", CPROPS + "/{prop}", "getCommentProperty")
def comment_property_get(ctx: Ctx) -> dict[str, Any]:
    with ctx.site.lock:
        c = _comment(ctx)
        prop = ctx.params["prop"]
        if prop not in c.properties:
            raise JiraError(404, [f"The property with key '{prop}' does not exist."])
        return {"key": prop, "value": c.properties[prop]}


@route("PUT", CPROPS + "/{prop}", "setCommentProperty")
def comment_property_set(ctx: Ctx) -> Reply:
    value = _property_value(ctx)
    with ctx.site.lock:
        c = _comment(ctx)
        created = ctx.params["prop"] not in c.properties
        c.properties[ctx.params["prop"]] = value
    return Reply(201 if created else 200)


@route("DELETE", CPROPS + "/{prop}", "deleteCommentProperty")
def comment_property_delete(ctx: Ctx) -> Reply:
    with ctx.site.lock:
        c = _comment(ctx)
        if c.properties.pop(ctx.params["prop"], None) is None:
            raise JiraError(404, [f"The property with key '{ctx.params['prop']}' does not exist."])
    return Reply(204)


# ---------------------------------------------------------------------- remote links
LINKS = API + "/issue/{key}/remotelink"


def _link_json(ctx: Ctx, issue: Issue, link: dict[str, Any]) -> dict[str, Any]:
    base = f"{ctx.site.base_url}/rest/api/{ctx.version}/issue/{issue.key}/remotelink"
    out = {"id": link["id"], "self": f"{base}/{link['id']}"}
    for k in ("globalId", "application", "relationship", "object"):
        if link.get(k) is not None:
            out[k] = link[k]
    return out


@route("GET", LINKS, "getRemoteIssueLinks")
def links_list(ctx: Ctx) -> Any:
    """All links as an array; with ?globalId= the single matching link object."""
    with ctx.site.lock:
        issue = ctx.site.issue(ctx.params["key"])
        global_id = ctx.q("globalId")
        if global_id is None:
            return [_link_json(ctx, issue, lk) for lk in issue.remote_links]
        for lk in issue.remote_links:
            if lk.get("globalId") == global_id:
                return _link_json(ctx, issue, lk)
        raise JiraError(404, [f"No remote link with globalId '{global_id}'."])


@route("POST", LINKS, "createOrUpdateRemoteIssueLink")
def links_upsert(ctx: Ctx) -> Reply:
    body = ctx.json()
    obj = body.get("object")
    if not isinstance(obj, dict) or not obj.get("url") or not obj.get("title"):
        raise JiraError(400, [], {"object": "A remote link needs object.url and object.title."})
    with ctx.site.lock:
        issue = ctx.site.issue(ctx.params["key"])
        existing = next(
            (
                lk
                for lk in issue.remote_links
                if body.get("globalId") and lk.get("globalId") == body.get("globalId")
            ),
            None,
        )
        link = existing or {"id": int(ctx.site.next_id("comment"))}
        link.update({k: body.get(k) for k in ("globalId", "application", "relationship")})
        link["object"] = obj
        if existing is None:
            issue.remote_links.append(link)
        base = f"{ctx.site.base_url}/rest/api/{ctx.version}/issue/{issue.key}/remotelink"
        out = {"id": link["id"], "self": f"{base}/{link['id']}"}
        return Reply(200 if existing else 201, out)


@route("GET", LINKS + "/{link}", "getRemoteIssueLinkById")
def link_get(ctx: Ctx) -> dict[str, Any]:
    with ctx.site.lock:
        issue = ctx.site.issue(ctx.params["key"])
        return _link_json(ctx, issue, _find_link(issue, ctx.params["link"]))


def _find_link(issue: Issue, link_id: str) -> dict[str, Any]:
    for lk in issue.remote_links:
        if str(lk["id"]) == link_id:
            return lk
    raise JiraError(404, [f"No remote link with id '{link_id}'."])


@route("DELETE", LINKS + "/{link}", "deleteRemoteIssueLinkById")
def link_delete(ctx: Ctx) -> Reply:
    with ctx.site.lock:
        issue = ctx.site.issue(ctx.params["key"])
        issue.remote_links.remove(_find_link(issue, ctx.params["link"]))
    return Reply(204)


@route("DELETE", LINKS, "deleteRemoteIssueLinkByGlobalId")
def link_delete_global(ctx: Ctx) -> Reply:
    global_id = ctx.q("globalId")
    if not global_id:
        raise JiraError(400, ["The globalId parameter is required."])
    with ctx.site.lock:
        issue = ctx.site.issue(ctx.params["key"])
        before = len(issue.remote_links)
        issue.remote_links = [lk for lk in issue.remote_links if lk.get("globalId") != global_id]
        if len(issue.remote_links) == before:
            raise JiraError(404, [f"No remote link with globalId '{global_id}'."])
    return Reply(204)
