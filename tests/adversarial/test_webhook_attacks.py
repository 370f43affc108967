"""Jira webhooks under attack, over real HTTP: forged, malformed, hostile-but-signed, replayed
and concurrent deliveries, and deliveries of one tenant's site naming another's tickets."""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from django.urls import reverse

from bugbridge.jira.models import WebhookDelivery
from bugbridge.tracker.models import Group, GroupStatus, Note, Organization, Project
from tests.jira.webhooks.helpers import body_fixture, link, make_group, make_site, sign

ISSUE_ID, ISSUE_KEY = "10040", "TES-41"


class Hook:
    """A connected site, a group linked to its ticket 10040, and a poster for its webhook URL."""

    def __init__(self, live_server: Any, organization: Organization, project: Project) -> None:
        self.site, _ = make_site(organization)
        self.group = make_group(project)
        link(self.group, self.site, ISSUE_ID, ISSUE_KEY, status_id="3", status_category="new")
        path = reverse("jira-webhook", kwargs={"public_id": self.site.public_id})
        self.url = live_server.url + path

    def post(
        self,
        raw: bytes | dict[str, Any],
        *,
        signature: str | None = None,
        signed: bool = True,
        identifier: str | None = None,
        url: str | None = None,
    ) -> httpx.Response:
        data = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
        headers: dict[str, str | bytes] = {
            "Content-Type": "application/json",
            "X-Atlassian-Webhook-Identifier": identifier or str(uuid.uuid4()),
        }
        if signed:
            # As bytes, so that a non-ASCII forgery reaches the server as sent.
            value = signature or sign(self.site.webhook_secret, data)
            headers["X-Hub-Signature"] = value.encode()
        return httpx.post(url or self.url, content=data, headers=headers, timeout=30)


@pytest.fixture
def hook(
    transactional_db: Any, live_server: Any, organization: Organization, project: Project
) -> Hook:
    return Hook(live_server, organization, project)


def comment_body(text: Any, comment_id: str = "10019") -> dict[str, Any]:
    body = copy.deepcopy(body_fixture("cloud-comment_created.json"))
    body["comment"]["id"] = comment_id
    body["comment"]["self"] = (
        f"https://example.atlassian.net/rest/api/2/issue/10040/comment/{comment_id}"
    )
    body["comment"]["body"] = text
    return body


# -- forged and malformed ---------------------------------------------------------------------


def _forgeries(secret: str) -> dict[str, Callable[[bytes], tuple[bytes, str | None]]]:
    return {
        "unsigned": lambda raw: (raw, None),
        "tampered body": lambda raw: (raw.replace(b"Added", b"Hacked"), sign(secret, raw)),
        "truncated body": lambda raw: (raw[:-20], sign(secret, raw)),
        "signed over another encoding": lambda raw: (
            raw,
            sign(secret, json.dumps(json.loads(raw), ensure_ascii=False).encode("utf-16")),
        ),
        "sha1 prefix": lambda raw: (raw, "sha1=" + sign(secret, raw)[7:]),
        "wrong secret": lambda raw: (raw, sign(secret + "x", raw)),
        "empty signature": lambda raw: (raw, "sha256="),
        "non-ASCII signature": lambda raw: (raw, "sha256=é"),
    }


@pytest.mark.parametrize("forgery", list(_forgeries("")))
def test_forged_delivery_is_refused_and_not_stored(hook: Hook, forgery: str) -> None:
    raw = json.dumps(comment_body("Added a comment ✓")).encode()
    sent, signature = _forgeries(hook.site.webhook_secret)[forgery](raw)

    response = hook.post(sent, signature=signature, signed=signature is not None)

    assert response.status_code == 401, response.text
    assert response.json()["detail"]
    assert not WebhookDelivery.objects.exists()
    assert not Note.objects.exists()


def test_nesting_deeper_than_jira_sends_is_a_400_and_not_stored(hook: Hook) -> None:
    raw = b'{"webhookEvent":"comment_created","x":' + b"[" * 950 + b"]" * 950 + b"}"

    response = hook.post(raw)

    assert response.status_code == 400, response.text[:300]
    assert "nested" in response.json()["detail"]
    assert not WebhookDelivery.objects.exists()


def test_adf_comment_nested_hundreds_of_levels_is_a_400_and_not_stored(hook: Hook) -> None:
    adf: dict[str, Any] = {"type": "doc", "content": []}
    node = adf
    for _ in range(400):
        child: dict[str, Any] = {"type": "paragraph", "content": []}
        node["content"].append(child)
        node = child
    node["content"].append({"type": "text", "text": "deep"})

    response = hook.post(comment_body(adf))

    assert response.status_code == 400, response.text[:300]
    assert not WebhookDelivery.objects.exists()
    assert not Note.objects.exists()


def test_adf_comment_of_a_realistic_depth_is_imported(hook: Hook) -> None:
    adf: dict[str, Any] = {"type": "doc", "content": []}
    node = adf
    for _ in range(20):
        child: dict[str, Any] = {"type": "bulletList", "content": []}
        node["content"].append(child)
        node = child
    node["content"].append({"type": "text", "text": "nested list item"})

    response = hook.post(comment_body(adf))

    assert response.status_code == 200, response.text[:300]
    assert response.json()["status"] == "applied"
    assert Note.objects.get(group=hook.group).body == "nested list item"


@pytest.mark.parametrize(
    ("escaped", "stored"),
    [
        ("a\\u0000b", "a\ufffdb"),  # NUL: PostgreSQL's jsonb and text refuse it
        ("a\\ud800b", "a?b"),  # a lone surrogate: not UTF-8 at all
    ],
    ids=["nul", "lone surrogate"],
)
def test_comment_with_characters_the_database_refuses_is_imported_cleaned(
    hook: Hook, escaped: str, stored: str
) -> None:
    raw = json.dumps(comment_body("PLACEHOLDER")).encode().replace(b"PLACEHOLDER", escaped.encode())

    response = hook.post(raw)

    assert response.status_code == 200, response.text[:300]
    assert response.json()["status"] == "applied"
    assert Note.objects.get(group=hook.group).body == stored
    assert WebhookDelivery.objects.get().body["comment"]["body"] == stored


def test_nan_in_a_signed_body_is_stored_as_null(hook: Hook) -> None:
    raw = b'{"webhookEvent":"jira:issue_updated","timestamp":NaN,"x":Infinity}'

    response = hook.post(raw)

    assert response.status_code == 200, response.text[:300]
    assert WebhookDelivery.objects.get().body["timestamp"] is None


@pytest.mark.parametrize("event", ["a\\u0000b", "\\ud800"], ids=["nul", "surrogate"])
def test_webhook_event_name_with_refused_characters_is_answered(hook: Hook, event: str) -> None:
    raw = b'{"webhookEvent":"' + event.encode() + b'"}'

    response = hook.post(raw)

    assert response.status_code == 200, response.text[:300]
    assert response.json()["status"] == "ignored"


# -- tenant isolation and unknown tickets -----------------------------------------------------


def test_site_b_delivery_naming_a_ticket_linked_only_in_site_a_changes_nothing(
    hook: Hook, live_server: Any, organization: Organization
) -> None:
    other = Organization.objects.create(name="Other", slug="other")
    site_b, _ = make_site(other, "globex")
    url_b = live_server.url + reverse("jira-webhook", kwargs={"public_id": site_b.public_id})
    body = body_fixture("cloud-jira_issue_updated-status-resolved.json")
    raw = json.dumps(body).encode()

    response = hook.post(raw, signature=sign(site_b.webhook_secret, raw), url=url_b)

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert Group.objects.get(pk=hook.group.pk).status == GroupStatus.UNRESOLVED


def test_site_a_signature_on_site_b_url_is_refused(hook: Hook, live_server: Any) -> None:
    other = Organization.objects.create(name="Other", slug="other")
    site_b, _ = make_site(other, "globex")
    url_b = live_server.url + reverse("jira-webhook", kwargs={"public_id": site_b.public_id})

    response = hook.post(comment_body("hi"), url=url_b)  # signed with site A's secret

    assert response.status_code == 401
    assert not WebhookDelivery.objects.exists()


def test_comment_on_an_unknown_issue_is_ignored(hook: Hook) -> None:
    body = comment_body("hello")
    body["issue"]["id"] = "99999"
    body["comment"]["self"] = "https://example.atlassian.net/rest/api/2/issue/99999/comment/1"

    response = hook.post(body)

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert not Note.objects.exists()


def test_dc_comment_without_issue_or_self_is_ignored(hook: Hook) -> None:
    body = comment_body("hello")
    del body["issue"]
    del body["comment"]["self"]

    response = hook.post(body)

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert not Note.objects.exists()


@pytest.mark.parametrize("issue_id", ["9" * 40, str(2**64), "../../10040", "10040\u0000"])
def test_odd_issue_ids_are_ignored_not_failed(hook: Hook, issue_id: str) -> None:
    body = body_fixture("cloud-jira_issue_updated-status-resolved.json")
    body["issue"]["id"] = issue_id

    response = hook.post(body)

    assert response.status_code == 200, response.text[:300]
    assert response.json()["status"] == "ignored"
    assert Group.objects.get(pk=hook.group.pk).status == GroupStatus.UNRESOLVED


# -- replays and concurrency ------------------------------------------------------------------


def _together(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.mark.slow
def test_one_comment_delivered_concurrently_under_many_identifiers_makes_one_note(
    hook: Hook,
) -> None:
    # Jira sends comment_created and a jira:issue_updated twin for one comment, and retries
    # each under its own identifier: every copy at once must still make one note.
    comment = comment_body("Only once, please")
    twin = body_fixture("cloud-jira_issue_updated-status-resolved.json")
    twin["comment"] = comment["comment"]
    twin["issue_event_type_name"] = "issue_commented"
    twin.pop("changelog", None)
    bodies = [comment, twin] * 4

    responses = _together([lambda b=b: hook.post(b) for b in bodies])

    assert [r.status_code for r in responses] == [200] * len(bodies)
    assert Note.objects.filter(group=hook.group).count() == 1


@pytest.mark.slow
def test_same_identifier_replayed_concurrently_is_stored_once(hook: Hook) -> None:
    ident = str(uuid.uuid4())
    raw = json.dumps(comment_body("replayed")).encode()

    responses = _together([lambda: hook.post(raw, identifier=ident)] * 6)

    assert [r.status_code for r in responses] == [200] * 6
    assert sorted(r.json()["status"] for r in responses).count("duplicate") == 5
    assert WebhookDelivery.objects.count() == 1
    assert Note.objects.filter(group=hook.group).count() == 1
