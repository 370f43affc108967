"""REST: projects, issue types, statuses, fields and the split create-metadata endpoints."""

from typing import Any

from . import render
from .errors import JiraError
from .model import RESOLUTIONS, STATUS_CATEGORIES, FieldDef, Project
from .router import Ctx, route
from .seed import BASE_REQUIRED

API = "/rest/api/{v}"


def _page(ctx: Ctx, items: list[Any], default_max: int = 50) -> tuple[int, int, list[Any]]:
    start, limit = ctx.qint("startAt", 0), ctx.qint("maxResults", default_max)
    if start < 0 or limit < 0:
        raise JiraError(400, ["startAt and maxResults must not be negative."])
    if ctx.site.max_page_size is not None:
        limit = min(limit, ctx.site.max_page_size)
    return start, limit, items[start : start + limit]


def _project(ctx: Ctx, ref: str) -> Project:
    p = ctx.site.project(ref)
    if p is None:
        raise JiraError(404, [f"No project could be found with key '{ref}'."])
    return p


def project_json(ctx: Ctx, p: Project) -> dict[str, Any]:
    out = render.project(ctx.site, p.id, ctx.version)
    out["isPrivate"] = False
    return out


@route("GET", API + "/project/search", "searchProjects", deployments=("cloud",))
def project_search(ctx: Ctx) -> dict[str, Any]:
    query = (ctx.q("query") or "").lower()
    keys = set(ctx.query.getlist("keys"))
    with ctx.site.lock:
        found = [
            p
            for p in ctx.site.projects.values()
            if (not query or query in p.key.lower() or query in p.name.lower())
            and (not keys or p.key in keys or p.id in keys)
        ]
        start, limit, page = _page(ctx, found)
        out: dict[str, Any] = {
            "self": f"{ctx.site.base_url}/rest/api/{ctx.version}/project/search",
            "maxResults": limit,
            "startAt": start,
            "total": len(found),
            "isLast": start + limit >= len(found),
            "values": [project_json(ctx, p) for p in page],
        }
        if not out["isLast"]:
            nxt = f"startAt={start + limit}&maxResults={limit}"
            out["nextPage"] = f"{out['self']}?{nxt}"
        return out


@route("GET", API + "/project", "getAllProjects")
def project_list(ctx: Ctx) -> list[dict[str, Any]]:
    """Data Center's list; deprecated on Cloud but still answered there."""
    with ctx.site.lock:
        return [project_json(ctx, p) for p in ctx.site.projects.values()]


@route("GET", API + "/project/{project}", "getProject")
def project_get(ctx: Ctx) -> dict[str, Any]:
    with ctx.site.lock:
        p = _project(ctx, ctx.params["project"])
        out = project_json(ctx, p)
        out["issueTypes"] = [_issuetype(ctx, t) for t in p.issue_types]
        out["lead"] = render.user(ctx.site, ctx.site.users.get(p.lead), ctx.version)
        return out


@route("GET", API + "/project/{project}/statuses", "getAllStatuses")
def project_statuses(ctx: Ctx) -> list[dict[str, Any]]:
    with ctx.site.lock:
        p = _project(ctx, ctx.params["project"])
        statuses = [render.status(ctx.site, s, ctx.version) for s in ctx.site.statuses]
        return [
            {
                "self": f"{ctx.site.base_url}/rest/api/{ctx.version}/issuetype/{t}",
                "id": t,
                "name": ctx.site.issue_types[t].name,
                "subtask": ctx.site.issue_types[t].subtask,
                "statuses": statuses,
            }
            for t in p.issue_types
        ]


def _issuetype(ctx: Ctx, type_id: str) -> dict[str, Any]:
    out = render.issuetype(ctx.site, type_id, ctx.version)
    out["hierarchyLevel"] = -1 if out["subtask"] else (1 if out["name"] == "Epic" else 0)
    return out


@route("GET", API + "/issuetype", "getIssueAllTypes")
def issuetypes(ctx: Ctx) -> list[dict[str, Any]]:
    return [_issuetype(ctx, t) for t in ctx.site.issue_types]


@route("GET", API + "/status", "getStatuses")
def statuses(ctx: Ctx) -> list[dict[str, Any]]:
    return [render.status(ctx.site, s, ctx.version) for s in ctx.site.statuses]


@route("GET", API + "/statuscategory", "getStatusCategories")
def status_categories(ctx: Ctx) -> list[dict[str, Any]]:
    undefined = {"id": 1, "key": "undefined", "colorName": "medium-gray", "name": "No Category"}
    base = f"{ctx.site.base_url}/rest/api/{ctx.version}/statuscategory"
    cats = [undefined, *STATUS_CATEGORIES.values()]
    return [{"self": f"{base}/{c['id']}", **c} for c in cats]


@route("GET", API + "/priority", "getPriorities")
def priorities(ctx: Ctx) -> list[dict[str, Any]]:
    from .model import PRIORITIES

    return [
        render.priority(ctx.site, p, ctx.version) | {"statusColor": "#cccccc", "description": name}
        for p, name in PRIORITIES.items()
    ]


@route("GET", API + "/resolution", "getResolutions")
def resolutions(ctx: Ctx) -> list[dict[str, Any]]:
    return [render.resolution(ctx.site, r, ctx.version) for r in RESOLUTIONS]


@route("GET", API + "/field", "getFields")
def fields(ctx: Ctx) -> list[dict[str, Any]]:
    site = ctx.site
    out = []
    for f in [*site.system_fields.values(), *site.custom_fields.values()]:
        out.append(
            {
                "id": f.id,
                "key": f.id,
                "name": f.name,
                "custom": f.custom,
                "orderable": True,
                "navigable": True,
                "searchable": True,
                "clauseNames": [f.id if not f.custom else f"cf[{f.id.split('_')[1]}]", f.name],
                "schema": f.schema,
            }
        )
    return out


# ------------------------------------------------------------------ create metadata
CREATEMETA = API + "/issue/createmeta/{project}/issuetypes"


@route("GET", CREATEMETA, "getCreateIssueMetaIssueTypes")
def createmeta_types(ctx: Ctx) -> dict[str, Any]:
    with ctx.site.lock:
        p = _project(ctx, ctx.params["project"])
        items = [_meta_type(ctx, t) for t in p.issue_types]
        return _createmeta_page(ctx, items, cloud_key="issueTypes")


def _createmeta_page(ctx: Ctx, items: list[Any], *, cloud_key: str) -> dict[str, Any]:
    # Cloud lists under issueTypes/fields; Data Center (8.4+) under values, with isLast.
    start, limit, page = _page(ctx, items)
    out: dict[str, Any] = {
        "maxResults": limit,
        "startAt": start,
        "total": len(items),
        "values" if ctx.site.is_dc else cloud_key: page,
    }
    if ctx.site.is_dc:
        out["isLast"] = start + limit >= len(items)
    return out


def _meta_type(ctx: Ctx, type_id: str) -> dict[str, Any]:
    t = _issuetype(ctx, type_id)
    keys = ("self", "id", "description", "iconUrl", "name", "subtask", "avatarId", "hierarchyLevel")
    return {k: t[k] for k in keys}


@route("GET", CREATEMETA + "/{type}", "getCreateIssueMetaIssueTypeId")
def createmeta_fields(ctx: Ctx) -> dict[str, Any]:
    with ctx.site.lock:
        p = _project(ctx, ctx.params["project"])
        type_id = ctx.params["type"]
        if type_id not in p.issue_types:
            raise JiraError(400, ["The issue type with id '" + type_id + "' does not exist."])
        items = [_field_meta(ctx, p, type_id, f) for f in _create_fields(ctx, type_id)]
        return _createmeta_page(ctx, items, cloud_key="fields")


def _create_fields(ctx: Ctx, type_id: str) -> list[FieldDef]:
    site = ctx.site
    system = [f for f in site.system_fields.values() if f.id != "parent"]
    if site.issue_types[type_id].name != "Epic":
        # Sub-tasks need a parent issue; standard issues may name an epic as parent.
        system.append(site.system_fields["parent"])
    return system + list(site.custom_fields.values())


def _field_meta(ctx: Ctx, p: Project, type_id: str, f: FieldDef) -> dict[str, Any]:
    required = f.id in BASE_REQUIRED or f.id in p.required.get(type_id, [])
    required = required or (f.id == "parent" and ctx.site.issue_types[type_id].subtask)
    out: dict[str, Any] = {
        "required": required,
        "schema": f.schema,
        "name": f.name,
        "fieldId": f.id,
        "key": f.id,
        "hasDefaultValue": f.id in {"priority", "issuetype", "project"},
        "operations": _operations(f),
    }
    allowed = _allowed(ctx, p, type_id, f)
    if allowed is not None:
        out["allowedValues"] = allowed
    if f.schema.get("type") == "user" or f.schema.get("system") == "labels":
        out["autoCompleteUrl"] = _autocomplete(ctx, p, f)
    if f.id == "priority":
        out["defaultValue"] = render.priority(ctx.site, "3", ctx.version)
    return out


def _operations(f: FieldDef) -> list[str]:
    if f.schema.get("type") == "array":
        return ["add", "set", "remove"]
    return ["set"]


def _allowed(ctx: Ctx, p: Project, type_id: str, f: FieldDef) -> list[Any] | None:
    site = ctx.site
    base = f"{site.base_url}/rest/api/{ctx.version}/customFieldOption"
    if f.allowed is not None:
        return [{"self": f"{base}/{o['id']}", **o} for o in f.allowed]
    if f.id == "issuetype":
        return [_meta_type(ctx, type_id)]
    if f.id == "project":
        return [project_json(ctx, p)]
    if f.id == "priority":
        from .model import PRIORITIES

        return [render.priority(site, pid, ctx.version) for pid in PRIORITIES]
    return None


def _autocomplete(ctx: Ctx, p: Project, f: FieldDef) -> str:
    api = f"{ctx.site.base_url}/rest/api/{ctx.version}"
    if f.schema.get("system") == "labels":
        return f"{ctx.site.base_url}/rest/api/1.0/labels/suggest?query="
    param = "username" if ctx.site.is_dc else "query"
    return f"{api}/user/assignable/search?project={p.key}&{param}="


@route("GET", API + "/issue/createmeta", "getCreateIssueMeta")
def createmeta_old(ctx: Ctx) -> dict[str, Any]:
    """The deprecated all-in-one create metadata (Sentry still calls it)."""
    keys = ",".join(ctx.query.getlist("projectKeys")).split(",")
    ids = ",".join(ctx.query.getlist("projectIds")).split(",")
    expand = "projects.issuetypes.fields" in (ctx.q("expand") or "")
    with ctx.site.lock:
        chosen = [
            p
            for p in ctx.site.projects.values()
            if (keys == [""] and ids == [""]) or p.key in keys or p.id in ids
        ]
        projects = [_old_project_meta(ctx, p, expand) for p in chosen]
        return {"expand": "projects", "projects": projects}


def _old_project_meta(ctx: Ctx, p: Project, expand: bool) -> dict[str, Any]:
    full = project_json(ctx, p)
    out = {k: full[k] for k in ("self", "id", "key", "name", "avatarUrls")}
    types = []
    for t in p.issue_types:
        meta = _meta_type(ctx, t)
        if expand:
            meta["fields"] = {
                f.id: {k: v for k, v in _field_meta(ctx, p, t, f).items() if k != "fieldId"}
                for f in _create_fields(ctx, t)
            }
        types.append(meta)
    out["issuetypes"] = types
    return out
