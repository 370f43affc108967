"""REST: issues (create, get, edit, delete, assignee, transitions, comments)."""

from typing import Any

from . import actions, render
from .errors import JiraError
from .fieldvalues import (
    TEXT_MAX,
    TOO_LONG,
    FieldErrors,
    check_summary,
    custom_value,
    parse_issuetype,
    parse_labels,
    parse_priority,
    parse_project,
    rich_text,
    user_ref,
)
from .model import Comment, Issue, Project
from .router import Ctx, Reply, route

ISSUE = "/rest/api/{v}/issue/{key}"


# ---------------------------------------------------------------------------- create
@route("POST", "/rest/api/{v}/issue", "createIssue")
def create_issue(ctx: Ctx) -> Reply:
    site = ctx.site
    fields = ctx.json().get("fields")
    if not isinstance(fields, dict):
        raise JiraError(400, ["Issue must have fields."])
    with site.lock:
        spec = _create_spec(ctx, fields)
        issue, events = actions.new_issue(site, spec, site.resolve_user(ctx.actor))
        issue.properties.update(_body_properties(ctx))
        ctx.events.extend(events)
        body = {"id": issue.id, "key": issue.key, "self": _self(ctx, issue)}
    return Reply(201, body)


def _self(ctx: Ctx, issue: Issue) -> str:
    return f"{ctx.site.base_url}/rest/api/{ctx.version}/issue/{issue.id}"


def _create_spec(ctx: Ctx, fields: dict[str, Any]) -> dict[str, Any]:
    site, errors = ctx.site, FieldErrors()
    project = parse_project(site, fields.get("project"))
    if project is None:
        errors["project"] = "Specify a valid project ID or key"
    type_id = parse_issuetype(site, project, fields.get("issuetype"))
    if type_id is None:
        errors["issuetype"] = (
            "Specify an issue type"
            if "issuetype" not in fields
            else ("The issue type selected is invalid.")
        )
    errors.raise_if_any()
    assert project is not None and type_id is not None
    spec: dict[str, Any] = {"project_id": project.id, "issuetype_id": type_id, "custom": {}}
    _check_required(ctx, project, type_id, fields, errors)
    for fid, value in fields.items():
        _apply_field(ctx, spec, fid, value, errors)
    _check_parent(ctx, spec, errors)
    errors.raise_if_any()
    return spec


def _check_required(
    ctx: Ctx, project: Project, type_id: str, fields: dict[str, Any], errors: FieldErrors
) -> None:
    for fid in project.required.get(type_id, []):
        if fields.get(fid) in (None, "", []):
            name = ctx.site.custom_fields[fid].name if fid in ctx.site.custom_fields else fid
            errors[fid] = f"{name} is required."
    if "summary" not in fields:
        errors["summary"] = "You must specify a summary of the issue."


def _apply_field(ctx: Ctx, spec: dict[str, Any], fid: str, value: Any, errors: FieldErrors) -> None:
    site = ctx.site
    if fid in {"project", "issuetype"}:
        return
    if fid == "summary":
        check_summary(value, errors)
        spec["summary"] = value
    elif fid == "description":
        spec["description"], spec["description_adf"] = rich_text(value, ctx.version, fid, errors)
    elif fid in {"assignee", "reporter"}:
        spec[fid] = user_ref(site, value, fid, errors)
    elif fid == "priority":
        spec["priority_id"] = parse_priority(value, errors)
    elif fid == "labels":
        spec["labels"] = parse_labels(value, fid, errors)
    elif fid == "parent":
        spec["parent_id"] = _parent_id(ctx, value, errors)
    elif fid in site.custom_fields:
        spec["custom"][fid] = custom_value(
            site, site.custom_fields[fid], value, ctx.version, errors
        )
    else:
        errors[fid] = (
            f"Field '{fid}' cannot be set. It is not on the appropriate screen, or unknown."
        )


def _parent_id(ctx: Ctx, value: Any, errors: FieldErrors) -> str | None:
    ref = value.get("key") or value.get("id") if isinstance(value, dict) else None
    try:
        return ctx.site.issue(str(ref)).id
    except JiraError:
        errors["parent"] = f"Could not find issue by id or key '{ref}'."
        return None


WRONG_HIERARCHY = "Given parent work item does not belong to appropriate hierarchy."


def _level(ctx: Ctx, type_id: str) -> int:
    """Jira's hierarchy: epic 1, standard issue 0, sub-task -1."""
    itype = ctx.site.issue_types[type_id]
    return -1 if itype.subtask else (1 if itype.name == "Epic" else 0)


def _check_parent(ctx: Ctx, spec: dict[str, Any], errors: FieldErrors) -> None:
    if "parent" in errors:
        return
    level = _level(ctx, spec["issuetype_id"])
    parent_id = spec.get("parent_id")
    if parent_id is None:
        if level == -1:
            errors["parent"] = WRONG_HIERARCHY
        return
    parent = ctx.site.issues_by_id[parent_id]
    if _level(ctx, parent.issuetype_id) != level + 1:
        errors["parent"] = WRONG_HIERARCHY


# ------------------------------------------------------------------------------- read
@route("GET", ISSUE, "getIssue")
def get_issue(ctx: Ctx) -> Any:
    with ctx.site.lock:
        issue = ctx.site.issue(ctx.params["key"])
        fields = ctx.q("fields")
        wanted = fields.split(",") if fields else None
        body = render.issue(ctx.site, issue, ctx.version, wanted)
        if "changelog" in (ctx.q("expand") or ""):
            body["changelog"] = _changelog(ctx, issue)
        if "names" in (ctx.q("expand") or ""):
            body["names"] = _names(ctx)
        wanted_props = ",".join(ctx.query.getlist("properties"))
        if wanted_props:
            keys = set(issue.properties) if "*all" in wanted_props else set(wanted_props.split(","))
            body["properties"] = {k: v for k, v in issue.properties.items() if k in keys}
        return body


def _changelog(ctx: Ctx, issue: Issue) -> dict[str, Any]:
    site = ctx.site
    histories = [
        {
            "id": h["id"],
            "author": render.user(site, site.find_user(h["author"]), ctx.version),
            "created": _jt(h["created"]),
            # tmp*AccountId exist only in webhook bodies, not in REST changelogs.
            "items": [{k: v for k, v in i.items() if not k.startswith("tmp")} for i in h["items"]],
        }
        for h in issue.changelog
    ]
    return {
        "startAt": 0,
        "maxResults": len(histories),
        "total": len(histories),
        "histories": histories,
    }


def _jt(ms: int) -> str:
    from .util import jira_time

    return jira_time(ms)


def _names(ctx: Ctx) -> dict[str, str]:
    site = ctx.site
    fields = list(site.system_fields.values()) + list(site.custom_fields.values())
    return {f.id: f.name for f in fields}


# ------------------------------------------------------------------------------- edit
@route("PUT", ISSUE, "editIssue")
def edit_issue(ctx: Ctx) -> Reply:
    site = ctx.site
    body = ctx.json()
    with site.lock:
        issue = site.issue(ctx.params["key"])
        changes, assignee = _edit_changes(ctx, issue, body)
        actor = site.resolve_user(ctx.actor)
        ctx.events.extend(actions.apply_edit(site, issue, changes, actor))
        if assignee is not None:
            new = assignee or None
            ctx.events.extend(actions.assign(site, issue.key, new, ctx.actor))
        ctx.events[:] = _merge_updates(ctx.events)
        if ctx.q("returnIssue") == "true":
            return Reply(200, render.issue(site, issue, ctx.version))
    return Reply(204)


def _merge_updates(events: list[Any]) -> list[Any]:
    """One edit is one jira:issue_updated, with every changed field in its changelog."""
    if len(events) < 2:
        return events
    merged = events[-1]
    items = [i for ev in events for i in ev.body["changelog"]["items"]]
    merged.body["changelog"]["items"] = items
    merged.body["issue_event_type_name"] = "issue_updated"
    return [merged]


def _edit_changes(ctx: Ctx, issue: Issue, body: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    errors = FieldErrors()
    changes: dict[str, Any] = {}
    assignee: Any = None
    fields = body.get("fields") or {}
    for fid, value in fields.items():
        if fid == "assignee":
            assignee = user_ref(ctx.site, value, fid, errors) or ""
            continue
        _edit_field(ctx, changes, fid, value, errors)
    _apply_update_ops(issue, body.get("update") or {}, changes, errors)
    errors.raise_if_any()
    return changes, assignee


def _edit_field(
    ctx: Ctx, changes: dict[str, Any], fid: str, value: Any, errors: FieldErrors
) -> None:
    spec: dict[str, Any] = {"custom": {}}
    if fid in {"project", "issuetype", "parent", "reporter"}:
        errors[fid] = (
            f"Field '{fid}' cannot be set. It is not on the appropriate screen, or unknown."
        )
        return
    _apply_field(ctx, spec, fid, value, errors)
    if "summary" in spec:
        changes["summary"] = spec["summary"]
    if "description" in spec:
        changes["description"] = spec["description"]
        changes["description_adf"] = spec["description_adf"]
    for key in ("labels", "priority_id"):
        if key in spec:
            changes[key] = spec[key]
    if spec["custom"]:
        changes.setdefault("custom", {}).update(spec["custom"])


def _apply_update_ops(
    issue: Issue, update: dict[str, Any], changes: dict[str, Any], errors: FieldErrors
) -> None:
    """Only `labels` add/remove/set operations are supported in `update`."""
    for fid, ops in update.items():
        if fid != "labels":
            errors[fid] = (
                f"Field '{fid}' cannot be set. It is not on the appropriate screen, or unknown."
            )
            continue
        labels = list(changes.get("labels", issue.labels))
        for op in ops:
            if "add" in op and op["add"] not in labels:
                labels.append(op["add"])
            if "remove" in op and op["remove"] in labels:
                labels.remove(op["remove"])
            if "set" in op:
                labels = list(op["set"])
        changes["labels"] = labels


@route("DELETE", ISSUE, "deleteIssue")
def delete_issue(ctx: Ctx) -> Reply:
    site = ctx.site
    with site.lock:
        issue = site.issue(ctx.params["key"])
        if site.subtasks_of(issue) and ctx.q("deleteSubtasks") != "true":
            raise JiraError(
                400, ["The issue has subtasks; use deleteSubtasks=true to delete them."]
            )
        ctx.events.extend(actions.delete_issue(site, issue.key, ctx.actor))
    return Reply(204)


# --------------------------------------------------------------------------- assignee
@route("PUT", ISSUE + "/assignee", "assignIssue")
def assign_issue(ctx: Ctx) -> Reply:
    site, body = ctx.site, ctx.json()
    with site.lock:
        issue = site.issue(ctx.params["key"])
        target = _assignee_from_body(ctx, body)
        if target == "-1":
            target = None  # project default assignee: unassigned in the sandbox
        ctx.events.extend(actions.assign(site, issue.key, target, ctx.actor))
    return Reply(204)


def _assignee_from_body(ctx: Ctx, body: dict[str, Any]) -> str | None:
    site = ctx.site
    if site.is_dc:
        ref = body.get("name", body.get("key", "missing"))
        if ref == "missing":
            raise JiraError(400, [], {"assignee": "'name' or 'key' is required"})
    else:
        if body.get("name") is not None or body.get("key") is not None:
            # GDPR strict mode: Cloud rejects username/userkey outright.
            raise JiraError(
                400,
                ["'accountId' must be the only user identifying property in GDPR strict mode."],
            )
        if "accountId" not in body:
            raise JiraError(400, [], {"accountId": "accountId is required"})
        ref = body["accountId"]
    if ref in (None, "-1"):
        return ref
    u = site.find_user(str(ref))
    if u is None:
        raise JiraError(400, [], {"assignee": f"User '{ref}' cannot be assigned issues."})
    return u.account_id


# -------------------------------------------------------------------------- transitions
def _transition_json(ctx: Ctx, t: Any, with_fields: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": t.id,
        "name": t.name,
        "to": render.status(ctx.site, t.to_status, ctx.version),
        "hasScreen": bool(t.required_fields),
        "isGlobal": True,
        "isInitial": False,
        "isAvailable": True,
        "isConditional": False,
        "looped": False,
    }
    if with_fields:
        out["fields"] = {f: _transition_field(ctx, f) for f in t.required_fields}
    return out


def _transition_field(ctx: Ctx, fid: str) -> dict[str, Any]:
    from .model import RESOLUTIONS

    out: dict[str, Any] = {
        "required": True,
        "name": fid.capitalize(),
        "key": fid,
        "operations": ["set"],
        "hasDefaultValue": False,
    }
    if fid == "resolution":
        out["schema"] = {"type": "resolution", "system": "resolution"}
        out["allowedValues"] = [dict(v) for v in RESOLUTIONS.values()]
    else:
        out["schema"] = {"type": "string", "system": fid}
    return out


@route("GET", ISSUE + "/transitions", "getTransitions")
def get_transitions(ctx: Ctx) -> dict[str, Any]:
    site = ctx.site
    with site.lock:
        issue = site.issue(ctx.params["key"])
        with_fields = "transitions.fields" in (ctx.q("expand") or "")
        only = ctx.q("transitionId")
        items = [
            _transition_json(ctx, t, with_fields)
            for t in site.transitions
            if t.to_status != issue.status_id and (only is None or t.id == only)
        ]
        return {"expand": "transitions", "transitions": items}


@route("POST", ISSUE + "/transitions", "doTransition")
def do_transition(ctx: Ctx) -> Reply:
    site, body = ctx.site, ctx.json()
    tid = str((body.get("transition") or {}).get("id", ""))
    with site.lock:
        issue = site.issue(ctx.params["key"])
        t = next((t for t in site.transitions if t.id == tid), None)
        if t is None or t.to_status == issue.status_id:
            raise JiraError(400, [f"Transition id '{tid}' is not valid for this issue."])
        fields = body.get("fields") or {}
        missing = {
            f: f"{f.capitalize()} is required." for f in t.required_fields if f not in fields
        }
        if missing:
            raise JiraError(400, [], missing)
        resolution = _resolution_id(fields.get("resolution"))
        actor = site.resolve_user(ctx.actor)
        ctx.events.extend(actions.set_status(site, issue, t.to_status, actor, resolution))
    return Reply(204)


def _resolution_id(value: Any) -> str | None:
    from .model import RESOLUTIONS

    if not isinstance(value, dict):
        return None
    for rid, r in RESOLUTIONS.items():
        if str(value.get("id")) == rid or value.get("name") == r["name"]:
            return rid
    raise JiraError(
        400, [], {"resolution": "Could not find valid 'id' or 'name' in resolution object."}
    )


# ----------------------------------------------------------------------------- comments
COMMENTS = ISSUE + "/comment"


@route("GET", COMMENTS, "getComments")
def list_comments(ctx: Ctx) -> dict[str, Any]:
    site = ctx.site
    with site.lock:
        issue = site.issue(ctx.params["key"])
        start, limit = ctx.qint("startAt", 0), ctx.qint("maxResults", 5000)
        ordered = list(issue.comments)
        if (ctx.q("orderBy") or "").startswith("-"):
            ordered.reverse()
        page = ordered[start : start + limit]
        return {
            "startAt": start,
            "maxResults": limit,
            "total": len(ordered),
            "comments": [
                _with_properties(ctx, c, render.comment(site, issue, c, ctx.version)) for c in page
            ],
        }


def _comment_body(ctx: Ctx) -> tuple[str, Any, Any]:
    body = ctx.json()
    errors = FieldErrors()
    if "body" not in body or body["body"] in ("", None):
        raise JiraError(400, [], {"comment": "Comment body can not be empty!"})
    text, adf = rich_text(body["body"], ctx.version, "comment", errors)
    if errors.get("comment") == TOO_LONG or (text and len(text) > TEXT_MAX):
        raise JiraError(413, ["The comment body is too large."])
    errors.raise_if_any()
    return text, adf, body.get("visibility")


@route("POST", COMMENTS, "addComment")
def add_comment(ctx: Ctx) -> Reply:
    site = ctx.site
    text, adf, visibility = _comment_body(ctx)
    with site.lock:
        issue = site.issue(ctx.params["key"])
        ctx.events.extend(actions.add_comment(site, issue.key, text, adf, ctx.actor, visibility))
        c = issue.comments[-1]
        c.properties.update(_body_properties(ctx))
        return Reply(201, render.comment(site, issue, c, ctx.version))


@route("GET", COMMENTS + "/{cid}", "getComment")
def get_comment(ctx: Ctx) -> Any:
    site = ctx.site
    with site.lock:
        issue = site.issue(ctx.params["key"])
        c = actions.find_comment(site, issue, ctx.params["cid"])
        return render.comment(site, issue, c, ctx.version)


@route("PUT", COMMENTS + "/{cid}", "updateComment")
def update_comment(ctx: Ctx) -> Any:
    site = ctx.site
    text, adf, _ = _comment_body(ctx)
    with site.lock:
        issue = site.issue(ctx.params["key"])
        cid = ctx.params["cid"]
        ctx.events.extend(actions.edit_comment(site, issue.key, cid, text, adf, ctx.actor))
        return render.comment(site, issue, actions.find_comment(site, issue, cid), ctx.version)


@route("DELETE", COMMENTS + "/{cid}", "deleteComment")
def delete_comment(ctx: Ctx) -> Reply:
    site = ctx.site
    with site.lock:
        issue = site.issue(ctx.params["key"])
        ctx.events.extend(actions.delete_comment(site, issue.key, ctx.params["cid"], ctx.actor))
    return Reply(204)


def _body_properties(ctx: Ctx) -> dict[str, Any]:
    """(added by jira-out) `properties: [{key, value}]` in a create-issue or add-comment body:
    Jira stores them with the entity in the same call."""
    raw = ctx.json().get("properties") or []
    if not isinstance(raw, list):
        raise JiraError(400, ["Properties must be a list of {key, value} objects."])
    out: dict[str, Any] = {}
    for prop in raw:
        if not isinstance(prop, dict) or not prop.get("key"):
            raise JiraError(400, ["Each property needs a key."])
        out[str(prop["key"])] = prop.get("value")
    return out


def _with_properties(ctx: Ctx, comment: Comment, rendered: dict[str, Any]) -> dict[str, Any]:
    """(added by jira-out) `expand=properties` on comment reads."""
    if "properties" in (ctx.q("expand") or ""):
        props = [{"key": k, "value": v} for k, v in comment.properties.items()]
        rendered = {**rendered, "properties": props}
    return rendered


@route("GET", ISSUE + "/changelog", "getChangeLogs")
def get_changelog(ctx: Ctx) -> dict[str, Any]:
    with ctx.site.lock:
        issue = ctx.site.issue(ctx.params["key"])
        histories = _changelog(ctx, issue)["histories"]
        start, limit = ctx.qint("startAt", 0), ctx.qint("maxResults", 100)
        page = histories[start : start + limit]
        base = f"{ctx.site.base_url}/rest/api/{ctx.version}/issue/{issue.key}/changelog"
        out: dict[str, Any] = {
            "self": f"{base}?startAt={start}&maxResults={limit}",
            "maxResults": limit,
            "startAt": start,
            "total": len(histories),
            "isLast": start + limit >= len(histories),
            "values": page,
        }
        if not out["isLast"]:
            out["nextPage"] = f"{base}?startAt={start + limit}&maxResults={limit}"
        return out
