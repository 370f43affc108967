"""The create marker is found even where Jira cannot search issue properties."""

from __future__ import annotations

from typing import Any

import pytest

from bugbridge.sync import links
from bugbridge.tracker.actors import Actor
from bugbridge.tracker.models import Group

from .conftest import JiraEnv

pytestmark = pytest.mark.django_db


def test_timeout_on_a_site_without_property_search_still_finds_the_first_copy(
    env: JiraEnv, group: Group, owner: Any, settings: Any
) -> None:
    # Like a real site where no app indexes `bugbridge.origin`: the property JQL is refused.
    env.jira.indexed_properties = set()
    env.new_issue("Someone else's newer issue")
    settings.JIRA_HTTP_TIMEOUT_SECONDS = 0.5
    env.jira.set_fault(kind="slow_after", method="POST", path_glob="*/issue", delay=1.5, count=1)
    ticket = links.create_ticket(
        group, env.site, {"project": "BB", "issuetype": "10004"}, Actor.member(owner)
    )
    assert sorted(env.jira.issues) == ["BB-1", "BB-2"]
    assert ticket.key == "BB-2"
