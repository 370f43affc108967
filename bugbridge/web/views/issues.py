"""The inbox and the group page, with the controls that change a group."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from bugbridge.tracker import services as tracker
from bugbridge.tracker.errors import DomainError
from bugbridge.tracker.models import Group, Membership
from bugbridge.web import access, jira_actions, queries
from bugbridge.web.views.common import actor, member_view, render_refused

PAGE_SIZE = 25


@member_view
def issue_list(request: HttpRequest) -> HttpResponse:
    flt = queries.IssueFilter.from_params(request.GET)
    visible = access.groups(request.user)
    page = Paginator(queries.filter_groups(visible, flt, request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "filter": flt,
        "links": queries.links_by_group([g.pk for g in page.object_list]),
        "members": _members(request.user),
        "environments": queries.facet_values(visible, "environment"),
        "releases": queries.facet_values(visible, "release"),
        "projects": access.projects(request.user).order_by("name"),
        "query_string": params.urlencode(),
    }
    return render(request, "web/issues.html", context)


def _members(user: Any) -> Any:
    org_ids = access.org_ids(user)
    member_ids = Membership.objects.filter(organization_id__in=org_ids).values("user_id")
    return get_user_model().objects.filter(pk__in=member_ids).order_by("username")


def group_context(request: HttpRequest, group: Group, **extra: Any) -> dict[str, Any]:
    latest = group.events.order_by("-timestamp", "-pk").first()
    events = Paginator(group.events.order_by("-timestamp", "-pk"), 20).get_page(
        request.GET.get("events")
    )
    return {
        "group": group,
        "latest": latest,
        "message": queries.event_message(latest),
        "exceptions": queries.exceptions(latest),
        "events": events,
        "chart": queries.event_chart(group),
        "releases": queries.releases(group),
        "tags": queries.tag_summary(group),
        "notes": group.notes.filter(is_deleted=False)
        .select_related("author")
        .order_by("created_at"),
        "activity": group.activity.select_related("actor_user").order_by("-created_at")[:50],
        "members": _members_of(group),
        "link_states": queries.link_states(group),
        "sites": jira_actions.sites_for(group),
        **extra,
    }


def _members_of(group: Group) -> Any:
    member_ids = Membership.objects.filter(organization_id=group.project.organization_id).values(
        "user_id"
    )
    return get_user_model().objects.filter(pk__in=member_ids).order_by("username")


def _refused(request: HttpRequest, group: Group, exc: DomainError) -> HttpResponse:
    return render_refused(request, "web/group.html", group_context(request, group), exc)


@member_view
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    group = access.get_group(request.user, pk)
    return render(request, "web/group.html", group_context(request, group))


@member_view
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = access.get_event(request.user, pk)
    context = {
        "event": event,
        "group": event.group,
        "message": queries.event_message(event),
        "exceptions": queries.exceptions(event),
    }
    return render(request, "web/event.html", context)


@member_view
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    group = access.get_group(request.user, pk)
    try:
        tracker.assign_group(group, _assignee(group, request.POST.get("assignee")), actor(request))
    except DomainError as exc:
        return _refused(request, group, exc)
    return redirect("web:group", group.pk)


def _assignee(group: Group, value: str | None) -> Any:
    if not value:
        return None
    user = _members_of(group).filter(pk=access.parse_id(value) or -1).first()
    if user is None:
        raise DomainError("Choose a member of this organization.", field="assignee")
    return user


@member_view
@require_POST
def set_status(request: HttpRequest, pk: int) -> HttpResponse:
    group = access.get_group(request.user, pk)
    status = request.POST.get("status", "")
    try:
        if status not in {"resolved", "unresolved", "ignored"}:
            raise DomainError("Choose resolved, unresolved or ignored.", field="status")
        tracker.set_group_status(
            group, status, actor(request), in_release=request.POST.get("in_release", "")
        )
    except DomainError as exc:
        return _refused(request, group, exc)
    return redirect("web:group", group.pk)


@member_view
@require_POST
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    group = access.get_group(request.user, pk)
    try:
        tracker.add_note(group, request.POST.get("body", ""), actor(request))
    except DomainError as exc:
        return _refused(request, group, exc)
    return redirect(f"/issues/{group.pk}/#notes")


@member_view
@require_POST
def edit_note(request: HttpRequest, pk: int) -> HttpResponse:
    note = access.get_note(request.user, pk)
    try:
        tracker.edit_note(note, request.POST.get("body", ""), actor(request))
    except DomainError as exc:
        exc.field = f"note-{note.pk}"
        return _refused(request, note.group, exc)
    return redirect(f"/issues/{note.group_id}/#notes")


@member_view
@require_POST
def delete_note(request: HttpRequest, pk: int) -> HttpResponse:
    note = access.get_note(request.user, pk)
    tracker.delete_note(note, actor(request))
    return redirect(f"/issues/{note.group_id}/#notes")
