"""Every real capture goes through the endpoint and lands where it should."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from bugbridge.jira.models import DeliveryOutcome, JiraSite, SiteBinding, WebhookDelivery
from bugbridge.jira.webhooks.dispatch import HANDLERS
from bugbridge.sync.models import CommentLink, GroupLink, Ticket
from bugbridge.tracker.models import Group, GroupStatus, Membership, Note, Organization, Project
from tests.jira.webhooks.helpers import (
    body_fixture,
    fixture_names,
    link,
    make_group,
    make_site,
    post,
    raw_fixture,
)


def _event_of(name: str) -> str:
    return str(body_fixture(name)["webhookEvent"])


def test_every_handled_event_has_a_real_fixture_named_after_it() -> None:
    names = fixture_names()
    for event in HANDLERS:
        stem = event.replace(":", "_")
        named = [n for n in names if n.split("-", 1)[1].startswith(stem)]
        assert named, f"no fixture for {event}"
        assert all(_event_of(n) == event for n in named)


@pytest.fixture
def site(organization: Organization) -> JiraSite:
    return make_site(organization)[0]


def _issue_id(name: str) -> str:
    body = body_fixture(name)
    if body.get("issue"):
        return str(body["issue"]["id"])
    return str(body["comment"]["self"]).split("/issue/")[1].split("/")[0]


def _linked(site: JiraSite, project: Project, name: str, **cached: Any) -> Group:
    group = make_group(project, last_release="1.4.0")
    link(group, site, _issue_id(name), "KEY-1", **cached)
    return group


def _member(organization: Organization, username: str, email: str) -> Any:
    user = get_user_model().objects.create_user(username=username, email=email)
    Membership.objects.create(organization=organization, user=user)
    return user


def _deliver(client: Client, site: JiraSite, name: str) -> WebhookDelivery:
    response = post(client, site, raw_fixture(name), secret=site.webhook_secret)
    assert response.status_code == 200
    return WebhookDelivery.objects.get(pk=response.json()["delivery"])


def test_cloud_assignee_set_maps_by_user_mapping(
    client: Client, site: JiraSite, project: Project, organization: Organization
) -> None:
    name = "cloud-jira_issue_updated-assignee-set.json"
    group = _linked(site, project, name)
    user = _member(organization, "user2", "someone-else@example.com")
    binding = SiteBinding.objects.get(site=site)
    binding.user_maps.create(user=user, account_id="000000000000000000000002")

    delivery = _deliver(client, site, name)

    assert delivery.outcome == DeliveryOutcome.APPLIED
    group.refresh_from_db()
    assert group.assignee == user
    ticket = Ticket.objects.get(issue_id="10040")
    assert ticket.assignee_account_id == "000000000000000000000002"
    assert ticket.key == "TES-41"


def test_cloud_assignee_cleared_unassigns(
    client: Client, site: JiraSite, project: Project, owner: Any
) -> None:
    name = "cloud-jira_issue_updated-assignee-cleared.json"
    group = _linked(site, project, name, assignee_account_id="admin")
    Group.objects.filter(pk=group.pk).update(assignee=owner)

    assert _deliver(client, site, name).outcome == DeliveryOutcome.APPLIED
    group.refresh_from_db()
    assert group.assignee is None


def test_dc_assignee_maps_by_visible_email(
    client: Client, site: JiraSite, project: Project, organization: Organization
) -> None:
    name = "dc-jira_issue_updated-assignee.json"
    group = _linked(site, project, name)
    user = _member(organization, "one", "USER1@example.com")

    assert _deliver(client, site, name).outcome == DeliveryOutcome.APPLIED
    group.refresh_from_db()
    assert group.assignee == user


@pytest.mark.parametrize(
    "name",
    ["cloud-jira_issue_updated-status-resolved.json", "dc-jira_issue_updated-status-resolved.json"],
)
def test_status_into_done_resolves(
    client: Client, site: JiraSite, project: Project, name: str
) -> None:
    group = _linked(site, project, name, status_id="3", status_category="indeterminate")

    assert _deliver(client, site, name).outcome == DeliveryOutcome.APPLIED
    group.refresh_from_db()
    assert group.status == GroupStatus.RESOLVED


def test_status_between_open_statuses_changes_no_group(
    client: Client, site: JiraSite, project: Project
) -> None:
    name = "cloud-jira_issue_updated-status-in-progress.json"
    group = _linked(site, project, name, status_id="10000", status_category="new")

    delivery = _deliver(client, site, name)

    assert delivery.outcome == DeliveryOutcome.APPLIED
    group.refresh_from_db()
    assert group.status == GroupStatus.UNRESOLVED
    assert Ticket.objects.get(issue_id="10000").status_name == "In Progress"


def test_issue_deleted_unlinks(client: Client, site: JiraSite, project: Project) -> None:
    name = "cloud-jira_issue_deleted.json"
    group = _linked(site, project, name)

    assert _deliver(client, site, name).outcome == DeliveryOutcome.APPLIED
    assert not GroupLink.objects.filter(group=group).exists()
    assert group.activity.filter(kind="jira_ticket_deleted").exists()


@pytest.mark.parametrize(
    "name",
    [
        "cloud-comment_created.json",
        "dc-comment_created.json",
        "dc-jira_issue_updated-issue_commented.json",
    ],
)
def test_comment_becomes_a_note(
    client: Client, site: JiraSite, project: Project, name: str
) -> None:
    group = _linked(site, project, name)
    comment = body_fixture(name)["comment"]

    assert _deliver(client, site, name).outcome == DeliveryOutcome.APPLIED
    note = Note.objects.get(group=group)
    assert note.body == comment["body"]
    assert note.author_label == f"{comment['author']['displayName']} (Jira acme)"
    assert CommentLink.objects.get(note=note).comment_id == comment["id"]


def test_comment_updated_then_deleted_follow_the_note(
    client: Client, site: JiraSite, project: Project
) -> None:
    group = _linked(site, project, "cloud-comment_created.json")
    _deliver(client, site, "cloud-comment_created.json")

    assert _deliver(client, site, "cloud-comment_updated.json").outcome == "applied"
    note = Note.objects.get(group=group)
    assert note.body == "Added a comment, then edited it"


def test_cloud_comment_deleted_deletes_the_note(
    client: Client, site: JiraSite, project: Project
) -> None:
    name = "cloud-comment_deleted.json"
    group = _linked(site, project, name)
    body = body_fixture(name)
    created = dict(body, webhookEvent="comment_created")
    post(client, site, created, secret=site.webhook_secret)

    assert _deliver(client, site, name).outcome == DeliveryOutcome.APPLIED
    assert Note.objects.get(group=group).is_deleted


@pytest.mark.parametrize("name", fixture_names())
def test_every_fixture_on_an_unlinked_site_changes_nothing(
    client: Client, site: JiraSite, name: str
) -> None:
    delivery = _deliver(client, site, name)
    assert delivery.outcome == DeliveryOutcome.IGNORED
    assert not Note.objects.exists()
