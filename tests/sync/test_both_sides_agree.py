"""Property: whatever people do on both sides, in any order, once the queue is empty and
Jira's webhooks are in, the group and its ticket agree (assignee, resolved, comments).

Bugbridge's worker, its webhook endpoint (live server) and the sandbox Jira all run for real;
Jira's echoes of our own calls arrive on their own thread, at their own time.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bugbridge.jira.models import UserMapping
from bugbridge.sync import worker
from bugbridge.sync.models import ChangeState, OutboundChange
from bugbridge.tracker import services
from bugbridge.tracker.actors import Actor
from bugbridge.tracker.models import Group, GroupStatus, Membership, Note, Project

pytestmark = pytest.mark.slow

PEOPLE = ["ada", "grace", None]
STATUSES = ["To Do", "In Progress", "Done", "Won't Do"]

operations = st.one_of(
    st.tuples(st.just("bb_assign"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("bb_status"), st.sampled_from(["resolved", "unresolved"])),
    st.tuples(st.just("bb_note"), st.sampled_from(["seen again", "fixed?", "on it"])),
    st.tuples(st.just("bb_edit_note"), st.sampled_from(["edited", "edited again"])),
    st.tuples(st.just("bb_delete_note"), st.just(None)),
    st.tuples(st.just("jira_assign"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("jira_transition"), st.sampled_from(STATUSES)),
    st.tuples(st.just("jira_comment"), st.sampled_from(["from jira", "customer says hi"])),
    st.tuples(st.just("worker"), st.just(None)),
)


@pytest.fixture
def people(jira_site: Any, organization: Any) -> dict[str, tuple[Any, str]]:
    out = {}
    for name, full in (("ada", "Ada Lovelace"), ("grace", "Grace Hopper")):
        user = get_user_model().objects.create_user(
            username=name, email=f"{name}@example.com", first_name=full.split()[0]
        )
        Membership.objects.create(organization=organization, user=user)
        account = jira_site.jira.add_user(full, f"{name}@example.com", email_hidden=True)
        UserMapping.objects.create(
            binding=jira_site.binding, user=user, account_id=account["accountId"]
        )
        out[name] = (user, account["accountId"])
    # Someone working in Jira who is not the account Bugbridge connects as.
    hank = jira_site.jira.add_user("Hank Human", "hank@example.com", email_hidden=True)
    out["hank"] = (None, hank["accountId"])
    return out


def _settle(jira_site: Any) -> None:
    """Drain the queue and wait for Jira's webhooks until neither side has anything left."""
    for _ in range(6):
        worker.drain(30)
        jira_site.wait_for_webhooks()
        open_changes = OutboundChange.objects.filter(
            state__in=[ChangeState.PENDING, ChangeState.IN_FLIGHT]
        )
        if not open_changes.exists():
            return
    raise AssertionError("the outbound queue never emptied")


def _apply(op: tuple[str, Any], group: Group, key: str, env: Any, people: Any, owner: Any) -> None:
    kind, arg = op
    actor = Actor.member(owner)
    if kind == "bb_assign":
        services.assign_group(group, people[arg][0] if arg else None, actor)
    elif kind == "bb_status":
        services.set_group_status(group, GroupStatus(arg), actor)
    elif kind == "bb_note":
        services.add_note(group, arg, actor)
    elif kind in {"bb_edit_note", "bb_delete_note"}:
        # Only notes written in Bugbridge: a copy of a Jira person's comment follows Jira.
        mine = Note.objects.filter(group=group, is_deleted=False, author__isnull=False)
        note = mine.order_by("-pk").first()
        if note is not None and kind == "bb_edit_note":
            services.edit_note(note, arg, actor)
        elif note is not None:
            services.delete_note(note, actor)
    elif kind == "jira_assign":
        env.jira.act_assign(key, people[arg][1] if arg else None, actor=people["hank"][1])
    elif kind == "jira_transition":
        env.jira.act_transition(key, arg, actor=people["hank"][1])
    elif kind == "jira_comment":
        env.jira.act_comment(key, arg, actor=people["hank"][1])
    else:
        worker.run_once()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operations, min_size=1, max_size=10))
def test_both_sides_agree_once_the_queue_is_empty(
    ops: list[tuple[str, Any]],
    jira_site: Any,
    project: Project,
    owner: Any,
    people: dict[str, tuple[Any, str]],
) -> None:
    now = timezone.now()
    group = Group.objects.create(
        project=project,
        fingerprint_hash=f"prop-{now.timestamp()}",
        title="KeyError: 'cart'",
        first_seen=now,
        last_seen=now,
    )
    key = jira_site.new_issue("KeyError: 'cart'")
    jira_site.link(group, key)

    for op in ops:
        _apply(op, group, key, jira_site, people, owner)
    _settle(jira_site)

    group.refresh_from_db()
    issue = jira_site.jira.get_issue(key)["fields"]
    accounts = {user.pk: account for user, account in people.values() if user is not None}
    jira_assignee = (issue["assignee"] or {}).get("accountId")
    assert accounts.get(group.assignee_id) == jira_assignee, ops
    jira_done = issue["status"]["statusCategory"]["key"] == "done"
    assert (group.status == GroupStatus.RESOLVED) == jira_done, ops
    notes = Note.objects.filter(group=group, is_deleted=False)
    comments = issue["comment"]["comments"]
    assert notes.count() == len(comments), ops
    for note in notes:
        # Each live note's current text is in exactly one comment (ours are quoted under
        # "<author> wrote:", Jira people's are the note itself).
        assert sum(note.body in c["body"] for c in comments) >= 1, ops
    assert not OutboundChange.objects.filter(group=group, state=ChangeState.FAILED).exists()
