"""Outgoing calls: one JWT per request, bound to that request, checked by the sandbox's Jira."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest

from bugbridge.jira.client import JiraClient
from bugbridge.jira.connect.qsh import query_hash
from bugbridge.jira.connect.signing import ConnectJWTAuth, sign_request
from bugbridge.jira.errors import JiraAuthError
from bugbridge.jira.models import AuthMethod, JiraSite
from jira_sandbox import Sandbox
from jira_sandbox.connect import ConnectInstall
from tests.jira.connect.helpers import APP_KEY, SITE_SECRET


def _captured_token(auth: ConnectJWTAuth, url: str, method: str = "GET") -> dict[str, Any]:
    request = httpx.Request(method, url)
    signed = next(auth.auth_flow(request))
    scheme, _, token = signed.headers["Authorization"].partition(" ")
    assert scheme == "JWT"
    return jwt.decode(token, SITE_SECRET, algorithms=["HS256"])


def test_claims_bind_the_exact_request() -> None:
    auth = ConnectJWTAuth(app_key=APP_KEY, shared_secret=SITE_SECRET, base_url="https://a.net")
    before = int(time.time())
    claims = _captured_token(auth, "https://a.net/rest/api/2/serverInfo?user=me&query=1")
    assert claims["iss"] == APP_KEY
    assert before <= claims["iat"] <= int(time.time())
    assert 0 < claims["exp"] - claims["iat"] <= 300
    assert claims["qsh"] == query_hash("GET", "/rest/api/2/serverInfo", "query=1&user=me")


def test_base_path_of_the_site_is_not_hashed() -> None:
    # Jira Data Center behind a context path, or Confluence's /wiki: the qsh path starts after it.
    auth = ConnectJWTAuth(app_key=APP_KEY, shared_secret=SITE_SECRET, base_url="https://h/jira")
    claims = _captured_token(auth, "https://h/jira/rest/api/2/issue?expand=names%2Crendered")
    assert claims["qsh"] == query_hash("GET", "/rest/api/2/issue", "expand=names,rendered")


def test_each_request_gets_its_own_token() -> None:
    token_a = sign_request("GET", "/a", "", app_key=APP_KEY, shared_secret=SITE_SECRET, now=1)
    token_b = sign_request("POST", "/a", "", app_key=APP_KEY, shared_secret=SITE_SECRET, now=1)
    assert token_a != token_b


def test_for_site_requires_an_installed_secret(db: Any) -> None:
    site = JiraSite.objects.create(
        name="x", base_url="https://x.net", auth_method=AuthMethod.CONNECT, client_key="ck"
    )
    with pytest.raises(JiraAuthError):
        ConnectJWTAuth.for_site(site)


def _connected_site(sb: Sandbox, name: str, secret: str = SITE_SECRET) -> JiraSite:
    sandbox_site = sb.add_site(name)
    sandbox_site.connect = ConnectInstall(
        key=APP_KEY,
        client_key=f"client-{name}",
        shared_secret=secret,
        base_url=sandbox_site.base_url,
        user_account_id=sandbox_site.admin["accountId"],
        descriptor={},
    )
    return JiraSite.objects.create(
        name=name,
        base_url=sandbox_site.base_url,
        auth_method=AuthMethod.CONNECT,
        client_key=f"client-{name}",
        shared_secret=secret,
    )


@pytest.mark.django_db
def test_sandbox_accepts_our_signed_calls(connect_sb: Sandbox, settings: Any) -> None:
    settings.CONNECT_APP_KEY = APP_KEY
    site = _connected_site(connect_sb, "signing-ok")
    with JiraClient(site) as client:
        assert client.server_info()
        created = client.create_issue(
            {"project": {"key": "BB"}, "issuetype": {"id": "10004"}, "summary": "x"}
        )
        key = str(created["key"])
        assert client.get_issue(key, fields="summary,status")["key"] == key
        prop = f"com.atlassian.jira.issue:{APP_KEY}:bugbridge-issue-glance:status"
        client.set_issue_property(key, prop, {"type": "badge", "value": {"label": "2"}})
        assert client.get_issue_property(key, prop) == {"type": "badge", "value": {"label": "2"}}
        found = client.search_jql('text ~ "x y, z"', fields=["summary"], max_results=5)
        assert "issues" in found


@pytest.mark.django_db
def test_sandbox_refuses_a_wrong_secret(connect_sb: Sandbox, settings: Any) -> None:
    settings.CONNECT_APP_KEY = APP_KEY
    site = _connected_site(connect_sb, "signing-bad")
    site.shared_secret = "not-the-secret-jira-holds-0123456789abcdef"
    with JiraClient(site) as client, pytest.raises(JiraAuthError):
        client.server_info()
