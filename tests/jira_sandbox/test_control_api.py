"""The /_control HTTP API drives the same actions as the Python API."""

import json
import subprocess
import sys
import time

import httpx

from jira_sandbox import Sandbox, Site

from .conftest import Receiver


def test_control_round_trip(sandbox: Sandbox, receiver: Receiver) -> None:
    ctl = f"{sandbox.url}/_control"
    made = httpx.post(f"{ctl}/sites", json={"name": "ctlsite", "deployment": "cloud"}).json()
    assert made["base_url"] == f"{sandbox.url}/ctlsite"
    base = f"{ctl}/sites/ctlsite"
    ada = httpx.post(f"{base}/users", json={"display_name": "Ada", "email": "a@x.io"}).json()
    httpx.post(f"{base}/webhooks", json={"url": receiver.url, "secret": "s"})
    created = httpx.post(f"{base}/issues", json={"summary": "From control"}).json()
    assert created["key"] == "BB-1"
    assigned = httpx.post(f"{base}/issues/BB-1/assign", json={"accountId": ada["accountId"]})
    assert assigned.json()["deliveries"][0]["ok"]
    httpx.post(f"{base}/issues/BB-1/transition", json={"status": "Done"})
    comment = httpx.post(f"{base}/issues/BB-1/comments", json={"body": "hi"}).json()
    httpx.put(f"{base}/issues/BB-1/comments/{comment['comment_id']}", json={"body": "ho"})
    httpx.delete(f"{base}/issues/BB-1/comments/{comment['comment_id']}")
    httpx.put(f"{base}/users/{ada['accountId']}", json={"email_hidden": True})
    issue = httpx.get(f"{base}/issues/BB-1").json()
    assert issue["fields"]["status"]["name"] == "Done"
    assert "emailAddress" not in issue["fields"]["assignee"]
    httpx.delete(f"{base}/issues/BB-1")
    assert httpx.get(f"{base}/issues").json() == {}
    events = [d["event"] for d in httpx.get(f"{base}/deliveries").json()]
    assert events[0] == "jira:issue_created" and events[-1] == "jira:issue_deleted"
    assert "comment_updated" in events


def test_fault_via_control(sandbox: Sandbox, site: Site) -> None:
    ctl = f"{sandbox.url}/_control/sites/{site.name}/faults"
    httpx.post(ctl, json={"kind": "429", "method": "GET", "path_glob": "*/myself", "count": 1})
    auth = ("admin@example.com", "admin-token")
    first = httpx.get(f"{site.base_url}/rest/api/3/myself", auth=auth)
    assert first.status_code == 429 and first.headers["Retry-After"] == "1"
    assert httpx.get(f"{site.base_url}/rest/api/3/myself", auth=auth).status_code == 200


def test_cli_starts_and_serves(tmp_path: object) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "jira_sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        assert proc.stdout is not None
        while not lines or lines[-1].rstrip() != "}":
            line = proc.stdout.readline()
            if lines or line.startswith("{"):
                lines.append(line)
        info = json.loads("".join(lines))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            resp = httpx.get(f"{info['site']}/rest/api/2/serverInfo")
            if resp.status_code == 200:
                break
        assert resp.json()["deploymentType"] == "Cloud"
    finally:
        proc.terminate()
        proc.wait(timeout=5)
