"""Person actions and REST changes send webhooks shaped like the real captures."""

import hashlib
import hmac
import json

import httpx

from jira_sandbox import Sandbox, Site

from .conftest import ADMIN, Receiver


def test_act_assign_sends_signed_issue_updated(site: Site, receiver: Receiver) -> None:
    ada = site.add_user("Ada Lovelace", "ada@example.com")
    site.add_admin_webhook(receiver.url, secret="s3cret", events=["jira:issue_updated"])
    site.act_create("Crash", project="BB")
    results = site.act_assign("BB-1", ada["accountId"], actor=site.admin["accountId"])
    assert [r.status for r in results] == [200]
    req = receiver.requests[-1]
    expected = "sha256=" + hmac.new(b"s3cret", req.raw, hashlib.sha256).hexdigest()
    assert req.headers["X-Hub-Signature"] == expected
    assert req.headers["Content-Type"] == "application/json"
    assert req.headers["X-Atlassian-Webhook-Identifier"]
    body = req.json
    item = body["changelog"]["items"][0]
    assert item["fieldId"] == "assignee"
    assert item["to"] == item["tmpToAccountId"] == ada["accountId"]
    assert body["issue"]["fields"]["assignee"]["accountId"] == ada["accountId"]


def test_transition_to_done_has_resolution_item(site: Site, receiver: Receiver) -> None:
    site.add_admin_webhook(receiver.url)
    site.act_create("Crash")
    site.act_transition("BB-1", "Won't Do")
    items = receiver.requests[-1].json["changelog"]["items"]
    assert [i["fieldId"] for i in items] == ["resolution", "status"]
    assert items[0]["toString"] == "Won't Do"
    assert items[1]["toString"] == "Won't Do" and items[1]["from"] == "10000"
    status = receiver.requests[-1].json["issue"]["fields"]["status"]
    assert status["statusCategory"]["key"] == "done"


def test_comment_events_and_hidden_email(site: Site, receiver: Receiver) -> None:
    shy = site.add_user("Shy", "shy@example.com", email_hidden=True)
    site.add_admin_webhook(receiver.url, events=["comment_created", "comment_deleted"])
    site.act_create("Crash")
    site.act_comment("BB-1", "first", actor=shy["accountId"])
    cid = site.get_issue("BB-1")["fields"]["comment"]["comments"][0]["id"]
    site.act_delete_comment("BB-1", cid, actor=shy["accountId"])
    assert receiver.events() == ["comment_created", "comment_deleted"]
    author = receiver.requests[0].json["comment"]["author"]
    assert author["emailAddress"] == '"?"'


def test_retry_keeps_identifier(site: Site, receiver: Receiver) -> None:
    site.add_admin_webhook(receiver.url, events=["jira:issue_created"])
    receiver.statuses = [503]
    results = site.act_create("Crash")
    assert results[0].attempts == 2 and results[0].ok
    first, second = receiver.requests
    ident = first.headers["X-Atlassian-Webhook-Identifier"]
    assert second.headers["X-Atlassian-Webhook-Identifier"] == ident
    assert "X-Atlassian-Webhook-Retry" not in first.headers
    assert second.headers["X-Atlassian-Webhook-Retry"] == "1"


def test_rest_changes_echo_webhooks(sandbox: Sandbox, site: Site, receiver: Receiver) -> None:
    site.add_admin_webhook(receiver.url)
    resp = httpx.post(
        f"{site.base_url}/rest/api/2/issue",
        json={"fields": {"project": {"key": "BB"}, "issuetype": {"id": "10004"}, "summary": "x"}},
        auth=ADMIN,
    )
    assert resp.status_code == 201
    assert sandbox.wait_for_webhooks()
    assert receiver.events() == ["jira:issue_created"]
    site.rest_emits_webhooks = False
    httpx.put(
        f"{site.base_url}/rest/api/2/issue/BB-1/assignee", json={"accountId": None}, auth=ADMIN
    )
    httpx.post(f"{site.base_url}/rest/api/2/issue/BB-1/comment", json={"body": "x"}, auth=ADMIN)
    assert sandbox.wait_for_webhooks()
    assert receiver.events() == ["jira:issue_created"]


def test_delete_issue_event(site: Site, receiver: Receiver) -> None:
    site.add_admin_webhook(receiver.url, events=["jira:issue_deleted"])
    site.act_create("Crash")
    site.act_delete_issue("BB-1")
    body = receiver.requests[-1].json
    assert body["webhookEvent"] == "jira:issue_deleted"
    assert "changelog" not in body and "issue_event_type_name" not in body
    assert "BB-1" not in site.issues


def test_raw_body_is_what_was_signed(site: Site, receiver: Receiver) -> None:
    site.add_admin_webhook(receiver.url, secret="k")
    site.act_create("Crash")
    req = receiver.requests[-1]
    assert json.loads(req.raw)["webhookEvent"] == "jira:issue_created"


def test_rest_edit_with_assignee_is_one_event(
    sandbox: Sandbox, site: Site, receiver: Receiver
) -> None:
    ada = site.add_user("Ada", "ada@example.com")
    site.act_create("x")
    site.add_admin_webhook(receiver.url, events=["jira:issue_updated"])
    body = {"fields": {"summary": "y", "assignee": {"accountId": ada["accountId"]}}}
    assert (
        httpx.put(f"{site.base_url}/rest/api/2/issue/BB-1", json=body, auth=ADMIN).status_code
        == 204
    )
    assert sandbox.wait_for_webhooks()
    (only,) = receiver.requests
    fields = [i["fieldId"] for i in only.json["changelog"]["items"]]
    assert fields == ["summary", "assignee"]
    assert only.json["user"]["accountId"] == site.admin["accountId"]
