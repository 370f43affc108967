"""Small template helpers: read a dict by key, phrase an activity row, show an age."""

from __future__ import annotations

from typing import Any

from django import template

from bugbridge.tracker.models import Activity
from bugbridge.web import queries

register = template.Library()

_PHRASES = {
    "assigned": "assigned it to {assignee}",
    "unassigned": "unassigned it",
    "set_resolved": "resolved it",
    "set_unresolved": "marked it unresolved",
    "set_ignored": "ignored it",
    "regression": "saw it come back (regression)",
    "note_added": "added a note",
    "note_edited": "edited a note",
    "note_deleted": "deleted a note",
    "ticket_created": "created Jira ticket {key}",
    "ticket_linked": "linked Jira ticket {key}",
    "ticket_unlinked": "unlinked Jira ticket {key}",
    "jira_assignee_unmapped": "found no member for Jira user {assignee}, so left it unassigned",
    "jira_ticket_deleted": "saw Jira ticket {key} deleted and unlinked it",
}


@register.filter
def get(mapping: Any, key: str) -> Any:
    if hasattr(mapping, "get"):
        return mapping.get(key, "")
    return ""


@register.filter
def activity_text(activity: Activity) -> str:
    data = activity.data if isinstance(activity.data, dict) else {}
    phrase = _PHRASES.get(activity.kind, activity.kind.replace("_", " "))
    try:
        text = phrase.format(**{k: data.get(k, "") for k in ("assignee", "key")})
    except (KeyError, IndexError):
        text = phrase
    if data.get("release"):
        text += f" (release {data['release']})"
    return text


@register.filter
def ago(moment: Any) -> str:
    return queries.age(moment)


@register.filter
def field_name(field_id: str) -> str:
    return f"f_{field_id}"


@register.simple_tag
def selected(current: Any, value: Any) -> str:
    return "selected" if str(current) == str(value) else ""


@register.filter
def startswith(text: Any, prefix: str) -> bool:
    return str(text).startswith(prefix)


@register.filter
def entries(mapping: Any) -> list[tuple[Any, Any]]:
    """A dict's items; `.items` in a template would read a key named "items" first."""
    return list(mapping.items()) if isinstance(mapping, dict) else []


@register.filter
def join_list(value: Any) -> str:
    """Labels remembered as a list, shown space-separated as Jira writes them."""
    return " ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)


_CHANGE_LABELS = {
    "assignee": "Assignee",
    "status": "Status",
    "comment_create": "New comment",
    "comment_update": "Comment edit",
    "comment_delete": "Comment removal",
}


@register.filter
def change_label(change: Any) -> str:
    return _CHANGE_LABELS.get(str(change.kind), str(change.kind).replace("_", " "))


@register.filter
def any_pending(states: Any) -> bool:
    return any(state.state == "pending" for state in states)
