"""Rows → the API's response dicts."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from bugbridge.jira.models import SiteBinding, StatusMapping, UserMapping
from bugbridge.sync.models import OutboundChange, Ticket
from bugbridge.tracker.models import Event, Group, Note, Project
from bugbridge.web import queries, services


def project(row: Project) -> dict[str, Any]:
    key = services.active_key(row)
    return {
        "id": row.pk,
        "organization_id": row.organization_id,
        "organization": row.organization.name,
        "name": row.name,
        "slug": row.slug,
        "platform": row.platform,
        "dsn": key.dsn(settings.BASE_URL) if key else None,
        "created_at": row.created_at,
    }


def group(row: Group, tickets: list[str]) -> dict[str, Any]:
    return {
        "id": row.pk,
        "short_id": row.short_id,
        "project_id": row.project_id,
        "title": row.title,
        "culprit": row.culprit,
        "level": row.level,
        "status": row.status,
        "resolved_in_release": row.resolved_in_release,
        "assignee_id": row.assignee_id,
        "assignee": row.assignee.get_username() if row.assignee else None,
        "first_seen": row.first_seen,
        "last_seen": row.last_seen,
        "times_seen": row.times_seen,
        "users_seen": row.users_seen,
        "first_release": row.first_release,
        "last_release": row.last_release,
        "tickets": tickets,
    }


def group_detail(row: Group) -> dict[str, Any]:
    states = queries.link_states(row)
    out = group(row, [s.link.ticket.key for s in states])
    out["links"] = [link(s) for s in states]
    return out


def ticket(row: Ticket) -> dict[str, Any]:
    return {
        "key": row.key,
        "site_id": row.site_id,
        "site": row.site.name,
        "url": row.browse_url,
        "summary": row.summary,
        "status": row.status_name,
        "status_category": row.status_category,
        "assignee": row.assignee_name,
    }


def link(state: queries.LinkState) -> dict[str, Any]:
    return {
        "id": state.link.pk,
        "group_id": state.link.group_id,
        "ticket": ticket(state.link.ticket),
        "sync_state": state.state,
        "pending_changes": state.pending,
        "failures": [change(c) for c in state.failed],
        "created_at": state.link.created_at,
    }


def change(row: OutboundChange) -> dict[str, Any]:
    return {
        "id": row.pk,
        "ticket_key": row.ticket.key,
        "kind": row.kind,
        "state": row.state,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "due_at": row.due_at,
        "group_id": row.group_id,
    }


def event(row: Event, *, with_data: bool = False) -> dict[str, Any]:
    out = {
        "id": row.pk,
        "event_id": row.event_id.hex,
        "group_id": row.group_id,
        "timestamp": row.timestamp,
        "title": row.title,
        "level": row.level,
        "release": row.release,
        "environment": row.environment,
        "user": row.user_ident,
        "tags": row.tags,
    }
    if with_data:
        out["data"] = row.data if isinstance(row.data, dict) else {}
    return out


def note(row: Note) -> dict[str, Any]:
    author = row.author_label or (row.author.get_username() if row.author else "")
    return {
        "id": row.pk,
        "group_id": row.group_id,
        "author": author,
        "body": row.body,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def binding(row: SiteBinding) -> dict[str, Any]:
    out = {
        "id": row.pk,
        "organization_id": row.organization_id,
        "site_id": row.site_id,
        "site": row.site.name,
        "base_url": row.site.base_url,
        "auth_method": row.site.auth_method,
        "enabled": row.site.is_enabled,
        "resolve_strategy": row.resolve_strategy,
    }
    out.update({name: getattr(row, name) for name in services.SYNC_SWITCHES})
    return out


def status_map(row: StatusMapping) -> dict[str, Any]:
    return {
        "id": row.pk,
        "jira_project_key": row.jira_project_key,
        "resolved_status_id": row.resolved_status_id,
        "unresolved_status_id": row.unresolved_status_id,
        "ignored_status_id": row.ignored_status_id,
        "inbound_resolved_status_ids": list(row.inbound_resolved_status_ids or []),
        "inbound_ignored_status_ids": list(row.inbound_ignored_status_ids or []),
    }


def user_map(row: UserMapping) -> dict[str, Any]:
    return {
        "id": row.pk,
        "user_id": row.user_id,
        "username": row.user.get_username(),
        "account_id": row.account_id,
        "display_name": row.display_name,
    }
