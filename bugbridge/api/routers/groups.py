"""Groups with their events, notes and Jira links."""

from __future__ import annotations

from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from bugbridge.api import serialize
from bugbridge.api.pagination import paginate
from bugbridge.api.schemas import (
    ERRORS,
    ChangeOut,
    EventDetailOut,
    EventOut,
    GroupDetailOut,
    GroupOut,
    GroupUpdateIn,
    Id,
    LinkIn,
    LinkOut,
    NoteIn,
    NoteOut,
    Text,
    TicketIn,
)
from bugbridge.tracker import services as tracker
from bugbridge.tracker.actors import Actor
from bugbridge.tracker.errors import DomainError
from bugbridge.tracker.models import Group, Membership
from bugbridge.web import access, jira_actions, queries

router = Router(tags=["groups"])

SORT_COLUMNS = {"last_seen": "last_seen", "events": "times_seen", "users": "users_seen"}


class GroupPage(Schema):
    items: list[GroupOut]
    next_cursor: str | None


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str | None


class NotePage(Schema):
    items: list[NoteOut]
    next_cursor: str | None


class GroupQuery(Schema):
    status: Literal["unresolved", "resolved", "ignored", "all"] = "unresolved"
    # A pattern, not free text: an unreadable value would otherwise drop the filter silently.
    assignee: Text = Field(
        "", pattern=r"^(|me|none|[0-9]{1,19})$", description='"me", "none" or a user id'
    )
    linked: Literal["", "yes", "no"] = ""
    environment: Text = Field("", max_length=64)
    release: Text = Field("", max_length=200)
    query: Text = Field("", max_length=200)
    project: Id | None = None
    sort: Literal["last_seen", "events", "users"] = "last_seen"
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(25, ge=1, le=100)


class PageQuery(Schema):
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(25, ge=1, le=100)


def _actor(request: HttpRequest) -> Actor:
    return Actor.member(request.user)  # type: ignore[arg-type]


@router.get("/groups", response={200: GroupPage, **ERRORS})
def list_groups(request: HttpRequest, params: Query[GroupQuery]) -> Any:
    flt = queries.IssueFilter(
        status=params.status,
        assignee=params.assignee,
        linked=params.linked,
        environment=params.environment,
        release=params.release,
        query=params.query,
        sort=params.sort,
        project=str(params.project or ""),
    )
    rows = queries.filter_groups(access.groups(request.user), flt, request.user)
    found = paginate(rows, SORT_COLUMNS[params.sort], params.cursor, params.limit)
    links = queries.links_by_group([g.pk for g in found.items])
    items = [serialize.group(g, [lk.ticket.key for lk in links.get(g.pk, [])]) for g in found.items]
    return {"items": items, "next_cursor": found.next_cursor}


@router.get("/groups/{group_id}", response={200: GroupDetailOut, **ERRORS})
def get_group(request: HttpRequest, group_id: int) -> Any:
    return serialize.group_detail(access.get_group(request.user, group_id))


@router.patch("/groups/{group_id}", response={200: GroupDetailOut, **ERRORS})
def update_group(request: HttpRequest, group_id: int, data: GroupUpdateIn) -> Any:
    group = access.get_group(request.user, group_id)
    if "assignee_id" in data.model_fields_set:
        tracker.assign_group(group, _member(group, data.assignee_id), _actor(request))
    if data.status is not None:
        tracker.set_group_status(group, data.status, _actor(request), in_release=data.in_release)
    return serialize.group_detail(access.get_group(request.user, group_id))


def _member(group: Group, user_id: int | None) -> Any:
    if user_id is None:
        return None
    members = Membership.objects.filter(organization_id=group.project.organization_id)
    user = get_user_model().objects.filter(pk=user_id, pk__in=members.values("user_id")).first()
    if user is None:
        raise DomainError("No member of this organization has that id.", field="assignee_id")
    return user


@router.get("/groups/{group_id}/events", response={200: EventPage, **ERRORS})
def list_events(request: HttpRequest, group_id: int, page: Query[PageQuery]) -> Any:
    group = access.get_group(request.user, group_id)
    found = paginate(group.events.all(), "timestamp", page.cursor, page.limit)
    return {"items": [serialize.event(e) for e in found.items], "next_cursor": found.next_cursor}


@router.get("/events/{event_id}", response={200: EventDetailOut, **ERRORS})
def get_event(request: HttpRequest, event_id: int) -> Any:
    return serialize.event(access.get_event(request.user, event_id), with_data=True)


@router.get("/groups/{group_id}/notes", response={200: NotePage, **ERRORS})
def list_notes(request: HttpRequest, group_id: int, page: Query[PageQuery]) -> Any:
    group = access.get_group(request.user, group_id)
    notes = group.notes.filter(is_deleted=False).select_related("author")
    found = paginate(notes, "created_at", page.cursor, page.limit, descending=False)
    return {"items": [serialize.note(n) for n in found.items], "next_cursor": found.next_cursor}


@router.post("/groups/{group_id}/notes", response={201: NoteOut, **ERRORS})
def add_note(request: HttpRequest, group_id: int, data: NoteIn) -> Any:
    group = access.get_group(request.user, group_id)
    return 201, serialize.note(tracker.add_note(group, data.body, _actor(request)))


@router.patch("/notes/{note_id}", response={200: NoteOut, **ERRORS})
def edit_note(request: HttpRequest, note_id: int, data: NoteIn) -> Any:
    note = access.get_note(request.user, note_id)
    return serialize.note(tracker.edit_note(note, data.body, _actor(request)))


@router.delete("/notes/{note_id}", response={204: None, **ERRORS})
def delete_note(request: HttpRequest, note_id: int) -> Any:
    tracker.delete_note(access.get_note(request.user, note_id), _actor(request))
    return 204, None


@router.get("/groups/{group_id}/links", response={200: list[LinkOut], **ERRORS})
def list_links(request: HttpRequest, group_id: int) -> Any:
    group = access.get_group(request.user, group_id)
    return [serialize.link(state) for state in queries.link_states(group)]


def _link_of(group: Group, result: Any) -> dict[str, Any]:
    """The link an action made (the sync layer returns a link or a ticket)."""
    ticket_id = getattr(result, "ticket_id", None) or getattr(result, "pk", None)
    for state in queries.link_states(group):
        if state.link.ticket_id == ticket_id or state.link.pk == getattr(result, "pk", None):
            return serialize.link(state)
    raise DomainError("The link was not recorded; try again.")


@router.post("/groups/{group_id}/links", response={201: LinkOut, **ERRORS})
def link_ticket(request: HttpRequest, group_id: int, data: LinkIn) -> Any:
    group = access.get_group(request.user, group_id)
    site = jira_actions.site_for(group, data.site_id)
    result = jira_actions.link_ticket(group, site, data.issue, _actor(request))
    return 201, _link_of(group, result)


@router.post("/groups/{group_id}/tickets", response={201: LinkOut, **ERRORS})
def create_ticket(request: HttpRequest, group_id: int, data: TicketIn) -> Any:
    group = access.get_group(request.user, group_id)
    site = jira_actions.site_for(group, data.site_id)
    payload = data.model_dump(exclude={"site_id"})
    result = jira_actions.create_ticket(group, site, payload, _actor(request))
    return 201, _link_of(group, result)


@router.delete("/links/{link_id}", response={204: None, **ERRORS})
def unlink(request: HttpRequest, link_id: int) -> Any:
    jira_actions.unlink(access.get_link(request.user, link_id), _actor(request))
    return 204, None


@router.post("/sync/changes/{change_id}/retry", response={200: ChangeOut, **ERRORS})
def retry_change(request: HttpRequest, change_id: int) -> Any:
    change = access.get_change(request.user, change_id)
    return serialize.change(jira_actions.retry_change(change, _actor(request)))
