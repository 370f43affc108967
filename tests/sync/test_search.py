"""Finding tickets to link: by key, by words (issue picker, then /search/jql); users, projects."""

from __future__ import annotations

import pytest

from bugbridge.jira import search

from .conftest import JiraEnv

pytestmark = pytest.mark.django_db


def test_search_by_key_in_any_case(env: JiraEnv) -> None:
    key = env.new_issue("Checkout fails on Safari")
    found = search.search_issues(env.site, key.lower())
    assert found == [search.Choice(value=key, label=f"{key} Checkout fails on Safari")]


def test_search_by_words(env: JiraEnv) -> None:
    env.new_issue("Payment gateway timeout")
    wanted = env.new_issue("Checkout fails on Safari")
    found = search.search_issues(env.site, "safari")
    assert [c.value for c in found] == [wanted]


def test_search_with_quotes_does_not_break_jql(env: JiraEnv) -> None:
    assert search.search_issues(env.site, 'say "hello" \\ there') == []


def test_search_on_data_center_uses_the_old_search(dc_env: JiraEnv) -> None:
    key = dc_env.new_issue("Disk full on worker")
    assert [c.value for c in search.search_issues(dc_env.site, key)] == [key]


def test_users_and_projects(env: JiraEnv) -> None:
    ada = env.jira.add_user("Ada Lovelace", "ada@example.com")
    users = search.search_users(env.site, "Ada", project="BB")
    assert search.Choice(value=ada["accountId"], label="Ada Lovelace - ada@example.com") in users
    projects = search.search_projects(env.site, "oper")
    assert projects == [search.Choice(value="10001", label="OPS - Operations")]
    assert search.autocomplete(env.site, "labels", "a, b") == [
        search.Choice("a", "a"),
        search.Choice("b", "b"),
    ]
