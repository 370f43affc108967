"""Connecting a site by token, against the sandbox over real HTTP."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from django.db import connection

from bugbridge.jira import sites
from bugbridge.jira.models import JiraSite, SiteBinding
from bugbridge.tracker.models import Organization
from jira_sandbox import Sandbox, Site


@pytest.fixture
def jira(sandbox: Sandbox) -> Site:
    import uuid

    return sandbox.add_site(f"conn{uuid.uuid4().hex[:8]}")


def test_connect_cloud_by_api_token(jira: Site, organization: Organization, settings: Any) -> None:
    settings.BASE_URL = "https://bugs.example.com"

    connected = sites.connect_token_site(
        organization,
        base_url=jira.base_url + "/",
        email="admin@example.com",
        token="admin-token",
        name="Acme Jira",
    )

    site = JiraSite.objects.get()
    assert connected.created and connected.site == site
    assert (site.name, site.base_url, site.auth_method, site.deployment) == (
        "Acme Jira",
        jira.base_url,
        "api_token",
        "cloud",
    )
    assert connected.account_id == jira.admin["accountId"]
    assert SiteBinding.objects.get(site=site).organization == organization
    assert len(site.webhook_secret) >= 32
    assert sites.webhook_url(site) == f"https://bugs.example.com/jira/webhooks/{site.public_id}/"
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_token, webhook_secret FROM jira_jirasite")
        token, secret = cursor.fetchone()
    assert "admin-token" not in token and site.webhook_secret not in secret


def test_wrong_token_is_refused_and_nothing_stored(jira: Site, organization: Organization) -> None:
    with pytest.raises(sites.SiteConnectError) as excinfo:
        sites.connect_token_site(
            organization, base_url=jira.base_url, email="admin@example.com", token="nope"
        )
    assert excinfo.value.field == "api_token"
    assert not JiraSite.objects.exists()


def test_unreachable_site(organization: Organization) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(sites.SiteConnectError) as excinfo:
        sites.connect_token_site(
            organization, base_url=f"http://127.0.0.1:{port}", email="a@b.c", token="t"
        )
    assert excinfo.value.field == "base_url"
    assert not JiraSite.objects.exists()


@pytest.mark.parametrize("url", ["", "acme.atlassian.net", "ftp://x"])
def test_bad_address(organization: Organization, url: str) -> None:
    with pytest.raises(sites.SiteConnectError) as excinfo:
        sites.connect_token_site(organization, base_url=url, email="a@b.c", token="t")
    assert excinfo.value.field == "base_url"


def test_cloud_needs_the_account_email(jira: Site, organization: Organization) -> None:
    with pytest.raises(sites.SiteConnectError) as excinfo:
        sites.connect_token_site(organization, base_url=jira.base_url, token="admin-token")
    assert excinfo.value.field == "account_email"


def test_second_organization_shares_the_site(jira: Site, organization: Organization) -> None:
    other = Organization.objects.create(name="Other", slug="other")
    first = sites.connect_token_site(
        organization, base_url=jira.base_url, email="admin@example.com", token="admin-token"
    )
    second = sites.connect_token_site(
        other, base_url=jira.base_url, email="admin@example.com", token="admin-token"
    )

    assert first.site.pk == second.site.pk and not second.created
    assert SiteBinding.objects.filter(site=first.site).count() == 2
    assert first.site.webhook_secret == JiraSite.objects.get().webhook_secret


def test_data_center_by_personal_access_token(sandbox: Sandbox, organization: Organization) -> None:
    import uuid

    dc = sandbox.add_site(f"dc{uuid.uuid4().hex[:8]}", deployment="dc")

    connected = sites.connect_token_site(organization, base_url=dc.base_url, token="admin-pat")

    assert (connected.site.deployment, connected.site.auth_method) == ("dc", "pat")
    assert connected.account_id == "admin"
    assert sites.webhook_url_with_secret(connected.site).endswith(
        f"?secret={connected.site.webhook_secret}"
    )


def test_rotate_secret(jira: Site, organization: Organization) -> None:
    site = sites.connect_token_site(
        organization, base_url=jira.base_url, email="admin@example.com", token="admin-token"
    ).site
    old = site.webhook_secret

    new = sites.rotate_webhook_secret(site)

    assert new != old and JiraSite.objects.get().webhook_secret == new


def test_connection_account_is_asked_once(jira: Site, organization: Organization) -> None:
    from django.core.cache import cache

    site = sites.connect_token_site(
        organization, base_url=jira.base_url, email="admin@example.com", token="admin-token"
    ).site
    cache.clear()

    assert sites.connection_account_id(site) == jira.admin["accountId"]


def _our_hooks(jira: Site, site: JiraSite) -> list[Any]:
    return [h for h in jira.webhooks if str(site.public_id) in h.url]


@pytest.mark.slow
def test_register_webhook_then_jira_delivers(
    transactional_db: Any, sandbox: Sandbox, live_server: Any, settings: Any
) -> None:
    import uuid

    from bugbridge.sync.links import link_ticket
    from bugbridge.tracker.actors import Actor
    from bugbridge.tracker.models import GroupStatus, Project
    from tests.jira.webhooks.helpers import make_group

    settings.BASE_URL = live_server.url
    organization = Organization.objects.create(name="Acme", slug="acme")
    project = Project.objects.create(organization=organization, name="Shop", slug="shop")
    jira = sandbox.add_site(f"reg{uuid.uuid4().hex[:8]}")
    site = sites.connect_token_site(
        organization, base_url=jira.base_url, email="admin@example.com", token="admin-token"
    ).site

    first = sites.register_webhook(site)
    again = sites.register_webhook(site)

    assert first.registered and again.registered
    hooks = _our_hooks(jira, site)
    assert len(hooks) == 1 and hooks[0].secret == site.webhook_secret
    assert hooks[0].url == sites.webhook_url(site)
    jira.act_create("Crash")
    group = make_group(project)
    link_ticket(group, site, jira.last_key, Actor.system())
    jira.act_transition(jira.last_key, "Done")
    group.refresh_from_db()
    assert group.status == GroupStatus.RESOLVED


def test_register_webhook_without_admin_rights_says_what_to_do(
    jira: Site, organization: Organization
) -> None:
    jira.add_user("Dev", "dev@example.com")
    jira.add_api_token("dev@example.com", "dev-token")
    site = sites.connect_token_site(
        organization, base_url=jira.base_url, email="dev@example.com", token="dev-token"
    ).site

    result = sites.register_webhook(site)

    assert not result.registered
    assert "not a Jira admin" in result.message and sites.webhook_url(site) in result.message
    assert not _our_hooks(jira, site)


@pytest.mark.parametrize("version", ["9.12", "10.3"])
def test_register_webhook_on_data_center(
    sandbox: Sandbox, organization: Organization, version: str
) -> None:
    import uuid

    dc = sandbox.add_site(f"dc{uuid.uuid4().hex[:8]}", deployment="dc", version=version)
    site = sites.connect_token_site(organization, base_url=dc.base_url, token="admin-pat").site

    result = sites.register_webhook(site)

    assert result.registered, result.message
    (hook,) = _our_hooks(dc, site)
    assert hook.url == sites.webhook_url_with_secret(site)
