"""Verifiers per way in, the plug-in point, and the shared store-and-apply function."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from bugbridge.jira.models import AuthMethod, DeliveryOutcome, JiraSite, WebhookDelivery
from bugbridge.jira.webhooks import verify
from bugbridge.jira.webhooks.delivery import handle_verified_delivery
from bugbridge.tracker.models import Organization
from tests.jira.webhooks.helpers import make_site, raw_fixture, sign

BODY = raw_fixture("cloud-jira_issue_created.json")


@pytest.fixture
def site(organization: Organization) -> JiraSite:
    return make_site(organization)[0]


def test_hub_signature_agrees_with_the_sandboxs_jira() -> None:
    from jira_sandbox import hub_signature

    assert verify.hub_signature("s3cret", BODY) == hub_signature("s3cret", BODY)
    assert verify.hub_signature("s3cret", BODY).startswith("sha256=")


def test_signature_hex_case_does_not_matter(site: JiraSite) -> None:
    upper = sign(site.webhook_secret, BODY).upper().replace("SHA256=", "sha256=")
    verify.HubSignatureVerifier().verify(site, BODY, {"X-Hub-Signature": upper}, {})


@pytest.fixture
def dc_site(site: JiraSite) -> JiraSite:
    site.auth_method = AuthMethod.PAT
    site.deployment = "dc"
    site.save()
    return site


def _url(site: JiraSite, query: str = "") -> str:
    return reverse("jira-webhook", kwargs={"public_id": site.public_id}) + query


def test_data_center_secret_in_the_url(client: Client, dc_site: JiraSite) -> None:
    good = client.post(
        _url(dc_site, f"?secret={dc_site.webhook_secret}"), BODY, content_type="application/json"
    )
    bad = client.post(_url(dc_site, "?secret=guess"), BODY, content_type="application/json")
    none = client.post(_url(dc_site), BODY, content_type="application/json")

    assert good.status_code == 200
    assert (bad.status_code, none.status_code) == (401, 401)
    assert WebhookDelivery.objects.count() == 1


def test_data_center_signed_delivery(client: Client, dc_site: JiraSite) -> None:
    headers = {"X-Hub-Signature": sign(dc_site.webhook_secret, BODY)}
    response = client.post(_url(dc_site), BODY, content_type="application/json", headers=headers)
    assert response.status_code == 200


class _TokenVerifier:
    def verify(
        self, site: JiraSite, raw_body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> None:
        if headers.get("Authorization") != "Bearer good":
            raise verify.WebhookRejected("bad_token", "Bearer token refused.")


@pytest.fixture
def oauth_verifier() -> Iterator[None]:
    original = verify._VERIFIERS[AuthMethod.OAUTH2]
    verify.register_verifier(AuthMethod.OAUTH2, _TokenVerifier())
    yield
    verify.register_verifier(AuthMethod.OAUTH2, original)


def test_another_way_in_plugs_its_verifier(
    client: Client, site: JiraSite, oauth_verifier: None
) -> None:
    site.auth_method = AuthMethod.OAUTH2
    site.save()
    url = _url(site)

    ok = client.post(
        url, BODY, content_type="application/json", headers={"Authorization": "Bearer good"}
    )
    refused = client.post(
        url, BODY, content_type="application/json", headers={"Authorization": "Bearer bad"}
    )

    assert (ok.status_code, refused.status_code) == (200, 401)
    assert refused.json() == {"detail": "Bearer token refused."}


def test_handle_verified_delivery_takes_a_parsed_body(site: JiraSite) -> None:
    body: dict[str, Any] = {"webhookEvent": "issue_property_set", "timestamp": 1}

    first = handle_verified_delivery(site, "abc", body, {})
    again = handle_verified_delivery(site, "abc", body, {})
    by_hash = handle_verified_delivery(site, None, body, {})

    assert (first.status, first.payload["status"]) == (200, "ignored")
    assert again.payload == {"status": "duplicate"}
    assert by_hash.delivery is not None and by_hash.delivery.identifier.startswith("sha256:")


def test_identifier_header_is_case_insensitive(site: JiraSite) -> None:
    result = handle_verified_delivery(site, None, BODY, {"x-atlassian-webhook-identifier": "id-1"})
    assert result.delivery is not None and result.delivery.identifier == "id-1"


def test_a_delivery_abandoned_mid_way_is_taken_over_by_the_retry(site: JiraSite) -> None:
    from django.utils import timezone

    WebhookDelivery.objects.create(
        site=site, identifier="id-2", event="jira:issue_created", body={}, detail="claim:dead"
    )
    WebhookDelivery.objects.update(received_at=timezone.now() - timedelta(minutes=10))

    result = handle_verified_delivery(site, "id-2", BODY, {})

    assert result.payload["status"] == "ignored"
    assert WebhookDelivery.objects.get().outcome == DeliveryOutcome.IGNORED


def test_a_delivery_still_in_progress_is_a_duplicate(site: JiraSite) -> None:
    WebhookDelivery.objects.create(
        site=site, identifier="id-3", event="jira:issue_created", body={}, detail="claim:live"
    )
    assert handle_verified_delivery(site, "id-3", BODY, {}).payload == {"status": "duplicate"}


def test_prune_keeps_recent_and_unfinished_deliveries(site: JiraSite) -> None:
    from django.utils import timezone

    from bugbridge.jira.webhooks.delivery import prune_deliveries

    old = timezone.now() - timedelta(days=40)
    for ident, processed in (("old-done", old), ("old-open", None), ("new-done", None)):
        WebhookDelivery.objects.create(
            site=site, identifier=ident, event="x", body={}, processed_at=processed
        )
    WebhookDelivery.objects.exclude(identifier="new-done").update(received_at=old)

    assert prune_deliveries() == 1
    assert set(WebhookDelivery.objects.values_list("identifier", flat=True)) == {
        "old-open",
        "new-done",
    }


@pytest.mark.parametrize(
    ("claims_secret", "lifetime", "status"),
    [
        ("client-secret-of-the-oauth-app-0123", 180, 200),
        ("another-secret-of-some-other-app-012", 180, 401),
        ("client-secret-of-the-oauth-app-0123", -10, 401),
    ],
)
def test_oauth_dynamic_webhook_bearer_jwt(
    client: Client, site: JiraSite, settings: Any, claims_secret: str, lifetime: int, status: int
) -> None:
    import time

    import jwt

    settings.JIRA_OAUTH_CLIENT_SECRET = "client-secret-of-the-oauth-app-0123"
    site.auth_method = AuthMethod.OAUTH2
    site.save()
    now = int(time.time())
    token = jwt.encode(
        {"iss": site.base_url, "iat": now, "exp": now + lifetime}, claims_secret, algorithm="HS256"
    )
    headers = {"Authorization": f"Bearer {token}"}

    response = client.post(_url(site), BODY, content_type="application/json", headers=headers)

    assert response.status_code == status
    assert WebhookDelivery.objects.count() == (1 if status == 200 else 0)
