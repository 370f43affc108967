"""Data Center flavour: v2 only, users by name/key, PAT, HTML errors, old search, webhooks."""

import httpx

from jira_sandbox import Sandbox, Site

from .conftest import Receiver

BASIC = ("admin", "admin-token")
PAT = {"Authorization": "Bearer admin-pat"}


def test_dc_rest_v2_only_and_pat(dc_site: Site) -> None:
    info = httpx.get(f"{dc_site.base_url}/rest/api/2/serverInfo", headers=PAT).json()
    assert info["deploymentType"] == "Server" and info["versionNumbers"][:2] == [9, 12]
    me = httpx.get(f"{dc_site.base_url}/rest/api/2/myself", headers=PAT).json()
    assert me["name"] == "admin" and "accountId" not in me
    v3 = httpx.get(f"{dc_site.base_url}/rest/api/3/myself", headers=PAT)
    assert v3.status_code == 404
    bad = httpx.get(f"{dc_site.base_url}/rest/api/2/myself", headers={"Authorization": "Bearer x"})
    assert bad.status_code == 401


def test_dc_unknown_path_is_html(dc_site: Site) -> None:
    resp = httpx.get(f"{dc_site.base_url}/rest/nope", auth=BASIC)
    assert resp.status_code == 404 and resp.headers["content-type"].startswith("text/html")


def test_dc_assign_by_name_and_old_search(dc_site: Site) -> None:
    bob = dc_site.add_user("Bob Builder", "bob@example.com", name="bob")
    dc_site.act_create("x")
    url = f"{dc_site.base_url}/rest/api/2/issue/BB-1/assignee"
    assert httpx.put(url, json={"name": "bob"}, auth=BASIC).status_code == 204
    assignee = dc_site.get_issue("BB-1")["fields"]["assignee"]
    assert assignee["name"] == "bob" and assignee["key"] == bob["key"]
    found = httpx.get(
        f"{dc_site.base_url}/rest/api/2/search", params={"jql": "assignee = bob"}, auth=BASIC
    ).json()
    assert found["total"] == 1 and found["issues"][0]["key"] == "BB-1"
    users = httpx.get(
        f"{dc_site.base_url}/rest/api/2/user/search", params={"username": "bob"}, auth=BASIC
    ).json()
    assert users[0]["name"] == "bob"


def test_dc_webhook_changelog_uses_keys(dc_site: Site, receiver: Receiver) -> None:
    bob = dc_site.add_user("Bob Builder", "bob@example.com", name="bob")
    dc_site.add_admin_webhook(receiver.url, secret="k")
    dc_site.act_create("x")
    dc_site.act_assign("BB-1", "bob")
    dc_site.act_comment("BB-1", "hi")
    _created, assigned, commented, twin = (r.json for r in receiver.requests)
    item = assigned["changelog"]["items"][0]
    assert item["to"] == bob["key"] and "fieldId" not in item and "tmpToAccountId" not in item
    assert "accountId" not in assigned["user"] and assigned["user"]["name"] == "admin"
    assert commented["webhookEvent"] == "comment_created" and "issue" not in commented
    assert twin["issue_event_type_name"] == "issue_commented" and "comment" in twin
    dc_site.act_transition("BB-1", "Done")
    assert receiver.requests[-1].json["issue_event_type_name"] == "issue_resolved"


def test_dc_webhook_registration_paths(sandbox: Sandbox, receiver: Receiver) -> None:
    old = sandbox.add_site("dcold", deployment="dc", version="9.12")
    new = sandbox.add_site("dcnew", deployment="dc", version="10.3")
    body = {
        "name": "bb",
        "url": receiver.url,
        "events": ["jira:issue_created"],
        "filters": {"issue-related-events-section": "project = BB"},
    }
    made = httpx.post(f"{old.base_url}/rest/webhooks/1.0/webhook", json=body, auth=BASIC)
    assert made.status_code == 201
    gone = httpx.post(f"{new.base_url}/rest/webhooks/1.0/webhook", json=body, auth=BASIC)
    assert gone.status_code == 404
    body10 = {
        "name": "bb",
        "url": receiver.url,
        "events": ["jira:issue_created"],
        "configuration": {"FILTERS": "project = OPS"},
        "secret": "s",
    }
    made10 = httpx.post(f"{new.base_url}/rest/jira-webhook/1.0/webhooks", json=body10, auth=BASIC)
    assert made10.status_code == 201
    old.act_create("x")
    new.act_create("in BB, filtered out")
    new.act_create("in OPS", project="OPS")
    paths = [r.json["issue"]["key"] for r in receiver.requests]
    assert paths == ["BB-1", "OPS-1"]
    assert "X-Hub-Signature" in receiver.requests[-1].headers
