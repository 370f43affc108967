"""Projects and their DSN keys."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from bugbridge.api import serialize
from bugbridge.api.pagination import paginate
from bugbridge.api.schemas import ERRORS, ProjectIn, ProjectOut
from bugbridge.web import access, services

router = Router(tags=["projects"])


class ProjectPage(Schema):
    items: list[ProjectOut]
    next_cursor: str | None


class PageQuery(Schema):
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(25, ge=1, le=100)


@router.get("/projects", response={200: ProjectPage, **ERRORS})
def list_projects(request: HttpRequest, page: Query[PageQuery]) -> Any:
    rows = access.projects(request.user).select_related("organization")
    found = paginate(rows, "id", page.cursor, page.limit, descending=False)
    return {"items": [serialize.project(p) for p in found.items], "next_cursor": found.next_cursor}


@router.post("/projects", response={201: ProjectOut, **ERRORS})
def create_project(request: HttpRequest, data: ProjectIn) -> Any:
    member = access.require_admin(request.user, data.organization_id)
    project = services.create_project(member.organization, data.name, data.platform)
    return 201, serialize.project(project)


@router.get("/projects/{project_id}", response={200: ProjectOut, **ERRORS})
def get_project(request: HttpRequest, project_id: int) -> Any:
    return serialize.project(access.get_project(request.user, project_id))


@router.post("/projects/{project_id}/keys/rotate", response={200: ProjectOut, **ERRORS})
def rotate_key(request: HttpRequest, project_id: int) -> Any:
    project = access.get_project(request.user, project_id)
    access.require_admin(request.user, project.organization_id)
    services.rotate_key(project)
    return serialize.project(project)
