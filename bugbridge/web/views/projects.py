"""Projects: create, show the DSN with an SDK snippet, rotate keys."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from bugbridge.tracker.errors import DomainError
from bugbridge.tracker.models import Project
from bugbridge.web import access, services
from bugbridge.web.views.common import member_view, render_refused


def _list_context(request: HttpRequest) -> dict[str, object]:
    projects = access.projects(request.user).select_related("organization").order_by("name")
    return {"projects": projects, "organizations": access.organizations(request.user)}


@member_view
def project_list(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "web/projects.html", _list_context(request))
    organization_id = request.POST.get("organization") or _only_org(request)
    try:
        member = access.require_admin(request.user, access.parse_id(organization_id) or 0)
        project = services.create_project(member.organization, request.POST.get("name", ""))
    except DomainError as exc:
        if exc.status_code != 400:
            raise
        return render_refused(request, "web/projects.html", _list_context(request), exc)
    return redirect("web:project", project.pk)


def _only_org(request: HttpRequest) -> str:
    orgs = list(access.organizations(request.user).values_list("pk", flat=True)[:2])
    return str(orgs[0]) if len(orgs) == 1 else ""


def _detail_context(project: Project) -> dict[str, object]:
    key = services.active_key(project)
    return {
        "project": project,
        "key": key,
        "dsn": key.dsn(settings.BASE_URL) if key else "",
        "old_keys": project.keys.filter(is_active=False).order_by("-created_at")[:10],
    }


@member_view
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = access.get_project(request.user, pk)
    return render(request, "web/project.html", _detail_context(project))


@member_view
@require_POST
def rotate_key(request: HttpRequest, pk: int) -> HttpResponse:
    project = access.get_project(request.user, pk)
    access.require_admin(request.user, project.organization_id)
    services.rotate_key(project)
    return redirect("web:project", project.pk)
