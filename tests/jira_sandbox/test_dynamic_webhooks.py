"""OAuth 2.0 dynamic webhooks: registration, JQL limits, expiry/refresh, Bearer JWT."""

import time

import httpx
import jwt

from jira_sandbox import Site

from .conftest import ADMIN, Receiver


def _oauth(site: Site) -> dict[str, str]:
    site.add_oauth_app("client-1", "client-secret-of-at-least-32-bytes!!")
    site.add_bearer_token("access-1", site.admin["accountId"], kind="oauth", client_id="client-1")
    return {"Authorization": "Bearer access-1"}


def test_register_list_refresh_delete(site: Site, receiver: Receiver) -> None:
    headers = _oauth(site)
    url = f"{site.base_url}/rest/api/3/webhook"
    body = {
        "url": receiver.url,
        "webhooks": [
            {"events": ["jira:issue_updated"], "jqlFilter": "project = BB"},
            {"events": ["comment_created"], "jqlFilter": "watchCount = 1"},
        ],
    }
    result = httpx.post(url, json=body, headers=headers).json()["webhookRegistrationResult"]
    hook_id = result[0]["createdWebhookId"]
    assert "errors" in result[1] and "watchCount" in result[1]["errors"][0]
    listed = httpx.get(url, headers=headers).json()
    expires = listed["values"][0]["expirationDate"]
    assert expires > (time.time() + 29 * 86400) * 1000
    refreshed = httpx.put(f"{url}/refresh", json={"webhookIds": [hook_id]}, headers=headers)
    assert refreshed.json()["expirationDate"] >= expires
    assert (
        httpx.request("DELETE", url, json={"webhookIds": [hook_id]}, headers=headers).status_code
        == 202
    )
    assert httpx.get(url, headers=headers).json()["total"] == 0


def test_basic_auth_cannot_register(site: Site, receiver: Receiver) -> None:
    body = {
        "url": receiver.url,
        "webhooks": [{"events": ["jira:issue_updated"], "jqlFilter": "project = BB"}],
    }
    resp = httpx.post(f"{site.base_url}/rest/api/3/webhook", json=body, auth=ADMIN)
    assert resp.status_code == 403


def test_delivery_signed_with_client_secret_and_filtered(site: Site, receiver: Receiver) -> None:
    headers = _oauth(site)
    body = {
        "url": receiver.url,
        "webhooks": [{"events": ["jira:issue_created"], "jqlFilter": "project = OPS"}],
    }
    httpx.post(f"{site.base_url}/rest/api/3/webhook", json=body, headers=headers)
    site.act_create("bb")
    site.act_create("ops", project="OPS")
    assert [r.json["issue"]["key"] for r in receiver.requests] == ["OPS-1"]
    token = receiver.requests[0].headers["Authorization"].removeprefix("Bearer ")
    jwt.decode(
        token, "client-secret-of-at-least-32-bytes!!", algorithms=["HS256"], audience="client-1"
    )


def test_expired_webhook_is_not_delivered(site: Site, receiver: Receiver) -> None:
    hook = site.add_admin_webhook(receiver.url, kind="dynamic", owner="x", jql="project = BB")
    hook.expires_ms = int(time.time() * 1000) - 1
    site.act_create("bb")
    assert receiver.requests == []
