"""Panel fixtures: a sandbox site that trusts our app, bound to `organization`, one ticket."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from bugbridge.jira.models import AuthMethod, JiraSite, SiteBinding
from bugbridge.sync.models import GroupLink, Ticket
from bugbridge.tracker.models import Event, Group, Organization, Project
from jira_sandbox import Sandbox
from jira_sandbox.connect import ConnectInstall
from jira_sandbox.site import Site
from tests.jira.connect.helpers import APP_KEY, BASE_URL, SITE_SECRET, claims_for, hs_token

# What Jira appends to iframe URLs; the jwt's qsh covers all of it.
IFRAME_QUERY = "xdm_e=https%3A%2F%2Fexample.atlassian.net&xdm_c=channel-x&cp=&lic=none&cv=1001.0.0"


@pytest.fixture
def connect_settings(settings: Any, sandbox: Sandbox) -> Any:
    settings.BASE_URL = BASE_URL
    settings.CONNECT_APP_KEY = APP_KEY
    settings.CONNECT_INSTALL_KEYS_URL = f"{sandbox.url}/_connect-keys"
    return settings


@dataclass
class PanelEnv:
    jira: Site
    site: JiraSite
    ticket: Ticket

    @property
    def path(self) -> str:
        return f"/jira/connect/issue-panel/{self.ticket.key}"

    def url(self, *, key: str | None = None, **claims: Any) -> str:
        path = f"/jira/connect/issue-panel/{key or self.ticket.key}"
        query = IFRAME_QUERY
        token = hs_token(
            SITE_SECRET, claims_for(self.site.client_key or "", "GET", path, query, **claims)
        )
        return f"{path}?{query}&jwt={token}"

    def badge(self) -> Any:
        prop = f"com.atlassian.jira.issue:{APP_KEY}:bugbridge-issue-glance:status"
        issue = self.jira.issues_by_id[self.ticket.issue_id]
        return issue.properties.get(prop)


def connect_sandbox_site(sb: Sandbox, organization: Organization) -> tuple[Site, JiraSite]:
    jira = sb.add_site(f"p{uuid.uuid4().hex[:10]}")
    client_key = f"client-{jira.name}"
    jira.connect = ConnectInstall(
        key=APP_KEY,
        client_key=client_key,
        shared_secret=SITE_SECRET,
        base_url="http://testserver",
        user_account_id=jira.admin["accountId"],
        descriptor={},
    )
    site = JiraSite.objects.create(
        name=jira.name,
        base_url=jira.base_url,
        auth_method=AuthMethod.CONNECT,
        client_key=client_key,
        shared_secret=SITE_SECRET,
    )
    SiteBinding.objects.create(site=site, organization=organization)
    return jira, site


@pytest.fixture
def panel_env(
    db: Any, connect_settings: Any, sandbox: Sandbox, organization: Organization
) -> PanelEnv:
    jira, site = connect_sandbox_site(sandbox, organization)
    jira.act_create("Checkout crashes", project="BB", issuetype="Bug")
    key = str(jira.last_key)
    issue = jira.get_issue(key)
    ticket = Ticket.objects.create(site=site, issue_id=str(issue["id"]), key=key, summary="x")
    return PanelEnv(jira, site, ticket)


def make_group(
    project: Project,
    title: str,
    *,
    recent: int = 0,
    days_ago_3: int = 0,
    days_ago_20: int = 0,
    users: int = 0,
    release: str = "",
) -> Group:
    now = timezone.now()
    group = Group.objects.create(
        project=project,
        fingerprint_hash=uuid.uuid4().hex,
        title=title,
        first_seen=now - timedelta(days=30),
        last_seen=now - timedelta(hours=1),
        users_seen=users,
        first_release=f"{release}1.0" if release else "",
        last_release=f"{release}1.1" if release else "",
    )
    ages = [timedelta(hours=2)] * recent + [timedelta(days=3)] * days_ago_3
    ages += [timedelta(days=20)] * days_ago_20
    Event.objects.bulk_create(
        [Event(project=project, group=group, timestamp=now - age, title=title) for age in ages]
    )
    return group


def link(group: Group, ticket: Ticket) -> None:
    GroupLink.objects.create(group=group, ticket=ticket)
