"""OAuth 2.0 (3LO) flow: authorize, code exchange, rotating refresh, cloudid routing."""

from urllib.parse import parse_qs, urlsplit

import httpx

from jira_sandbox import Sandbox, Site


def test_three_legged_flow(sandbox: Sandbox, site: Site) -> None:
    sandbox.add_oauth_app("app-1", "s" * 40)
    sandbox.oauth_consent = (site.name, None)
    resp = httpx.get(
        f"{sandbox.url}/authorize",
        params={
            "client_id": "app-1",
            "redirect_uri": "http://app/cb",
            "state": "xyz",
            "scope": "read:jira-work read:jira-user offline_access",
            "response_type": "code",
        },
    )
    assert resp.status_code == 302
    query = parse_qs(urlsplit(resp.headers["location"]).query)
    assert query["state"] == ["xyz"]
    token = httpx.post(
        f"{sandbox.url}/oauth/token",
        json={
            "grant_type": "authorization_code",
            "client_id": "app-1",
            "client_secret": "s" * 40,
            "code": query["code"][0],
            "redirect_uri": "http://app/cb",
        },
    ).json()
    assert token["expires_in"] == 3600 and token["refresh_token"]
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    sites = httpx.get(f"{sandbox.url}/oauth/token/accessible-resources", headers=bearer).json()
    assert sites[0]["id"] == site.cloud_id and sites[0]["url"] == site.base_url
    me = httpx.get(f"{sandbox.api_url}/ex/jira/{site.cloud_id}/rest/api/3/myself", headers=bearer)
    assert me.status_code == 200 and me.json()["accountId"] == site.admin["accountId"]
    body = {
        "grant_type": "refresh_token",
        "client_id": "app-1",
        "client_secret": "s" * 40,
        "refresh_token": token["refresh_token"],
    }
    rotated = httpx.post(f"{sandbox.url}/oauth/token", json=body)
    assert rotated.status_code == 200
    assert rotated.json()["refresh_token"] != token["refresh_token"]
    reused = httpx.post(f"{sandbox.url}/oauth/token", json=body)
    assert reused.status_code == 403 and reused.json()["error"] == "invalid_grant"


def test_python_shortcut_and_bad_secret(sandbox: Sandbox, site: Site) -> None:
    sandbox.add_oauth_app("app-2", "t" * 40)
    code = sandbox.oauth_authorize("app-2", site)
    bad = httpx.post(
        f"{sandbox.url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": "app-2",
            "client_secret": "nope",
            "code": code,
        },
    )
    assert bad.status_code == 401
    good = httpx.post(
        f"{sandbox.url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": "app-2",
            "client_secret": "t" * 40,
            "code": code,
        },
    )
    assert good.status_code == 200


def test_classic_scopes_are_enforced(site: Site) -> None:
    site.add_bearer_token(
        "ro", site.admin["accountId"], kind="oauth", scopes=["read:jira-work", "read:jira-user"]
    )
    headers = {"Authorization": "Bearer ro"}
    site.act_create("x")
    assert httpx.get(f"{site.base_url}/rest/api/3/issue/BB-1", headers=headers).status_code == 200
    denied = httpx.put(
        f"{site.base_url}/rest/api/3/issue/BB-1/assignee", json={"accountId": None}, headers=headers
    )
    assert denied.status_code == 401
    assert denied.json()["message"] == "Unauthorized; scope does not match"
