"""The JSON API under attack, over real HTTP with real tokens: other tenants' ids, ids past
bigint, forged cursors, revoked tokens, text the database refuses."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from bugbridge.api.models import ApiToken
from bugbridge.sync.models import ChangeState, GroupLink, OutboundChange
from bugbridge.tracker.models import Group, Note, Project
from tests.adversarial.conftest import Script, assert_not_server_error
from tests.adversarial.helpers import SECRET_OF_B, share_ticket_with_org_b
from tests.web.conftest import World

HUGE = [str(2**63), str(2**64), "9" * 40]


def _cursor(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


# -- other organizations ----------------------------------------------------------------------


def _org_b_targets(world: World) -> list[tuple[str, str, Any]]:
    return [
        ("GET", f"/groups/{world.group_b.pk}", None),
        ("PATCH", f"/groups/{world.group_b.pk}", {"status": "resolved"}),
        ("GET", f"/groups/{world.group_b.pk}/events", None),
        ("GET", f"/groups/{world.group_b.pk}/notes", None),
        ("POST", f"/groups/{world.group_b.pk}/notes", {"body": "pwned"}),
        ("GET", f"/groups/{world.group_b.pk}/links", None),
        ("GET", f"/events/{world.event_b.pk}", None),
        ("PATCH", f"/notes/{world.note_b.pk}", {"body": "pwned"}),
        ("DELETE", f"/notes/{world.note_b.pk}", None),
        ("DELETE", f"/links/{world.link_b.pk}", None),
        ("POST", f"/sync/changes/{world.change_b.pk}/retry", None),
        ("GET", f"/projects/{world.project_b.pk}", None),
        ("POST", f"/projects/{world.project_b.pk}/keys/rotate", None),
        ("GET", f"/sites/{world.binding_b.pk}", None),
        ("PATCH", f"/sites/{world.binding_b.pk}/settings", {"sync_status_inbound": False}),
        ("GET", f"/sites/{world.binding_b.pk}/status-maps", None),
        ("GET", f"/sites/{world.binding_b.pk}/user-mappings", None),
    ]


def test_every_endpoint_hides_another_organizations_rows(
    alice_script: Script, world: World
) -> None:
    for method, path, body in _org_b_targets(world):
        response = alice_script.http.request(method, path, json=body)
        assert response.status_code == 404, f"{method} {path}: {response.status_code}"
        assert "detail" in response.json()

    group_b = Group.objects.get(pk=world.group_b.pk)
    assert group_b.status == "unresolved"
    assert Note.objects.get(pk=world.note_b.pk).body == "B note"
    assert not Note.objects.filter(body="pwned").exists()
    assert GroupLink.objects.filter(pk=world.link_b.pk).exists()
    assert OutboundChange.objects.get(pk=world.change_b.pk).state == ChangeState.FAILED


def test_link_to_another_organizations_site_is_refused(alice_script: Script, world: World) -> None:
    response = alice_script.http.post(
        f"/groups/{world.group_a.pk}/links", json={"site_id": world.site_b.pk, "issue": "OPS-1"}
    )
    assert response.status_code == 400
    assert "site" in response.json()["fields"]


def test_assign_to_a_member_of_another_organization_is_refused(
    alice_script: Script, world: World
) -> None:
    response = alice_script.http.patch(
        f"/groups/{world.group_a.pk}", json={"assignee_id": world.bob.pk}
    )
    assert response.status_code == 400
    assert Group.objects.get(pk=world.group_a.pk).assignee_id is None


def test_retry_of_another_organizations_change_on_a_shared_ticket_is_not_found(
    alice_script: Script, world: World
) -> None:
    change = share_ticket_with_org_b(world)

    response = alice_script.http.post(f"/sync/changes/{change.pk}/retry")

    assert response.status_code == 404
    assert OutboundChange.objects.get(pk=change.pk).state == ChangeState.FAILED


def test_links_show_no_failure_of_another_organization_on_a_shared_ticket(
    alice_script: Script, world: World
) -> None:
    change = share_ticket_with_org_b(world)

    response = alice_script.http.get(f"/groups/{world.group_a.pk}/links")

    assert response.status_code == 200
    assert SECRET_OF_B not in response.text
    failures = [f["id"] for link in response.json() for f in link["failures"]]
    assert change.pk not in failures


# -- ids and query values out of range ------------------------------------------------------


@pytest.mark.parametrize("big", HUGE)
@pytest.mark.parametrize(
    "template",
    [
        "GET /groups/{}",
        "PATCH /groups/{}",
        "GET /groups/{}/events",
        "GET /groups/{}/notes",
        "GET /groups/{}/links",
        "GET /events/{}",
        "PATCH /notes/{}",
        "DELETE /notes/{}",
        "DELETE /links/{}",
        "POST /sync/changes/{}/retry",
        "GET /projects/{}",
        "GET /sites/{}",
        "GET /sites/{}/status-maps",
        "DELETE /status-maps/{}",
        "DELETE /user-mappings/{}",
    ],
)
def test_ids_past_bigint_in_urls_are_a_4xx(
    alice_script: Script, world: World, template: str, big: str
) -> None:
    method, path = template.split(" ")
    body = {"body": "x"} if method == "PATCH" else None
    response = alice_script.http.request(method, path.format(big), json=body)
    assert_not_server_error(response)
    assert response.status_code in (400, 404, 422)


@pytest.mark.parametrize("big", [2**63, 2**64, -(2**64)])
@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/projects", "organization_id"),
        ("/groups/{a}", "assignee_id"),
        ("/groups/{a}/links", "site_id"),
        ("/groups/{a}/tickets", "site_id"),
        ("/sites/{b}/user-mappings", "user_id"),
    ],
)
def test_ids_past_bigint_in_bodies_are_a_400_naming_the_field(
    alice_script: Script, world: World, path: str, field: str, big: int
) -> None:
    body: dict[str, Any] = {
        "name": "x",
        "issue": "OPS-1",
        "project": "OPS",
        "issuetype": "1",
        "account_id": "abc",
        field: big,
    }
    url = path.format(a=world.group_a.pk, b=world.binding_a.pk)
    method = "PATCH" if field == "assignee_id" else "POST"

    response = alice_script.http.request(method, url, json=body)

    assert response.status_code == 400, response.text[:300]
    assert field in response.json().get("fields", {})
    assert Project.objects.count() == 2


@pytest.mark.parametrize(
    "params",
    [
        {"project": str(2**64)},
        {"assignee": "²"},
        {"assignee": "9" * 20},
        {"limit": str(2**64)},
        {"limit": "0"},
        {"query": "\x00"},
        {"status": "²"},
        {"sort": "-id"},
    ],
    ids=lambda p: next(iter(p.items()))[0] + "=" + next(iter(p.values()))[:6],
)
def test_odd_list_parameters_are_a_4xx_or_an_honest_answer(
    alice_script: Script, world: World, params: dict[str, str]
) -> None:
    response = alice_script.http.get("/groups", params=params)
    assert_not_server_error(response)
    if response.status_code == 200:
        # Accepted: then the filter was applied, not dropped (no group has such an id).
        assert world.group_a.title not in response.text


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!",
        _cursor("dt", "0001-01-01T00:00:00+05:00", 1),
        _cursor("dt", "9999-12-31T23:59:59-05:00", 1),
        _cursor("dt", "yesterday", 1),
        _cursor("n", 2**70, 1),
        _cursor("n", 1, 2**64),
        _cursor("n", 1, -1),
        _cursor("n", "1e400", 1),
        _cursor("dt", {"x": 1}, 1),
        _cursor(["nested"]),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_tampered_cursors_are_a_400_naming_the_cursor(
    alice_script: Script, world: World, cursor: str
) -> None:
    for path in ("/groups", f"/groups/{world.group_a.pk}/events", "/projects"):
        response = alice_script.http.get(path, params={"cursor": cursor})
        assert response.status_code == 400, f"{path}: {response.status_code} {response.text[:200]}"
        assert "cursor" in response.json()["fields"]


# -- text the database refuses ----------------------------------------------------------------


@pytest.mark.parametrize("text", ['"a\\u0000b"', '"\\ud800"'], ids=["nul", "lone surrogate"])
def test_note_with_text_the_database_refuses_is_a_400(
    alice_script: Script, world: World, text: str
) -> None:
    raw = ('{"body": ' + text + "}").encode()
    response = alice_script.http.post(
        f"/groups/{world.group_a.pk}/notes",
        content=raw,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text[:300]
    assert "body" in response.json()["fields"]
    assert Note.objects.filter(group=world.group_a).count() == 1


# -- tokens ------------------------------------------------------------------------------------


def test_revoked_token_is_refused_at_once(alice_script: Script, world: World) -> None:
    assert alice_script.http.get("/groups").status_code == 200
    ApiToken.objects.filter(user=world.alice).delete()

    response = alice_script.http.get("/groups")

    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]


def test_token_of_a_deactivated_user_is_refused(alice_script: Script, world: World) -> None:
    world.alice.is_active = False
    world.alice.save(update_fields=["is_active"])

    assert alice_script.http.get("/groups").status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer bbt_", "Basic YTpi", "Bearer bbt_" + "A" * 10000, "bbt_x"],
)
def test_malformed_authorization_is_a_401(live_server: Any, world: World, header: str) -> None:
    import httpx

    response = httpx.get(
        live_server.url + "/api/v1/groups", headers={"Authorization": header}, timeout=30
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor("n", 5, 1),
        _cursor("n", True, 1),
        _cursor("n", 1.5, 1),
        _cursor("n", "12", 1),
        _cursor("x", 1, 1),
        _cursor("dt", "2020-01-01T00:00:00+00:00", 1),
    ],
)
def test_cursor_of_another_listing_or_sort_is_a_400(
    alice_script: Script, world: World, cursor: str
) -> None:
    # A client that changes `sort` (or the listing) and keeps `next_cursor` sends a cursor
    # whose value has another type than the column it now pages on.
    paths = [
        "/groups",
        "/groups?sort=events",
        "/groups?sort=users",
        "/projects",
        f"/groups/{world.group_a.pk}/events",
        f"/groups/{world.group_a.pk}/notes",
    ]
    for path in paths:
        sep = "&" if "?" in path else "?"
        response = alice_script.http.get(f"{path}{sep}cursor={cursor}")
        assert_not_server_error(response)


def test_cursor_from_sort_by_events_reused_for_sort_by_last_seen_is_a_400(
    alice_script: Script, world: World
) -> None:
    for i in range(3):
        Group.objects.create(
            project=world.project_a,
            fingerprint_hash=f"extra{i}",
            title=f"Extra {i}",
            first_seen=world.group_a.first_seen,
            last_seen=world.group_a.last_seen,
        )
    first = alice_script.http.get("/groups", params={"sort": "events", "limit": 1}).json()
    assert first["next_cursor"]

    response = alice_script.http.get("/groups", params={"cursor": first["next_cursor"]})

    assert response.status_code == 400
    assert "cursor" in response.json()["fields"]
