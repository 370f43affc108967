"""Jira actions on the group page: create a ticket, link, unlink, retry a failed sync."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from bugbridge.tracker.errors import DomainError
from bugbridge.tracker.models import Group
from bugbridge.web import access, jira_actions, queries
from bugbridge.web.views.common import actor, errors_of, member_view, render_refused
from bugbridge.web.views.issues import group_context

FIELD_PREFIX = "f_"


def _form_state(group: Group, params: Any, user: Any) -> dict[str, Any]:
    """Sites, projects, issue types and fields for the current choices (else the person's last
    ones); trouble reaching Jira is shown on the form."""
    state: dict[str, Any] = {"sites": jira_actions.sites_for(group), "values": params}
    site_id = params.get("site") or (state["sites"][0].pk if state["sites"] else "")
    state["site_id"] = str(site_id)
    if not site_id:
        return state
    try:
        site = jira_actions.site_for(group, site_id)
        form = jira_actions.create_form(
            group, site, user, params.get("project", ""), params.get("issuetype", "")
        )
    except DomainError as exc:
        state["jira_error"] = exc.message
        return state
    token = params.get("request_token") or form.request_token
    return {**state, "form": form, "request_token": token}


@member_view
def create_form(request: HttpRequest, pk: int) -> HttpResponse:
    group = access.get_group(request.user, pk)
    context = {"group": group, **_form_state(group, request.GET, request.user)}
    return render(request, "web/jira_create.html", context)


@member_view
def create_fields(request: HttpRequest, pk: int) -> HttpResponse:
    group = access.get_group(request.user, pk)
    context = {"group": group, **_form_state(group, request.GET, request.user)}
    return render(request, "web/partials/create_fields.html", context)


@member_view
@require_POST
def create_ticket(request: HttpRequest, pk: int) -> HttpResponse:
    group = access.get_group(request.user, pk)
    try:
        site = jira_actions.site_for(group, request.POST.get("site"))
        jira_actions.create_ticket(group, site, _create_data(request), actor(request))
    except DomainError as exc:
        state = _form_state(group, request.POST, request.user)
        context = {"group": group, **state, "errors": errors_of(exc)}
        return render(request, "web/jira_create.html", context, status=400)
    return redirect("web:group", group.pk)


def _create_data(request: HttpRequest) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in request.POST:
        if name.startswith(FIELD_PREFIX):
            values = [v for v in request.POST.getlist(name) if v != ""]
            fields[name.removeprefix(FIELD_PREFIX)] = (
                values if len(values) > 1 else (values[0] if values else "")
            )
    return {
        "project": request.POST.get("project", ""),
        "issuetype": request.POST.get("issuetype", ""),
        "summary": request.POST.get("summary", ""),
        "description": request.POST.get("description", ""),
        "request_token": request.POST.get("request_token", ""),
        "fields": fields,
    }


@member_view
def jira_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The group page's Jira panel alone: polled while a change is on its way to Jira."""
    group = access.get_group(request.user, pk)
    context = {
        "group": group,
        "link_states": queries.link_states(group),
        "sites": jira_actions.sites_for(group),
    }
    return render(request, "web/partials/jira_panel.html", context)


@member_view
@require_POST
def link_ticket(request: HttpRequest, pk: int) -> HttpResponse:
    group = access.get_group(request.user, pk)
    try:
        site = jira_actions.site_for(group, request.POST.get("site"))
        jira_actions.link_ticket(group, site, request.POST.get("issue", ""), actor(request))
    except DomainError as exc:
        exc.field = exc.field or "issue"
        return render_refused(request, "web/group.html", group_context(request, group), exc)
    return redirect("web:group", group.pk)


@member_view
def search_tickets(request: HttpRequest, pk: int) -> HttpResponse:
    group = access.get_group(request.user, pk)
    context: dict[str, Any] = {"group": group, "results": []}
    try:
        site = jira_actions.site_for(group, request.GET.get("site"))
        context["results"] = jira_actions.search_issues(site, _search_text(request))
    except DomainError as exc:
        context["search_error"] = exc.message
    return render(request, "web/partials/search_results.html", context)


@member_view
def autocomplete(request: HttpRequest, pk: int) -> HttpResponse:
    group = access.get_group(request.user, pk)
    field = request.GET.get("field", "")
    context: dict[str, Any] = {"choices": []}
    try:
        site = jira_actions.site_for(group, request.GET.get("site"))
        text = request.GET.get(FIELD_PREFIX + field, "")
        project = request.GET.get("project", "")
        context["choices"] = jira_actions.autocomplete(site, field, text, project)
    except DomainError as exc:
        context["autocomplete_error"] = exc.message
    return render(request, "web/partials/autocomplete.html", context)


def _search_text(request: HttpRequest) -> str:
    return request.GET.get("q") or request.GET.get("issue") or ""


@member_view
@require_POST
def unlink(request: HttpRequest, pk: int) -> HttpResponse:
    link = access.get_link(request.user, pk)
    try:
        jira_actions.unlink(link, actor(request))
    except DomainError as exc:
        exc.field = f"link-{link.pk}"
        group = link.group
        return render_refused(request, "web/group.html", group_context(request, group), exc)
    return redirect("web:group", link.group_id)


@member_view
@require_POST
def retry_change(request: HttpRequest, pk: int) -> HttpResponse:
    change = access.get_change(request.user, pk)
    try:
        jira_actions.retry_change(change, actor(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    back = request.POST.get("next", "")
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect("web:sync_health")
