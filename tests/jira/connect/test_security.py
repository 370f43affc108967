"""Every forged or broken token we know of: the answer, and that nothing changed in the DB."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from bugbridge.jira.connect.qsh import CONTEXT_QSH
from bugbridge.jira.models import AuthMethod, JiraSite, SiteBinding, WebhookDelivery
from tests.jira.connect.helpers import (
    SITE_SECRET,
    claims_for,
    hs_token,
    install_body,
    lifecycle_post,
    new_kid,
    none_token,
    rsa_pair,
    signed_install,
)

pytestmark = pytest.mark.django_db

INSTALLED = "/jira/connect/installed"
UNINSTALLED = "/jira/connect/uninstalled"
WEBHOOK = "/jira/connect/webhook"
PANEL = "/jira/connect/issue-panel/BB-1"
SECRET_B = "site-b-secret-0123456789abcdef-0123456789abcd"
ATTACKER_SECRET = "attacker-secret-0123456789abcdef-0123456789ab"
Key = tuple[RSAPrivateKey, str]


@pytest.fixture
def site_b(connect_site: JiraSite) -> JiraSite:
    return JiraSite.objects.create(
        name="beta.atlassian.net",
        base_url="https://beta.atlassian.net",
        auth_method=AuthMethod.CONNECT,
        client_key="client-beta",
        shared_secret=SECRET_B,
    )


def _snapshot() -> list[Any]:
    sites = list(
        JiraSite.objects.order_by("pk").values_list(
            "client_key", "base_url", "is_enabled", "disabled_reason", "auth_method"
        )
    )
    secrets = [site.shared_secret for site in JiraSite.objects.order_by("pk")]
    return [sites, secrets, SiteBinding.objects.count(), WebhookDelivery.objects.count()]


def _hand_signed_hs256(claims: dict[str, Any], key: bytes, kid: str) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode()
    signing_input = f"{b64(header)}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())}"


# Each case: (path, body, token factory(key) -> token or None, expected status, expected reason)
def _takeover_body() -> dict[str, Any]:
    return install_body("client-acme", "https://evil.example", ATTACKER_SECRET)


def _issue_updated() -> dict[str, Any]:
    return {
        "webhookEvent": "jira:issue_updated",
        "timestamp": 1,
        "issue": {"id": "1", "key": "BB-1"},
    }


CASES: dict[
    str, tuple[str, Callable[[], dict[str, Any]], Callable[[Key], str | None], int, str]
] = {
    "unsigned_install": (INSTALLED, _takeover_body, lambda key: None, 400, "Missing JWT"),
    "hs256_install_without_kid": (
        INSTALLED,
        _takeover_body,
        lambda key: hs_token(SITE_SECRET, claims_for("client-acme", "POST", INSTALLED)),
        401,
        "signed by Atlassian",
    ),
    "hs256_install_with_public_key_as_secret": (
        INSTALLED,
        _takeover_body,
        lambda key: _hand_signed_hs256(
            claims_for("client-acme", "POST", INSTALLED, aud=["http://testserver"]),
            rsa_pair()[1].encode(),
            key[1],
        ),
        401,
        "signed by Atlassian",
    ),
    "alg_none_install": (
        INSTALLED,
        _takeover_body,
        lambda key: none_token(
            claims_for("client-acme", "POST", INSTALLED, aud=["http://testserver"])
        ),
        401,
        "signed by Atlassian",
    ),
    "install_wrong_aud": (
        INSTALLED,
        _takeover_body,
        lambda key: signed_install(*key, "client-acme", aud="https://other-app.example"),
        401,
        "aud",
    ),
    "install_wrong_iss": (
        INSTALLED,
        _takeover_body,
        lambda key: signed_install(*key, "client-beta"),
        401,
        "iss",
    ),
    "install_expired": (
        INSTALLED,
        _takeover_body,
        lambda key: signed_install(*key, "client-acme", ttl=60, iat_offset=-900),
        401,
        "expired",
    ),
    "install_wrong_qsh": (
        INSTALLED,
        _takeover_body,
        lambda key: signed_install(*key, "client-acme", path=UNINSTALLED),
        401,
        "qsh",
    ),
    "install_context_qsh": (
        INSTALLED,
        _takeover_body,
        lambda key: signed_install(*key, "client-acme", qsh=CONTEXT_QSH),
        401,
        "context JWT",
    ),
    "install_unknown_kid": (
        INSTALLED,
        _takeover_body,
        lambda key: signed_install(key[0], new_kid(), "client-acme"),
        401,
        "unknown key id",
    ),
    "install_kid_path_traversal": (
        INSTALLED,
        _takeover_body,
        lambda key: signed_install(key[0], "../_control/sites", "client-acme"),
        401,
        "malformed key id",
    ),
    "install_signed_by_another_key": (
        INSTALLED,
        _takeover_body,
        lambda key: signed_install(rsa_pair()[0], key[1], "client-acme"),
        401,
        "signature",
    ),
    "uninstall_hs256": (
        UNINSTALLED,
        lambda: install_body("client-acme", "https://acme.atlassian.net", "", "uninstalled"),
        lambda key: hs_token(SITE_SECRET, claims_for("client-acme", "POST", UNINSTALLED)),
        401,
        "signed by Atlassian",
    ),
    "uninstall_with_install_token_of_site_b": (
        UNINSTALLED,
        lambda: install_body("client-acme", "https://acme.atlassian.net", "", "uninstalled"),
        lambda key: signed_install(*key, "client-beta", path=UNINSTALLED),
        401,
        "iss",
    ),
    "webhook_context_qsh": (
        WEBHOOK,
        _issue_updated,
        lambda key: hs_token(
            SITE_SECRET, claims_for("client-acme", "POST", WEBHOOK, qsh=CONTEXT_QSH)
        ),
        401,
        "context JWT",
    ),
    "webhook_alg_none": (
        WEBHOOK,
        _issue_updated,
        lambda key: none_token(claims_for("client-acme", "POST", WEBHOOK)),
        401,
        "algorithm",
    ),
    "webhook_wrong_qsh": (
        WEBHOOK,
        _issue_updated,
        lambda key: hs_token(SITE_SECRET, claims_for("client-acme", "GET", WEBHOOK)),
        401,
        "qsh",
    ),
    "webhook_expired": (
        WEBHOOK,
        _issue_updated,
        lambda key: hs_token(
            SITE_SECRET, claims_for("client-acme", "POST", WEBHOOK, ttl=10, iat_offset=-600)
        ),
        401,
        "expired",
    ),
    "webhook_unknown_site": (
        WEBHOOK,
        _issue_updated,
        lambda key: hs_token(SITE_SECRET, claims_for("client-ghost", "POST", WEBHOOK)),
        401,
        "not installed",
    ),
    "webhook_site_a_token_signed_with_site_b_secret": (
        WEBHOOK,
        _issue_updated,
        lambda key: hs_token(SECRET_B, claims_for("client-acme", "POST", WEBHOOK)),
        401,
        "signature",
    ),
    "webhook_rs256_install_token": (
        WEBHOOK,
        _issue_updated,
        lambda key: signed_install(*key, "client-acme", path=WEBHOOK),
        401,
        "algorithm",
    ),
    "webhook_missing_header": (WEBHOOK, _issue_updated, lambda key: None, 400, "Missing JWT"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_forged_lifecycle_and_webhook_calls_change_nothing(
    client: Any, site_b: JiraSite, install_key: Key, case: str
) -> None:
    path, body, token_for, status, words = CASES[case]
    before = _snapshot()
    response = lifecycle_post(client, path, body(), token_for(install_key))
    assert response.status_code == status, response.content
    assert words in response.content.decode()
    assert _snapshot() == before


def test_malformed_authorization_header_is_400(client: Any, site_b: JiraSite) -> None:
    before = _snapshot()
    response = client.post(
        WEBHOOK, data=b"{}", content_type="application/json", headers={"Authorization": "Bearer x"}
    )
    assert response.status_code == 400
    assert b"Malformed Authorization header" in response.content
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("token_for", "status", "words"),
    [
        (
            lambda: hs_token(SECRET_B, claims_for("client-acme", "GET", PANEL)),
            401,
            b"unable to verify",
        ),
        (
            lambda: hs_token(
                SECRET_B, claims_for("client-beta", "GET", "/jira/connect/issue-panel/BB-2")
            ),
            401,
            b"unable to verify",
        ),
        (lambda: none_token(claims_for("client-acme", "GET", PANEL)), 401, b"unable to verify"),
        (
            lambda: hs_token(
                SITE_SECRET, claims_for("client-acme", "GET", PANEL, ttl=5, iat_offset=-900)
            ),
            401,
            b"refresh",
        ),
    ],
    ids=["site_a_token_signed_by_b", "site_b_token_for_other_issue", "alg_none", "expired"],
)
def test_forged_panel_loads_show_a_page_and_change_nothing(
    client: Any, site_b: JiraSite, token_for: Callable[[], str], status: int, words: bytes
) -> None:
    before = _snapshot()
    response = client.get(f"{PANEL}?jwt={token_for()}")
    assert response.status_code == status
    assert words in response.content.lower()
    assert response.get("X-Frame-Options") is None
    assert _snapshot() == before


def test_secret_never_in_logs(client: Any, site_b: JiraSite, install_key: Key, caplog: Any) -> None:
    token = hs_token(SITE_SECRET, claims_for("client-acme", "POST", INSTALLED))
    lifecycle_post(client, INSTALLED, _takeover_body(), token)
    assert "unsigned_install" in caplog.text
    assert SITE_SECRET not in caplog.text
    assert ATTACKER_SECRET not in caplog.text
    assert token not in caplog.text


@pytest.mark.parametrize(
    ("method", "url", "headers"),
    [
        ("get", "/jira/connect/issue-panel/BB-1?jwt=%ED%A0%80", {}),
        ("get", "/jira/connect/issue-panel/%E2%98%83?jwt=a.b.c", {}),
        ("get", "/jira/connect/configure?jwt=" + "A" * 5000, {}),
        ("get", "/jira/connect/configure", {"Authorization": "JWT \u00e9\u00e9.\u00e9"}),
        ("post", "/jira/connect/webhook?jwt=x&jwt=y", {}),
        ("post", "/jira/connect/installed", {"Authorization": "JWT e30.e30.e30"}),
        ("post", "/jira/connect/uninstalled", {"Authorization": "JWT ...."}),
        ("get", "/jira/connect/bind/?token=%ED%A0%80", {}),
    ],
)
def test_odd_inputs_are_refused_not_crashed(
    client: Any, site_b: JiraSite, method: str, url: str, headers: dict[str, str]
) -> None:
    before = _snapshot()
    response = getattr(client, method)(url, headers=headers, content_type="application/json")
    assert response.status_code < 500
    assert _snapshot() == before
