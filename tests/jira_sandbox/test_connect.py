"""Connect: qsh vectors through the sandbox checker, signed install, JWT REST, webhooks."""

import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import jwt
import pytest

from jira_sandbox import Sandbox, Site
from jira_sandbox.qsh import (
    JwtRejected,
    canonical_request,
    qsh,
    qsh_for_url,
    sign_connect_jwt,
    verify_connect_jwt,
)

from .conftest import Receiver

FIXTURES = Path(__file__).parent / "fixtures" / "connect-jwt"
VECTORS = json.loads((FIXTURES / "qsh-vectors.json").read_text())["vectors"]
SIGNED = json.loads((FIXTURES / "jwt-signed-urls.json").read_text())


@pytest.mark.parametrize("vec", VECTORS, ids=[v["name"] for v in VECTORS])
def test_qsh_vectors(vec: dict[str, str]) -> None:
    parts = urlsplit(vec["relativeUrl"])
    canonical = canonical_request(vec["method"], parts.path, parts.query)
    assert canonical == vec["canonicalRequest"]
    assert qsh(vec["method"], parts.path, parts.query) == vec["qsh"]


@pytest.mark.parametrize("case", SIGNED["tests"], ids=[t["name"] for t in SIGNED["tests"]])
def test_atlassian_signed_urls_pass_checker(case: dict[str, str]) -> None:
    parts = urlsplit(case["signedUrl"])
    token = dict(p.split("=", 1) for p in parts.query.split("&") if p.startswith("jwt="))["jwt"]
    checked = verify_connect_jwt(
        token,
        "GET",
        parts.path,
        parts.query,
        lambda iss: SIGNED["secret"],
        base_path=case.get("addonBaseUrl", ""),
        verify_exp=False,  # the vectors expired in 2014
    )
    assert checked.issuer == "jira:1234-5678-9000"


def test_checker_rejects_wrong_qsh_and_secret() -> None:
    token = sign_connect_jwt("GET", "/rest/api/2/issue/A-1", "app", "s" * 32)
    with pytest.raises(JwtRejected):
        verify_connect_jwt(token, "GET", "/rest/api/2/issue/A-2", "", lambda i: "s" * 32)
    with pytest.raises(JwtRejected):
        verify_connect_jwt(token, "GET", "/rest/api/2/issue/A-1", "", lambda i: "t" * 32)


DESCRIPTOR_PATH = "/atlassian-connect.json"


def _app(receiver: Receiver) -> str:
    receiver.documents[DESCRIPTOR_PATH] = {
        "key": "bugbridge-test",
        "name": "Bugbridge",
        "baseUrl": receiver.base,
        "authentication": {"type": "jwt"},
        "lifecycle": {"installed": "/installed", "uninstalled": "/uninstalled"},
        "scopes": ["READ", "WRITE"],
        "modules": {"webhooks": [{"event": "jira:issue_updated", "url": "/hook/${issue.key}"}]},
    }
    return receiver.base + DESCRIPTOR_PATH


def _install_token(receiver: Receiver) -> tuple[dict[str, str], str]:
    req = receiver.requests[-1]
    return req.json, req.headers.get("Authorization", "").removeprefix("JWT ")


def test_signed_install_verifies_with_served_key(
    sandbox: Sandbox, site: Site, receiver: Receiver
) -> None:
    resp = site.connect_install(_app(receiver))
    assert resp.status_code == 200
    payload, token = _install_token(receiver)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["kid"]
    pem = httpx.get(f"{sandbox.url}/_connect-keys/{header['kid']}").text
    claims = jwt.decode(token, pem, algorithms=["RS256"], audience=receiver.base)
    assert claims["iss"] == payload["clientKey"]
    assert claims["qsh"] == qsh("POST", "/installed")
    assert payload["baseUrl"] == site.base_url and payload["eventType"] == "installed"


@pytest.mark.parametrize("variant", ["unsigned", "hs256_no_kid", "wrong_aud"])
def test_broken_install_variants(site: Site, receiver: Receiver, variant: str) -> None:
    site.connect_install(_app(receiver), variant=variant)
    _, token = _install_token(receiver)
    if variant == "unsigned":
        assert token == ""
        return
    header = jwt.get_unverified_header(token)
    if variant == "hs256_no_kid":
        assert header["alg"] == "HS256" and "kid" not in header
    else:
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["aud"] != [receiver.base]


def test_connect_jwt_rest_calls_and_signed_webhooks(site: Site, receiver: Receiver) -> None:
    site.connect_install(_app(receiver))
    payload, _ = _install_token(receiver)
    url = f"{site.base_url}/rest/api/2/myself"
    good = sign_connect_jwt("GET", url, "bugbridge-test", payload["sharedSecret"], site.base_url)
    me = httpx.get(url, headers={"Authorization": f"JWT {good}"})
    assert me.status_code == 200 and me.json()["accountType"] == "app"
    wrong = sign_connect_jwt(
        "GET", url + "?x=1", "bugbridge-test", payload["sharedSecret"], site.base_url
    )
    assert httpx.get(url, headers={"Authorization": f"JWT {wrong}"}).status_code == 401
    site.act_create("x")
    site.act_transition("BB-1", "In Progress")
    hook = receiver.requests[-1]
    assert hook.path == "/hook/BB-1"
    token = hook.headers["Authorization"].removeprefix("JWT ")
    claims = jwt.decode(token, payload["sharedSecret"], algorithms=["HS256"])
    assert claims["iss"] == payload["clientKey"]
    assert claims["qsh"] == qsh_for_url("POST", receiver.base + "/hook/BB-1", receiver.base)


def test_uninstall_stops_trust(site: Site, receiver: Receiver) -> None:
    site.connect_install(_app(receiver))
    payload, _ = _install_token(receiver)
    site.connect_uninstall()
    assert receiver.requests[-1].json["eventType"] == "uninstalled"
    url = f"{site.base_url}/rest/api/2/myself"
    token = sign_connect_jwt("GET", url, "bugbridge-test", payload["sharedSecret"], site.base_url)
    assert httpx.get(url, headers={"Authorization": f"JWT {token}"}).status_code == 401


def test_connect_dynamic_webhook_signed_with_jwt(site: Site, receiver: Receiver) -> None:
    site.connect_install(_app(receiver))
    payload, _ = _install_token(receiver)
    url = f"{site.base_url}/rest/api/3/webhook"
    token = sign_connect_jwt("POST", url, "bugbridge-test", payload["sharedSecret"], site.base_url)
    body = {
        "url": receiver.base + "/dynamic",
        "webhooks": [{"events": ["comment_created"], "jqlFilter": "project = BB"}],
    }
    made = httpx.post(url, json=body, headers={"Authorization": f"JWT {token}"})
    assert "createdWebhookId" in made.json()["webhookRegistrationResult"][0]
    outside = body | {"url": "http://elsewhere.example.com/x"}
    token = sign_connect_jwt("POST", url, "bugbridge-test", payload["sharedSecret"], site.base_url)
    assert (
        httpx.post(url, json=outside, headers={"Authorization": f"JWT {token}"}).status_code == 400
    )
    site.act_create("x")
    site.act_comment("BB-1", "hi")
    (hook,) = [r for r in receiver.requests if r.path == "/dynamic"]
    assert hook.headers["Authorization"].startswith("JWT ")
    site.connect_uninstall()
    before = len(receiver.requests)
    site.act_comment("BB-1", "again")
    assert len(receiver.requests) == before
