"""JSON shapes Jira returns: users, statuses, issues, comments (REST v2/v3 and webhooks)."""

from typing import TYPE_CHECKING, Any

from .model import PRIORITIES, RESOLUTIONS, STATUS_CATEGORIES, Comment, Issue, User
from .util import jira_time, text_to_adf

if TYPE_CHECKING:
    from .site import Site

# Cloud webhooks show a hidden e-mail as this literal (quotes included), see the captures.
HIDDEN_EMAIL_IN_WEBHOOK = '"?"'


def avatar_urls(seed: str) -> dict[str, str]:
    base = f"https://avatar.example.com/{seed}.png?s="
    return {f"{n}x{n}": f"{base}{n}" for n in (48, 24, 16, 32)}


def user(site: "Site", u: User | None, version: int = 2, webhook: bool = False) -> Any:
    if u is None:
        return None
    api = f"{site.base_url}/rest/api/{version}"
    if site.is_dc:
        return _dc_user(api, u)
    out: dict[str, Any] = {
        "self": f"{api}/user?accountId={u.account_id}",
        "accountId": u.account_id,
        "accountType": u.account_type,
    }
    if not u.email_hidden and u.email:
        out["emailAddress"] = u.email
    elif webhook:
        out["emailAddress"] = HIDDEN_EMAIL_IN_WEBHOOK
    out.update(
        avatarUrls=avatar_urls(u.account_id),
        displayName=u.display_name,
        active=u.active,
        timeZone=u.time_zone,
    )
    return out


def _dc_user(api: str, u: User) -> dict[str, Any]:
    out: dict[str, Any] = {"self": f"{api}/user?username={u.name}", "name": u.name, "key": u.key}
    if not u.email_hidden and u.email:
        out["emailAddress"] = u.email
    out.update(
        avatarUrls=avatar_urls(u.key),
        displayName=u.display_name,
        active=u.active,
        timeZone=u.time_zone,
    )
    return out


def status_category(site: "Site", key: str, version: int = 2) -> dict[str, Any]:
    cat = STATUS_CATEGORIES[key]
    return {"self": f"{site.base_url}/rest/api/{version}/statuscategory/{cat['id']}", **cat}


def status(site: "Site", status_id: str, version: int = 2) -> dict[str, Any]:
    st = site.statuses[status_id]
    api = f"{site.base_url}/rest/api/{version}"
    return {
        "self": f"{api}/status/{st.id}",
        "description": "",
        "iconUrl": f"{site.base_url}/",
        "name": st.name,
        "id": st.id,
        "statusCategory": status_category(site, st.category, version),
    }


def issuetype(site: "Site", type_id: str, version: int = 2) -> dict[str, Any]:
    it = site.issue_types[type_id]
    return {
        "self": f"{site.base_url}/rest/api/{version}/issuetype/{it.id}",
        "id": it.id,
        "description": it.description,
        "iconUrl": (
            f"{site.base_url}/secure/viewavatar?size=xsmall&avatarId={it.avatar_id}"
            "&avatarType=issuetype"
        ),
        "name": it.name,
        "subtask": it.subtask,
        "avatarId": it.avatar_id,
    }


def project(site: "Site", project_id: str, version: int = 2) -> dict[str, Any]:
    p = site.projects[project_id]
    base = f"{site.base_url}/secure/projectavatar?"
    return {
        "self": f"{site.base_url}/rest/api/{version}/project/{p.id}",
        "id": p.id,
        "key": p.key,
        "name": p.name,
        "projectTypeKey": p.type_key,
        "simplified": False,
        "avatarUrls": {
            "48x48": f"{base}pid={p.id}&avatarId=10324",
            "24x24": f"{base}size=small&pid={p.id}&avatarId=10324",
            "16x16": f"{base}size=xsmall&pid={p.id}&avatarId=10324",
            "32x32": f"{base}size=medium&pid={p.id}&avatarId=10324",
        },
    }


def priority(site: "Site", pid: str, version: int = 2) -> dict[str, Any]:
    name = PRIORITIES[pid]
    return {
        "self": f"{site.base_url}/rest/api/{version}/priority/{pid}",
        "iconUrl": f"{site.base_url}/images/icons/priorities/{name.lower()}.svg",
        "name": name,
        "id": pid,
    }


def resolution(site: "Site", rid: str | None, version: int = 2) -> Any:
    if rid is None:
        return None
    return {"self": f"{site.base_url}/rest/api/{version}/resolution/{rid}", **RESOLUTIONS[rid]}


def rich(text: str | None, adf: dict[str, Any] | None, version: int) -> Any:
    """v3 answers rich text as ADF, v2 (and webhooks) as the wiki string."""
    if version == 3:
        return adf if adf is not None else text_to_adf(text)
    return text


def comment(site: "Site", issue: Issue, c: Comment, version: int = 2, webhook: bool = False) -> Any:
    out: dict[str, Any] = {
        "self": f"{site.base_url}/rest/api/{version}/issue/{issue.id}/comment/{c.id}",
        "id": c.id,
        "author": user(site, site.users.get(c.author), version, webhook),
        "body": rich(c.body, c.body_adf, version),
        "updateAuthor": user(site, site.users.get(c.update_author or c.author), version, webhook),
        "created": jira_time(c.created),
        "updated": jira_time(c.updated),
    }
    if not site.is_dc:
        out["jsdPublic"] = True
    if c.visibility:
        out["visibility"] = c.visibility
    return out


def issue_fields(site: "Site", i: Issue, version: int = 2, webhook: bool = False) -> dict[str, Any]:
    api = f"{site.base_url}/rest/api/{version}"
    get_user = site.users.get
    fields: dict[str, Any] = {
        "issuetype": issuetype(site, i.issuetype_id, version),
        "timespent": None,
        "project": project(site, i.project_id, version),
        "fixVersions": [],
        "aggregatetimespent": None,
        "resolution": resolution(site, i.resolution, version),
        "resolutiondate": jira_time(i.resolution_date) if i.resolution_date else None,
        "workratio": -1,
        "watches": {"self": f"{api}/issue/{i.key}/watchers", "watchCount": 1, "isWatching": True},
        "created": jira_time(i.created),
        "priority": priority(site, i.priority_id, version),
        "labels": list(i.labels),
        "versions": [],
        "issuelinks": [],
        "assignee": user(site, get_user(i.assignee or ""), version, webhook),
        "updated": jira_time(i.updated),
        "status": status(site, i.status_id, version),
        "components": [],
        "timeoriginalestimate": None,
        "timeestimate": None,
        "aggregatetimeoriginalestimate": None,
        "description": rich(i.description, i.description_adf, version),
        "timetracking": {},
        "security": None,
        "attachment": [],
        "aggregatetimeestimate": None,
        "summary": i.summary,
        "creator": user(site, get_user(i.creator or ""), version, webhook),
        "subtasks": [_issue_ref(site, s, version) for s in site.subtasks_of(i)],
        "reporter": user(site, get_user(i.reporter or ""), version, webhook),
        "aggregateprogress": {"progress": 0, "total": 0},
        "environment": None,
        "duedate": None,
        "progress": {"progress": 0, "total": 0},
        "votes": {"self": f"{api}/issue/{i.key}/votes", "votes": 0, "hasVoted": False},
    }
    fields.update(custom_values(site, i, version))
    if i.parent_id and i.parent_id in site.issues_by_id:
        fields["parent"] = _issue_ref(site, site.issues_by_id[i.parent_id], version)
    if not webhook or site.is_dc:
        # Server/DC webhooks carry the comments and worklog inside the issue; Cloud's don't.
        fields["comment"] = comment_page(site, i, version)
    if webhook and site.is_dc:
        fields["comment"].pop("self")  # Server's embedded comment page has no self link
        fields["worklog"] = {"startAt": 0, "maxResults": 20, "total": 0, "worklogs": []}
        fields.pop("security", None)
    return fields


def custom_values(site: "Site", i: Issue, version: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fid, fdef in site.custom_fields.items():
        kind = fdef.schema.get("custom", "").rsplit(":", 1)[-1]
        out[fid] = _custom_value(site, kind, i.custom.get(fid), version)
    return out


def _custom_value(site: "Site", kind: str, value: Any, version: int) -> Any:
    if value is None:
        return None
    if kind == "userpicker":
        return user(site, site.users.get(value), version)
    if kind == "textarea":
        return text_to_adf(value) if version == 3 else value
    if kind == "select":
        return _option(site, value, version)
    if kind == "multiselect":
        return [_option(site, v, version) for v in value]
    return value


def _option(site: "Site", opt: dict[str, Any], version: int) -> dict[str, Any]:
    base = f"{site.base_url}/rest/api/{version}/customFieldOption"
    return {"self": f"{base}/{opt['id']}", "value": opt["value"], "id": opt["id"]}


def comment_page(site: "Site", i: Issue, version: int) -> dict[str, Any]:
    comments = [comment(site, i, c, version) for c in i.comments]
    return {
        "comments": comments,
        "self": f"{site.base_url}/rest/api/{version}/issue/{i.id}/comment",
        "maxResults": len(comments),
        "total": len(comments),
        "startAt": 0,
    }


def _issue_ref(site: "Site", i: Issue, version: int) -> dict[str, Any]:
    return {
        "id": i.id,
        "key": i.key,
        "self": f"{site.base_url}/rest/api/{version}/issue/{i.id}",
        "fields": {
            "summary": i.summary,
            "status": status(site, i.status_id, version),
            "priority": priority(site, i.priority_id, version),
            "issuetype": issuetype(site, i.issuetype_id, version),
        },
    }


def issue(
    site: "Site",
    i: Issue,
    version: int = 2,
    fields: list[str] | None = None,
    webhook: bool = False,
) -> dict[str, Any]:
    all_fields = issue_fields(site, i, version, webhook)
    if fields is not None:
        all_fields = _select_fields(all_fields, fields)
    out: dict[str, Any] = {
        "id": i.id,
        "self": f"{site.base_url}/rest/api/{version}/issue/{i.id}",
        "key": i.key,
        "fields": all_fields,
    }
    if not webhook:
        out = {"expand": "renderedFields,names,schema,operations,changelog", **out}
    return out


def _select_fields(all_fields: dict[str, Any], wanted: list[str]) -> dict[str, Any]:
    """Apply Jira's `fields` parameter: *all, *navigable, names, and -name exclusions."""
    names = {w.strip() for w in wanted if w.strip()}
    if names & {"*all", "*navigable"}:
        keep = set(all_fields)
    else:
        keep = {n for n in names if not n.startswith("-")}
    keep -= {n[1:] for n in names if n.startswith("-")}
    return {k: v for k, v in all_fields.items() if k in keep}


def webhook_issue_brief(site: "Site", i: Issue) -> dict[str, Any]:
    """The reduced issue Cloud puts into comment events."""
    fields = issue_fields(site, i, 2, webhook=True)
    keep = ("summary", "issuetype", "project", "assignee", "priority", "status")
    return {
        "id": i.id,
        # Cloud really sends this self URL without the "issue/" segment (see capture).
        "self": f"{site.base_url}/rest/api/2/{i.id}",
        "key": i.key,
        "fields": {k: fields[k] for k in keep},
    }
