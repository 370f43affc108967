"""The one verifier for incoming Connect JWTs, on requests built by Django's RequestFactory."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from django.test import RequestFactory

from bugbridge.jira.connect.qsh import CONTEXT_QSH, query_hash
from bugbridge.jira.connect.verify import ConnectAuthError, verify_request
from bugbridge.jira.models import JiraSite
from tests.jira.connect.helpers import (
    SITE_SECRET,
    claims_for,
    hs_token,
    none_token,
    rs_token,
    rsa_pair,
)

PATH = "/jira/connect/issue-panel/BB-1"
rf = RequestFactory()


def _get(query: str = "", **headers: str) -> Any:
    return rf.get(f"{PATH}?{query}" if query else PATH, headers=headers)


def _panel_token(
    site: JiraSite, query: str = "xdm_e=https%3A%2F%2Facme.atlassian.net", **kw: Any
) -> str:
    return hs_token(SITE_SECRET, claims_for(site.client_key or "", "GET", PATH, query, **kw))


def _reason(request: Any, **kw: Any) -> tuple[int, str]:
    with pytest.raises(ConnectAuthError) as caught:
        verify_request(request, **kw)
    return caught.value.status, caught.value.reason


def test_query_token_with_iframe_params(connect_site: JiraSite) -> None:
    query = "xdm_e=https%3A%2F%2Facme.atlassian.net&cp=&lic=none&cv=1001.0.0"
    token = _panel_token(connect_site, query, sub="557058:abc")
    verified = verify_request(_get(f"{query}&jwt={token}"))
    assert verified.site == connect_site
    assert verified.account_id == "557058:abc"


def test_header_token(connect_site: JiraSite) -> None:
    token = _panel_token(connect_site, "")
    assert verify_request(_get(Authorization=f"JWT {token}")).site == connect_site


def test_missing_token_is_400(connect_site: JiraSite) -> None:
    assert _reason(_get()) == (400, "missing_token")


@pytest.mark.parametrize("header", ["Bearer abc", "JWT", "JWTabc", "Basic Zm9vOmJhcg=="])
def test_malformed_header_is_400(connect_site: JiraSite, header: str) -> None:
    assert _reason(_get(Authorization=header)) == (400, "malformed_header")


def test_garbage_token_is_400(connect_site: JiraSite) -> None:
    assert _reason(_get("jwt=not.a.jwt")) == (400, "malformed_token")


def test_unknown_issuer_is_401(connect_site: JiraSite) -> None:
    token = hs_token(SITE_SECRET, claims_for("someone-else", "GET", PATH))
    assert _reason(_get(f"jwt={token}")) == (401, "unknown_issuer")


def test_disabled_site_is_refused(connect_site: JiraSite) -> None:
    JiraSite.objects.filter(pk=connect_site.pk).update(is_enabled=False)
    token = _panel_token(connect_site, "")
    assert _reason(_get(f"jwt={token}")) == (401, "site_disabled")


def test_wrong_secret_is_401(connect_site: JiraSite) -> None:
    claims = claims_for(connect_site.client_key or "", "GET", PATH)
    token = hs_token("another-secret-0123456789abcdef-0123456789", claims)
    assert _reason(_get(f"jwt={token}")) == (401, "bad_signature")


def test_expired_is_401_and_flagged(connect_site: JiraSite) -> None:
    token = _panel_token(connect_site, "", ttl=60, iat_offset=-600)
    with pytest.raises(ConnectAuthError) as caught:
        verify_request(_get(f"jwt={token}"))
    assert (caught.value.status, caught.value.reason, caught.value.expired) == (
        401,
        "expired",
        True,
    )


def test_small_clock_skew_is_tolerated(connect_site: JiraSite) -> None:
    token = _panel_token(connect_site, "", ttl=-5)  # expired 5 s ago: within the leeway
    assert verify_request(_get(f"jwt={token}")).site == connect_site


def test_token_from_the_future_is_refused(connect_site: JiraSite) -> None:
    token = _panel_token(connect_site, "", iat_offset=3600)
    assert _reason(_get(f"jwt={token}")) == (401, "invalid_token")


def test_tampered_query_is_a_qsh_mismatch(connect_site: JiraSite) -> None:
    token = _panel_token(connect_site, "a=1")
    assert _reason(_get(f"a=2&jwt={token}")) == (401, "wrong_qsh")


def test_other_path_is_a_qsh_mismatch(connect_site: JiraSite) -> None:
    claims = claims_for(connect_site.client_key or "", "GET", "/jira/connect/issue-panel/BB-2")
    token = hs_token(SITE_SECRET, claims)
    assert _reason(_get(f"jwt={token}")) == (401, "wrong_qsh")


def test_missing_qsh_is_refused(connect_site: JiraSite) -> None:
    claims = claims_for(connect_site.client_key or "", "GET", PATH)
    del claims["qsh"]
    assert _reason(_get(f"jwt={hs_token(SITE_SECRET, claims)}")) == (401, "invalid_token")


def test_context_qsh_only_where_allowed(connect_site: JiraSite) -> None:
    token = _panel_token(connect_site, "", qsh=CONTEXT_QSH)
    assert verify_request(_get(f"jwt={token}"), allow_context_qsh=True).is_context_token
    assert _reason(_get(f"jwt={token}")) == (401, "context_qsh_not_allowed")


def test_alg_none_is_refused(connect_site: JiraSite) -> None:
    token = none_token(claims_for(connect_site.client_key or "", "GET", PATH))
    assert _reason(_get(f"jwt={token}")) == (401, "wrong_alg")


def test_rs256_token_on_a_shared_secret_endpoint_is_refused(connect_site: JiraSite) -> None:
    private, _ = rsa_pair()
    token = rs_token(private, "k1", claims_for(connect_site.client_key or "", "GET", PATH))
    assert _reason(_get(f"jwt={token}")) == (401, "wrong_alg")


def _hs256_by_hand(claims: dict[str, Any], key: bytes) -> str:
    # PyJWT refuses a PEM as an HMAC key, so build the token the way an attacker would.
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(json.dumps(claims).encode())
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def test_hs256_signed_with_a_public_key_is_refused(connect_site: JiraSite) -> None:
    # Algorithm confusion: HS256 "signed" with a public PEM as the HMAC secret.
    _, pem = rsa_pair()
    token = _hs256_by_hand(claims_for(connect_site.client_key or "", "GET", PATH), pem.encode())
    assert _reason(_get(f"jwt={token}")) == (401, "bad_signature")


def test_two_different_tokens_are_refused(connect_site: JiraSite) -> None:
    a = _panel_token(connect_site, "")
    b = _panel_token(connect_site, "", ttl=100)
    assert _reason(_get(f"jwt={a}", Authorization=f"JWT {b}")) == (400, "two_tokens")


def test_base_url_path_is_stripped(connect_site: JiraSite, settings: Any) -> None:
    settings.BASE_URL = "https://bugs.example.com/bb"
    full = f"/bb{PATH}"
    token = hs_token(SITE_SECRET, claims_for(connect_site.client_key or "", "GET", PATH))
    request = rf.get(f"{full}?jwt={token}")
    assert verify_request(request).site == connect_site
    assert query_hash("GET", PATH) != query_hash("GET", full)
