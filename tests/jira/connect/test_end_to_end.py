"""Install → bind → create and link over JWT → panel and badge, all over real HTTP.

The sandbox plays Jira: it fetches our descriptor from the live server, POSTs the RS256-signed
`installed` callback, checks the qsh of every call we make, signs the iframe URL of the panel
and the webhooks it sends us.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from django.test import Client

from bugbridge.jira.models import AuthMethod, JiraSite, SiteBinding, WebhookDelivery
from bugbridge.sync.links import create_ticket, link_ticket
from bugbridge.sync.models import GroupLink
from bugbridge.tracker.actors import Actor
from bugbridge.tracker.models import Organization, Project
from jira_sandbox import Sandbox
from jira_sandbox.connect import iframe_url
from tests.jira.connect.helpers import APP_KEY
from tests.jira.panel.conftest import make_group

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::UserWarning")]


@pytest.fixture
def live_connect(settings: Any, live_server: Any, sandbox: Sandbox) -> str:
    settings.BASE_URL = live_server.url
    settings.CONNECT_APP_KEY = APP_KEY
    settings.CONNECT_INSTALL_KEYS_URL = f"{sandbox.url}/_connect-keys"
    return str(live_server.url)


def _bind(site: JiraSite, owner: Any, organization: Organization, configure_html: str) -> None:
    link = re.search(r'id="bind-link" href="([^"]+)"', configure_html)
    assert link
    parts = urlsplit(link.group(1).replace("&amp;", "&"))
    browser = Client()
    browser.force_login(owner)
    page = browser.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200
    token = re.search(r'name="token" value="([^"]+)"', page.content.decode())
    assert token
    done = browser.post(parts.path, {"token": token.group(1), "organization": organization.pk})
    assert done.status_code == 200, done.content
    assert SiteBinding.objects.filter(site=site, organization=organization).exists()


def test_install_bind_create_link_panel_badge(
    live_connect: str, sandbox: Sandbox, owner: Any, organization: Organization, project: Project
) -> None:
    jira = sandbox.add_site("e2e-connect")

    # 1. Jira installs the app: descriptor, then the signed `installed` callback.
    response = jira.connect_install(f"{live_connect}/jira/connect/atlassian-connect.json")
    assert response.status_code == 204, response.text
    assert jira.connect is not None
    site = JiraSite.objects.get(client_key=jira.connect.client_key)
    assert site.auth_method == AuthMethod.CONNECT
    assert site.base_url == jira.base_url
    assert site.shared_secret == jira.connect.shared_secret

    # 2. The Jira admin opens the configure page (an iframe) and binds an organization.
    configure = httpx.get(iframe_url(jira, "/jira/connect/configure"), timeout=10)
    assert configure.status_code == 200, configure.text
    assert "x-frame-options" not in configure.headers
    _bind(site, owner, organization, configure.text)

    # 3. A ticket for one group, over JWT-signed calls the sandbox checks.
    crash = make_group(
        project,
        "ZeroDivisionError: division by zero",
        recent=4,
        days_ago_3=3,
        users=2,
        release="shop@",
    )
    other = make_group(project, "KeyError: 'cart'", recent=1, days_ago_20=7, users=1)
    actor = Actor.member(owner)
    ticket = create_ticket(crash, site, {"project": "BB", "issuetype": "10004"}, actor)
    assert jira.get_issue(ticket.key)["fields"]["summary"].startswith("ZeroDivisionError")

    # 4. A second group linked to the same ticket (key typed in lower case).
    assert link_ticket(other, site, ticket.key.lower(), actor).pk == ticket.pk
    assert GroupLink.objects.filter(ticket=ticket).count() == 2

    # 5. Jira loads the panel for that issue.
    url = iframe_url(jira, "/jira/connect/issue-panel/{issue.key}", {"issue.key": ticket.key})
    panel = httpx.get(url, timeout=10)
    assert panel.status_code == 200, panel.text
    html = panel.text
    for group, (day, fortnight, users) in ((crash, (4, 7, 2)), (other, (1, 1, 1))):
        block = html.split(f'data-group="{group.pk}"', 1)[1]
        assert f'data-field="events_24h">{day}<' in block
        assert f'data-field="events_14d">{fortnight}<' in block
        assert f'data-field="users">{users}<' in block
        assert group.title.replace("'", "&#x27;") in block
    assert 'data-field="first_release">shop@1.0<' in html
    assert f"frame-ancestors 'self' {sandbox.url}" in panel.headers["content-security-policy"]

    # 6. The glance badge, as Jira holds it.
    prop = f"com.atlassian.jira.issue:{APP_KEY}:bugbridge-issue-glance:status"
    issue = jira.issues_by_id[ticket.issue_id]
    assert issue.properties[prop] == {"type": "badge", "value": {"label": "2"}}

    # 7. The same panel through a context token (what AP.context.getToken() gives the page).
    ctx = iframe_url(
        jira, "/jira/connect/issue-panel/{issue.key}", {"issue.key": ticket.key}, context_qsh=True
    )
    assert httpx.get(ctx, timeout=10).status_code == 200

    # 8. Jira's Connect webhooks reach the shared delivery handling.
    jira.act_comment(ticket.key, "Looking into it")
    assert sandbox.wait_for_webhooks(10)
    statuses = [d.status for d in jira.deliveries if "/jira/connect/webhook" in d.url]
    assert statuses and all(status == 200 for status in statuses), statuses
    assert WebhookDelivery.objects.filter(site=site, event="comment_created").exists()

    # 9. Uninstall disables the site and keeps everything.
    assert jira.connect_uninstall().status_code == 204
    site.refresh_from_db()
    assert not site.is_enabled
    assert GroupLink.objects.filter(ticket=ticket).count() == 2
    assert httpx.get(url, timeout=10).status_code == 401


@pytest.mark.parametrize("variant", ["unsigned", "hs256_no_kid", "wrong_aud"])
def test_broken_installs_from_the_sandbox_are_refused(
    live_connect: str, sandbox: Sandbox, variant: str, transactional_db: Any
) -> None:
    jira = sandbox.add_site(f"e2e-broken-{variant.replace('_', '-')}")
    response = jira.connect_install(f"{live_connect}/jira/connect/atlassian-connect.json", variant)
    assert response.status_code in (400, 401), response.text
    assert not JiraSite.objects.exists()
