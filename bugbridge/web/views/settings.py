"""Integration settings: connect sites, sync switches, status maps, user mappings, API tokens,
and the sync health page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from bugbridge.api import tokens
from bugbridge.jira import sites as jira_sites
from bugbridge.jira.models import ResolveStrategy, SiteBinding
from bugbridge.tracker.errors import DomainError
from bugbridge.tracker.models import Membership
from bugbridge.web import access, jira_actions, queries, services
from bugbridge.web.views.common import checkbox, member_view, render_refused

SWITCH_LABELS = {
    "sync_assignee_outbound": "Send assignee changes to Jira",
    "sync_assignee_inbound": "Take assignee changes from Jira",
    "sync_status_outbound": "Move tickets when groups are resolved or reopened",
    "sync_status_inbound": "Resolve or reopen groups when tickets move",
    "sync_comments_outbound": "Post notes as Jira comments",
    "sync_comments_inbound": "Import Jira comments as notes",
    "reopen_on_regression": "Reopen the ticket when a resolved group comes back",
    "keep_ignored_on_inbound": "Keep ignored groups ignored when Jira moves the ticket",
    "jsm_comments_public": "Service Management: post comments as public replies",
}


STATUS_TARGETS = [
    ("resolved_status_id", "Resolved → move ticket to"),
    ("unresolved_status_id", "Unresolved → move ticket to"),
    ("ignored_status_id", "Ignored → move ticket to"),
]
STATUS_SOURCES = [
    ("inbound_resolved", "These statuses resolve groups"),
    ("inbound_ignored", "These statuses ignore groups"),
]


def _integrations_context(request: HttpRequest) -> dict[str, Any]:
    bindings = access.bindings(request.user).order_by("organization__name", "site__name")
    admin_orgs = access.admin_memberships(request.user)
    return {
        "bindings": [(b, _health(b)) for b in bindings],
        "admin_orgs": [m.organization for m in admin_orgs],
        "descriptor_url": jira_actions.connect_descriptor_url(),
    }


def _health(binding: SiteBinding) -> dict[str, Any]:
    unsettled = queries.unsettled_changes([binding.organization_id]).filter(
        ticket__site=binding.site
    )
    last = binding.site.deliveries.order_by("-received_at").first()
    return {
        "failed": unsettled.filter(state="failed").count(),
        "pending": unsettled.exclude(state="failed").count(),
        "last_delivery": last.received_at if last else None,
    }


@member_view
def integrations(request: HttpRequest) -> HttpResponse:
    return render(request, "web/integrations.html", _integrations_context(request))


@member_view
@require_POST
def connect_token(request: HttpRequest) -> HttpResponse:
    data = request.POST
    try:
        member = access.require_admin(request.user, _int(data.get("organization")))
        binding = jira_actions.connect_api_token(
            member.organization,
            data.get("name", ""),
            data.get("base_url", ""),
            data.get("email", ""),
            data.get("api_token", ""),
        )
    except DomainError as exc:
        if exc.status_code != 400:
            raise
        return render_refused(request, "web/integrations.html", _integrations_context(request), exc)
    return redirect("web:binding", binding.pk)


def _int(value: Any) -> int:
    return access.parse_id(value) or 0


def _binding_context(request: HttpRequest, binding: SiteBinding, **extra: Any) -> dict[str, Any]:
    member_ids = Membership.objects.filter(organization=binding.organization_id).values("user_id")
    is_admin = access.membership(request.user, binding.organization_id).can_admin
    return {
        "binding": binding,
        "site": binding.site,
        "is_admin": is_admin,
        # A Data Center URL carries the webhook secret (`?secret=`): admins only, like the secret.
        "webhook_url": (
            jira_actions.webhook_url(binding.site)
            if is_admin
            else jira_sites.webhook_url(binding.site)
        ),
        "switches": [
            (name, label, getattr(binding, name)) for name, label in SWITCH_LABELS.items()
        ],
        "strategies": ResolveStrategy.choices,
        "status_maps": binding.status_maps.order_by("jira_project_key"),
        "status_targets": STATUS_TARGETS,
        "status_sources": STATUS_SOURCES,
        "user_maps": binding.user_maps.select_related("user").order_by("user__username"),
        "members": get_user_model().objects.filter(pk__in=member_ids).order_by("username"),
        **_statuses(binding),
        **extra,
    }


def _statuses(binding: SiteBinding) -> dict[str, Any]:
    """Jira's statuses for the map form; without them the form takes ids typed by hand."""
    try:
        return {"statuses": jira_actions.jira_statuses(binding.site)}
    except DomainError as exc:
        return {"statuses": [], "statuses_error": exc.message}


@member_view
def binding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    binding = access.get_binding(request.user, pk)
    return render(request, "web/binding.html", _binding_context(request, binding))


def _admin_binding(request: HttpRequest, pk: int) -> SiteBinding:
    binding = access.get_binding(request.user, pk)
    access.require_admin(request.user, binding.organization_id)
    return binding


@member_view
@require_POST
def register_webhook(request: HttpRequest, pk: int) -> HttpResponse:
    binding = _admin_binding(request, pk)
    registered, message = jira_actions.register_webhook(binding.site)
    (messages.success if registered else messages.error)(request, message)
    return redirect("web:binding", binding.pk)


@member_view
@require_POST
def rotate_secret(request: HttpRequest, pk: int) -> HttpResponse:
    binding = _admin_binding(request, pk)
    jira_actions.rotate_webhook_secret(binding.site)
    messages.success(
        request, "New webhook secret: register the webhook again, or paste it into Jira."
    )
    return redirect("web:binding", binding.pk)


@member_view
@require_POST
def check_connection(request: HttpRequest, pk: int) -> HttpResponse:
    binding = access.get_binding(request.user, pk)
    try:
        account = jira_actions.check_connection(binding.site)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Connected: Jira answers as {account}.")
    return redirect("web:binding", binding.pk)


@member_view
@require_POST
def save_switches(request: HttpRequest, pk: int) -> HttpResponse:
    binding = _admin_binding(request, pk)
    values: dict[str, Any] = {name: checkbox(request, name) for name in services.SYNC_SWITCHES}
    values["resolve_strategy"] = request.POST.get("resolve_strategy", binding.resolve_strategy)
    try:
        services.update_switches(binding, values)
    except DomainError as exc:
        return render_refused(request, "web/binding.html", _binding_context(request, binding), exc)
    return redirect("web:binding", binding.pk)


@member_view
@require_POST
def save_status_map(request: HttpRequest, pk: int) -> HttpResponse:
    binding = _admin_binding(request, pk)
    data = request.POST
    entry = services.StatusMapInput(
        jira_project_key=data.get("jira_project_key", ""),
        resolved_status_id=data.get("resolved_status_id", ""),
        unresolved_status_id=data.get("unresolved_status_id", ""),
        ignored_status_id=data.get("ignored_status_id", ""),
        inbound_resolved_status_ids=_id_list(data.getlist("inbound_resolved")),
        inbound_ignored_status_ids=_id_list(data.getlist("inbound_ignored")),
    )
    try:
        services.save_status_map(binding, entry)
    except DomainError as exc:
        return render_refused(request, "web/binding.html", _binding_context(request, binding), exc)
    return redirect("web:binding", binding.pk)


def _id_list(values: list[str]) -> tuple[str, ...]:
    # A multiple select sends one value per status; the plain input, a comma-separated list.
    return tuple(part.strip() for value in values for part in value.split(","))


@member_view
@require_POST
def delete_status_map(request: HttpRequest, pk: int) -> HttpResponse:
    mapping = access.get_status_map(request.user, pk)
    access.require_admin(request.user, mapping.binding.organization_id)
    services.delete_status_map(mapping)
    return redirect("web:binding", mapping.binding_id)


@member_view
@require_POST
def save_user_map(request: HttpRequest, pk: int) -> HttpResponse:
    binding = _admin_binding(request, pk)
    context = _binding_context(request, binding)
    user = context["members"].filter(pk=_int(request.POST.get("user"))).first()
    try:
        if user is None:
            raise DomainError("Choose a member.", field="user")
        services.save_user_map(
            binding, user, request.POST.get("account_id", ""), request.POST.get("display_name", "")
        )
    except DomainError as exc:
        return render_refused(request, "web/binding.html", context, exc)
    return redirect("web:binding", binding.pk)


@member_view
@require_POST
def delete_user_map(request: HttpRequest, pk: int) -> HttpResponse:
    mapping = access.get_user_map(request.user, pk)
    access.require_admin(request.user, mapping.binding.organization_id)
    services.delete_user_map(mapping)
    return redirect("web:binding", mapping.binding_id)


@member_view
def user_map_suggestions(request: HttpRequest, pk: int) -> HttpResponse:
    binding = _admin_binding(request, pk)
    context: dict[str, Any] = {"binding": binding, "suggestions": []}
    try:
        context["suggestions"] = jira_actions.suggest_user_maps(binding)
    except Exception as exc:  # Jira unreachable or refusing: say so next to the button.
        context["suggest_error"] = f"Could not ask Jira for suggestions: {exc}"
    return render(request, "web/partials/user_suggestions.html", context)


@member_view
def sync_health(request: HttpRequest) -> HttpResponse:
    changes = queries.unsettled_changes(access.org_ids(request.user))
    by_site: dict[str, list[Any]] = {}
    for change in changes[:500]:
        by_site.setdefault(change.ticket.site.name, []).append(change)
    return render(request, "web/sync.html", {"by_site": by_site})


@member_view
def api_tokens(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"tokens": tokens.tokens_of(request.user).order_by("-created_at")}
    if request.method != "POST":
        return render(request, "web/tokens.html", context)
    try:
        token, plain = tokens.create_token(request.user, request.POST.get("name", ""))
    except DomainError as exc:
        return render_refused(request, "web/tokens.html", context, exc)
    return render(request, "web/tokens.html", {**context, "new_token": plain, "created": token})


@member_view
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    tokens.revoke_token(request.user, pk)
    return redirect("web:tokens")
