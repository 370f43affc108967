"""The admin-webhook endpoint: verification on the raw body, store once, answers."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from prometheus_client import REGISTRY

from bugbridge.jira.models import AuthMethod, DeliveryOutcome, JiraSite, WebhookDelivery
from bugbridge.sync.models import Ticket
from bugbridge.tracker.models import Activity, Group, GroupStatus, Organization, Project
from tests.jira.webhooks.helpers import link, make_group, make_site, post, raw_fixture, sign

RESOLVED = "cloud-jira_issue_updated-status-resolved.json"


@pytest.fixture
def site(organization: Organization) -> JiraSite:
    return make_site(organization)[0]


@pytest.fixture
def linked_group(site: JiraSite, project: Project) -> Group:
    group = make_group(project)
    link(group, site, "10040", "TES-41", status_id="3", status_category="indeterminate")
    return group


def _counter(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_signed_delivery_is_stored_and_applied(
    client: Client, site: JiraSite, linked_group: Group
) -> None:
    before = _counter(
        "bugbridge_jira_webhook_deliveries_total", event="jira:issue_updated", outcome="applied"
    )

    response = post(client, site, raw_fixture(RESOLVED), secret=site.webhook_secret)

    assert response.status_code == 200
    assert response.json()["status"] == "applied"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.event, delivery.issue_key, delivery.outcome) == (
        "jira:issue_updated",
        "TES-41",
        DeliveryOutcome.APPLIED,
    )
    assert delivery.processed_at is not None
    linked_group.refresh_from_db()
    assert linked_group.status == GroupStatus.RESOLVED
    after = _counter(
        "bugbridge_jira_webhook_deliveries_total", event="jira:issue_updated", outcome="applied"
    )
    assert after == before + 1


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        (None, "missing"),
        ("sha256=" + "0" * 64, "zeros"),
        ("sha1=abc", "wrong algorithm"),
        ("garbage", "not a signature"),
    ],
)
def test_unsigned_or_malformed_signature_is_refused_and_nothing_stored(
    client: Client, site: JiraSite, linked_group: Group, signature: str | None, reason: str
) -> None:
    response = post(client, site, raw_fixture(RESOLVED), signature=signature)

    assert response.status_code == 401, reason
    assert "detail" in response.json()
    _assert_untouched(linked_group)


def test_body_changed_after_signing_is_refused(
    client: Client, site: JiraSite, linked_group: Group
) -> None:
    raw = raw_fixture(RESOLVED)
    signature = sign(site.webhook_secret, raw)
    tampered = raw.replace(b'"Done"', b'"Dona"', 1)
    assert tampered != raw

    response = post(client, site, tampered, signature=signature)

    assert response.status_code == 401
    assert response.json() == {"detail": "X-Hub-Signature does not match the body."}
    _assert_untouched(linked_group)


def test_whitespace_only_change_is_a_different_body(
    client: Client, site: JiraSite, linked_group: Group
) -> None:
    # The HMAC covers the raw bytes, not the JSON value: re-serialising breaks it.
    raw = raw_fixture(RESOLVED)
    signature = sign(site.webhook_secret, raw)
    reserialised = json.dumps(json.loads(raw)).encode()

    assert post(client, site, reserialised, signature=signature).status_code == 401
    _assert_untouched(linked_group)


def test_secret_of_another_site_is_refused(
    client: Client, site: JiraSite, linked_group: Group, organization: Organization
) -> None:
    other, _ = make_site(organization, "other")

    response = post(client, site, raw_fixture(RESOLVED), secret=other.webhook_secret)

    assert response.status_code == 401
    _assert_untouched(linked_group)


def test_repeated_delivery_is_applied_once(
    client: Client, site: JiraSite, linked_group: Group
) -> None:
    raw = raw_fixture(RESOLVED)
    ident = str(uuid.uuid4())

    first = post(client, site, raw, secret=site.webhook_secret, identifier=ident)
    second = post(client, site, raw, secret=site.webhook_secret, identifier=ident)

    assert first.json()["status"] == "applied"
    assert second.status_code == 200
    assert second.json() == {"status": "duplicate"}
    assert WebhookDelivery.objects.count() == 1
    assert Activity.objects.filter(group=linked_group, kind="set_resolved").count() == 1


def test_without_identifier_the_body_hash_dedupes(
    client: Client, site: JiraSite, linked_group: Group
) -> None:
    raw = raw_fixture(RESOLVED)
    url = reverse("jira-webhook", kwargs={"public_id": site.public_id})
    headers = {"X-Hub-Signature": sign(site.webhook_secret, raw)}
    for _ in range(2):
        client.post(url, data=raw, content_type="application/json", headers=headers)

    delivery = WebhookDelivery.objects.get()
    assert delivery.identifier.startswith("sha256:")


def test_bad_json_after_a_valid_signature_is_400_and_not_stored(
    client: Client, site: JiraSite
) -> None:
    raw = b'{"webhookEvent": "jira:issue_updated", '
    response = post(client, site, raw, secret=site.webhook_secret)

    assert response.status_code == 400
    assert response.json()["detail"] == "The body is not valid JSON."
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("raw", [b"[]", b'{"issue": {}}', b'{"webhookEvent": 3}'])
def test_json_without_an_event_is_400(client: Client, site: JiraSite, raw: bytes) -> None:
    assert post(client, site, raw, secret=site.webhook_secret).status_code == 400
    assert not WebhookDelivery.objects.exists()


def test_unknown_site_is_404(client: Client, db: Any) -> None:
    url = reverse("jira-webhook", kwargs={"public_id": uuid.uuid4()})
    response = client.post(url, data=b"{}", content_type="application/json")
    assert response.status_code == 404
    assert not WebhookDelivery.objects.exists()


def test_disabled_site_is_404(client: Client, site: JiraSite, linked_group: Group) -> None:
    site.is_enabled = False
    site.save()

    response = post(client, site, raw_fixture(RESOLVED), secret=site.webhook_secret)

    assert response.status_code == 404
    _assert_untouched(linked_group)


def test_site_without_a_verifier_here_is_404(client: Client, site: JiraSite) -> None:
    site.auth_method = AuthMethod.OAUTH2
    site.save()
    response = post(client, site, raw_fixture(RESOLVED), secret=site.webhook_secret)
    assert response.status_code == 404
    assert not WebhookDelivery.objects.exists()


def test_get_is_not_allowed(client: Client, site: JiraSite) -> None:
    url = reverse("jira-webhook", kwargs={"public_id": site.public_id})
    assert client.get(url).status_code == 405


def test_csrf_is_not_required(site: JiraSite, linked_group: Group) -> None:
    strict = Client(enforce_csrf_checks=True)
    response = post(strict, site, raw_fixture(RESOLVED), secret=site.webhook_secret)
    assert response.status_code == 200


def test_unknown_event_is_200_counted_and_stored_as_ignored(client: Client, site: JiraSite) -> None:
    before = _counter("bugbridge_jira_webhook_deliveries_total", event="unknown", outcome="ignored")
    body = {"webhookEvent": "jira:something_new", "timestamp": 1}

    response = post(client, site, body, secret=site.webhook_secret)

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    delivery = WebhookDelivery.objects.get()
    assert delivery.detail == "unknown event jira:something_new"
    after = _counter("bugbridge_jira_webhook_deliveries_total", event="unknown", outcome="ignored")
    assert after == before + 1


def test_ignored_event_is_200(client: Client, site: JiraSite) -> None:
    raw = raw_fixture("cloud-jira_issue_created.json")
    response = post(client, site, raw, secret=site.webhook_secret)
    assert response.json()["status"] == "ignored"
    assert WebhookDelivery.objects.get().outcome == DeliveryOutcome.IGNORED


def test_handler_crash_is_stored_as_failed_not_500(
    client: Client, site: JiraSite, linked_group: Group, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bugbridge.jira.webhooks import dispatch

    def boom(site: JiraSite, body: dict[str, Any]) -> Any:
        raise RuntimeError("handler bug")

    monkeypatch.setitem(dispatch.HANDLERS, "jira:issue_updated", boom)

    response = post(client, site, raw_fixture(RESOLVED), secret=site.webhook_secret)

    assert response.status_code == 200
    assert response.json()["status"] == "failed"
    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == DeliveryOutcome.FAILED
    assert delivery.detail == "RuntimeError: handler bug"


def test_rejections_are_counted(client: Client, site: JiraSite) -> None:
    before = _counter("bugbridge_jira_webhook_rejected_total", reason="bad_signature")
    post(client, site, b"{}", signature="sha256=00")
    after = _counter("bugbridge_jira_webhook_rejected_total", reason="bad_signature")
    assert after == before + 1


def _assert_untouched(group: Group) -> None:
    assert not WebhookDelivery.objects.exists()
    group.refresh_from_db()
    assert group.status == GroupStatus.UNRESOLVED
    assert not Activity.objects.filter(group=group).exists()
    assert Ticket.objects.get(issue_id="10040").watermark is None


def test_excluded_body_says_what_to_change_in_jira(client: Client, site: JiraSite) -> None:
    response = post(client, site, b"", secret=site.webhook_secret)

    assert response.status_code == 400
    assert "Exclude body" in response.json()["detail"]
    assert not WebhookDelivery.objects.exists()
