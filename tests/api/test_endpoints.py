"""Each endpoint of /api/v1 against a real database, through the Django test client."""

from __future__ import annotations

from typing import Any

import pytest

from bugbridge.api.models import ApiToken
from bugbridge.jira.models import StatusMapping, UserMapping
from bugbridge.sync.models import ChangeState, OutboundChange
from bugbridge.tracker.models import Activity, GroupStatus, Note, ProjectKey
from tests.api.conftest import ApiClient
from tests.web.conftest import World, make_event, make_group

pytestmark = pytest.mark.django_db


# -- auth and errors ------------------------------------------------------------------------


def test_requests_without_a_valid_token_get_401_with_detail(world: World) -> None:
    for token in ["", "nope", "bbt_not-a-real-token"]:
        response = ApiClient(token).get("/groups")
        assert response.status_code == 401
        assert "detail" in response.json()


def test_tokens_are_stored_as_sha256_only(api: ApiClient, world: World) -> None:
    token = ApiToken.objects.get(user=world.alice)
    assert len(token.token_hash) == 64
    assert api.headers["Authorization"].split()[1] not in token.token_hash
    assert api.get("/groups").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_validation_errors_are_400_with_fields(api: ApiClient, world: World) -> None:
    response = api.post(f"/groups/{world.group_a.pk}/notes", {"nobody": 1})
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] and "body" in body["fields"]


def test_openapi_schema_is_served_without_a_token(client: Any) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/groups" in response.json()["paths"]


# -- projects -------------------------------------------------------------------------------


def test_projects_list_detail_create_and_rotate(api: ApiClient, world: World) -> None:
    listed = api.get("/projects").json()
    assert [p["id"] for p in listed["items"]] == [world.project_a.pk]
    detail = api.get(f"/projects/{world.project_a.pk}").json()
    assert detail["dsn"].startswith("http://") and detail["dsn"].endswith(f"/{world.project_a.pk}")

    created = api.post("/projects", {"organization_id": world.org_a.pk, "name": "Billing"})
    assert created.status_code == 201 and created.json()["slug"] == "billing"
    again = api.post("/projects", {"organization_id": world.org_a.pk, "name": "Billing"})
    assert again.status_code == 400 and "name" in again.json()["fields"]

    rotated = api.post(f"/projects/{world.project_a.pk}/keys/rotate").json()
    assert rotated["dsn"] != detail["dsn"]
    assert ProjectKey.objects.filter(project=world.project_a, is_active=True).count() == 1


def test_a_plain_member_cannot_create_projects(carol_api: ApiClient, world: World) -> None:
    response = carol_api.post("/projects", {"organization_id": world.org_a.pk, "name": "X"})
    assert response.status_code == 403
    assert "owner or admin" in response.json()["detail"]


# -- groups ---------------------------------------------------------------------------------


def test_groups_filter_sort_and_cursor_pages(api: ApiClient, world: World) -> None:
    extra = [make_group(world.project_a, f"Error {i}", times_seen=i) for i in range(5)]
    make_event(extra[0], environment="staging", release="shop@2.0")

    first = api.get("/groups", limit=3, sort="events").json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    second = api.get("/groups", limit=3, sort="events", cursor=first["next_cursor"]).json()
    seen = [g["id"] for g in first["items"] + second["items"]]
    assert len(seen) == len(set(seen)) == 6 and second["next_cursor"] is None

    staging = api.get("/groups", environment="staging").json()["items"]
    assert [g["id"] for g in staging] == [extra[0].pk]
    assert [g["id"] for g in api.get("/groups", release="shop@2.0").json()["items"]] == [
        extra[0].pk
    ]
    assert [g["id"] for g in api.get("/groups", query="Error 3").json()["items"]] == [extra[3].pk]
    linked = api.get("/groups", linked="yes").json()["items"]
    assert [g["id"] for g in linked] == [world.group_a.pk]
    assert linked[0]["tickets"] == ["OPS-1"]


def test_a_bad_cursor_is_400(api: ApiClient) -> None:
    response = api.get("/groups", cursor="not-a-cursor")
    assert response.status_code == 400
    assert "cursor" in response.json()["fields"]


def test_group_detail_shows_links_with_sync_state(api: ApiClient, world: World) -> None:
    body = api.get(f"/groups/{world.group_a.pk}").json()
    assert body["links"][0]["ticket"]["key"] == "OPS-1"
    assert body["links"][0]["sync_state"] == "failed"
    assert body["links"][0]["failures"][0]["last_error"].startswith("Field 'assignee'")


def test_update_status_and_assignee_through_services(api: ApiClient, world: World) -> None:
    url = f"/groups/{world.group_a.pk}"
    body = api.patch(url, {"status": "resolved", "assignee_id": world.carol.pk}).json()
    assert (body["status"], body["assignee"]) == ("resolved", "carol")
    kinds = set(Activity.objects.filter(group=world.group_a).values_list("kind", flat=True))
    assert {"set_resolved", "assigned"} <= kinds

    assert api.patch(url, {"assignee_id": None}).json()["assignee"] is None
    refused = api.patch(url, {"assignee_id": world.bob.pk})
    assert refused.status_code == 400 and "assignee_id" in refused.json()["fields"]
    bad = api.patch(url, {"status": "closed"})
    assert bad.status_code == 400 and "status" in bad.json()["fields"]


def test_events_list_and_detail(api: ApiClient, world: World) -> None:
    for days in (1, 2):
        make_event(world.group_a, days_ago=days)
    page = api.get(f"/groups/{world.group_a.pk}/events", limit=2).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = api.get(f"/groups/{world.group_a.pk}/events", cursor=page["next_cursor"]).json()
    assert len(rest["items"]) == 1
    detail = api.get(f"/events/{world.event_a.pk}").json()
    assert detail["data"]["exception"]["values"][0]["type"] == "ZeroDivisionError"


def test_notes_add_edit_delete(api: ApiClient, world: World) -> None:
    url = f"/groups/{world.group_a.pk}/notes"
    created = api.post(url, {"body": "Looking into it"})
    assert created.status_code == 201
    note_id = created.json()["id"]
    assert api.patch(f"/notes/{note_id}", {"body": "Fixed in 1.1"}).json()["body"] == "Fixed in 1.1"
    assert api.delete(f"/notes/{note_id}").status_code == 204
    assert Note.objects.get(pk=note_id).is_deleted
    bodies = [n["body"] for n in api.get(url).json()["items"]]
    assert bodies == ["A note"]
    empty = api.post(url, {"body": "   "})
    assert empty.status_code == 400 and empty.json()["fields"] == {
        "body": "A note needs some text."
    }


def test_retry_a_failed_change(api: ApiClient, world: World) -> None:
    response = api.post(f"/sync/changes/{world.change_a.pk}/retry")
    assert response.status_code == 200
    assert OutboundChange.objects.get(pk=world.change_a.pk).state == ChangeState.PENDING
    again = api.post(f"/sync/changes/{world.change_a.pk}/retry")
    assert again.status_code == 400


def test_unlink(api: ApiClient, world: World) -> None:
    assert api.get(f"/groups/{world.group_a.pk}/links").json()[0]["id"] == world.link_a.pk
    assert api.delete(f"/links/{world.link_a.pk}").status_code == 204
    assert api.get(f"/groups/{world.group_a.pk}/links").json() == []
    assert api.delete(f"/links/{world.link_a.pk}").status_code == 404


# -- sites and settings ---------------------------------------------------------------------


def test_sites_and_switches(api: ApiClient, world: World) -> None:
    sites = api.get("/sites").json()
    assert [s["id"] for s in sites] == [world.binding_a.pk]
    url = f"/sites/{world.binding_a.pk}/settings"
    body = api.patch(url, {"sync_comments_outbound": False, "resolve_strategy": "next_release"})
    assert body.json()["sync_comments_outbound"] is False
    assert body.json()["resolve_strategy"] == "next_release"
    assert api.get(f"/sites/{world.binding_a.pk}").json()["sync_status_outbound"] is True


def test_status_maps_read_and_write(api: ApiClient, world: World) -> None:
    url = f"/sites/{world.binding_a.pk}/status-maps"
    saved = api.put(
        f"{url}/ops", {"resolved_status_id": "10001", "inbound_resolved_status_ids": ["10001"]}
    ).json()
    assert saved["jira_project_key"] == "OPS"
    assert api.get(url).json()[0]["inbound_resolved_status_ids"] == ["10001"]
    assert api.delete(f"/status-maps/{saved['id']}").status_code == 204
    assert not StatusMapping.objects.exists()


def test_user_mappings_read_and_write(api: ApiClient, world: World) -> None:
    url = f"/sites/{world.binding_a.pk}/user-mappings"
    saved = api.post(url, {"user_id": world.carol.pk, "account_id": "abc123"}).json()
    assert saved["username"] == "carol"
    assert api.get(url).json()[0]["account_id"] == "abc123"
    clash = api.post(url, {"user_id": world.alice.pk, "account_id": "abc123"})
    assert clash.status_code == 400 and "account_id" in clash.json()["fields"]
    outsider = api.post(url, {"user_id": world.bob.pk, "account_id": "zzz"})
    assert outsider.status_code == 400
    assert api.delete(f"/user-mappings/{saved['id']}").status_code == 204
    assert not UserMapping.objects.exists()


def test_plain_members_read_settings_but_cannot_write(carol_api: ApiClient, world: World) -> None:
    url = f"/sites/{world.binding_a.pk}"
    assert carol_api.get(url).status_code == 200
    assert carol_api.patch(f"{url}/settings", {"sync_status_inbound": False}).status_code == 403
    assert carol_api.put(f"{url}/status-maps/OPS", {}).status_code == 403


def test_status_of_group_changes_is_written_once(api: ApiClient, world: World) -> None:
    api.patch(f"/groups/{world.group_a.pk}", {"status": "ignored"})
    api.patch(f"/groups/{world.group_a.pk}", {"status": "ignored"})
    world.group_a.refresh_from_db()
    assert world.group_a.status == GroupStatus.IGNORED
    assert Activity.objects.filter(group=world.group_a, kind="set_ignored").count() == 1


def test_out_of_range_ids_and_forged_cursors_are_refused_not_crashed(
    api: ApiClient, world: World
) -> None:
    huge = 2**64
    url = f"/groups/{world.group_a.pk}"
    assert api.patch(url, {"assignee_id": huge}).status_code == 400
    assert api.get(f"/groups/{huge}").status_code == 404
    assert api.get("/groups", project=huge).status_code == 400
    # ["dt", "0001-01-01T00:00:00+05:00", 1]: a time before year 1 once in UTC.
    forged = "WyJkdCIsIjAwMDEtMDEtMDFUMDA6MDA6MDArMDU6MDAiLDFd"
    assert api.get("/groups", cursor=forged).status_code == 400
    surrogate = api.client.post(
        f"/api/v1/groups/{world.group_a.pk}/notes",
        '{"body": "\\ud800"}',
        content_type="application/json",
        headers=api.headers,
    )
    assert surrogate.status_code == 400 and "body" in surrogate.json()["fields"]
