"""REST v2/v3 issue endpoints behave like Jira Cloud."""

import re

import httpx

from jira_sandbox import Site

from .conftest import ADMIN

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")


def _create(site: Site, version: int = 2, **fields: object) -> httpx.Response:
    body = {"project": {"key": "BB"}, "issuetype": {"name": "Bug"}, "summary": "Boom"}
    body.update(fields)
    url = f"{site.base_url}/rest/api/{version}/issue"
    return httpx.post(url, json={"fields": body}, auth=ADMIN)


def test_create_and_get_issue_v2_and_v3(site: Site) -> None:
    resp = _create(site, description="line one")
    assert resp.status_code == 201
    created = resp.json()
    assert created["key"] == "BB-1"
    assert created["self"].endswith(f"/rest/api/2/issue/{created['id']}")
    v2 = httpx.get(f"{site.base_url}/rest/api/2/issue/BB-1", auth=ADMIN).json()
    assert v2["fields"]["description"] == "line one"
    assert v2["fields"]["status"]["statusCategory"]["key"] == "new"
    assert v2["fields"]["assignee"] is None
    assert TS.match(v2["fields"]["updated"])
    v3 = httpx.get(f"{site.base_url}/rest/api/3/issue/{created['id']}", auth=ADMIN).json()
    assert v3["fields"]["description"]["type"] == "doc"
    assert v3["fields"]["project"]["id"] == "10000"


def test_create_validation_errors(site: Site) -> None:
    long = _create(site, summary="x" * 256)
    assert long.status_code == 400
    assert long.json() == {
        "errorMessages": [],
        "errors": {"summary": long.json()["errors"]["summary"]},
    }
    assert _create(site, summary="a\nb").json()["errors"]["summary"].startswith("The summary")
    big = _create(site, description="d" * 32768)
    assert big.status_code == 400 and "description" in big.json()["errors"]
    bad_project = _create(site, project={"key": "NOPE"})
    assert "project" in bad_project.json()["errors"]
    v3_string = _create(site, 3, description="plain")
    assert v3_string.status_code == 400 and "description" in v3_string.json()["errors"]


def test_bad_auth_is_401_with_jira_body(site: Site) -> None:
    resp = httpx.get(f"{site.base_url}/rest/api/3/myself", auth=("admin@example.com", "nope"))
    assert resp.status_code == 401
    body = resp.json()
    assert set(body) == {"errorMessages", "errors"} and body["errorMessages"]
    assert httpx.get(f"{site.base_url}/rest/api/3/myself").status_code == 401


def test_user_api_token(site: Site) -> None:
    ada = site.add_user("Ada Lovelace", "ada@example.com")
    site.add_api_token("ada@example.com", "t0k")
    me = httpx.get(f"{site.base_url}/rest/api/3/myself", auth=("ada@example.com", "t0k")).json()
    assert me["accountId"] == ada["accountId"] and len(me["accountId"]) >= 24


def test_assignee_put_accountid_and_null(site: Site) -> None:
    ada = site.add_user("Ada Lovelace", "ada@example.com")
    _create(site)
    url = f"{site.base_url}/rest/api/3/issue/BB-1/assignee"
    before = site.get_issue("BB-1")["fields"]["updated"]
    assert httpx.put(url, json={"accountId": ada["accountId"]}, auth=ADMIN).status_code == 204
    after = site.get_issue("BB-1")["fields"]
    assert after["assignee"]["accountId"] == ada["accountId"]
    assert after["updated"] > before
    assert httpx.put(url, json={"accountId": None}, auth=ADMIN).status_code == 204
    assert site.get_issue("BB-1")["fields"]["assignee"] is None
    gdpr = httpx.put(url, json={"name": "ada"}, auth=ADMIN)
    assert gdpr.status_code == 400 and set(gdpr.json()) == {"errorMessages", "errors"}


def test_comments_crud_v2_and_v3(site: Site) -> None:
    _create(site)
    base = f"{site.base_url}/rest/api/3/issue/BB-1/comment"
    adf = {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "hi"}]}],
    }
    made = httpx.post(base, json={"body": adf}, auth=ADMIN)
    assert made.status_code == 201
    cid = made.json()["id"]
    assert made.json()["body"]["type"] == "doc"
    v2 = httpx.get(f"{site.base_url}/rest/api/2/issue/BB-1/comment/{cid}", auth=ADMIN).json()
    assert v2["body"] == "hi"
    put = httpx.put(f"{base}/{cid}", json={"body": adf | {"content": []}}, auth=ADMIN)
    assert put.status_code == 200
    listing = httpx.get(base, auth=ADMIN).json()
    assert listing["total"] == 1
    assert httpx.delete(f"{base}/{cid}", auth=ADMIN).status_code == 204
    assert httpx.get(base, auth=ADMIN).json()["total"] == 0


def test_users_hidden_email_and_search(site: Site) -> None:
    hidden = site.add_user("Grace Hopper", "grace@example.com", email_hidden=True)
    found = httpx.get(
        f"{site.base_url}/rest/api/3/user/search", params={"query": "grace"}, auth=ADMIN
    ).json()
    assert [u["accountId"] for u in found] == [hidden["accountId"]]
    assert "emailAddress" not in found[0]
    one = httpx.get(
        f"{site.base_url}/rest/api/3/user", params={"accountId": hidden["accountId"]}, auth=ADMIN
    ).json()
    assert one["displayName"] == "Grace Hopper"


def test_server_info(site: Site) -> None:
    info = httpx.get(f"{site.base_url}/rest/api/2/serverInfo", auth=ADMIN).json()
    assert info["deploymentType"] == "Cloud"
    assert info["baseUrl"] == site.base_url


def test_revoked_permission_is_403(site: Site) -> None:
    bob = site.add_user("Bob", "bob@example.com")
    site.add_api_token("bob@example.com", "b")
    site.act_create("x")
    site.revoke_permission(bob["accountId"], "ASSIGN_ISSUES")
    url = f"{site.base_url}/rest/api/3/issue/BB-1/assignee"
    resp = httpx.put(url, json={"accountId": None}, auth=("bob@example.com", "b"))
    assert resp.status_code == 403 and resp.json()["errorMessages"]
    perms = httpx.get(
        f"{site.base_url}/rest/api/3/mypermissions",
        params={"permissions": "ASSIGN_ISSUES"},
        auth=("bob@example.com", "b"),
    )
    assert perms.json()["permissions"]["ASSIGN_ISSUES"]["havePermission"] is False
    site.grant_permission(bob["accountId"], "ASSIGN_ISSUES")
    assert (
        httpx.put(url, json={"accountId": None}, auth=("bob@example.com", "b")).status_code == 204
    )
