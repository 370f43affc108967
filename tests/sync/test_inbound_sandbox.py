"""End to end: a person acts in the Jira sandbox, its signed webhooks reach the live server.

Bugbridge's own code runs for real: connect by API token, link, the webhook endpoint, the
inbound apply and (for echoes) the outbound worker.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from django.contrib.auth import get_user_model

from bugbridge.jira.models import DeliveryOutcome, WebhookDelivery
from bugbridge.sync import worker
from bugbridge.sync.models import CommentLink, Ticket
from bugbridge.tracker import services
from bugbridge.tracker.actors import Actor
from bugbridge.tracker.models import Activity, Group, GroupStatus, Membership, Note, Organization
from jira_sandbox import hub_signature
from tests.conftest import JiraSiteEnv
from tests.jira.webhooks.helpers import make_group

pytestmark = pytest.mark.slow


def _member(organization: Organization, username: str, email: str) -> Any:
    user = get_user_model().objects.create_user(username=username, email=email)
    Membership.objects.create(organization=organization, user=user)
    return user


def _fresh(group: Group) -> Group:
    return Group.objects.get(pk=group.pk)


@pytest.fixture
def linked(jira_site: JiraSiteEnv, project: Any) -> tuple[Group, str]:
    key = jira_site.new_issue()
    group = make_group(project, last_release="3.1.0")
    jira_site.link(group, key)
    return group, key


def _all_ok(deliveries: list[Any]) -> None:
    assert deliveries, "the sandbox sent no webhook"
    assert all(d.ok for d in deliveries), [(d.status, d.error) for d in deliveries]


def test_connect_stored_the_site_bound_and_encrypted(
    jira_site: JiraSiteEnv, organization: Organization
) -> None:
    site = jira_site.site
    assert (site.auth_method, site.deployment) == ("api_token", "cloud")
    assert jira_site.binding.organization == organization
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT api_token FROM jira_jirasite WHERE id = %s", [site.pk])
        (stored,) = cursor.fetchone()
    assert "admin-token" not in stored


def test_assign_in_jira_maps_by_user_mapping(
    jira_site: JiraSiteEnv, linked: tuple[Group, str], organization: Organization
) -> None:
    group, key = linked
    person = jira_site.jira.add_user("Ada In Jira", "ada.jira@example.com", email_hidden=True)
    ada = _member(organization, "ada", "ada@example.com")
    jira_site.binding.user_maps.create(user=ada, account_id=person["accountId"])

    _all_ok(jira_site.jira.act_assign(key, person["accountId"]))

    assert _fresh(group).assignee == ada
    activity = Activity.objects.get(group=group, kind="assigned")
    assert activity.actor_label == f"Jira site {jira_site.site.name}"


def test_assign_in_jira_maps_by_visible_email(
    jira_site: JiraSiteEnv, linked: tuple[Group, str], organization: Organization
) -> None:
    group, key = linked
    person = jira_site.jira.add_user("Grace", "grace@example.com")
    grace = _member(organization, "grace", "grace@example.com")

    _all_ok(jira_site.jira.act_assign(key, person["accountId"]))

    assert _fresh(group).assignee == grace


def test_unmappable_assignee_unassigns_and_says_who(
    jira_site: JiraSiteEnv, linked: tuple[Group, str], owner: Any
) -> None:
    group, key = linked
    services.assign_group(group, owner, Actor.member(owner))
    person = jira_site.jira.add_user("Hidden Harry", "harry@example.com", email_hidden=True)

    _all_ok(jira_site.jira.act_assign(key, person["accountId"]))

    assert _fresh(group).assignee is None
    unmapped = Activity.objects.get(group=group, kind="jira_assignee_unmapped")
    assert unmapped.data["jira_user"] == "Hidden Harry"
    assert unmapped.data["jira_account"] == person["accountId"]


def test_transitions_resolve_and_reopen(jira_site: JiraSiteEnv, linked: tuple[Group, str]) -> None:
    group, key = linked

    _all_ok(jira_site.jira.act_transition(key, "Done"))
    assert _fresh(group).status == GroupStatus.RESOLVED

    _all_ok(jira_site.jira.act_transition(key, "To Do"))
    assert _fresh(group).status == GroupStatus.UNRESOLVED

    _all_ok(jira_site.jira.act_transition(key, "Won't Do"))
    assert _fresh(group).status == GroupStatus.RESOLVED

    _all_ok(jira_site.jira.act_transition(key, "In Progress"))
    assert _fresh(group).status == GroupStatus.UNRESOLVED
    ticket = Ticket.objects.get(key=key)
    assert (ticket.status_name, ticket.status_category) == ("In Progress", "indeterminate")


def test_resolve_in_next_release(jira_site: JiraSiteEnv, linked: tuple[Group, str]) -> None:
    group, key = linked
    jira_site.binding.resolve_strategy = "next_release"
    jira_site.binding.save()

    _all_ok(jira_site.jira.act_transition(key, "Done"))

    group = _fresh(group)
    assert (group.status, group.resolved_in_release) == (GroupStatus.RESOLVED, "3.1.0")


def test_comments_create_edit_delete_follow_as_notes(
    jira_site: JiraSiteEnv, linked: tuple[Group, str]
) -> None:
    group, key = linked
    bob = jira_site.jira.add_user("Bob Builder", "bob@example.com")

    _all_ok(jira_site.jira.act_comment(key, "Happens on checkout", actor=bob["accountId"]))
    note = Note.objects.get(group=group)
    assert note.body == "Happens on checkout"
    assert note.author_label == f"Bob Builder (Jira {jira_site.site.name})"
    comment_id = CommentLink.objects.get(note=note, outbound=False).comment_id

    _all_ok(jira_site.jira.act_edit_comment(key, comment_id, "Only on checkout"))
    note.refresh_from_db()
    assert note.body == "Only on checkout"

    _all_ok(jira_site.jira.act_delete_comment(key, comment_id))
    note.refresh_from_db()
    assert note.is_deleted
    # The comment event and its jira:issue_updated twin were both applied without a second note.
    assert Note.objects.filter(group=group).count() == 1


def test_our_own_comment_is_not_imported_back(
    jira_site: JiraSiteEnv, linked: tuple[Group, str], owner: Any
) -> None:
    group, key = linked
    services.add_note(group, "Fixed in 3.1.1", Actor.member(owner))

    assert worker.drain(10.0) == {"delivered": 1}
    jira_site.wait_for_webhooks()

    comments = jira_site.jira.get_issue(key)["fields"]["comment"]["comments"]
    assert len(comments) == 1
    assert Note.objects.filter(group=group).count() == 1
    echo = WebhookDelivery.objects.get(event="comment_created")
    assert echo.outcome == DeliveryOutcome.IGNORED
    assert "written by Bugbridge" in echo.detail


def test_echo_of_our_assignment_does_not_reassign_the_other_group(
    jira_site: JiraSiteEnv, linked: tuple[Group, str], organization: Organization, project: Any
) -> None:
    group_a, key = linked
    group_b = make_group(project, title="KeyError: 'cart'")
    jira_site.link(group_b, key)
    ada = _member(organization, "ada", "ada@example.com")
    grace = _member(organization, "grace", "grace@example.com")
    ada_jira = jira_site.jira.add_user("Ada", "ada@example.com")
    jira_site.binding.user_maps.create(user=ada, account_id=ada_jira["accountId"])
    jira_site.jira.add_user("Grace", "grace@example.com")
    services.assign_group(group_b, grace, Actor.member(grace))
    worker.drain(10.0)
    jira_site.wait_for_webhooks()
    # Group B's assignment went out and its echo left group A alone.
    assert _fresh(group_a).assignee is None
    services.assign_group(group_a, ada, Actor.member(ada))

    worker.drain(10.0)
    jira_site.wait_for_webhooks()

    assert jira_site.jira.get_issue(key)["fields"]["assignee"]["accountId"] == ada_jira["accountId"]
    echoes = WebhookDelivery.objects.filter(event="jira:issue_updated")
    assert echoes.count() == 2
    # Stale when the worker recorded Jira's answer first, else recognised as the echo.
    assert {d.outcome for d in echoes} <= {DeliveryOutcome.STALE, DeliveryOutcome.APPLIED}
    assert _fresh(group_a).assignee == ada
    assert _fresh(group_b).assignee == grace


def test_late_delivery_of_an_older_state_is_stale(
    jira_site: JiraSiteEnv, linked: tuple[Group, str]
) -> None:
    group, key = linked
    done = jira_site.jira.act_transition(key, "Done")
    _all_ok(done)
    _all_ok(jira_site.jira.act_transition(key, "To Do"))

    # Jira retries for ~30 minutes: the "Done" body arrives again, as a new delivery.
    raw = json.dumps(done[0].body).encode()
    response = httpx.post(
        jira_site.webhook_url,
        content=raw,
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature": hub_signature(jira_site.site.webhook_secret, raw),
            "X-Atlassian-Webhook-Identifier": str(uuid.uuid4()),
        },
    )

    assert response.status_code == 200
    assert response.json()["status"] == "stale"
    assert _fresh(group).status == GroupStatus.UNRESOLVED


def test_reordered_deliveries_keep_the_newest_state(
    jira_site: JiraSiteEnv, linked: tuple[Group, str]
) -> None:
    group, key = linked
    jira_site.jira.set_delivery_fault("reorder", count=2)

    jira_site.jira.act_transition(key, "Done")
    jira_site.jira.act_transition(key, "In Progress")
    jira_site.jira.set_delivery_fault("none")
    jira_site.wait_for_webhooks()
    for d in jira_site.jira.deliveries:
        assert d.status is not None

    outcomes = list(WebhookDelivery.objects.order_by("pk").values_list("outcome", flat=True))
    assert DeliveryOutcome.STALE in outcomes
    assert _fresh(group).status == GroupStatus.UNRESOLVED
    assert Ticket.objects.get(key=key).status_name == "In Progress"


def test_duplicate_delivery_is_applied_once(
    jira_site: JiraSiteEnv, linked: tuple[Group, str]
) -> None:
    group, key = linked
    jira_site.jira.set_delivery_fault("duplicate", count=1)

    jira_site.jira.act_transition(key, "Done")

    assert Activity.objects.filter(group=group, kind="set_resolved").count() == 1
    identifiers = [d.identifier for d in jira_site.jira.deliveries]
    assert len(identifiers) > len(set(identifiers))


def test_wrong_secret_in_jira_is_refused_and_changes_nothing(
    jira_site: JiraSiteEnv, linked: tuple[Group, str]
) -> None:
    group, key = linked
    for hook in jira_site.jira.webhooks:
        hook.secret = "not-the-secret"
    jira_site.jira.webhook_retries = 0
    stored = WebhookDelivery.objects.count()

    deliveries = jira_site.jira.act_transition(key, "Done")

    assert {d.status for d in deliveries} == {401}
    assert _fresh(group).status == GroupStatus.UNRESOLVED
    assert WebhookDelivery.objects.count() == stored


def test_data_center_site(
    dc_jira_site: JiraSiteEnv, organization: Organization, project: Any
) -> None:
    env = dc_jira_site
    assert (env.site.deployment, env.site.auth_method) == ("dc", "pat")
    key = env.new_issue()
    group = make_group(project)
    env.link(group, key)
    person = env.jira.add_user("Dora", "dora@example.com", name="dora")
    dora = _member(organization, "dora", "dora-other@example.com")
    env.binding.user_maps.create(user=dora, account_id="dora")

    _all_ok(env.jira.act_assign(key, "dora"))
    _all_ok(env.jira.act_comment(key, "DC comment", actor=person["accountId"]))
    _all_ok(env.jira.act_transition(key, "Done"))

    group = _fresh(group)
    assert (group.assignee, group.status) == (dora, GroupStatus.RESOLVED)
    assert Note.objects.get(group=group).body == "DC comment"
