"""Every API operation that takes an id answers 404 for another organization's rows, and
changes nothing there; the walk covers every path in the served schema."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bugbridge.api.api import api as ninja_api
from bugbridge.jira.models import StatusMapping, UserMapping
from tests.api.conftest import ApiClient
from tests.web.conftest import World
from tests.web.test_authorization import snapshot

pytestmark = pytest.mark.django_db

# A body that passes validation for each operation, so the request reaches the access check.
BODIES: dict[tuple[str, str], Any] = {
    ("patch", "/groups/{group_id}"): {"status": "resolved"},
    ("post", "/groups/{group_id}/notes"): {"body": "x"},
    ("patch", "/notes/{note_id}"): {"body": "x"},
    ("post", "/groups/{group_id}/links"): {"site_id": 1, "issue": "OPS-1"},
    ("post", "/groups/{group_id}/tickets"): {"site_id": 1, "project": "OPS", "issuetype": "1"},
    ("patch", "/sites/{binding_id}/settings"): {"sync_status_outbound": False},
    ("put", "/sites/{binding_id}/status-maps/{project_key}"): {"resolved_status_id": "1"},
    ("post", "/sites/{binding_id}/user-mappings"): {"user_id": 1, "account_id": "x"},
}


def _ids(world: World) -> dict[str, str]:
    status_map = StatusMapping.objects.create(binding=world.binding_b, jira_project_key="OPS")
    user_map = UserMapping.objects.create(binding=world.binding_b, user=world.bob, account_id="b")
    return {
        "project_id": str(world.project_b.pk),
        "group_id": str(world.group_b.pk),
        "event_id": str(world.event_b.pk),
        "note_id": str(world.note_b.pk),
        "link_id": str(world.link_b.pk),
        "change_id": str(world.change_b.pk),
        "binding_id": str(world.binding_b.pk),
        "project_key": "OPS",
        "status-maps/{map_id}": str(status_map.pk),
        "user-mappings/{map_id}": str(user_map.pk),
    }


def _fill(path: str, ids: dict[str, str]) -> str:
    for key, value in ids.items():
        if "/" in key and key in path:
            path = path.replace(key, key.split("/")[0] + "/" + value)
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)


def operations() -> list[tuple[str, str]]:
    schema = ninja_api.get_openapi_schema()
    found = []
    for path, methods in schema["paths"].items():
        if "{" not in path:
            continue
        for method in methods:
            found.append((method, path.removeprefix("/api/v1")))
    return found


def test_the_walk_knows_every_operation_with_a_body() -> None:
    schema = ninja_api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if "requestBody" in operation and "{" in path:
                assert (method, path.removeprefix("/api/v1")) in BODIES, (method, path)


def test_member_of_a_gets_404_for_everything_of_b(api: ApiClient, world: World) -> None:
    ids = _ids(world)
    before = snapshot(world)
    for method, path in operations():
        url = _fill(path, ids)
        body = BODIES.get((method, path))
        response = api.request(method, url, body)
        assert response.status_code == 404, (method, url, response.status_code, response.content)
        assert set(response.json()) <= {"detail", "fields"}
    assert snapshot(world) == before


def test_listings_hold_only_the_members_organizations(api: ApiClient, world: World) -> None:
    for path in ("/projects", "/groups?status=all", "/sites"):
        body = api.client.get(f"/api/v1{path}", headers=api.headers).json()
        items = body["items"] if isinstance(body, dict) else body
        assert items, path
        org_ids = {i.get("organization_id") for i in items if "organization_id" in i}
        assert org_ids <= {world.org_a.pk}
        project_ids = {i.get("project_id") for i in items if "project_id" in i}
        assert project_ids <= {world.project_a.pk}
