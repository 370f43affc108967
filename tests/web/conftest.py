"""Fixtures for the web and API tests: two organizations with data, built through the models."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from bugbridge.jira.models import AuthMethod, JiraSite, SiteBinding
from bugbridge.sync.models import ChangeKind, GroupLink, OutboundChange, Ticket
from bugbridge.tracker.models import (
    Event,
    Group,
    Membership,
    Note,
    Organization,
    Project,
    ProjectKey,
    Role,
)

PASSWORD = "correct horse battery"

TRACE = {
    "exception": {
        "values": [
            {
                "type": "ZeroDivisionError",
                "value": "division by zero",
                "stacktrace": {
                    "frames": [
                        {
                            "filename": "django/core/handlers/base.py",
                            "function": "_get_response",
                            "lineno": 197,
                            "in_app": False,
                            "context_line": "response = wrapped_callback(request)",
                        },
                        {
                            "filename": "shop/checkout.py",
                            "function": "total",
                            "lineno": 42,
                            "in_app": True,
                            "pre_context": ["def total(items):", "    count = len(items)"],
                            "context_line": "    return sum(items) / count",
                            "post_context": ["", "def tax(x):"],
                            "vars": {"items": "[]", "count": "0"},
                        },
                    ]
                },
            }
        ]
    }
}


def make_group(
    project: Project, title: str = "ZeroDivisionError: division by zero", **kw: Any
) -> Group:
    now = timezone.now()
    defaults = {"first_seen": now - timedelta(days=3), "last_seen": now, "culprit": "shop.checkout"}
    defaults.update(kw)
    return Group.objects.create(
        project=project,
        fingerprint_hash=title[:60] + str(Group.objects.count()),
        title=title,
        **defaults,
    )


def make_event(group: Group, *, days_ago: int = 0, **kw: Any) -> Event:
    values = {
        "timestamp": timezone.now() - timedelta(days=days_ago),
        "title": group.title,
        "release": "shop@1.0",
        "environment": "production",
        "tags": {"browser": "Firefox", "os": "Linux"},
        "data": TRACE,
        "user_ident": "id:7",
    }
    values.update(kw)
    event = Event.objects.create(project=group.project, group=group, **values)
    group.times_seen += 1
    group.save(update_fields=["times_seen"])
    return event


class World:
    """Organization A (the signed-in user's) and B (someone else's), with one of everything."""

    def __init__(self) -> None:
        users = get_user_model().objects
        self.org_a = Organization.objects.create(name="Acme", slug="acme")
        self.org_b = Organization.objects.create(name="Globex", slug="globex")
        self.alice = users.create_user("alice", "alice@acme.test", PASSWORD)
        self.bob = users.create_user("bob", "bob@globex.test", PASSWORD)
        self.carol = users.create_user("carol", "carol@acme.test", PASSWORD)
        Membership.objects.create(organization=self.org_a, user=self.alice, role=Role.OWNER)
        Membership.objects.create(organization=self.org_a, user=self.carol, role=Role.MEMBER)
        Membership.objects.create(organization=self.org_b, user=self.bob, role=Role.OWNER)
        self.project_a = Project.objects.create(organization=self.org_a, name="Shop", slug="shop")
        self.project_b = Project.objects.create(organization=self.org_b, name="Labs", slug="labs")
        ProjectKey.objects.create(project=self.project_a)
        ProjectKey.objects.create(project=self.project_b)
        self.group_a = make_group(self.project_a)
        self.group_b = make_group(self.project_b, "KeyError: 'sku'")
        self.event_a = make_event(self.group_a)
        self.event_b = make_event(self.group_b)
        self.note_a = Note.objects.create(group=self.group_a, author=self.alice, body="A note")
        self.note_b = Note.objects.create(group=self.group_b, author=self.bob, body="B note")
        self.site_a, self.binding_a, self.link_a, self.change_a = self._jira(
            self.org_a, "acme", self.group_a
        )
        self.site_b, self.binding_b, self.link_b, self.change_b = self._jira(
            self.org_b, "globex", self.group_b
        )

    def _jira(self, org: Organization, name: str, group: Group) -> tuple[Any, Any, Any, Any]:
        site = JiraSite.objects.create(
            name=name, base_url=f"http://127.0.0.1:9/{name}", auth_method=AuthMethod.API_TOKEN
        )
        binding = SiteBinding.objects.create(site=site, organization=org)
        ticket = Ticket.objects.create(
            site=site, issue_id="10001", key="OPS-1", summary="Fix it", status_name="To Do"
        )
        link = GroupLink.objects.create(group=group, ticket=ticket)
        change = OutboundChange.objects.create(
            ticket=ticket,
            group=group,
            kind=ChangeKind.ASSIGNEE,
            coalesce_key="assignee",
            state="failed",
            due_at=timezone.now(),
            last_error="Field 'assignee' cannot be set.",
        )
        return site, binding, link, change


@pytest.fixture
def fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db: Any, fast_passwords: None) -> World:
    return World()


@pytest.fixture
def alice_client(client: Any, world: World) -> Any:
    client.force_login(world.alice)
    return client
