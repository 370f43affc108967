"""Jira sites an organization uses, and its sync settings for each: switches, status maps,
user mappings."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from ninja import Path, Router

from bugbridge.api import serialize
from bugbridge.api.schemas import (
    ERRORS,
    BindingOut,
    BindingSettingsIn,
    StatusMapIn,
    StatusMapOut,
    UserMapIn,
    UserMapOut,
)
from bugbridge.jira.models import SiteBinding
from bugbridge.tracker.errors import DomainError
from bugbridge.web import access, services

router = Router(tags=["sites"])


def _admin_binding(request: HttpRequest, binding_id: int) -> SiteBinding:
    binding = access.get_binding(request.user, binding_id)
    access.require_admin(request.user, binding.organization_id)
    return binding


@router.get("/sites", response={200: list[BindingOut], **ERRORS})
def list_sites(request: HttpRequest) -> Any:
    rows = access.bindings(request.user).order_by("organization_id", "site__name", "pk")
    return [serialize.binding(b) for b in rows]


@router.get("/sites/{binding_id}", response={200: BindingOut, **ERRORS})
def get_site(request: HttpRequest, binding_id: int) -> Any:
    return serialize.binding(access.get_binding(request.user, binding_id))


@router.patch("/sites/{binding_id}/settings", response={200: BindingOut, **ERRORS})
def update_settings(request: HttpRequest, binding_id: int, data: BindingSettingsIn) -> Any:
    binding = _admin_binding(request, binding_id)
    values = data.model_dump(exclude_none=True)
    return serialize.binding(services.update_switches(binding, values))


@router.get("/sites/{binding_id}/status-maps", response={200: list[StatusMapOut], **ERRORS})
def list_status_maps(request: HttpRequest, binding_id: int) -> Any:
    binding = access.get_binding(request.user, binding_id)
    return [serialize.status_map(m) for m in binding.status_maps.order_by("jira_project_key")]


@router.put("/sites/{binding_id}/status-maps/{project_key}", response={200: StatusMapOut, **ERRORS})
def put_status_map(
    request: HttpRequest,
    binding_id: int,
    project_key: Path[str],
    data: StatusMapIn,
) -> Any:
    binding = _admin_binding(request, binding_id)
    if not project_key.isalnum() or len(project_key) > 32:
        raise DomainError("A Jira project key is letters and digits.", field="project_key")
    entry = services.StatusMapInput(
        jira_project_key=project_key,
        resolved_status_id=data.resolved_status_id,
        unresolved_status_id=data.unresolved_status_id,
        ignored_status_id=data.ignored_status_id,
        inbound_resolved_status_ids=tuple(data.inbound_resolved_status_ids),
        inbound_ignored_status_ids=tuple(data.inbound_ignored_status_ids),
    )
    return serialize.status_map(services.save_status_map(binding, entry))


@router.delete("/status-maps/{map_id}", response={204: None, **ERRORS})
def delete_status_map(request: HttpRequest, map_id: int) -> Any:
    mapping = access.get_status_map(request.user, map_id)
    access.require_admin(request.user, mapping.binding.organization_id)
    services.delete_status_map(mapping)
    return 204, None


@router.get("/sites/{binding_id}/user-mappings", response={200: list[UserMapOut], **ERRORS})
def list_user_maps(request: HttpRequest, binding_id: int) -> Any:
    binding = access.get_binding(request.user, binding_id)
    rows = binding.user_maps.select_related("user").order_by("user__username")
    return [serialize.user_map(m) for m in rows]


@router.post("/sites/{binding_id}/user-mappings", response={200: UserMapOut, **ERRORS})
def save_user_map(request: HttpRequest, binding_id: int, data: UserMapIn) -> Any:
    binding = _admin_binding(request, binding_id)
    user = get_user_model().objects.filter(pk=data.user_id).first()
    if user is None:
        raise DomainError("That user is not a member of this organization.", field="user_id")
    mapping = services.save_user_map(binding, user, data.account_id, data.display_name)
    return serialize.user_map(mapping)


@router.delete("/user-mappings/{map_id}", response={204: None, **ERRORS})
def delete_user_map(request: HttpRequest, map_id: int) -> Any:
    mapping = access.get_user_map(request.user, map_id)
    access.require_admin(request.user, mapping.binding.organization_id)
    services.delete_user_map(mapping)
    return 204, None
