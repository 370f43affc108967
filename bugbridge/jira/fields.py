"""Create-metadata → form fields → the values Jira expects.

Jira describes what a create form needs per project and issue type (the split create-metadata
endpoints; the combined `/issue/createmeta?expand=…` is gone on Cloud and on Data Center 9).
Every field carries a `schema` (`type`, `items`, `custom`, `system`); the shape of the value
Jira accepts follows from it, not from the field's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import structlog
from django.core.cache import cache

from bugbridge.jira import formatting
from bugbridge.jira.client import JiraClient
from bugbridge.jira.errors import JiraValidationError
from bugbridge.jira.models import Deployment, JiraSite

log = structlog.get_logger(__name__)

JSON = dict[str, Any]

CACHE_SECONDS = 300

SPRINT = "com.pyxis.greenhopper.jira:gh-sprint"
EPIC_LINK = "com.pyxis.greenhopper.jira:gh-epic-link"
TEXTAREA = "com.atlassian.jira.plugin.system.customfieldtypes:textarea"
LABELS_CUSTOM = "com.atlassian.jira.plugin.system.customfieldtypes:labels"

# Fields the create flow fills itself, or that make no sense in a create form.
_FILLED_BY_US = {"summary", "description", "project", "issuetype"}
_NEVER_SHOWN = {"issuelinks", "attachment", "timetracking", "worklog"}
_ID_OBJECT_TYPES = {"priority", "version", "component", "issuetype", "project", "securitylevel"}
_ORDER = {"priority": -150, "fixVersions": -125, "components": -100, "security": -50}


class FieldInputError(JiraValidationError):
    """Submitted values Jira would refuse, found before asking Jira; same shape as Jira's own
    refusal (`field_errors` maps field ids to messages)."""

    def __init__(self, field_errors: dict[str, str]) -> None:
        message = "; ".join(f"{k}: {v}" for k, v in field_errors.items())
        super().__init__(message, field_errors=field_errors)


@dataclass
class FormField:
    id: str
    label: str
    required: bool
    # text | textarea | number | select | multiselect | labels | user | async | date | datetime
    kind: str
    choices: list[tuple[str, str]] = field(default_factory=list)
    multiple: bool = False
    # Searched as one types (users, sprints, epics, parents, labels): the UI asks Bugbridge
    # (`jira.search.autocomplete(site, field, text, project=…)`), never Jira directly.
    searchable: bool = False
    # Jira's own suggestion URL for the field, when it gives one (informational).
    autocomplete_url: str = ""
    default: Any = None
    schema: JSON = field(default_factory=dict)


# -- create-metadata, cached briefly per site/project/type ----------------------------------


# The project and issue type become segments of a REST path (createmeta/{project}/issuetypes/
# {type}): "../", "?" or "#" in them would reach other Jira endpoints with our credentials.
_PROJECT_REF = re.compile(r"[A-Za-z][A-Za-z0-9_]*|[0-9]+")
_ISSUE_TYPE_ID = re.compile(r"[0-9]+")


def _check_segment(value: str, pattern: re.Pattern[str], name: str, what: str) -> None:
    if not pattern.fullmatch(value):
        raise FieldInputError({name: f"{value[:64]!r} is not a Jira {what}."})


def _cache_key(site: JiraSite, *parts: str) -> str:
    return ":".join(["bb", "createmeta", str(site.pk), *parts])


def issue_types(
    site: JiraSite, project: str, *, client: JiraClient | None = None, with_subtasks: bool = False
) -> list[JSON]:
    """Issue types one may create in `project` (id or key). Sub-tasks only when asked for."""
    _check_segment(project, _PROJECT_REF, "project", "project id or key")
    key = _cache_key(site, project)
    types: list[JSON] | None = cache.get(key)
    if types is None:
        types = _with_client(site, client, lambda c: c.createmeta_issue_types(project))
        cache.set(key, types, CACHE_SECONDS)
    # A sub-task cannot exist without a parent, so Jira rejects it from a plain create form.
    return [t for t in types if with_subtasks or not t.get("subtask")]


def field_metadata(
    site: JiraSite, project: str, issue_type_id: str, *, client: JiraClient | None = None
) -> list[JSON]:
    _check_segment(project, _PROJECT_REF, "project", "project id or key")
    _check_segment(issue_type_id, _ISSUE_TYPE_ID, "issuetype", "issue type id")
    key = _cache_key(site, project, issue_type_id)
    fields: list[JSON] | None = cache.get(key)
    if fields is None:
        fields = _with_client(site, client, lambda c: c.createmeta_fields(project, issue_type_id))
        cache.set(key, fields, CACHE_SECONDS)
    return fields


def forget_metadata(site: JiraSite, project: str, issue_type_id: str | None = None) -> None:
    cache.delete(_cache_key(site, project))
    if issue_type_id:
        cache.delete(_cache_key(site, project, issue_type_id))


def _with_client(site: JiraSite, client: JiraClient | None, call: Any) -> Any:
    if client is not None:
        return call(client)
    with JiraClient.for_site(site) as own:
        return call(own)


def field_id(meta: JSON) -> str:
    # Cloud names it `fieldId` (and `key`); Data Center's `values` entries use `fieldId` too,
    # older ones only `key`.
    return str(meta.get("fieldId") or meta.get("key") or meta.get("id") or "")


# -- form fields ----------------------------------------------------------------------------


def form_fields(
    site: JiraSite,
    project: str,
    issue_type_id: str,
    *,
    metadata: list[JSON] | None = None,
    ignored: set[str] | None = None,
) -> list[FormField]:
    """The dynamic part of the create form for one project and issue type, in Jira's order."""
    metas = metadata if metadata is not None else field_metadata(site, project, issue_type_id)
    out = []
    for meta in metas:
        fid = field_id(meta)
        if fid in _FILLED_BY_US or fid in _NEVER_SHOWN or fid in (ignored or set()):
            continue
        form_field = _form_field(site, project, fid, meta)
        if form_field is not None:
            out.append(form_field)
    out.sort(key=lambda f: (_ORDER.get(f.id, 0), f.id))
    return out


def _form_field(site: JiraSite, project: str, fid: str, meta: JSON) -> FormField | None:
    schema: JSON = dict(meta.get("schema") or {})
    ftype, items, custom = schema.get("type"), schema.get("items"), schema.get("custom", "")
    if items in {"worklog", "attachment"}:
        return None
    base = FormField(
        id=fid,
        label=str(meta.get("name") or fid),
        required=bool(meta.get("required")),
        kind="text",
        schema=schema,
        default=meta.get("defaultValue") if meta.get("hasDefaultValue") else None,
        autocomplete_url=str(meta.get("autoCompleteUrl") or ""),
    )
    if _is_searchable(ftype, items, custom):
        base.kind = "user" if "user" in (ftype, items) else "async"
        base.multiple = ftype == "array" and custom != SPRINT
        base.searchable = True
        return base
    if fid == "labels" or custom == LABELS_CUSTOM:
        base.kind, base.multiple, base.searchable = "labels", True, True
        return base
    choices = _choices(meta.get("allowedValues") or [])
    if choices:
        base.choices = choices
        base.multiple = ftype == "array"
        base.kind = "multiselect" if base.multiple else "select"
        return base
    base.kind = _plain_kind(ftype, custom)
    return base


def _is_searchable(ftype: Any, items: Any, custom: str) -> bool:
    # Users, sprints, epics and parents have too many values for a choice list: Jira gives no
    # allowedValues for them, only an autoCompleteUrl, so the form searches as one types.
    return "user" in (ftype, items) or custom in {SPRINT, EPIC_LINK} or ftype == "issuelink"


def _plain_kind(ftype: Any, custom: str) -> str:
    if custom == TEXTAREA:
        return "textarea"
    if ftype in {"number", "date", "datetime"}:
        return str(ftype)
    return "text"


def _choices(allowed: list[JSON]) -> list[tuple[str, str]]:
    """(value, label) pairs: id+name for most things, `value` for custom select options."""
    out = []
    for item in allowed:
        if item.get("name") is not None and item.get("id") is not None:
            out.append((str(item["id"]), str(item["name"])))
        elif item.get("value") is not None:
            out.append((str(item["value"]), str(item["value"])))
        elif item.get("label") is not None:
            out.append((str(item["label"]), str(item["label"])))
    return out


# -- submitted values → Jira's shapes -------------------------------------------------------


def jira_values(
    site: JiraSite,
    metadata: list[JSON],
    submitted: dict[str, Any],
    *,
    api_version: str,
    filled: set[str] | None = None,
) -> JSON:
    """Values for the create body's `fields`, per schema type. Raises FieldInputError."""
    out: JSON = {}
    errors: dict[str, str] = {}
    by_id = {field_id(m): m for m in metadata}
    for fid, raw in submitted.items():
        meta = by_id.get(fid)
        if meta is None or _is_empty(raw):
            continue
        try:
            out[fid] = _convert(site, meta, raw, api_version)
        except ValueError as exc:
            errors[fid] = str(exc)
    for fid, meta in by_id.items():
        if fid not in (filled or set()) and _missing_required(fid, meta, out):
            errors.setdefault(fid, f"{meta.get('name') or fid} is required.")
    if errors:
        raise FieldInputError(errors)
    return out


def _missing_required(fid: str, meta: JSON, values: JSON) -> bool:
    if not meta.get("required") or meta.get("hasDefaultValue"):
        return False
    return fid not in values and fid not in _FILLED_BY_US


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _convert(site: JiraSite, meta: JSON, raw: Any, api_version: str) -> Any:
    schema: JSON = meta.get("schema") or {}
    ftype, items, custom = schema.get("type"), schema.get("items"), schema.get("custom", "")
    allowed = {c[0] for c in _choices(meta.get("allowedValues") or [])}
    if custom == SPRINT:
        # Sprint is an array field in the schema, yet Jira takes a single sprint id.
        return _number(_first(raw), integer=True)
    if ftype == "array":
        values = _split_labels(raw) if items == "string" else _as_list(raw)
        return [_scalar(site, items, custom, v, allowed, api_version) for v in values]
    return _scalar(site, ftype, custom, raw, allowed, api_version)


def _scalar(
    site: JiraSite, ftype: Any, custom: str, raw: Any, allowed: set[str], api_version: str
) -> Any:
    value = str(raw).strip() if not isinstance(raw, dict | list) else raw
    if allowed and isinstance(value, str) and value not in allowed:
        raise ValueError(f"'{value}' is not one of the allowed values.")
    if ftype == "user":
        # Cloud knows users only by accountId; Data Center by user name.
        return {"accountId": value} if site.deployment == Deployment.CLOUD else {"name": value}
    if ftype in _ID_OBJECT_TYPES:
        return {"id": value}
    if ftype == "option":
        return {"value": value}
    if ftype == "issuelink":
        return {"key": str(value).upper()}
    if ftype == "number":
        return _number(value)
    if custom == TEXTAREA and api_version == "3":
        # Only textarea custom fields are rich text; plain string fields stay strings on v3.
        return _adf_text(value)
    return value


def _adf_text(value: Any) -> JSON:
    paragraphs = [formatting.para(p) for p in str(value).split("\n\n")]
    return formatting.to_adf(list(paragraphs))


def _number(value: Any, *, integer: bool = False) -> int | float:
    text = str(value).strip()
    try:
        if integer or ("." not in text and "e" not in text.lower()):
            return int(text)
        return float(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a number.") from None


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [v for v in value if not _is_empty(v)]
    if isinstance(value, str) and "," in value:
        return [v.strip() for v in value.split(",") if v.strip()]
    return [value]


def _split_labels(value: Any) -> list[str]:
    # Jira labels cannot contain spaces: "a, b c" is three labels.
    parts = value if isinstance(value, list) else str(value).replace(",", " ").split()
    return [str(p).strip() for p in parts if str(p).strip()]
