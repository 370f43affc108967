"""The web UI under hostile input, over real HTTP: odd ids, odd stored events, other tenants."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from bugbridge.api.models import ApiToken
from bugbridge.jira.models import AuthMethod, Deployment, JiraSite, StatusMapping, UserMapping
from bugbridge.sync.models import ChangeState, OutboundChange
from bugbridge.tracker.models import Activity, Event, Group, Note, Project
from tests.adversarial.conftest import Browser, assert_not_server_error
from tests.adversarial.helpers import (
    SECRET_OF_B,
    envelope,
    send_envelope,
    share_ticket_with_org_b,
)
from tests.web.conftest import World

# Shapes the lenient ingest stores as sent (it never refuses an event for a field's shape).
ODD_EVENTS = {
    "exception is a number": {"message": "odd 1", "exception": 5},
    "stacktrace is a list": {
        "exception": {"values": [{"type": "OddError", "value": "two", "stacktrace": [1, 2]}]}
    },
    "frames is a dict": {
        "exception": {
            "values": [{"type": "OddError", "value": "three", "stacktrace": {"frames": {}}}]
        }
    },
    "context lines are numbers": {
        "exception": {
            "values": [
                {
                    "type": "OddError",
                    "value": "four",
                    "stacktrace": {
                        "frames": [
                            {"function": "f", "pre_context": 5, "post_context": 6, "vars": 7}
                        ]
                    },
                }
            ]
        }
    },
    "values is a string": {"exception": {"values": "nope"}, "message": "odd 5"},
}


@pytest.mark.parametrize("payload", ODD_EVENTS.values(), ids=ODD_EVENTS.keys())
def test_pages_of_an_event_with_odd_shapes_render(
    live_server: Any, world: World, alice_browser: Browser, payload: dict[str, Any]
) -> None:
    sent = send_envelope(live_server.url, world.project_a, envelope(payload))
    assert sent.status_code == 200, sent.text
    event = Event.objects.get(event_id=sent.json()["id"])

    for path in (f"/events/{event.pk}/", f"/issues/{event.group_id}/"):
        page = alice_browser.get(path)
        assert page.status_code == 200, f"{path}: {page.status_code} {page.text[:200]}"


@pytest.mark.parametrize("param", ["assignee", "project"])
@pytest.mark.parametrize("value", ["²", "١٢", "9" * 30, "-1", "1e3"])
def test_inbox_filters_with_odd_ids_do_not_fail(
    alice_browser: Browser, world: World, param: str, value: str
) -> None:
    page = alice_browser.get("/issues/", **{param: value})
    assert page.status_code == 200, page.text[:300]


@pytest.mark.parametrize("param", ["assignee", "project"])
def test_inbox_filter_by_an_id_past_the_range_matches_nothing(
    alice_browser: Browser, world: World, param: str
) -> None:
    # An id no row can have filters everything out; it does not silently drop the filter.
    page = alice_browser.get("/issues/", **{param: "9" * 30})
    assert page.status_code == 200
    assert world.group_a.title not in page.text


@pytest.mark.parametrize("value", ["²", "9" * 30, "0", "abc"])
def test_assign_to_an_odd_user_id_is_refused_and_changes_nothing(
    alice_browser: Browser, world: World, value: str
) -> None:
    response = alice_browser.post(f"/issues/{world.group_a.pk}/assign/", {"assignee": value})

    assert response.status_code == 400, response.text[:300]
    assert "Choose a member of this organization" in response.text
    assert Group.objects.get(pk=world.group_a.pk).assignee_id is None


@pytest.mark.parametrize("value", ["²", "9" * 30, "abc", str(2**63)])
def test_create_project_for_an_odd_organization_id_is_refused(
    alice_browser: Browser, world: World, value: str
) -> None:
    before = Project.objects.count()
    response = alice_browser.post("/projects/", {"organization": value, "name": "Evil"})

    assert_not_server_error(response)
    assert response.status_code in (400, 403, 404), response.text[:300]
    assert Project.objects.count() == before


@pytest.mark.parametrize("value", ["²", "9" * 30])
def test_connect_site_for_an_odd_organization_id_is_refused(
    alice_browser: Browser, world: World, value: str
) -> None:
    response = alice_browser.post(
        "/settings/integrations/connect/token/",
        {
            "organization": value,
            "name": "x",
            "base_url": "https://x.example.test",
            "email": "a@b.c",
            "api_token": "t",
        },
    )
    assert_not_server_error(response)
    assert response.status_code in (400, 403, 404)


def test_post_without_csrf_token_is_refused(alice_browser: Browser, world: World) -> None:
    response = alice_browser.post(
        f"/issues/{world.group_a.pk}/status/", {"status": "resolved"}, csrf=False
    )
    assert response.status_code == 403
    assert Group.objects.get(pk=world.group_a.pk).status == "unresolved"


def test_sync_health_shows_no_change_of_another_organization(
    alice_browser: Browser, world: World
) -> None:
    share_ticket_with_org_b(world)

    page = alice_browser.get("/sync/")

    assert page.status_code == 200
    assert SECRET_OF_B not in page.text
    assert world.group_b.title not in page.text


def test_group_page_shows_no_failure_of_another_organization(
    alice_browser: Browser, world: World
) -> None:
    share_ticket_with_org_b(world)

    page = alice_browser.get(f"/issues/{world.group_a.pk}/")

    assert page.status_code == 200
    assert SECRET_OF_B not in page.text


def test_retry_of_another_organizations_change_is_not_found(
    alice_browser: Browser, world: World
) -> None:
    change = share_ticket_with_org_b(world)

    response = alice_browser.post(f"/sync/changes/{change.pk}/retry/", {})

    assert response.status_code == 404
    assert OutboundChange.objects.get(pk=change.pk).state == ChangeState.FAILED


@pytest.fixture
def carol_browser(live_server: Any, world: World) -> Any:
    browser = Browser(live_server.url, world.carol)
    yield browser
    browser.http.close()


def test_plain_member_never_sees_the_webhook_secret_of_a_data_center_site(
    carol_browser: Browser, world: World
) -> None:
    # Data Center webhooks prove themselves by `?secret=` in the URL: whoever reads the URL can
    # forge deliveries that resolve, reassign and comment on every bound organization's groups.
    site = world.site_a
    site.deployment = Deployment.DATA_CENTER
    site.auth_method = AuthMethod.PAT
    site.save(update_fields=["deployment", "auth_method"])

    page = carol_browser.get(f"/settings/integrations/{world.binding_a.pk}/")

    assert page.status_code == 200
    assert site.webhook_secret not in page.text
    assert quote(site.webhook_secret) not in page.text


NUL = "a\x00b"


def _nul_forms(world: World) -> list[tuple[str, dict[str, str]]]:
    g, b = world.group_a.pk, world.binding_a.pk
    return [
        (f"/issues/{g}/notes/", {"body": NUL}),
        (f"/notes/{world.note_a.pk}/edit/", {"body": NUL}),
        (f"/issues/{g}/status/", {"status": "resolved", "in_release": NUL}),
        ("/projects/", {"organization": str(world.org_a.pk), "name": NUL}),
        ("/settings/tokens/", {"name": NUL}),
        (f"/settings/integrations/{b}/status-maps/", {"jira_project_key": "OPS", "resolved": NUL}),
        (
            f"/settings/integrations/{b}/user-maps/",
            {"user": str(world.alice.pk), "account_id": NUL},
        ),
        (f"/settings/integrations/{b}/switches/", {"resolve_strategy": NUL}),
        (
            "/settings/integrations/connect/token/",
            {"organization": str(world.org_a.pk), "name": NUL, "base_url": "https://x.test"},
        ),
    ]


@pytest.mark.parametrize("index", range(9))
def test_form_text_with_a_nul_character_is_a_400_and_stores_nothing(
    alice_browser: Browser, world: World, index: int
) -> None:
    # PostgreSQL refuses NUL in text; the form is refused before anything is written.
    path, data = _nul_forms(world)[index]
    counts = _row_counts()

    response = alice_browser.post(path, data)

    assert response.status_code == 400, f"{path}: {response.status_code} {response.text[:200]}"
    assert "NUL" in response.text
    assert _row_counts() == counts
    assert Note.objects.get(pk=world.note_a.pk).body == "A note"
    assert Group.objects.get(pk=world.group_a.pk).status == "unresolved"


def _row_counts() -> list[int]:
    models = [Note, Project, ApiToken, StatusMapping, UserMapping, JiraSite, Activity]
    return [model.objects.count() for model in models]
