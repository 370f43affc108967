"""Jira down, slow, rate limiting, unknown outcomes: every change arrives exactly once."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from bugbridge.jira.models import UserMapping
from bugbridge.sync import links, worker
from bugbridge.sync.models import ChangeState, OutboundChange
from bugbridge.tracker import services
from bugbridge.tracker.actors import Actor
from bugbridge.tracker.models import Group, GroupStatus

from .conftest import JiraEnv

pytestmark = pytest.mark.django_db


def _calls(env: JiraEnv, method: str = "", suffix: str = "") -> list[tuple[float, int]]:
    return [
        (at, status)
        for at, site, m, path, status in list(env.sb.request_log)
        if site == env.jira.name and (not method or m == method) and path.endswith(suffix)
    ]


def _items(env: JiraEnv, key: str, field: str) -> list[dict[str, Any]]:
    out = []
    for entry in env.jira.issue(key).changelog:
        out.extend(i for i in entry.get("items", []) if i.get("field") == field)
    return out


def _linked_groups(
    env: JiraEnv, make_group: Callable[..., Group], n: int
) -> list[tuple[Group, str]]:
    pairs = []
    for i in range(n):
        group = make_group(f"Error {i}")
        key = env.new_issue(f"Ticket {i}")
        env.link(group, key)
        pairs.append((group, key))
    return pairs


def test_jira_down_for_a_while_then_back(
    env: JiraEnv, make_group: Callable[..., Group], member: Any, owner: Any
) -> None:
    ada = env.jira.add_user("Ada Lovelace", "ada@example.com", email_hidden=True)
    UserMapping.objects.create(binding=env.binding, user=member, account_id=ada["accountId"])
    pairs = _linked_groups(env, make_group, 3)
    env.jira.set_fault(kind="503", retry_after=None)
    env.jira.set_fault(kind="reset", count=2)
    for group, _ in pairs:
        services.assign_group(group, member, Actor.member(owner))
        services.set_group_status(group, GroupStatus.RESOLVED, Actor.member(owner))
        services.add_note(group, "looking", Actor.member(owner))

    for _ in range(3):
        worker.run_once()
        time.sleep(0.1)
    waiting = OutboundChange.objects.filter(state=ChangeState.PENDING)
    assert waiting.count() == 9
    assert all("503" in c.last_error or "reached" in c.last_error for c in waiting)

    env.jira.clear_faults()
    worker.drain(20)
    assert set(OutboundChange.objects.values_list("state", flat=True)) == {"done"}
    for _, key in pairs:
        issue = env.issue(key)["fields"]
        assert issue["assignee"]["accountId"] == ada["accountId"]
        assert issue["status"]["name"] == "Done"
        assert len(env.jira.issue(key).comments) == 1
        assert len(_items(env, key, "status")) == 1
        assert len(_items(env, key, "assignee")) == 1


def test_retry_after_is_honoured(env: JiraEnv, group: Group, owner: Any) -> None:
    key = env.new_issue()
    env.link(group, key)
    env.jira.set_fault(kind="429", method="POST", path_glob="*/transitions", retry_after=2, count=1)
    services.set_group_status(group, GroupStatus.RESOLVED, Actor.member(owner))
    worker.drain(15)
    assert env.issue(key)["fields"]["status"]["name"] == "Done"
    posts = _calls(env, "POST", "/transitions")
    assert [s for _, s in posts] == [429, 204]
    assert posts[1][0] - posts[0][0] >= 1.9


def test_reset_only_header_pushes_the_whole_site_back(
    env: JiraEnv, make_group: Callable[..., Group], owner: Any
) -> None:
    (g1, _), (g2, _) = _linked_groups(env, make_group, 2)
    env.jira.set_fault(kind="429_reset_only", method="GET", count=1, retry_after=120)
    services.set_group_status(g1, GroupStatus.RESOLVED, Actor.member(owner))
    worker.run_once(limit=1)
    services.set_group_status(g2, GroupStatus.RESOLVED, Actor.member(owner))
    first = OutboundChange.objects.get(group=g1)
    # X-RateLimit-Reset (minute precision, no Retry-After) says when to come back; that is
    # far beyond any backoff step here.
    reset = env.sb.request_log[-1]
    assert reset[4] == 429
    assert first.due_at >= timezone.now() + timedelta(seconds=30)
    assert "rate" in first.last_error.lower() or "429" in first.last_error
    # A change recorded after the refusal waits too, untried.
    assert worker.run_once() == {"deferred": 1}
    second = OutboundChange.objects.get(group=g2)
    assert second.due_at >= timezone.now() + timedelta(seconds=30) and second.attempts == 0


def test_a_429_storm_under_a_rate_limit_delivers_everything_once(
    env: JiraEnv, make_group: Callable[..., Group], owner: Any
) -> None:
    pairs = _linked_groups(env, make_group, 15)
    env.jira.set_fault(kind="rate_limit", rate=15.0, burst=5, retry_after=1)
    for group, _ in pairs:
        services.set_group_status(group, GroupStatus.RESOLVED, Actor.member(owner))
    worker.drain(60)
    env.jira.clear_faults()
    for _, key in pairs:
        assert env.issue(key)["fields"]["status"]["name"] == "Done"
        assert len(_items(env, key, "status")) == 1
    refused = [c for c in _calls(env) if c[1] == 429]
    # Honouring Retry-After keeps the refusals to a few per second of waiting, not a storm.
    assert len(refused) <= 12


def test_comment_timeout_with_unknown_outcome_makes_no_second_copy(
    env: JiraEnv, group: Group, owner: Any, settings: Any
) -> None:
    settings.JIRA_HTTP_TIMEOUT_SECONDS = 0.5
    key = env.new_issue()
    env.link(group, key)
    env.jira.set_fault(kind="slow_after", method="POST", path_glob="*/comment", delay=1.5, count=1)
    services.add_note(group, "once only", Actor.member(owner))
    worker.drain(15)
    assert len(env.jira.issue(key).comments) == 1
    assert OutboundChange.objects.get().state == ChangeState.DONE


def test_create_timeout_with_unknown_outcome_finds_the_first_copy(
    env: JiraEnv, group: Group, owner: Any, settings: Any
) -> None:
    settings.JIRA_HTTP_TIMEOUT_SECONDS = 0.5
    env.jira.set_fault(kind="slow_after", method="POST", path_glob="*/issue", delay=1.5, count=1)
    ticket = links.create_ticket(
        group, env.site, {"project": "BB", "issuetype": "10004"}, Actor.member(owner)
    )
    assert list(env.jira.issues) == [ticket.key]


def test_resubmitting_the_same_form_token_never_makes_two_issues(
    env: JiraEnv, make_group: Callable[..., Group], owner: Any
) -> None:
    group = make_group()
    form = {"project": "BB", "issuetype": "10004", "request_token": "form-123"}
    first = links.create_ticket(group, env.site, dict(form), Actor.member(owner))
    # The person pressed "create" again after an error page: same token, same issue.
    again = links.create_ticket(group, env.site, dict(form), Actor.member(owner))
    assert again.pk == first.pk
    assert len(env.jira.issues) == 1
