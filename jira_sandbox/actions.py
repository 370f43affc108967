"""State changes shared by the person actions (`act_*`) and the REST handlers.

Each function mutates the site under its lock and returns the webhook events the change
fires; the caller delivers them after releasing the lock.
"""

from typing import TYPE_CHECKING, Any

from . import render
from .errors import JiraError
from .model import RESOLUTIONS, Comment, Issue, User
from .webhooks import WebhookEvent

if TYPE_CHECKING:
    from .site import Site


def _actor(site: "Site", actor: str | None) -> User:
    try:
        return site.resolve_user(actor)
    except KeyError as exc:
        raise JiraError(400, [f"User '{actor}' does not exist."]) from exc


def _event_base(site: "Site", name: str, ts: int) -> dict[str, Any]:
    return {"timestamp": ts, "webhookEvent": name}


def _issue_event(
    site: "Site",
    name: str,
    type_name: str | None,
    issue: Issue,
    actor: User,
    items: list[dict[str, Any]] | None,
    extra: dict[str, Any] | None = None,
) -> WebhookEvent:
    ts = site.sandbox.clock.now_ms()
    body = _event_base(site, name, ts)
    if type_name:
        body["issue_event_type_name"] = type_name
    body["user"] = render.user(site, actor, 2, webhook=True)
    body["issue"] = render.issue(site, issue, 2, webhook=True)
    if items is not None:
        body["changelog"] = {"id": site.next_id("changelog"), "items": items}
        issue.changelog.append(
            {
                "id": body["changelog"]["id"],
                "author": site.user_ref(actor),
                "created": ts,
                "items": items,
            }
        )
    body.update(extra or {})
    return WebhookEvent(name, body, site_match(site, issue))


def site_match(site: "Site", issue: Issue) -> dict[str, Any]:
    """Facts a webhook JQL filter can test, captured at event time."""
    return {
        "issue": issue,
        "project": site.projects[issue.project_id],
        "issue_id": issue.id,
        "issue_key": issue.key,
    }


def _item(field: str, field_id: str | None, frm: Any, frm_s: Any, to: Any, to_s: Any) -> Any:
    item: dict[str, Any] = {"field": field, "fieldtype": "jira"}
    if field_id:
        item["fieldId"] = field_id
    item.update({"from": frm, "fromString": frm_s, "to": to, "toString": to_s})
    return item


def _user_item(site: "Site", field: str, old: User | None, new: User | None) -> dict[str, Any]:
    """Assignee/reporter changelog item.

    Cloud (post-GDPR) puts accountIds in from/to and repeats them in tmp*AccountId; Data
    Center puts the user key in from/to and has no fieldId on older versions.
    """
    old_name = old.display_name if old else None
    new_name = new.display_name if new else None
    if site.is_dc:
        return _item(field, None, site.user_ref(old), old_name, site.user_ref(new), new_name)
    item = _item(field, field, site.user_ref(old), old_name, site.user_ref(new), new_name)
    item["tmpFromAccountId"] = old.account_id if old else None
    item["tmpToAccountId"] = new.account_id if new else None
    return item


def touch(site: "Site", issue: Issue) -> None:
    issue.updated = site.sandbox.clock.now_ms()


# --------------------------------------------------------------------------- create
def create(
    site: "Site",
    summary: str,
    project: str,
    issuetype: str,
    description: str | None,
    actor: str | None,
    assignee: str | None = None,
    labels: list[str] | None = None,
) -> list[WebhookEvent]:
    with site.lock:
        proj = site.project(project)
        if proj is None:
            raise JiraError(400, [], {"project": "valid project is required"})
        itype = next(
            (t for t in site.issue_types.values() if issuetype in {t.id, t.name}),
            None,
        )
        if itype is None:
            raise JiraError(400, [], {"issuetype": "valid issue type is required"})
        spec: dict[str, Any] = {
            "project_id": proj.id,
            "issuetype_id": itype.id,
            "summary": summary,
            "description": description,
            "labels": labels or [],
            "assignee": site.resolve_user(assignee).account_id if assignee else None,
        }
        _, events = new_issue(site, spec, _actor(site, actor))
        return events


def new_issue(site: "Site", spec: dict[str, Any], actor: User) -> tuple[Issue, list[WebhookEvent]]:
    """Create from validated internal values; returns the issue and its created event."""
    with site.lock:
        proj = site.projects[spec["project_id"]]
        now = site.sandbox.clock.now_ms()
        issue = Issue(
            id=site.next_id("issue"),
            key=f"{proj.key}-{proj.next_number}",
            project_id=proj.id,
            issuetype_id=spec["issuetype_id"],
            summary=spec["summary"],
            status_id=_initial_status(site),
            reporter=spec.get("reporter") or actor.account_id,
            creator=actor.account_id,
            created=now,
            updated=now,
            description=spec.get("description"),
            description_adf=spec.get("description_adf"),
            assignee=spec.get("assignee"),
            priority_id=spec.get("priority_id") or "3",
            labels=list(spec.get("labels") or []),
            custom=dict(spec.get("custom") or {}),
            parent_id=spec.get("parent_id"),
        )
        proj.next_number += 1
        site.issues_by_id[issue.id] = issue
        items = _created_items(site, issue)
        return issue, [
            _issue_event(site, "jira:issue_created", "issue_created", issue, actor, items)
        ]


def _initial_status(site: "Site") -> str:
    return next(s.id for s in site.statuses.values() if s.category == "new")


def _created_items(site: "Site", issue: Issue) -> list[dict[str, Any]]:
    status = site.statuses[issue.status_id]
    items = [_item("summary", "summary", None, None, None, issue.summary)]
    if issue.description:
        items.append(_item("description", "description", None, None, None, issue.description))
    reporter = site.users.get(issue.reporter or "")
    items.append(_user_item(site, "reporter", None, reporter))
    if issue.assignee:
        items.append(_user_item(site, "assignee", None, site.users.get(issue.assignee)))
    items.append(_item("Status", "status", None, None, status.id, status.name))
    return items


# --------------------------------------------------------------------------- assign
def assign(
    site: "Site", issue_key: str, assignee: str | None, actor: str | None
) -> list[WebhookEvent]:
    with site.lock:
        issue = site.issue(issue_key)
        who = _actor(site, actor)
        new = site.find_user(assignee) if assignee else None
        if assignee and new is None:
            raise JiraError(400, [], {"assignee": f"User '{assignee}' does not exist."})
        old = site.users.get(issue.assignee or "")
        if (old and old.account_id) == (new and new.account_id):
            return []
        issue.assignee = new.account_id if new else None
        touch(site, issue)
        items = [_user_item(site, "assignee", old, new)]
        return [_issue_event(site, "jira:issue_updated", "issue_assigned", issue, who, items)]


# ----------------------------------------------------------------------- transition
def transition(
    site: "Site",
    issue_key: str,
    to_status: str,
    actor: str | None,
    resolution_id: str | None = None,
) -> list[WebhookEvent]:
    with site.lock:
        issue = site.issue(issue_key)
        target = site.status_by_name(to_status)
        return set_status(site, issue, target.id, _actor(site, actor), resolution_id)


def set_status(
    site: "Site", issue: Issue, status_id: str, actor: User, resolution_id: str | None = None
) -> list[WebhookEvent]:
    old = site.statuses[issue.status_id]
    new = site.statuses[status_id]
    if old.id == new.id:
        return []
    items = _resolution_items(site, issue, new.category == "done", resolution_id or new.resolution)
    items.append(_item("status", "status", old.id, old.name, new.id, new.name))
    issue.status_id = new.id
    touch(site, issue)
    type_name = _transition_event_name(site, old.category, new.category)
    return [_issue_event(site, "jira:issue_updated", type_name, issue, actor, items)]


def _resolution_items(
    site: "Site", issue: Issue, done: bool, resolution_id: str | None
) -> list[dict[str, Any]]:
    """Entering a done status sets the resolution; leaving it clears it."""
    old = issue.resolution
    new = (resolution_id or "10000") if done else None
    if old == new:
        return []
    issue.resolution = new
    issue.resolution_date = site.sandbox.clock.now_ms() if new else None
    old_name = RESOLUTIONS[old]["name"] if old else None
    new_name = RESOLUTIONS[new]["name"] if new else None
    field_id = None if site.is_dc else "resolution"
    return [_item("resolution", field_id, old, old_name, new, new_name)]


def _transition_event_name(site: "Site", old_cat: str, new_cat: str) -> str:
    """Cloud mostly says issue_generic; Server/DC names the kind of transition."""
    if not site.is_dc:
        return "issue_generic"
    if new_cat == "done":
        return "issue_resolved"
    if old_cat == "done":
        return "issue_reopened"
    if new_cat == "indeterminate":
        return "issue_work_started"
    return "issue_generic"


# ----------------------------------------------------------------------------- edit
EDITABLE = {"summary", "description", "description_adf", "labels", "priority_id", "custom"}


def edit(
    site: "Site", issue_key: str, changes: dict[str, Any], actor: str | None
) -> list[WebhookEvent]:
    with site.lock:
        issue = site.issue(issue_key)
        return apply_edit(site, issue, changes, _actor(site, actor))


def apply_edit(
    site: "Site", issue: Issue, changes: dict[str, Any], actor: User
) -> list[WebhookEvent]:
    items: list[dict[str, Any]] = []
    for name, value in changes.items():
        if name not in EDITABLE:
            raise JiraError(400, [], {name: "Field cannot be set. It is not on the edit screen."})
        items.extend(_edit_one(site, issue, name, value))
    if not items:
        return []
    touch(site, issue)
    return [_issue_event(site, "jira:issue_updated", "issue_updated", issue, actor, items)]


def _edit_one(site: "Site", issue: Issue, name: str, value: Any) -> list[dict[str, Any]]:
    if name == "custom":
        return _edit_custom(site, issue, value)
    if name == "description_adf":
        issue.description_adf = value
        return []
    old = getattr(issue, name)
    if old == value:
        return []
    setattr(issue, name, value)
    if name == "description":
        issue.description_adf = None  # a v3 edit sets the ADF right after, see EDIT order
    if name == "labels":
        return [_item("labels", "labels", None, " ".join(old), None, " ".join(value))]
    if name == "priority_id":
        return [_item("priority", "priority", old, _pname(old), value, _pname(value))]
    return [_item(name, name, None, old, None, value)]


def _pname(pid: str) -> str:
    from .model import PRIORITIES

    return PRIORITIES.get(pid, pid)


def _edit_custom(site: "Site", issue: Issue, values: dict[str, Any]) -> list[dict[str, Any]]:
    items = []
    for fid, value in values.items():
        old = issue.custom.get(fid)
        if old == value:
            continue
        issue.custom[fid] = value
        name = site.custom_fields[fid].name
        items.append(
            {
                "field": name,
                "fieldtype": "custom",
                "fieldId": fid,
                "from": None,
                "fromString": None if old is None else str(old),
                "to": None,
                "toString": None if value is None else str(value),
            }
        )
    return items


# --------------------------------------------------------------------------- delete
def delete_issue(site: "Site", issue_key: str, actor: str | None) -> list[WebhookEvent]:
    with site.lock:
        issue = site.issue(issue_key)
        who = _actor(site, actor)
        event = _issue_event(site, "jira:issue_deleted", None, issue, who, None)
        for sub in site.subtasks_of(issue):
            del site.issues_by_id[sub.id]
        del site.issues_by_id[issue.id]
        return [event]


# ------------------------------------------------------------------------- comments
def add_comment(
    site: "Site",
    issue_key: str,
    body: str,
    body_adf: dict[str, Any] | None,
    actor: str | None,
    visibility: dict[str, Any] | None = None,
) -> list[WebhookEvent]:
    with site.lock:
        issue = site.issue(issue_key)
        who = _actor(site, actor)
        now = site.sandbox.clock.now_ms()
        c = Comment(
            id=site.next_id("comment"),
            issue_id=issue.id,
            author=who.account_id,
            body=body,
            body_adf=body_adf,
            created=now,
            updated=now,
            visibility=visibility,
        )
        issue.comments.append(c)
        touch(site, issue)
        return _comment_events(site, issue, c, who, "comment_created", "issue_commented")


def find_comment(site: "Site", issue: Issue, comment_id: str) -> Comment:
    for c in issue.comments:
        if c.id == str(comment_id):
            return c
    raise JiraError(404, ["Can not find a comment for the id: " + str(comment_id) + "."])


def edit_comment(
    site: "Site",
    issue_key: str,
    comment_id: str,
    body: str,
    body_adf: dict[str, Any] | None,
    actor: str | None,
) -> list[WebhookEvent]:
    with site.lock:
        issue = site.issue(issue_key)
        who = _actor(site, actor)
        c = find_comment(site, issue, comment_id)
        c.body, c.body_adf = body, body_adf
        c.update_author = who.account_id
        c.updated = site.sandbox.clock.now_ms()
        touch(site, issue)
        return _comment_events(site, issue, c, who, "comment_updated", "issue_comment_edited")


def delete_comment(
    site: "Site", issue_key: str, comment_id: str, actor: str | None
) -> list[WebhookEvent]:
    with site.lock:
        issue = site.issue(issue_key)
        who = _actor(site, actor)
        c = find_comment(site, issue, comment_id)
        issue.comments.remove(c)
        touch(site, issue)
        return _comment_events(site, issue, c, who, "comment_deleted", "issue_comment_deleted")


def _comment_events(
    site: "Site", issue: Issue, c: Comment, actor: User, name: str, type_name: str
) -> list[WebhookEvent]:
    """comment_* event, plus the jira:issue_updated twin Jira fires alongside it."""
    ts = site.sandbox.clock.now_ms()
    body = _event_base(site, name, ts)
    body["comment"] = render.comment(site, issue, c, 2, webhook=True)
    if not site.is_dc:
        # Server/DC comment events carry no issue (its id is only in comment.self).
        body["issue"] = render.webhook_issue_brief(site, issue)
    events = [WebhookEvent(name, body, site_match(site, issue))]
    if site.comment_emits_issue_updated:
        extra = {"comment": body["comment"]}
        ev = _issue_event(site, "jira:issue_updated", type_name, issue, actor, None, extra)
        events.append(ev)
    return events
