"""A person in a real Chromium against the live server and a sandbox Jira: sign in, connect a
site, find a group, create a ticket through the dynamic form, see Jira's assignee change, add a
note that reaches Jira, and fix a failed sync with the retry button. Screenshots of the main
pages go to test-artifacts/screenshots/; with BUGBRIDGE_DOC_SCREENSHOTS=1 the issues list and
group page are also copied to docs/screenshots/ for the README."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from bugbridge.sync import worker
from bugbridge.sync.models import ChangeState, OutboundChange, Ticket
from bugbridge.tracker.models import Group, Membership, Organization, Project, ProjectKey, Role
from jira_sandbox import Sandbox
from tests.web.conftest import PASSWORD, make_event, make_group

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
DOC_SHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still synchronous, so Django's async guard must not refuse them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: Any, settings: Any) -> Iterator[Any]:
    # The addresses Bugbridge hands out (webhook URL, DSN) point at this live server.
    settings.BASE_URL = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(15000)
    tab = context.new_page()
    yield tab
    context.close()


def shot(page: Any, name: str, *, docs: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    # The README's copies change only when asked for, so a test run leaves the tree clean.
    if docs and os.environ.get("BUGBRIDGE_DOC_SCREENSHOTS"):
        DOC_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOC_SHOTS / path.name)


class Scene:
    def __init__(self) -> None:
        cache.clear()
        self.org = Organization.objects.create(name="Acme", slug="acme")
        users = get_user_model().objects
        self.alice = users.create_user("alice", "alice@acme.test", PASSWORD)
        self.carol = users.create_user("carol", "carol@acme.test", PASSWORD)
        Membership.objects.create(organization=self.org, user=self.alice, role=Role.OWNER)
        Membership.objects.create(organization=self.org, user=self.carol, role=Role.MEMBER)
        self.project = Project.objects.create(organization=self.org, name="Shop", slug="shop")
        ProjectKey.objects.create(project=self.project)
        self.group = make_group(self.project, culprit="shop.checkout in total", users_seen=3)
        for days in (0, 0, 1, 2, 2, 2, 5, 9):
            make_event(self.group, days_ago=days, release=f"shop@1.{days % 3}")
        other = make_group(self.project, "KeyError: 'sku'", culprit="shop.cart in add")
        make_event(other, environment="staging")
        make_group(self.project, "TimeoutError: upstream took 30s", culprit="shop.payments")


@pytest.fixture
def scene(transactional_db: Any, fast_passwords: None) -> Scene:
    return Scene()


@pytest.fixture(scope="module")
def jira_sandbox() -> Iterator[Sandbox]:
    sb = Sandbox().start()
    yield sb
    sb.stop()


def sign_in(page: Any) -> None:
    page.goto("/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/issues/")


def connect_site(page: Any, jira: Any) -> None:
    page.goto("/settings/integrations/")
    page.fill("#name", jira.name)
    page.fill("#base_url", jira.base_url)
    page.fill("#email", "admin@example.com")
    page.fill("#api_token", "admin-token")
    page.click("#connect-token-form button[type=submit]")
    page.wait_for_selector("#webhook-url")
    url = page.inner_text("#webhook-url").strip()
    secret = page.inner_text("#webhook-secret").strip()
    jira.add_admin_webhook(url, secret=secret)


def drain() -> None:
    worker.drain(max_seconds=10)


def test_a_person_works_an_issue_with_jira(page: Any, scene: Scene, jira_sandbox: Sandbox) -> None:
    jira = jira_sandbox.add_site("acme-web")
    jira.rest_emits_webhooks = False
    carol_jira = jira.add_user(display_name="Carol Jones", email="carol@acme.test")

    page.goto("/login/")
    shot(page, "login")
    sign_in(page)

    connect_site(page, jira)
    page.fill("#account_id", carol_jira["accountId"])
    page.select_option("#user", str(scene.carol.pk))
    page.click("#user-map-form button[type=submit]")
    page.wait_for_selector("text=Carol")
    shot(page, "jira-site-settings")

    # Find the group.
    page.goto("/issues/")
    page.fill("#q", "division")
    page.click("text=Apply")
    page.wait_for_selector("text=ZeroDivisionError")
    page.goto("/issues/")
    shot(page, "issues-before")
    page.click("text=ZeroDivisionError: division by zero")
    page.wait_for_selector("#latest-event")

    # Create a ticket through the dynamic form: fields appear as project and type change.
    page.click("text=Create a Jira ticket")
    page.select_option("#project", "10000")
    page.wait_for_selector("#issuetype")
    page.select_option("#issuetype", "10004")
    page.wait_for_selector("#jira-fields label")
    shot(page, "create-ticket")
    page.click("text=Create ticket")
    page.wait_for_selector("#jira .link")
    ticket = Ticket.objects.get(links__group=scene.group)
    assert jira.get_issue(ticket.key)["fields"]["summary"] == scene.group.title

    # Jira assigns the ticket to Carol: the webhook reaches the live server.
    jira.act_assign(ticket.key, carol_jira["accountId"])
    page.reload()
    assert page.input_value("#assignee") == str(scene.carol.pk)
    assert "Jira site" in page.inner_text("#activity")

    # A note reaches Jira as a comment.
    page.fill("#note-body", "Fix deployed in shop 1.4")
    page.click("text=Add note")
    page.wait_for_selector("text=Fix deployed in shop 1.4")
    drain()
    comments = jira.get_issue(ticket.key)["fields"]["comment"]["comments"]
    assert any("Fix deployed in shop 1.4" in str(c.get("body")) for c in comments)
    page.reload()
    shot(page, "group", docs=True)
    page.goto("/issues/")
    assert ticket.key in page.inner_text("table.issues")
    shot(page, "issues", docs=True)
    page.goto(f"/issues/{scene.group.pk}/")

    # Jira refuses the next comment: the link shows it failed, with Jira's words; retry fixes it.
    jira.set_fault(kind="403", method="POST", path_glob="*/comment")
    page.fill("#note-body", "Second thoughts")
    page.click("text=Add note")
    page.wait_for_selector("text=Second thoughts")
    drain()
    assert OutboundChange.objects.filter(state=ChangeState.FAILED).exists()
    page.goto("/sync/")
    shot(page, "sync-health")
    page.goto(f"/issues/{scene.group.pk}/")
    assert page.inner_text("#jira .sync-state") == "failed"
    jira.clear_faults()
    page.click("#jira button:has-text('Retry')")
    page.wait_for_load_state()
    drain()
    page.goto(f"/issues/{scene.group.pk}/")
    assert page.inner_text("#jira .sync-state") == "in step"
    comments = jira.get_issue(ticket.key)["fields"]["comment"]["comments"]
    assert any("Second thoughts" in str(c.get("body")) for c in comments)


def test_main_pages_render(page: Any, scene: Scene) -> None:
    sign_in(page)
    page.goto(f"/projects/{scene.project.pk}/")
    assert "sentry_sdk.init" in page.inner_text("#snippet")
    shot(page, "project")
    page.goto("/settings/integrations/")
    shot(page, "integrations")
    page.goto("/settings/tokens/")
    page.fill("#name", "deploy script")
    page.click("text=Create token")
    assert page.inner_text("#new-token").startswith("bbt_")
    shot(page, "api-tokens")
    page.goto(f"/issues/{Group.objects.order_by('pk').last().pk + 1000}/")
    assert "Not found" in page.inner_text("h1")


def _checkout_total(items: list[int]) -> float:
    return sum(items) / len(items)


def send_with_sentry_sdk(dsn: str) -> None:
    """One real error through the Sentry SDK, then its connection closed (see tests/ingest)."""
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn, release="shop@2.0", default_integrations=False, auto_enabling_integrations=False
    )
    try:
        _checkout_total([])
    except ZeroDivisionError:
        sentry_sdk.capture_exception()
    client = sentry_sdk.get_client()
    client.flush(timeout=10)
    pool = getattr(client.transport, "_pool", None)
    client.close()
    if pool is not None:
        pool.clear()
    sentry_sdk.get_global_scope().set_client(None)


def test_an_error_sent_with_the_shown_dsn_appears(page: Any, scene: Scene) -> None:
    sign_in(page)
    page.goto(f"/projects/{scene.project.pk}/")
    send_with_sentry_sdk(page.inner_text("#dsn").strip())
    page.goto("/issues/?release=shop@2.0")
    page.click("text=ZeroDivisionError")
    trace = page.inner_text("#latest-event")
    assert "_checkout_total" in trace and "return sum(items) / len(items)" in trace
