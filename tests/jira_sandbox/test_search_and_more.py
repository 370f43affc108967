"""JQL search with nextPageToken, the removed /search, issue picker, properties, links."""

import httpx

from jira_sandbox import Site

from .conftest import ADMIN


def _seed(site: Site, n: int) -> None:
    for i in range(n):
        site.act_create(f"Crash number {i}")


def test_search_jql_pages_with_token(site: Site) -> None:
    _seed(site, 5)
    url = f"{site.base_url}/rest/api/3/search/jql"
    seen: list[str] = []
    token = None
    while True:
        params = {"jql": "project = BB ORDER BY key ASC", "maxResults": 2, "fields": "summary"}
        if token:
            params["nextPageToken"] = token
        page = httpx.get(url, params=params, auth=ADMIN).json()
        seen += [i["key"] for i in page["issues"]]
        if page["isLast"]:
            assert "nextPageToken" not in page
            break
        token = page["nextPageToken"]
    assert seen == [f"BB-{i}" for i in range(1, 6)]


def test_search_jql_defaults_and_errors(site: Site) -> None:
    _seed(site, 1)
    url = f"{site.base_url}/rest/api/3/search/jql"
    only_ids = httpx.post(url, json={"jql": "project = BB"}, auth=ADMIN).json()
    assert only_ids["issues"] == [{"id": site.get_issue("BB-1")["id"]}]
    assert httpx.post(url, json={"jql": ""}, auth=ADMIN).status_code == 400
    assert httpx.post(url, json={"jql": "foo = bar"}, auth=ADMIN).status_code == 400
    old = httpx.get(f"{site.base_url}/rest/api/2/search", params={"jql": "x"}, auth=ADMIN)
    assert old.status_code == 410 and "search/jql" in old.json()["errorMessages"][0]


def test_jql_clauses(site: Site) -> None:
    ada = site.add_user("Ada", "ada@example.com")
    _seed(site, 3)
    site.act_assign("BB-2", ada["accountId"])
    site.act_transition("BB-3", "Done")
    url = f"{site.base_url}/rest/api/3/search/jql"

    def keys(jql: str) -> list[str]:
        body = {"jql": jql, "fields": ["key"]}
        return sorted(i["key"] for i in httpx.post(url, json=body, auth=ADMIN).json()["issues"])

    assert keys(f"assignee = {ada['accountId']}") == ["BB-2"]
    assert keys("statusCategory = Done") == ["BB-3"]
    assert keys("project = BB AND assignee IS EMPTY AND status != Done") == ["BB-1"]
    assert keys('summary ~ "number 1" OR key in (BB-3)') == ["BB-2", "BB-3"]


def test_issue_picker(site: Site) -> None:
    _seed(site, 3)
    resp = httpx.get(
        f"{site.base_url}/rest/api/3/issue/picker", params={"query": "number 2"}, auth=ADMIN
    ).json()
    issues = resp["sections"][0]["issues"]
    assert [i["key"] for i in issues] == ["BB-3"] and isinstance(issues[0]["id"], int)


def test_issue_properties_badge(site: Site) -> None:
    _seed(site, 1)
    prop = "com.atlassian.jira.issue:app:glance:status"
    url = f"{site.base_url}/rest/api/3/issue/BB-1/properties/{prop}"
    badge = {"type": "badge", "value": {"label": "3"}}
    assert httpx.put(url, json=badge, auth=ADMIN).status_code == 201
    assert httpx.put(url, json=badge, auth=ADMIN).status_code == 200
    assert httpx.get(url, auth=ADMIN).json()["value"] == badge
    keys = httpx.get(f"{site.base_url}/rest/api/3/issue/BB-1/properties", auth=ADMIN).json()
    assert len(keys["keys"]) == 1
    assert httpx.delete(url, auth=ADMIN).status_code == 204
    assert httpx.get(url, auth=ADMIN).status_code == 404


def test_comment_properties(site: Site) -> None:
    _seed(site, 1)
    site.act_comment("BB-1", "hello")
    cid = site.get_issue("BB-1")["fields"]["comment"]["comments"][0]["id"]
    url = f"{site.base_url}/rest/api/2/comment/{cid}/properties/bugbridge"
    assert httpx.put(url, json={"origin": "bugbridge"}, auth=ADMIN).status_code == 201
    assert httpx.get(url, auth=ADMIN).json()["value"] == {"origin": "bugbridge"}


def test_remote_links_upsert_by_global_id(site: Site) -> None:
    _seed(site, 1)
    url = f"{site.base_url}/rest/api/3/issue/BB-1/remotelink"
    link = {"globalId": "bb:1", "object": {"url": "http://bb/1", "title": "Event"}}
    first = httpx.post(url, json=link, auth=ADMIN)
    assert first.status_code == 201
    again = httpx.post(
        url, json=link | {"object": {"url": "http://bb/1", "title": "T2"}}, auth=ADMIN
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    listed = httpx.get(url, auth=ADMIN).json()
    assert [lk["object"]["title"] for lk in listed] == ["T2"]
    assert httpx.delete(url, params={"globalId": "bb:1"}, auth=ADMIN).status_code == 204
