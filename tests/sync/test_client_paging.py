"""Paged create-metadata (Cloud `issueTypes`/`fields`, Data Center `values`) and /search/jql
cursors, through the real client over an httpx transport that answers like Jira."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bugbridge.jira.client import JiraClient
from bugbridge.jira.models import AuthMethod, Deployment, JiraSite

pytestmark = pytest.mark.django_db


def _site(deployment: str) -> JiraSite:
    return JiraSite.objects.create(
        name="paged",
        base_url="http://jira.invalid",
        deployment=deployment,
        auth_method=AuthMethod.API_TOKEN,
        account_email="a@example.com",
        api_token="t",
    )


def _pages(items: list[dict[str, Any]], key: str, dc: bool) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("startAt", 0))
        page = items[start : start + 2]
        if dc:
            body = {
                "values": page,
                "startAt": start,
                "maxResults": 2,
                "isLast": start + 2 >= len(items),
            }
        else:
            body = {key: page, "startAt": start, "maxResults": 2, "total": len(items)}
        return httpx.Response(200, json=body)

    return httpx.MockTransport(answer)


@pytest.mark.parametrize("deployment", [Deployment.CLOUD, Deployment.DATA_CENTER])
def test_createmeta_walks_every_page(deployment: str) -> None:
    dc = deployment == Deployment.DATA_CENTER
    types = [{"id": str(i), "name": f"T{i}"} for i in range(5)]
    client = JiraClient(_site(deployment), transport=_pages(types, "issueTypes", dc))
    assert [t["id"] for t in client.createmeta_issue_types("BB")] == ["0", "1", "2", "3", "4"]
    fields = [{"fieldId": f"f{i}"} for i in range(3)]
    client = JiraClient(_site(deployment), transport=_pages(fields, "fields", dc))
    assert [f["fieldId"] for f in client.createmeta_fields("BB", "1")] == ["f0", "f1", "f2"]


def test_search_jql_passes_the_cursor() -> None:
    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("nextPageToken")
        seen.append(token)
        if token is None:
            return httpx.Response(200, json={"issues": [{"id": "1"}], "nextPageToken": "abc"})
        return httpx.Response(200, json={"issues": [{"id": "2"}], "isLast": True})

    client = JiraClient(_site(Deployment.CLOUD), transport=httpx.MockTransport(answer))
    first = client.search_jql("project = BB")
    second = client.search_jql("project = BB", next_page_token=first["nextPageToken"])
    assert seen == [None, "abc"] and second["isLast"]


def test_marker_found_by_reading_recent_issues_when_property_jql_is_refused() -> None:
    from bugbridge.sync import links

    def answer(request: httpx.Request) -> httpx.Response:
        path, jql = request.url.path, request.url.params.get("jql", "")
        if path.endswith("/search/jql") and jql.startswith("issue.property"):
            msg = "Field 'issue.property[bugbridge.origin].token' does not exist."
            return httpx.Response(400, json={"errorMessages": [msg], "errors": {}})
        if path.endswith("/search/jql"):
            assert jql == 'project = "BB" ORDER BY created DESC'
            return httpx.Response(200, json={"issues": [{"key": "BB-2"}, {"key": "BB-1"}]})
        if path.endswith("/BB-1/properties/bugbridge.origin"):
            return httpx.Response(200, json={"key": "bugbridge.origin", "value": {"token": "t1"}})
        return httpx.Response(404, json={"errorMessages": ["nope"], "errors": {}})

    client = JiraClient(_site(Deployment.CLOUD), transport=httpx.MockTransport(answer))
    assert links._find_by_token(client, "t1", {"key": "BB"}) == {"key": "BB-1"}
    assert links._find_by_token(client, "other", {"key": "BB"}) is None
