"""A member of organization A can neither read nor change anything of organization B, through
any page that takes an id; a plain member cannot change organization settings."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern

from bugbridge.api.models import ApiToken
from bugbridge.api.tokens import create_token
from bugbridge.jira.models import SiteBinding, StatusMapping, UserMapping
from bugbridge.sync.models import GroupLink, OutboundChange
from bugbridge.tracker.models import Event, Group, Note, Project, ProjectKey
from bugbridge.web import urls as web_urls
from tests.web.conftest import World

pytestmark = pytest.mark.django_db


def org_b_targets(world: World) -> dict[str, int]:
    """An id of organization B for every kind of id a URL can take, by URL prefix."""
    status_map = StatusMapping.objects.create(binding=world.binding_b, jira_project_key="OPS")
    user_map = UserMapping.objects.create(binding=world.binding_b, user=world.bob, account_id="b1")
    token, _ = create_token(world.bob, "bob's")
    return {
        "projects/": world.project_b.pk,
        "issues/": world.group_b.pk,
        "events/": world.event_b.pk,
        "notes/": world.note_b.pk,
        "links/": world.link_b.pk,
        "sync/changes/": world.change_b.pk,
        "settings/integrations/": world.binding_b.pk,
        "settings/status-maps/": status_map.pk,
        "settings/user-maps/": user_map.pk,
        "settings/tokens/": token.pk,
    }


def snapshot(world: World) -> dict[str, Any]:
    """Everything of organization B a request could change."""
    org = world.org_b
    return {
        "projects": list(Project.objects.filter(organization=org).values()),
        "keys": list(ProjectKey.objects.filter(project__organization=org).values()),
        "groups": list(Group.objects.filter(project__organization=org).values()),
        "events": list(Event.objects.filter(project__organization=org).values("pk")),
        "notes": list(Note.objects.filter(group__project__organization=org).values()),
        "links": list(GroupLink.objects.filter(group__project__organization=org).values()),
        "changes": list(OutboundChange.objects.filter(group__project__organization=org).values()),
        "bindings": list(SiteBinding.objects.filter(organization=org).values()),
        "status_maps": list(StatusMapping.objects.filter(binding__organization=org).values()),
        "user_maps": list(UserMapping.objects.filter(binding__organization=org).values()),
        "tokens": list(ApiToken.objects.filter(user=world.bob).values()),
    }


def id_patterns() -> list[URLPattern]:
    return [p for p in web_urls.urlpatterns if "<int:pk>" in str(p.pattern)]


def _target(route: str, targets: dict[str, int]) -> int:
    prefix = max((p for p in targets if route.startswith(p)), key=len, default=None)
    assert prefix is not None, f"no organization-B id known for /{route}: add it to the test"
    return targets[prefix]


POST_BODY = {
    "assignee": "1",
    "status": "resolved",
    "body": "changed",
    "site": "1",
    "issue": "OPS-1",
    "project": "10000",
    "issuetype": "10004",
    "jira_project_key": "OPS",
    "account_id": "x",
    "user": "1",
    "name": "x",
    "sync_status_outbound": "on",
}


def test_every_id_url_is_covered_by_this_walk(world: World) -> None:
    targets = org_b_targets(world)
    for pattern in id_patterns():
        _target(str(pattern.pattern), targets)


@pytest.mark.parametrize("method", ["get", "post"])
def test_member_of_a_cannot_read_or_change_b_through_any_page(
    alice_client: Any, world: World, method: str
) -> None:
    targets = org_b_targets(world)
    before = snapshot(world)
    for pattern in id_patterns():
        route = str(pattern.pattern)
        url = "/" + route.replace("<int:pk>", str(_target(route, targets)))
        send = alice_client.get if method == "get" else alice_client.post
        response = send(url, POST_BODY if method == "post" else None)
        assert response.status_code in {404, 405}, (method, url, response.status_code)
        if response.status_code == 404:
            assert b"Traceback" not in response.content
    assert snapshot(world) == before


def test_the_404_page_says_what_was_not_found(alice_client: Any, world: World) -> None:
    response = alice_client.get(f"/issues/{world.group_b.pk}/")
    assert response.status_code == 404
    assert f"No issue with id {world.group_b.pk}".encode() in response.content


def test_a_plain_member_cannot_change_settings_and_is_told_why(client: Any, world: World) -> None:
    client.force_login(world.carol)
    before = SiteBinding.objects.get(pk=world.binding_a.pk).sync_status_outbound
    response = client.post(f"/settings/integrations/{world.binding_a.pk}/switches/", {})
    assert response.status_code == 403
    assert b"Only an owner or admin" in response.content
    assert SiteBinding.objects.get(pk=world.binding_a.pk).sync_status_outbound == before
    assert client.post(f"/projects/{world.project_a.pk}/keys/rotate/").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client: Any, world: World) -> None:
    for pattern in id_patterns():
        url = "/" + str(pattern.pattern).replace("<int:pk>", "1")
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
