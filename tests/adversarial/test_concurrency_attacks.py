"""A person in the UI, a script on the API and Jira's webhooks change one group at once."""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from django.urls import reverse

from bugbridge.jira.models import DeliveryOutcome, WebhookDelivery
from bugbridge.sync.models import ChangeState, GroupLink, OutboundChange
from bugbridge.tracker.models import Activity, Group
from tests.adversarial.conftest import Browser, Script
from tests.adversarial.helpers import envelope, send_envelope
from tests.jira.webhooks.helpers import body_fixture, sign
from tests.web.conftest import World

pytestmark = pytest.mark.slow


def _jira_status(world: World, done: bool, minute: int) -> dict[str, Any]:
    body = copy.deepcopy(body_fixture("cloud-jira_issue_updated-status-resolved.json"))
    body["issue"]["id"] = world.link_a.ticket.issue_id
    body["issue"]["key"] = world.link_a.ticket.key
    fields = body["issue"]["fields"]
    updated = datetime(2030, 1, 1, tzinfo=UTC) + timedelta(minutes=minute)
    fields["updated"] = updated.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    if not done:
        fields["status"]["id"] = "3"
        fields["status"]["name"] = "In Progress"
        fields["status"]["statusCategory"]["key"] = "indeterminate"
    body.pop("changelog", None)
    return body


def _together(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_ui_api_and_webhook_changing_one_group_at_once(
    live_server: Any, world: World, alice_browser: Browser, alice_script: Script
) -> None:
    group = world.group_a
    site = world.site_a
    hook_url = live_server.url + reverse("jira-webhook", kwargs={"public_id": site.public_id})
    csrf_page = alice_browser.get("/issues/")
    assert csrf_page.status_code == 200

    def ui(status: str) -> Callable[[], httpx.Response]:
        return lambda: alice_browser.post(f"/issues/{group.pk}/status/", {"status": status})

    def api(status: str) -> Callable[[], httpx.Response]:
        return lambda: alice_script.http.patch(f"/groups/{group.pk}", json={"status": status})

    def assign(user_id: int | None) -> Callable[[], httpx.Response]:
        return lambda: alice_script.http.patch(f"/groups/{group.pk}", json={"assignee_id": user_id})

    def hook(done: bool, minute: int) -> Callable[[], httpx.Response]:
        raw = json.dumps(_jira_status(world, done, minute)).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature": sign(site.webhook_secret, raw),
            "X-Atlassian-Webhook-Identifier": str(uuid.uuid4()),
        }
        return lambda: httpx.post(hook_url, content=raw, headers=headers, timeout=60)

    calls = []
    for i in range(4):
        calls += [
            ui("resolved" if i % 2 else "ignored"),
            api("unresolved" if i % 2 else "resolved"),
            hook(i % 2 == 0, i),
            assign(world.carol.pk if i % 2 else world.alice.pk),
        ]

    responses = _together(calls)

    bad = [(r.request.method, str(r.request.url), r.status_code) for r in responses]
    assert all(r.status_code < 500 for r in responses), bad
    # A delivery answered 200 but not applied (e.g. a deadlock victim) is lost: Jira won't retry.
    failed = WebhookDelivery.objects.filter(outcome=DeliveryOutcome.FAILED)
    assert not failed.exists(), list(failed.values_list("detail", flat=True))
    final = Group.objects.get(pk=group.pk)
    last_status = (
        Activity.objects.filter(group=group, kind__startswith="set_")
        .order_by("-created_at", "-pk")
        .first()
    )
    assert last_status is not None
    assert last_status.kind == f"set_{final.status}"
    # Coalescing holds under contention: one pending change per ticket and kind.
    pending = OutboundChange.objects.filter(state=ChangeState.PENDING)
    keys = list(pending.values_list("ticket_id", "coalesce_key"))
    assert len(keys) == len(set(keys))


def test_events_regressing_a_group_while_jira_and_the_ui_change_it(
    live_server: Any, world: World, alice_browser: Browser, alice_script: Script
) -> None:
    sent = send_envelope(live_server.url, world.project_a, envelope({"message": "regress me"}))
    assert sent.status_code == 200
    group = Group.objects.get(events__event_id=sent.json()["id"])
    GroupLink.objects.create(group=group, ticket=world.link_a.ticket)
    assert alice_script.http.patch(f"/groups/{group.pk}", json={"status": "resolved"}).is_success
    site = world.site_a
    hook_url = live_server.url + reverse("jira-webhook", kwargs={"public_id": site.public_id})
    assert alice_browser.get("/issues/").status_code == 200

    def event() -> httpx.Response:
        return send_envelope(live_server.url, world.project_a, envelope({"message": "regress me"}))

    def ui(status: str) -> Callable[[], httpx.Response]:
        return lambda: alice_browser.post(f"/issues/{group.pk}/status/", {"status": status})

    def hook(done: bool, minute: int) -> Callable[[], httpx.Response]:
        raw = json.dumps(_jira_status(world, done, minute)).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature": sign(site.webhook_secret, raw),
            "X-Atlassian-Webhook-Identifier": str(uuid.uuid4()),
        }
        return lambda: httpx.post(hook_url, content=raw, headers=headers, timeout=60)

    calls: list[Callable[[], httpx.Response]] = []
    for i in range(4):
        calls += [event, event, ui("resolved"), hook(i % 2 == 1, i)]

    responses = _together(calls)

    bad = [(r.request.method, str(r.request.url), r.status_code) for r in responses]
    assert all(r.status_code < 500 for r in responses), bad
    failed = WebhookDelivery.objects.filter(outcome=DeliveryOutcome.FAILED)
    assert not failed.exists(), list(failed.values_list("detail", flat=True))
    assert Group.objects.get(pk=group.pk).times_seen == 9


def test_retrying_two_failed_changes_of_one_kind_at_once(
    world: World, alice_script: Script, alice_browser: Browser
) -> None:
    # Two failed assignee changes of one ticket (the second was made after the first failed);
    # a person presses Retry on both, in two tabs, at the same moment.
    first = world.change_a
    second = OutboundChange.objects.create(
        ticket=first.ticket,
        group=first.group,
        kind=first.kind,
        coalesce_key=first.coalesce_key,
        state=ChangeState.FAILED,
        due_at=first.due_at,
        last_error="again",
    )

    for _ in range(3):
        OutboundChange.objects.filter(pk__in=[first.pk, second.pk]).update(state=ChangeState.FAILED)
        responses = _together(
            [
                lambda: alice_script.http.post(f"/sync/changes/{first.pk}/retry"),
                lambda: alice_script.http.post(f"/sync/changes/{second.pk}/retry"),
            ]
        )
        assert all(r.status_code < 500 for r in responses), [r.text[:200] for r in responses]
        pending = OutboundChange.objects.filter(
            ticket=first.ticket, coalesce_key=first.coalesce_key, state=ChangeState.PENDING
        )
        assert pending.count() == 1
        assert not OutboundChange.objects.filter(
            pk__in=[first.pk, second.pk], state=ChangeState.FAILED
        ).exists()
