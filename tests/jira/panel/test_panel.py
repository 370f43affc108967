"""The issue panel: every linked group with its figures, in constant queries; badge; errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bugbridge.sync.models import Ticket
from bugbridge.tracker.models import GroupStatus, Organization, Project
from tests.jira.panel.conftest import PanelEnv, link, make_group

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _field(html: str, group_pk: int, name: str) -> str:
    block = html.split(f'data-group="{group_pk}"', 1)[1].split('class="group"', 1)[0]
    found = re.search(rf'data-field="{name}"[^>]*>([^<]*)<', block)
    assert found, name
    return found.group(1).strip()


def test_all_linked_groups_with_their_figures(
    client: Any, panel_env: PanelEnv, project: Project
) -> None:
    first = make_group(
        project,
        "ZeroDivisionError: division by zero",
        recent=3,
        days_ago_3=2,
        days_ago_20=5,
        users=4,
        release="shop@",
    )
    second = make_group(project, "KeyError: 'cart'", recent=1, users=1)
    second.status = GroupStatus.RESOLVED
    second.save()
    link(first, panel_env.ticket)
    link(second, panel_env.ticket)

    response = client.get(panel_env.url())
    assert response.status_code == 200
    html = response.content.decode()
    assert _field(html, first.pk, "events_24h") == "3"
    assert _field(html, first.pk, "events_14d") == "5"
    assert _field(html, first.pk, "users") == "4"
    assert _field(html, first.pk, "first_release") == "shop@1.0"
    assert _field(html, first.pk, "last_release") == "shop@1.1"
    assert _field(html, first.pk, "type") == "error"
    assert _field(html, first.pk, "title") == "ZeroDivisionError: division by zero"
    assert _field(html, second.pk, "events_24h") == "1"
    assert _field(html, second.pk, "status") == "Resolved"
    assert f"/issues/{first.pk}/" in html and f"/issues/{second.pk}/" in html
    assert panel_env.badge() == {"type": "badge", "value": {"label": "2"}}


def test_groups_of_organizations_not_bound_to_the_site_are_not_shown(
    client: Any, panel_env: PanelEnv, project: Project
) -> None:
    stranger_org = Organization.objects.create(name="Other", slug="other")
    stranger = make_group(
        Project.objects.create(organization=stranger_org, name="P", slug="p"), "Secret"
    )
    mine = make_group(project, "Mine")
    link(stranger, panel_env.ticket)
    link(mine, panel_env.ticket)
    html = client.get(panel_env.url()).content.decode()
    assert "Mine" in html and "Secret" not in html
    assert panel_env.badge() == {"type": "badge", "value": {"label": "1"}}


def _render_queries(client: Any, env: PanelEnv) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(env.url()).status_code == 200
    return len(captured)


def test_constant_number_of_queries(
    client: Any, panel_env: PanelEnv, project: Project, django_assert_max_num_queries: Any
) -> None:
    link(make_group(project, "g0", recent=2, days_ago_3=1), panel_env.ticket)
    one = _render_queries(client, panel_env)
    for i in range(1, 30):
        link(make_group(project, f"g{i}", recent=i % 3, days_ago_20=1, users=i), panel_env.ticket)
    many = _render_queries(client, panel_env)
    assert many == one
    with django_assert_max_num_queries(3):
        # site by iss, ticket, groups with their counts (badge unchanged: no write)
        assert client.get(panel_env.url()).status_code == 200


def test_badge_written_only_when_the_count_changes(
    client: Any, panel_env: PanelEnv, project: Project
) -> None:
    link(make_group(project, "a"), panel_env.ticket)
    client.get(panel_env.url())
    assert Ticket.objects.get(pk=panel_env.ticket.pk).badge_count == 1
    # Jira would now fail the write: since the count did not change, no write is attempted.
    panel_env.jira.set_fault(kind="503", method="PUT", path_glob="*/properties/*")
    html = client.get(panel_env.url()).content.decode()
    assert "badge" not in html.lower()
    link(make_group(project, "b"), panel_env.ticket)
    html = client.get(panel_env.url()).content.decode()
    assert "could not be reached" in html  # a short note, not a failure
    assert "data-group" in html
    assert Ticket.objects.get(pk=panel_env.ticket.pk).badge_count == 1
    panel_env.jira.clear_faults()
    client.get(panel_env.url())
    assert panel_env.badge() == {"type": "badge", "value": {"label": "2"}}
    assert Ticket.objects.get(pk=panel_env.ticket.pk).badge_count == 2


def test_badge_permission_error_is_a_note(
    client: Any, panel_env: PanelEnv, project: Project
) -> None:
    link(make_group(project, "a"), panel_env.ticket)
    panel_env.jira.set_fault(kind="status", status=403, method="PUT", path_glob="*/properties/*")
    response = client.get(panel_env.url())
    assert response.status_code == 200
    assert "lacks permission" in response.content.decode()


def test_not_linked(client: Any, panel_env: PanelEnv) -> None:
    response = client.get(panel_env.url(key="BB-999"))
    assert response.status_code == 200
    assert b"not linked" in response.content


def test_ticket_whose_links_are_gone_resets_the_badge(client: Any, panel_env: PanelEnv) -> None:
    Ticket.objects.filter(pk=panel_env.ticket.pk).update(badge_count=3)
    response = client.get(panel_env.url())
    assert b"not linked" in response.content
    assert panel_env.badge() == {"type": "badge", "value": {"label": "0"}}


def test_expired_token_asks_for_a_refresh(client: Any, panel_env: PanelEnv) -> None:
    response = client.get(panel_env.url(ttl=10, iat_offset=-600))
    assert b"refresh the page" in response.content


def test_invalid_token_cannot_verify(client: Any, panel_env: PanelEnv) -> None:
    url = panel_env.url().replace("lic=none", "lic=active")  # qsh no longer matches
    response = client.get(url)
    assert b"unable to verify the installation" in response.content


def test_context_token_is_accepted(client: Any, panel_env: PanelEnv, project: Project) -> None:
    link(make_group(project, "a"), panel_env.ticket)
    response = client.get(panel_env.url(qsh="context-qsh"))
    assert response.status_code == 200
    assert b"data-group" in response.content


def test_frames_only_for_the_site(client: Any, panel_env: PanelEnv) -> None:
    response = client.get(panel_env.url())
    assert response.get("X-Frame-Options") is None
    origin = panel_env.site.base_url.rsplit("/", 1)[0]
    assert response["Content-Security-Policy"] == f"frame-ancestors 'self' {origin}"
