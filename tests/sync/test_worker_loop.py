"""The long-running loop (`bugbridge worker`, or a thread of `bugbridge serve`)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from bugbridge.sync import links, worker
from bugbridge.sync.models import ChangeState, OutboundChange
from bugbridge.tracker import services
from bugbridge.tracker.actors import Actor
from bugbridge.tracker.models import Group, GroupStatus

from .conftest import JiraEnv

pytestmark = pytest.mark.django_db(transaction=True)


def test_run_worker_delivers_in_the_background_and_stops_on_request(
    env: JiraEnv, group: Group, owner: Any
) -> None:
    key = env.new_issue()
    env.link(group, key)
    stop = threading.Event()
    thread = threading.Thread(
        target=worker.run_worker, kwargs={"stop_event": stop, "poll_interval": 0.05}
    )
    thread.start()
    try:
        services.set_group_status(group, GroupStatus.RESOLVED, Actor.member(owner))
        deadline = time.monotonic() + 10
        while OutboundChange.objects.exclude(state=ChangeState.DONE).exists():
            assert time.monotonic() < deadline, "the worker did not deliver"
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert env.issue(key)["fields"]["status"]["name"] == "Done"


def test_message_events_describe_themselves_without_a_trace() -> None:
    assert links.stack_trace_text({"logentry": {"formatted": "disk full"}}) == "disk full"
    assert links.stack_trace_text({"message": "plain"}) == "plain"
    chained = {
        "exception": {
            "values": [
                {"type": "KeyError", "value": "'a'"},
                {"type": "RuntimeError", "value": "wrapped"},
            ]
        }
    }
    assert links.stack_trace_text(chained) == "RuntimeError: wrapped\n\nKeyError: 'a'"


def test_two_workers_never_deliver_the_same_change_twice(
    env: JiraEnv, make_group: Any, owner: Any
) -> None:
    from django.db import connection

    keys = []
    for i in range(16):
        group = make_group(f"Error {i}")
        key = env.new_issue(f"Ticket {i}")
        env.link(group, key)
        services.set_group_status(group, GroupStatus.RESOLVED, Actor.member(owner))
        keys.append(key)
    before = len(env.sb.request_log)

    def drain_and_close() -> None:
        try:
            worker.drain(30, limit=3)
        finally:
            connection.close()

    threads = [threading.Thread(target=drain_and_close) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    transitions = [
        c
        for c in env.sb.request_log[before:]
        if c[1] == env.jira.name and c[2] == "POST" and c[3].endswith("/transitions")
    ]
    assert len(transitions) == len(keys)
    assert set(OutboundChange.objects.values_list("state", flat=True)) == {"done"}
    for key in keys:
        assert env.issue(key)["fields"]["status"]["name"] == "Done"
