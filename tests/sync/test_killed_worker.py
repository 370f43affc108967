"""A worker killed after Jira did the work but before it recorded that: the change is
delivered again when its lease runs out, and the marker prevents a second copy."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from bugbridge.jira.models import UserMapping
from bugbridge.sync import worker
from bugbridge.sync.models import ChangeState, CommentLink, OutboundChange
from bugbridge.tracker import services
from bugbridge.tracker.actors import Actor
from bugbridge.tracker.models import Group

from .conftest import JiraEnv

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _start_worker() -> subprocess.Popen[bytes]:
    code = "import django; django.setup(); from bugbridge.sync.worker import drain; drain(60)"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bugbridge.settings",
        "DATABASE_URL": _database_url(),
        "BUGBRIDGE_JIRA_TIMEOUT": "30",
    }
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill_when(process: subprocess.Popen[bytes], done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 20
    try:
        while not done():
            assert time.monotonic() < deadline, "Jira never received the call"
            assert process.poll() is None, "the worker exited before it was killed"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)


def _lease_runs_out() -> None:
    OutboundChange.objects.filter(state=ChangeState.IN_FLIGHT).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )


def test_comment_made_by_a_killed_worker_is_not_made_twice(
    env: JiraEnv, group: Group, owner: Any
) -> None:
    key = env.new_issue()
    ticket = env.link(group, key)
    note = services.add_note(group, "exactly once", Actor.member(owner))
    env.jira.set_fault(kind="slow_after", method="POST", path_glob="*/comment", delay=10, count=1)

    process = _start_worker()
    _kill_when(process, lambda: len(env.jira.issue(key).comments) == 1)

    change = OutboundChange.objects.get()
    assert change.state == ChangeState.IN_FLIGHT
    assert CommentLink.objects.get(note=note, ticket=ticket).comment_id == ""
    assert worker.claim_due() == []  # the lease still protects the row

    _lease_runs_out()
    assert worker.drain(15) == {"delivered": 1}
    comments = env.jira.issue(key).comments
    assert len(comments) == 1
    assert CommentLink.objects.get(note=note, ticket=ticket).comment_id == comments[0].id


def test_assignment_by_a_killed_worker_is_redone_harmlessly(
    env: JiraEnv, group: Group, member: Any, owner: Any
) -> None:
    key = env.new_issue()
    env.link(group, key)
    ada = env.jira.add_user("Ada Lovelace", "ada@example.com", email_hidden=True)
    UserMapping.objects.create(binding=env.binding, user=member, account_id=ada["accountId"])
    services.assign_group(group, member, Actor.member(owner))
    env.jira.set_fault(kind="slow_after", method="PUT", path_glob="*/assignee", delay=10, count=1)

    process = _start_worker()
    _kill_when(process, lambda: env.jira.issue(key).assignee == ada["accountId"])

    _lease_runs_out()
    assert worker.drain(15) == {"delivered": 1}
    assert env.issue(key)["fields"]["assignee"]["accountId"] == ada["accountId"]
    assert OutboundChange.objects.get().state == ChangeState.DONE
