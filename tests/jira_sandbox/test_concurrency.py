"""Many clients at once: the lock keeps state consistent and keys unique."""

from concurrent.futures import ThreadPoolExecutor

import httpx

from jira_sandbox import Sandbox, Site

from .conftest import ADMIN


def test_parallel_creates_and_comments(sandbox: Sandbox, site: Site) -> None:
    site.rest_emits_webhooks = False

    def work(n: int) -> str:
        with httpx.Client(auth=ADMIN, timeout=20) as client:
            body = {
                "fields": {
                    "project": {"key": "BB"},
                    "issuetype": {"name": "Task"},
                    "summary": f"parallel {n}",
                }
            }
            key = client.post(f"{site.base_url}/rest/api/2/issue", json=body).json()["key"]
            for i in range(3):
                client.post(
                    f"{site.base_url}/rest/api/2/issue/{key}/comment", json={"body": f"c{i}"}
                )
            return str(key)

    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = list(pool.map(work, range(16)))
    assert len(set(keys)) == 16
    assert all(len(site.get_issue(k)["fields"]["comment"]["comments"]) == 3 for k in keys)


def test_latest_prefix_and_v2_strings(site: Site) -> None:
    site.act_create("x", description="plain *wiki*")
    got = httpx.get(f"{site.base_url}/rest/api/latest/issue/BB-1", auth=ADMIN).json()
    assert got["fields"]["description"] == "plain *wiki*"
    assert got["self"].endswith("/rest/api/2/issue/" + got["id"])


def test_issue_properties_in_get(site: Site) -> None:
    site.act_create("x")
    url = f"{site.base_url}/rest/api/3/issue/BB-1"
    httpx.put(f"{url}/properties/bb", json={"group": 7}, auth=ADMIN)
    got = httpx.get(url, params={"properties": "bb"}, auth=ADMIN).json()
    assert got["properties"] == {"bb": {"group": 7}}
