"""Fixtures for the outbound side: a sandbox Jira over real HTTP, a bound site, groups.

Named `out_*` so they never collide with the shared `sandbox`/`jira_site` fixtures.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from bugbridge.jira.models import AuthMethod, Deployment, JiraSite, SiteBinding
from bugbridge.sync.models import GroupLink, Ticket
from bugbridge.tracker.models import Event, Group, Membership, Organization, Project
from jira_sandbox import Sandbox

_names = itertools.count(1)


@pytest.fixture(scope="session")
def out_sandbox() -> Iterator[Sandbox]:
    sb = Sandbox().start()
    yield sb
    sb.stop()


@dataclass
class JiraEnv:
    sb: Sandbox
    jira: Any  # jira_sandbox.site.Site
    site: JiraSite
    binding: SiteBinding

    def issue(self, key: str) -> dict[str, Any]:
        result: dict[str, Any] = self.jira.get_issue(key)
        return result

    def new_issue(self, summary: str = "Existing ticket", **kwargs: Any) -> str:
        self.jira.act_create(summary, **kwargs)
        key: str = self.jira.last_key
        return key

    def link(self, group: Group, key: str) -> Ticket:
        issue = self.issue(key)
        ticket, _ = Ticket.objects.get_or_create(
            site=self.site, issue_id=issue["id"], defaults={"key": key, "project_key": "BB"}
        )
        GroupLink.objects.get_or_create(group=group, ticket=ticket)
        return ticket


@pytest.fixture(autouse=True)
def _fast_sync(settings: Any) -> None:
    settings.SYNC_BACKOFF_BASE_SECONDS = 0.05
    settings.SYNC_BACKOFF_MAX_SECONDS = 0.5
    cache.clear()


@pytest.fixture
def make_env(out_sandbox: Sandbox, organization: Organization) -> Callable[..., JiraEnv]:
    def make(deployment: str = "cloud", *, webhooks: bool = False) -> JiraEnv:
        jira = out_sandbox.add_site(f"out{next(_names)}", deployment=deployment)
        jira.rest_emits_webhooks = webhooks
        is_dc = deployment == "dc"
        site = JiraSite.objects.create(
            name=jira.name,
            base_url=jira.base_url,
            deployment=Deployment.DATA_CENTER if is_dc else Deployment.CLOUD,
            auth_method=AuthMethod.PAT if is_dc else AuthMethod.API_TOKEN,
            account_email="" if is_dc else "admin@example.com",
            api_token="admin-pat" if is_dc else "admin-token",
        )
        binding = SiteBinding.objects.create(site=site, organization=organization)
        return JiraEnv(out_sandbox, jira, site, binding)

    return make


@pytest.fixture
def env(make_env: Callable[..., JiraEnv]) -> JiraEnv:
    return make_env("cloud")


@pytest.fixture
def dc_env(make_env: Callable[..., JiraEnv]) -> JiraEnv:
    return make_env("dc")


@pytest.fixture
def make_group(project: Project) -> Callable[..., Group]:
    def make(title: str = "ZeroDivisionError: division by zero", **event_data: Any) -> Group:
        now = timezone.now()
        group = Group.objects.create(
            project=project,
            fingerprint_hash=f"fp{next(_names)}",
            title=title,
            first_seen=now - timedelta(hours=1),
            last_seen=now,
            times_seen=1,
        )
        data = event_data or sample_event_data()
        Event.objects.create(project=project, group=group, timestamp=now, title=title, data=data)
        return group

    return make


@pytest.fixture
def group(make_group: Callable[..., Group]) -> Group:
    return make_group()


@pytest.fixture
def member(organization: Organization) -> Any:
    user = get_user_model().objects.create_user(
        username="ada", email="ada@example.com", first_name="Ada", last_name="Lovelace"
    )
    Membership.objects.create(organization=organization, user=user)
    return user


@pytest.fixture
def member_b(organization: Organization) -> Any:
    user = get_user_model().objects.create_user(
        username="grace", email="grace@example.com", first_name="Grace", last_name="Hopper"
    )
    Membership.objects.create(organization=organization, user=user)
    return user


def sample_event_data(frames: int = 3, context: str = "return a / b") -> dict[str, Any]:
    return {
        "exception": {
            "values": [
                {
                    "type": "ZeroDivisionError",
                    "value": "division by zero",
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": f"app/module{i}.py",
                                "function": f"step_{i}",
                                "lineno": 10 + i,
                                "context_line": context,
                            }
                            for i in range(frames)
                        ]
                    },
                }
            ]
        }
    }
