"""Concurrent deliveries against the live server: stored once, applied once."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from django.urls import reverse

from bugbridge.jira.models import JiraSite, WebhookDelivery
from bugbridge.tracker.models import Activity, Group, Note, Organization, Project
from tests.jira.webhooks.helpers import body_fixture, link, make_group, make_site, sign

pytestmark = pytest.mark.slow


def _post_together(url: str, bodies: list[tuple[bytes, dict[str, str]]]) -> list[httpx.Response]:
    barrier = threading.Barrier(len(bodies))

    def send(item: tuple[bytes, dict[str, str]]) -> httpx.Response:
        raw, headers = item
        barrier.wait()
        return httpx.post(url, content=raw, headers=headers, timeout=30)

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(send, bodies))


def _headers(site: JiraSite, raw: bytes, ident: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Hub-Signature": sign(site.webhook_secret, raw),
        "X-Atlassian-Webhook-Identifier": ident,
    }


@pytest.fixture
def env(
    transactional_db: Any, live_server: Any, organization: Organization, project: Project
) -> tuple[JiraSite, Group, str]:
    site, _ = make_site(organization)
    group = make_group(project)
    link(group, site, "10040", "TES-41", status_id="3", status_category="indeterminate")
    url = live_server.url + reverse("jira-webhook", kwargs={"public_id": site.public_id})
    return site, group, url


def test_concurrent_duplicates_are_applied_once(env: tuple[JiraSite, Group, str]) -> None:
    site, group, url = env
    raw = json.dumps(body_fixture("cloud-jira_issue_updated-status-resolved.json")).encode()
    ident = str(uuid.uuid4())

    responses = _post_together(url, [(raw, _headers(site, raw, ident))] * 6)

    statuses = sorted(r.json()["status"] for r in responses)
    assert [r.status_code for r in responses] == [200] * 6
    assert statuses == ["applied"] + ["duplicate"] * 5
    assert WebhookDelivery.objects.count() == 1
    assert Activity.objects.filter(group=group, kind="set_resolved").count() == 1


def test_comment_event_and_twin_at_once_make_one_note(env: tuple[JiraSite, Group, str]) -> None:
    site, group, url = env
    comment = body_fixture("cloud-comment_created.json")
    twin = body_fixture("cloud-jira_issue_updated-status-resolved.json")
    twin["issue"]["id"] = "10040"
    twin["issue_event_type_name"] = "issue_commented"
    twin["comment"] = comment["comment"]
    bodies = []
    for body in (comment, twin, comment, twin):
        raw = json.dumps(body).encode()
        bodies.append((raw, _headers(site, raw, str(uuid.uuid4()))))

    responses = _post_together(url, bodies)

    assert [r.status_code for r in responses] == [200] * 4
    assert Note.objects.filter(group=group).count() == 1
    assert Activity.objects.filter(group=group, kind="set_resolved").count() == 1
