"""Assign / resolve / note in Bugbridge → the worker drains → what the sandbox Jira holds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from bugbridge.jira.models import StatusMapping, UserMapping
from bugbridge.sync import worker
from bugbridge.sync.models import ChangeState, CommentLink, OutboundChange, Ticket
from bugbridge.tracker import services
from bugbridge.tracker.actors import Actor
from bugbridge.tracker.models import Group, GroupStatus

from .conftest import JiraEnv

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(env: JiraEnv, group: Group) -> tuple[Ticket, str]:
    key = env.new_issue("Checkout fails")
    return env.link(group, key), key


def _changelog(env: JiraEnv, key: str, field: str) -> list[dict[str, Any]]:
    issue = env.jira.issue(key)
    items = []
    for entry in issue.changelog:
        items.extend(i for i in entry.get("items", []) if i.get("field") == field)
    return items


def test_assign_maps_member_by_email_and_records_what_jira_holds(
    env: JiraEnv, group: Group, linked: tuple[Ticket, str], member: Any, owner: Any
) -> None:
    ticket, key = linked
    ada = env.jira.add_user("Ada Lovelace", "ada@example.com")
    services.assign_group(group, member, Actor.member(owner))
    assert worker.drain(10) == {"delivered": 1}

    assert env.issue(key)["fields"]["assignee"]["accountId"] == ada["accountId"]
    ticket.refresh_from_db()
    assert ticket.assignee_account_id == ada["accountId"]
    assert ticket.watermark is not None
    mapping = UserMapping.objects.get(binding=env.binding, user=member)
    assert mapping.account_id == ada["accountId"]

    services.assign_group(group, None, Actor.member(owner))
    worker.drain(10)
    assert env.issue(key)["fields"]["assignee"] is None


def test_unmapped_member_fails_visibly_and_retry_works_after_mapping(
    env: JiraEnv, group: Group, linked: tuple[Ticket, str], member: Any, owner: Any
) -> None:
    _, key = linked
    ada = env.jira.add_user("Ada Lovelace", "ada@example.com", email_hidden=True)
    services.assign_group(group, member, Actor.member(owner))
    assert worker.drain(10) == {"failed": 1}
    change = OutboundChange.objects.get()
    assert change.state == ChangeState.FAILED
    assert "Ada Lovelace has no Jira account mapped" in change.last_error

    UserMapping.objects.create(binding=env.binding, user=member, account_id=ada["accountId"])
    worker.retry_change(change.pk)
    assert worker.drain(10) == {"delivered": 1}
    assert env.issue(key)["fields"]["assignee"]["accountId"] == ada["accountId"]


def test_failed_change_does_not_block_newer_ones(
    env: JiraEnv, group: Group, linked: tuple[Ticket, str], member: Any, member_b: Any, owner: Any
) -> None:
    _, key = linked
    grace = env.jira.add_user("Grace Hopper", "grace@example.com")
    services.assign_group(group, member, Actor.member(owner))  # Ada has no Jira account
    worker.drain(10)
    services.assign_group(group, member_b, Actor.member(owner))
    assert worker.drain(10) == {"delivered": 1}
    assert env.issue(key)["fields"]["assignee"]["accountId"] == grace["accountId"]
    # Retrying the old failure folds into history: the newest state already went out.
    states = sorted(OutboundChange.objects.values_list("state", flat=True))
    assert states == ["done", "failed"]


def test_coalescing_sends_only_the_last_assignee(
    env: JiraEnv, group: Group, linked: tuple[Ticket, str], member: Any, member_b: Any, owner: Any
) -> None:
    _, key = linked
    env.jira.add_user("Ada Lovelace", "ada@example.com")
    grace = env.jira.add_user("Grace Hopper", "grace@example.com")
    services.assign_group(group, member, Actor.member(owner))
    services.assign_group(group, member_b, Actor.member(owner))
    assert OutboundChange.objects.count() == 1
    worker.drain(10)
    changes = _changelog(env, key, "assignee")
    assert len(changes) == 1
    assert env.issue(key)["fields"]["assignee"]["accountId"] == grace["accountId"]


def test_resolve_and_unresolve_by_status_category(
    env: JiraEnv, group: Group, linked: tuple[Ticket, str], owner: Any
) -> None:
    ticket, key = linked
    services.set_group_status(group, GroupStatus.RESOLVED, Actor.member(owner))
    worker.drain(10)
    assert env.issue(key)["fields"]["status"]["name"] == "Done"
    assert env.issue(key)["fields"]["resolution"]["name"] == "Done"
    ticket.refresh_from_db()
    assert ticket.status_category == "done"

    services.set_group_status(group, GroupStatus.UNRESOLVED, Actor.member(owner))
    worker.drain(10)
    assert env.issue(key)["fields"]["status"]["name"] == "To Do"


def test_already_in_a_done_status_is_left_alone(
    env: JiraEnv, group: Group, linked: tuple[Ticket, str], owner: Any
) -> None:
    _, key = linked
    env.jira.act_transition(key, "Won't Do")
    services.set_group_status(group, GroupStatus.RESOLVED, Actor.member(owner))
    assert worker.drain(10) == {"delivered": 1}
    assert env.issue(key)["fields"]["status"]["name"] == "Won't Do"
    assert len(_changelog(env, key, "status")) == 1


def test_status_mapping_picks_the_target(
    env: JiraEnv, group: Group, linked: tuple[Ticket, str], owner: Any
) -> None:
    _, key = linked
    StatusMapping.objects.create(
        binding=env.binding,
        jira_project_key="BB",
        resolved_status_id="10002",
        unresolved_status_id="3",
    )
    services.set_group_status(group, GroupStatus.RESOLVED, Actor.member(owner))
    worker.drain(10)
    assert env.issue(key)["fields"]["status"]["name"] == "Won't Do"
    services.set_group_status(group, GroupStatus.UNRESOLVED, Actor.member(owner))
    worker.drain(10)
    assert env.issue(key)["fields"]["status"]["name"] == "In Progress"


def test_no_transition_is_a_visible_failure(
    env: JiraEnv, group: Group, linked: tuple[Ticket, str], owner: Any
) -> None:
    env.jira.transitions = [t for t in env.jira.transitions if t.to_status != "10001"]
    env.jira.transitions = [t for t in env.jira.transitions if t.to_status != "10002"]
    services.set_group_status(group, GroupStatus.RESOLVED, Actor.member(owner))
    assert worker.drain(10) == {"failed": 1}
    error = OutboundChange.objects.get().last_error
    assert error.startswith("No transition from To Do to a 'done' status")


def test_regression_reopens_only_when_the_binding_says_so(
    env: JiraEnv, group: Group, linked: tuple[Ticket, str], owner: Any
) -> None:
    _, key = linked
    services.set_group_status(group, GroupStatus.RESOLVED, Actor.member(owner))
    worker.drain(10)
    env.binding.reopen_on_regression = False
    env.binding.save()
    services.record_regression(Group.objects.get(pk=group.pk), "1.2.0")
    worker.drain(10)
    assert env.issue(key)["fields"]["status"]["name"] == "Done"

    env.binding.reopen_on_regression = True
    env.binding.save()
    services.set_group_status(group, GroupStatus.RESOLVED, Actor.member(owner))
    services.record_regression(Group.objects.get(pk=group.pk), "1.2.1")
    worker.drain(10)
    assert env.issue(key)["fields"]["status"]["name"] == "To Do"


def test_note_edit_delete_follow_as_one_comment(
    env: JiraEnv, group: Group, linked: tuple[Ticket, str], owner: Any
) -> None:
    ticket, key = linked
    owner.first_name, owner.last_name = "Olivia", "Owner"
    owner.save()
    note = services.add_note(group, "Seen on checkout {quote} too", Actor.member(owner))
    worker.drain(10)
    comments = env.jira.issue(key).comments
    assert len(comments) == 1
    assert comments[0].body.startswith("Olivia Owner wrote:")
    assert "Seen on checkout" in comments[0].body
    assert comments[0].properties["bugbridge.note"]["note"] == note.pk
    link = CommentLink.objects.get(note=note, ticket=ticket)
    assert link.comment_id == comments[0].id and link.outbound

    services.edit_note(note, "Seen on checkout and cart", Actor.member(owner))
    worker.drain(10)
    comments = env.jira.issue(key).comments
    assert len(comments) == 1 and "and cart" in comments[0].body

    services.delete_note(note, Actor.member(owner))
    worker.drain(10)
    assert env.jira.issue(key).comments == []


def test_note_added_and_deleted_before_the_worker_runs_sends_nothing(
    env: JiraEnv, group: Group, linked: tuple[Ticket, str], owner: Any
) -> None:
    _, key = linked
    note = services.add_note(group, "oops", Actor.member(owner))
    services.delete_note(note, Actor.member(owner))
    worker.drain(10)
    assert env.jira.issue(key).comments == []


def test_jsm_comment_is_internal_unless_public_is_on(
    env: JiraEnv, group: Group, linked: tuple[Ticket, str], owner: Any
) -> None:
    _, key = linked
    env.jira.project("BB").type_key = "service_desk"
    services.add_note(group, "internal please", Actor.member(owner))
    worker.drain(10)
    comment = env.jira.issue(key).comments[0]
    assert comment.properties["sd.public.comment"] == {"internal": True}


def test_comments_on_data_center_are_wiki(dc_env: JiraEnv, group: Group, owner: Any) -> None:
    key = dc_env.new_issue()
    dc_env.link(group, key)
    services.add_note(group, "*not bold*", Actor.member(owner))
    worker.drain(10)
    body = dc_env.issue(key)["fields"]["comment"]["comments"][0]["body"]
    assert body.startswith("owner wrote:\n\n{quote}")


def test_one_group_change_reaches_every_linked_ticket(
    make_env: Callable[..., JiraEnv], group: Group, owner: Any
) -> None:
    cloud, dc = make_env("cloud"), make_env("dc")
    k1, k2 = cloud.new_issue(), dc.new_issue()
    cloud.link(group, k1)
    dc.link(group, k2)
    services.set_group_status(group, GroupStatus.RESOLVED, Actor.member(owner))
    assert worker.drain(10) == {"delivered": 2}
    assert cloud.issue(k1)["fields"]["status"]["name"] == "Done"
    assert dc.issue(k2)["fields"]["status"]["name"] == "Done"


def test_abandoned_lease_is_delivered_again(
    env: JiraEnv, group: Group, linked: tuple[Ticket, str], owner: Any
) -> None:
    _, key = linked
    services.set_group_status(group, GroupStatus.RESOLVED, Actor.member(owner))
    claims = worker.claim_due()
    assert len(claims) == 1
    # Nobody finishes the claim (the worker died); nothing is due until the lease runs out.
    assert worker.claim_due() == []
    OutboundChange.objects.update(lease_until=timezone.now())
    assert worker.drain(10) == {"delivered": 1}
    assert env.issue(key)["fields"]["status"]["name"] == "Done"
    # The dead worker's late answer cannot overwrite the outcome.
    assert worker.process(claims[0]) == "lost"


def test_required_transition_fields_are_supplied(
    env: JiraEnv, group: Group, linked: tuple[Ticket, str], owner: Any
) -> None:
    _, key = linked
    for transition in env.jira.transitions:
        if transition.to_status == "10001":
            transition.required_fields = ["resolution"]
    services.set_group_status(group, GroupStatus.RESOLVED, Actor.member(owner))
    assert worker.drain(10) == {"delivered": 1}
    fields = env.issue(key)["fields"]
    assert fields["status"]["name"] == "Done" and fields["resolution"]["name"] == "Done"


def test_required_transition_field_we_cannot_fill_is_a_visible_failure(
    env: JiraEnv, group: Group, linked: tuple[Ticket, str], owner: Any
) -> None:
    for transition in env.jira.transitions:
        if transition.to_status in {"10001", "10002"}:
            transition.required_fields = ["comment"]
    services.set_group_status(group, GroupStatus.RESOLVED, Actor.member(owner))
    assert worker.drain(10) == {"failed": 1}
    assert "requires Comment" in OutboundChange.objects.get().last_error


def test_coalesced_assignment_is_one_jira_write(
    env: JiraEnv, group: Group, linked: tuple[Ticket, str], member: Any, member_b: Any, owner: Any
) -> None:
    env.jira.add_user("Ada Lovelace", "ada@example.com")
    env.jira.add_user("Grace Hopper", "grace@example.com")
    before = len(env.sb.request_log)
    for _ in range(3):
        services.assign_group(group, member, Actor.member(owner))
        services.assign_group(group, member_b, Actor.member(owner))
    worker.drain(10)
    writes = [
        c
        for c in env.sb.request_log[before:]
        if c[1] == env.jira.name and c[2] == "PUT" and c[3].endswith("/assignee")
    ]
    assert len(writes) == 1


def test_group_page_lists_failures(
    env: JiraEnv, group: Group, linked: tuple[Ticket, str], member: Any, owner: Any
) -> None:
    from bugbridge.sync import outbound

    services.assign_group(group, member, Actor.member(owner))
    assert outbound.unsent_count(group) == 1
    worker.drain(10)
    failures = outbound.failed_changes(group)
    assert [f.kind for f in failures] == ["assignee"] and outbound.unsent_count(group) == 0


def test_deliveries_are_counted_for_prometheus(
    env: JiraEnv, group: Group, linked: tuple[Ticket, str], owner: Any
) -> None:
    from prometheus_client import REGISTRY

    labels = {"kind": "status", "outcome": "delivered"}
    before = REGISTRY.get_sample_value("bugbridge_sync_outbound_total", labels) or 0.0
    services.set_group_status(group, GroupStatus.RESOLVED, Actor.member(owner))
    worker.drain(10)
    assert REGISTRY.get_sample_value("bugbridge_sync_outbound_total", labels) == before + 1
    count = REGISTRY.get_sample_value(
        "bugbridge_sync_outbound_latency_seconds_count", {"kind": "status"}
    )
    assert count is not None and count >= 1


def test_a_copy_of_a_jira_comment_is_never_rewritten_or_deleted_in_jira(
    env: JiraEnv, group: Group, linked: tuple[Ticket, str], owner: Any
) -> None:
    ticket, key = linked
    env.jira.act_comment(key, "from a Jira person")
    comment = env.jira.issue(key).comments[0]
    note = services.add_note(
        group, "from a Jira person", Actor.integration("Jira", origin_ticket_id=ticket.pk)
    )
    CommentLink.objects.create(note=note, ticket=ticket, comment_id=comment.id, outbound=False)
    services.edit_note(note, "changed in Bugbridge", Actor.member(owner))
    worker.drain(10)
    services.delete_note(note, Actor.member(owner))
    worker.drain(10)
    assert [c.body for c in env.jira.issue(key).comments] == ["from a Jira person"]


def test_someone_elses_change_between_our_call_and_the_read_back_is_left_to_the_webhook(
    env: JiraEnv, group: Group, linked: tuple[Ticket, str], member: Any, owner: Any
) -> None:
    import threading

    ticket, key = linked
    ada = env.jira.add_user("Ada Lovelace", "ada@example.com")
    grace = env.jira.add_user("Grace Hopper", "grace@example.com")
    services.assign_group(group, member, Actor.member(owner))
    # The read-back is held for a second; meanwhile a person assigns Grace in Jira.
    env.jira.set_fault(
        kind="slow", method="GET", path_glob=f"/rest/api/3/issue/{key}", delay=1.0, count=1
    )
    person = threading.Timer(0.4, lambda: env.jira.act_assign(key, grace["accountId"]))
    person.start()
    assert worker.drain(10) == {"delivered": 1}
    person.join()
    assert env.issue(key)["fields"]["assignee"]["accountId"] == grace["accountId"]
    ticket.refresh_from_db()
    # Not recorded as ours: Grace's webhook must still read as news to the inbound side.
    assert ticket.assignee_account_id != grace["accountId"]
    assert ticket.assignee_account_id in {"", ada["accountId"]}
