"""Create a Jira ticket from a group, link an existing one, unlink; and the create-form defaults.

Ticket creation is synchronous (the person filling in the form needs Jira's field errors next to
the fields). It carries a marker, the issue property `bugbridge.origin` with a unique request
token, so a retry after an unknown outcome (a timeout, a reset connection) finds the issue that
was created instead of making a second one.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import structlog
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from bugbridge.jira import fields as jira_fields
from bugbridge.jira import formatting
from bugbridge.jira.client import JiraClient
from bugbridge.jira.errors import JiraError, JiraNotFound, JiraRateLimited, JiraValidationError
from bugbridge.jira.models import AuthMethod, JiraSite, SiteBinding
from bugbridge.sync.models import GroupLink, Ticket, TicketDefaults
from bugbridge.tracker.actors import Actor
from bugbridge.tracker.errors import DomainError
from bugbridge.tracker.models import Event, Group, Project
from bugbridge.tracker.services import record_activity

log = structlog.get_logger(__name__)

JSON = dict[str, Any]

ORIGIN_PROPERTY = "bugbridge.origin"
ISSUE_KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*-\d+$")
_KEY_IN_TEXT = re.compile(r"([A-Za-z][A-Za-z0-9_]*-\d+)")
SNAPSHOT_FIELDS = "summary,status,assignee,updated,project"
_CREATE_ATTEMPTS = 3
_MAX_WAIT_SECONDS = 5.0
# Issues read back when Jira cannot search issue properties (see `_find_by_token`).
_RECENT_SCAN = 10


# -- create ---------------------------------------------------------------------------------


def create_ticket(
    group: Group, site: JiraSite, fields_input: dict[str, Any], actor: Actor
) -> Ticket:
    """Create a Jira issue for the group and link it.

    `fields_input` holds `project` (id or key), `issuetype` (id), optional `summary`,
    `description`, `parent` (key, for sub-tasks), `request_token` (resubmitting a form with the
    same token can never create two issues) and any field id from the create metadata. Raises
    JiraValidationError with `field_errors` (nothing is linked then), or another JiraError.
    """
    binding = _binding_for(group, site)
    values = dict(fields_input)
    project = str(values.pop("project", "") or "").strip()
    issue_type = str(values.pop("issuetype", "") or "").strip()
    _require_project_and_type(project, issue_type)

    given_token = str(values.pop("request_token", "") or "")
    token = given_token or uuid.uuid4().hex
    with JiraClient.for_site(site) as client:
        body = _create_fields(group, site, client, project, issue_type, values)
        properties = [{"key": ORIGIN_PROPERTY, "value": _origin_marker(group, token)}]
        # A token the form carried may have been submitted before (a reload after an error
        # page): look for its issue before creating.
        created = _create_once(client, body, properties, token, search_first=bool(given_token))
        issue = client.get_issue(str(created["key"]), fields=SNAPSHOT_FIELDS)
        add_remote_link(client, group, str(issue["key"]))

    ticket = _store_link(group, site, issue, actor, action="ticket_created")
    remember_defaults(group.project, site, actor.user, _defaults_from(project, issue_type, values))
    log.info("sync.link.created", group=group.pk, ticket=ticket.key, binding=binding.pk)
    return ticket


def _binding_for(group: Group, site: JiraSite) -> SiteBinding:
    if not site.is_enabled:
        raise DomainError(f"The Jira site {site.name} is disabled: {site.disabled_reason}".strip())
    binding = SiteBinding.objects.filter(
        site=site, organization_id=group.project.organization_id
    ).first()
    if binding is None:
        raise DomainError(f"The Jira site {site.name} is not connected to this organization.")
    return binding


def _require_project_and_type(project: str, issue_type: str) -> None:
    missing = {}
    if not project:
        missing["project"] = "Choose a Jira project."
    if not issue_type:
        missing["issuetype"] = "Choose an issue type."
    if missing:
        raise JiraValidationError("; ".join(missing.values()), field_errors=missing)


def _create_fields(
    group: Group,
    site: JiraSite,
    client: JiraClient,
    project: str,
    issue_type: str,
    values: dict[str, Any],
) -> JSON:
    parent = str(values.pop("parent", "") or "").strip()
    types = jira_fields.issue_types(site, project, client=client, with_subtasks=bool(parent))
    if issue_type not in {str(t.get("id")) for t in types}:
        msg = "This issue type cannot be created in the project" + (
            "." if parent else " (sub-tasks need a parent issue)."
        )
        raise JiraValidationError(msg, field_errors={"issuetype": msg})

    metadata = jira_fields.field_metadata(site, project, issue_type, client=client)
    summary = formatting.one_line(str(values.pop("summary", "") or group.title))
    description = values.pop("description", None)
    converted = jira_fields.jira_values(
        site,
        metadata,
        values,
        api_version=client.api_version,
        filled={"parent"} if parent else None,
    )
    project_ref = {"id": project} if project.isdigit() else {"key": project.upper()}
    body: JSON = {"project": project_ref, "issuetype": {"id": issue_type}, "summary": summary}
    body["description"] = _description(group, client.api_version, description)
    if parent:
        body["parent"] = {"key": parent.upper()}
    body.update(converted)
    return body


def _description(group: Group, api_version: str, override: Any) -> formatting.RichText:
    """Our description (link back + latest stack trace), or the person's own text if given."""
    if isinstance(override, str) and override.strip():
        blocks: list[formatting.Block] = [formatting.para(p) for p in override.split("\n\n")]
        blocks.append(formatting.para(formatting.Span("Bugbridge issue", href=group_url(group))))
        return formatting.render(blocks, api_version)
    return formatting.issue_description(
        group_url=group_url(group),
        group_label=f"{group.short_id}: {formatting.one_line(group.title, 200)}",
        stack_trace=latest_stack_trace(group),
        api_version=api_version,
    )


def add_remote_link(client: JiraClient, group: Group, key: str) -> None:
    """A link back to the group in the ticket's "Web links" (the Jira-side view for sites
    connected without Connect, which have no panel). Best effort: linking does not fail."""
    if client.site.auth_method == AuthMethod.CONNECT:
        return
    title = f"Bugbridge {group.short_id}: {formatting.one_line(group.title, 200)}"
    try:
        client.upsert_remote_link(key, f"bugbridge:{group_url(group)}", group_url(group), title)
    except JiraError as exc:
        log.warning("sync.link.remote_link_failed", ticket=key, error=exc.message)


def group_url(group: Group) -> str:
    """The group's page, absolute (Jira shows it to people outside Bugbridge)."""
    try:
        path = reverse("web:group", kwargs={"pk": group.pk})
    except NoReverseMatch:
        path = f"/groups/{group.pk}/"
    return f"{settings.BASE_URL}{path}"


def _origin_marker(group: Group, token: str) -> JSON:
    return {"token": token, "group": group.pk, "instance": settings.BASE_URL}


def _create_once(
    client: JiraClient, body: JSON, properties: list[JSON], token: str, *, search_first: bool
) -> JSON:
    """POST the issue; after an unknown outcome, look for the marker before trying again."""
    last: JiraError | None = None
    for attempt in range(_CREATE_ATTEMPTS):
        if attempt or search_first:
            found = _find_by_token(client, token, body.get("project"))
            if found is not None:
                log.info("sync.link.create_recovered", key=found.get("key"), attempt=attempt)
                return found
        try:
            return dict(client.create_issue(body, properties=properties))
        except JiraError as exc:
            if not exc.transient:
                raise
            last = exc
            _pause(exc, attempt)
    found = _find_by_token(client, token, body.get("project"))
    if found is not None:
        return found
    assert last is not None
    raise last


def _pause(exc: JiraError, attempt: int) -> None:
    wait = exc.retry_after if isinstance(exc, JiraRateLimited) and exc.retry_after else 0.2
    time.sleep(min(_MAX_WAIT_SECONDS, wait * (attempt + 1)))


def _find_by_token(client: JiraClient, token: str, project: JSON | None = None) -> JSON | None:
    jql = f'issue.property[{ORIGIN_PROPERTY}].token = "{token}"'
    try:
        page = client.search_jql(jql, fields=["summary"], max_results=1)
    except JiraValidationError as exc:
        # Real Jira searches issue properties only when an app's descriptor indexes them;
        # elsewhere the JQL is refused, so read the marker of the project's newest issues.
        log.info("sync.link.marker_jql_refused", error=exc.message)
        return _scan_recent_for_token(client, token, project) if project else None
    except JiraError as exc:
        log.warning("sync.link.marker_search_failed", error=exc.message)
        return None
    issues = page.get("issues") or []
    return dict(issues[0]) if issues else None


def _scan_recent_for_token(client: JiraClient, token: str, project: JSON) -> JSON | None:
    ref = str(project.get("key") or project.get("id") or "")
    jql = f'project = "{ref}" ORDER BY created DESC'
    try:
        recent = client.search_jql(jql, fields=["summary"], max_results=_RECENT_SCAN)
        for issue in recent.get("issues") or []:
            marker = _origin_of(client, str(issue.get("key") or issue.get("id")))
            if isinstance(marker, dict) and marker.get("token") == token:
                return dict(issue)
    except JiraError as exc:
        log.warning("sync.link.marker_scan_failed", error=exc.message)
    return None


def _origin_of(client: JiraClient, key: str) -> Any:
    try:
        return client.get_issue_property(key, ORIGIN_PROPERTY)
    except JiraNotFound:
        return None


def _defaults_from(project: str, issue_type: str, values: dict[str, Any]) -> JSON:
    labels = values.get("labels") or []
    if isinstance(labels, str):
        labels = labels.replace(",", " ").split()
    priority = values.get("priority") or ""
    return {
        "jira_project": project,
        "issue_type_id": issue_type,
        "priority_id": str(priority),
        "labels": list(labels),
    }


# -- the form a person fills in -------------------------------------------------------------


@dataclass
class CreateForm:
    """Everything a create dialog shows: the chosen project and type with their choices, the
    dynamic fields from create-metadata (defaults filled in), and a fresh request token to
    submit with the values (so pressing "create" twice cannot make two issues)."""

    project: str
    issue_type: str
    projects: list[tuple[str, str]]
    issue_types: list[tuple[str, str]]
    summary: str
    fields: list[jira_fields.FormField]
    request_token: str = field(default_factory=lambda: uuid.uuid4().hex)


def create_form(
    group: Group,
    site: JiraSite,
    user: User | None,
    *,
    project: str | None = None,
    issue_type: str | None = None,
) -> CreateForm:
    """The create dialog for a group. Choice order: the request, the person's last choice,
    the Bugbridge project's defaults, then the first project/type Jira offers."""
    _binding_for(group, site)
    defaults = form_defaults(group.project, site, user)
    with JiraClient.for_site(site) as client:
        projects = [
            (str(p["id"]), f"{p.get('key')} - {p.get('name')}") for p in client.search_projects()
        ]
        chosen = _choose(project, defaults["jira_project"], projects)
        types = jira_fields.issue_types(site, chosen, client=client) if chosen else []
        type_choices = [(str(t["id"]), str(t.get("name"))) for t in types]
        chosen_type = _choose(issue_type, defaults["issue_type_id"], type_choices)
        metadata = (
            jira_fields.field_metadata(site, chosen, chosen_type, client=client)
            if chosen and chosen_type
            else []
        )
    form_fields = jira_fields.form_fields(site, chosen, chosen_type, metadata=metadata)
    for form_field in form_fields:
        if form_field.id == "priority" and defaults["priority_id"]:
            form_field.default = defaults["priority_id"]
        if form_field.id == "labels" and defaults["labels"]:
            form_field.default = list(defaults["labels"])
    return CreateForm(
        project=chosen,
        issue_type=chosen_type,
        projects=projects,
        issue_types=type_choices,
        summary=formatting.one_line(group.title),
        fields=form_fields,
    )


def _choose(asked: str | None, remembered: str, choices: list[tuple[str, str]]) -> str:
    ids = [c[0] for c in choices]
    for candidate in (asked, remembered):
        if not candidate:
            continue
        if candidate in ids:
            return candidate
        # A project remembered by key ("OPS") rather than id.
        for value, label in choices:
            if label.split(" - ", 1)[0].upper() == candidate.upper():
                return value
    return ids[0] if ids else ""


# -- the latest stack trace -----------------------------------------------------------------


def latest_stack_trace(group: Group) -> str:
    event = Event.objects.filter(group=group).order_by("-timestamp", "-pk").first()
    if event is None:
        return ""
    return stack_trace_text(event.data if isinstance(event.data, dict) else {})


def stack_trace_text(data: JSON) -> str:
    """A Sentry event's exceptions as text: the raised exception first, frames oldest first."""
    values = _exception_values(data)
    if not values:
        raw = data.get("logentry")
        logentry: JSON = raw if isinstance(raw, dict) else {}
        return str(
            logentry.get("formatted") or logentry.get("message") or data.get("message") or ""
        )
    chunks = [_exception_text(exc) for exc in reversed(values)]
    return "\n\n".join(c for c in chunks if c)


def _exception_values(data: JSON) -> list[JSON]:
    container = data.get("exception")
    if isinstance(container, dict):
        container = container.get("values")
    if not isinstance(container, list):
        return []
    return [v for v in container if isinstance(v, dict)]


def _exception_text(exc: JSON) -> str:
    header = ": ".join(str(p) for p in (exc.get("type"), exc.get("value")) if p)
    lines = [header or "Exception"]
    stacktrace = exc.get("stacktrace") if isinstance(exc.get("stacktrace"), dict) else {}
    frames = stacktrace.get("frames") if isinstance(stacktrace, dict) else None
    for frame in frames if isinstance(frames, list) else []:
        if isinstance(frame, dict):
            lines.extend(_frame_lines(frame))
    return "\n".join(lines)


def _frame_lines(frame: JSON) -> list[str]:
    where = frame.get("filename") or frame.get("abs_path") or frame.get("module") or "?"
    line = f'  File "{where}", line {frame.get("lineno", "?")}, in {frame.get("function") or "?"}'
    context = str(frame.get("context_line") or "").strip()
    return [line, f"    {context}"] if context else [line]


# -- link / unlink --------------------------------------------------------------------------


def parse_issue_ref(ref: str) -> str | None:
    """An issue key from a key in any case or a pasted Jira URL; None when it is neither."""
    text = ref.strip()
    if ISSUE_KEY_RE.match(text):
        return text.upper()
    if not text.lower().startswith(("http://", "https://")):
        return None
    parts = urlsplit(text)
    # Jira's board and search views put the open issue in ?selectedIssue= rather than the path.
    selected = parse_qs(parts.query).get("selectedIssue")
    if selected and ISSUE_KEY_RE.match(selected[0]):
        return selected[0].upper()
    match = re.search(r"/browse/([^/?#]+)", parts.path)
    if match and ISSUE_KEY_RE.match(match.group(1)):
        return match.group(1).upper()
    return None


def link_ticket(group: Group, site: JiraSite, ref: str, actor: Actor) -> Ticket:
    """Link an existing issue given as a key (any case) or a browse URL."""
    _binding_for(group, site)
    key = parse_issue_ref(ref)
    if key is None:
        msg = "Enter an issue key such as ABC-123 or paste the issue's Jira address."
        raise DomainError(msg, field="issue")
    try:
        with JiraClient.for_site(site) as client:
            issue = client.get_issue(key, fields=SNAPSHOT_FIELDS)
            add_remote_link(client, group, str(issue["key"]))
    except JiraNotFound:
        msg = f"Issue {key} does not exist or you do not have permission to see it."
        raise DomainError(msg, field="issue") from None
    if GroupLink.objects.filter(group=group, ticket__site=site, ticket__issue_id=issue["id"]):
        raise DomainError(f"{issue['key']} is already linked to this issue.", field="issue")
    ticket = _store_link(group, site, issue, actor, action="ticket_linked")
    log.info("sync.link.linked", group=group.pk, ticket=ticket.key)
    return ticket


@transaction.atomic
def unlink_ticket(group: Group, ticket: Ticket, actor: Actor) -> bool:
    """Remove the link; the ticket row goes only when no group holds it. Never touches Jira."""
    if ticket.pk is None:
        return False
    deleted, _ = GroupLink.objects.filter(group=group, ticket=ticket).delete()
    if not deleted:
        return False
    record_activity(group, "ticket_unlinked", actor, {"key": ticket.key, "site": ticket.site_id})
    if not GroupLink.objects.filter(ticket=ticket).exists():
        ticket.delete()
    log.info("sync.link.unlinked", group=group.pk, ticket=ticket.key)
    return True


@transaction.atomic
def _store_link(group: Group, site: JiraSite, issue: JSON, actor: Actor, *, action: str) -> Ticket:
    ticket, _ = Ticket.objects.select_for_update().get_or_create(
        site=site, issue_id=str(issue["id"]), defaults={"key": str(issue["key"])}
    )
    apply_snapshot(ticket, issue)
    GroupLink.objects.get_or_create(group=group, ticket=ticket, defaults={"created_by": actor.user})
    record_activity(group, action, actor, {"key": ticket.key, "site": site.pk})
    return ticket


def apply_snapshot(ticket: Ticket, issue: JSON, *, save: bool = True) -> Ticket:
    """Record what Jira holds (from a GET of the issue) on the ticket row."""
    fields_ = issue.get("fields") or {}
    ticket.key = str(issue.get("key") or ticket.key)
    if "summary" in fields_:
        ticket.summary = formatting.one_line(str(fields_.get("summary") or ""))
    project = fields_.get("project") or {}
    ticket.project_key = str(project.get("key") or ticket.project_key)
    status = fields_.get("status")
    if isinstance(status, dict):
        ticket.status_id = str(status.get("id") or "")
        ticket.status_name = str(status.get("name") or "")
        ticket.status_category = str((status.get("statusCategory") or {}).get("key") or "")
    if "assignee" in fields_:
        assignee = fields_.get("assignee") or {}
        ticket.assignee_account_id = str(assignee.get("accountId") or assignee.get("name") or "")
        ticket.assignee_name = str(assignee.get("displayName") or "")
    updated = parse_jira_time(fields_.get("updated"))
    if updated is not None and (ticket.watermark is None or updated > ticket.watermark):
        ticket.watermark = updated
    ticket.refreshed_at = timezone.now()
    if save:
        ticket.save()
    return ticket


def parse_jira_time(value: Any) -> datetime | None:
    """Jira's `2019-02-05T14:12:07.651+0000` (no colon in the offset) as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+0000")
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


# -- create-form defaults -------------------------------------------------------------------


def form_defaults(project: Project, site: JiraSite, user: User | None) -> JSON:
    """Jira project, issue type, priority and labels to preselect: the person's last choice
    wins over the project's defaults."""
    rows = TicketDefaults.objects.filter(project=project, site=site)
    base = rows.filter(user__isnull=True).first()
    mine = rows.filter(user=user).first() if user is not None else None
    out: JSON = {"jira_project": "", "issue_type_id": "", "priority_id": "", "labels": []}
    for row in (base, mine):
        if row is None:
            continue
        for name in out:
            value = getattr(row, name)
            if value:
                out[name] = value
    return out


def set_project_defaults(project: Project, site: JiraSite, values: JSON) -> TicketDefaults:
    row, _ = TicketDefaults.objects.update_or_create(
        project=project, site=site, user=None, defaults=_clean_defaults(values)
    )
    return row


def remember_defaults(
    project: Project, site: JiraSite, user: User | None, values: JSON
) -> TicketDefaults | None:
    if user is None:
        return None
    row, _ = TicketDefaults.objects.update_or_create(
        project=project, site=site, user=user, defaults=_clean_defaults(values)
    )
    return row


def _clean_defaults(values: JSON) -> JSON:
    labels = values.get("labels") or []
    return {
        "jira_project": str(values.get("jira_project") or ""),
        "issue_type_id": str(values.get("issue_type_id") or ""),
        "priority_id": str(values.get("priority_id") or ""),
        "labels": [str(v) for v in labels],
    }
