"""Paged create-metadata (Cloud `issueTypes`/`fields`, Data Center `values`) and /search/jql
cursors, through the real client against the sandbox Jira with its page size capped, so every
listing takes several pages."""

from __future__ import annotations

from bugbridge.jira.client import JiraClient
from tests.conftest import JiraSiteEnv


def test_createmeta_walks_every_page_on_cloud(jira_site: JiraSiteEnv) -> None:
    _createmeta_walks_every_page(jira_site)


def test_createmeta_walks_every_page_on_data_center(dc_jira_site: JiraSiteEnv) -> None:
    _createmeta_walks_every_page(dc_jira_site)


def _createmeta_walks_every_page(env: JiraSiteEnv) -> None:
    with JiraClient.for_site(env.site) as client:
        all_types = client.createmeta_issue_types("BB")
        all_fields = client.createmeta_fields("BB", "10004")
    env.jira.max_page_size = 2

    with JiraClient.for_site(env.site) as client:
        paged_types = client.createmeta_issue_types("BB")
        paged_fields = client.createmeta_fields("BB", "10004")

    assert len(all_types) > 2 and len(all_fields) > 2
    assert [t["id"] for t in paged_types] == [t["id"] for t in all_types]
    assert [f["fieldId"] for f in paged_fields] == [f["fieldId"] for f in all_fields]


def test_search_jql_follows_the_cursor(jira_site: JiraSiteEnv) -> None:
    keys = {jira_site.new_issue(f"Error {n}") for n in range(3)}
    jira_site.jira.max_page_size = 2

    with JiraClient.for_site(jira_site.site) as client:
        first = client.search_jql("project = BB ORDER BY key", fields=["summary"])
        second = client.search_jql(
            "project = BB ORDER BY key", fields=["summary"], next_page_token=first["nextPageToken"]
        )

    assert len(first["issues"]) == 2 and first["isLast"] is False
    assert second["isLast"] is True
    assert {i["key"] for i in first["issues"] + second["issues"]} == keys
