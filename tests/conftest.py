"""Shared fixtures: real database rows built through the domain models, nothing mocked."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from bugbridge.jira import sites
from bugbridge.jira.models import JiraSite, SiteBinding
from bugbridge.sync.models import Ticket
from bugbridge.tracker.actors import Actor
from bugbridge.tracker.models import Group, Membership, Organization, Project, ProjectKey, Role
from jira_sandbox import Sandbox, Site


@pytest.fixture
def organization(db: Any) -> Organization:
    return Organization.objects.create(name="Acme", slug="acme")


@pytest.fixture
def owner(organization: Organization) -> Any:
    user = get_user_model().objects.create_user(
        username="owner", email="owner@example.com", password="correct horse battery"
    )
    Membership.objects.create(organization=organization, user=user, role=Role.OWNER)
    return user


@pytest.fixture
def project(organization: Organization) -> Project:
    return Project.objects.create(organization=organization, name="Shop", slug="shop")


@pytest.fixture
def project_key(project: Project) -> ProjectKey:
    return ProjectKey.objects.create(project=project)


# -- Jira sandbox over real HTTP (shared; owned by jira-in) ----------------------------------

_sandbox_names = itertools.count(1)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """One Jira simulator for the whole session; each test adds its own site to it."""
    sb = Sandbox().start()
    yield sb
    sb.stop()


@dataclass
class JiraSiteEnv:
    """A sandbox Jira site connected to Bugbridge like a person would, webhooks included."""

    sandbox: Sandbox
    jira: Site
    site: JiraSite
    binding: SiteBinding
    webhook_url: str

    def new_issue(self, summary: str = "ZeroDivisionError: division by zero", **kw: Any) -> str:
        self.jira.act_create(summary, **kw)
        key: str = self.jira.last_key
        return key

    def link(self, group: Group, key: str) -> Ticket:
        from bugbridge.sync.links import link_ticket

        return link_ticket(group, self.site, key, Actor.system())

    def wait_for_webhooks(self) -> None:
        assert self.sandbox.wait_for_webhooks(10.0), "sandbox webhooks still pending"


def make_jira_site_env(
    sandbox: Sandbox,
    live_server: Any,
    organization: Organization,
    *,
    deployment: str = "cloud",
) -> JiraSiteEnv:
    jira = sandbox.add_site(f"t{next(_sandbox_names)}{uuid.uuid4().hex[:6]}", deployment)
    is_dc = deployment == "dc"
    connected = sites.connect_token_site(
        organization,
        base_url=jira.base_url,
        email="" if is_dc else "admin@example.com",
        token="admin-pat" if is_dc else "admin-token",
        name=jira.name,
    )
    site = connected.site
    url = live_server.url + reverse("jira-webhook", kwargs={"public_id": site.public_id})
    jira.add_admin_webhook(url, secret=site.webhook_secret, kind="dc" if is_dc else "admin")
    return JiraSiteEnv(sandbox, jira, site, connected.binding, url)


@pytest.fixture
def jira_site(
    transactional_db: Any, sandbox: Sandbox, live_server: Any, organization: Organization
) -> JiraSiteEnv:
    """A sandbox Cloud site + API token, connected through `bugbridge.jira.sites`, bound to
    `organization`, with an admin webhook (HMAC secret) pointing at the live server."""
    return make_jira_site_env(sandbox, live_server, organization)


@pytest.fixture
def dc_jira_site(
    transactional_db: Any, sandbox: Sandbox, live_server: Any, organization: Organization
) -> JiraSiteEnv:
    """The same for a sandbox Data Center 9.12 site connected by personal access token."""
    return make_jira_site_env(sandbox, live_server, organization, deployment="dc")
