"""Applying Jira deliveries to linked groups (handlers called directly, no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from bugbridge.jira.models import (
    DeliveryOutcome,
    JiraSite,
    ResolveStrategy,
    SiteBinding,
    StatusMapping,
)
from bugbridge.jira.webhooks import dispatch
from bugbridge.sync.inbound import InboundResult
from bugbridge.sync.models import (
    ChangeKind,
    ChangeState,
    CommentLink,
    GroupLink,
    OutboundChange,
    Ticket,
)
from bugbridge.tracker import services
from bugbridge.tracker.actors import Actor
from bugbridge.tracker.models import (
    Activity,
    Group,
    GroupStatus,
    Membership,
    Note,
    Organization,
    Project,
)
from tests.jira.webhooks.helpers import link, make_group, make_site

ADA = "5b10ac8d82e05b22cc7d4ada"
BOB = "5b10ac8d82e05b22cc7d4b0b"
BOT = "5b10ac8d82e05b22cc7d4b07"
T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
STATUSES = {
    "To Do": ("10000", "new"),
    "In Progress": ("3", "indeterminate"),
    "Done": ("10001", "done"),
    "Won't Do": ("10002", "done"),
}


def jira_time(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+0000"


def person(account_id: str, name: str, email: str | None = None) -> dict[str, Any]:
    return {
        "accountId": account_id,
        "displayName": name,
        "emailAddress": email if email is not None else '"?"',
        "active": True,
    }


def issue_body(
    *,
    updated: datetime,
    assignee: dict[str, Any] | None = None,
    status: str = "To Do",
    items: list[dict[str, Any]] | None = None,
    issue_id: str = "10001",
    key: str = "BB-1",
    **extra: Any,
) -> dict[str, Any]:
    status_id, category = STATUSES[status]
    body: dict[str, Any] = {
        "timestamp": int(updated.timestamp() * 1000),
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "issue": {
            "id": issue_id,
            "key": key,
            "fields": {
                "summary": "ZeroDivisionError",
                "project": {"key": "BB"},
                "assignee": assignee,
                "status": {"id": status_id, "name": status, "statusCategory": {"key": category}},
                "updated": jira_time(updated),
            },
        },
        "changelog": {"id": "1", "items": items or []},
    }
    body.update(extra)
    return body


def assign_item(to: str | None) -> dict[str, Any]:
    return {
        "field": "assignee",
        "fieldtype": "jira",
        "fieldId": "assignee",
        "from": None,
        "to": to,
        "tmpToAccountId": to,
    }


def status_item(old: str, new: str) -> dict[str, Any]:
    return {
        "field": "status",
        "fieldtype": "jira",
        "fieldId": "status",
        "from": STATUSES[old][0],
        "fromString": old,
        "to": STATUSES[new][0],
        "toString": new,
    }


def comment_body(
    event: str,
    comment_id: str = "20001",
    text: str = "Seen in prod too",
    author: dict[str, Any] | None = None,
    **comment_extra: Any,
) -> dict[str, Any]:
    return {
        "timestamp": 1,
        "webhookEvent": event,
        "comment": {
            "self": f"https://acme.example.net/rest/api/2/issue/10001/comment/{comment_id}",
            "id": comment_id,
            "author": author or person(BOB, "Bob Jira"),
            "body": text,
            "updated": jira_time(T0),
            **comment_extra,
        },
        "issue": {"id": "10001", "key": "BB-1", "fields": {"summary": "x"}},
    }


@pytest.fixture(autouse=True)
def _clean_cache() -> None:
    cache.clear()


@pytest.fixture
def site(organization: Organization) -> JiraSite:
    return make_site(organization)[0]


@pytest.fixture
def binding(site: JiraSite) -> SiteBinding:
    return SiteBinding.objects.get(site=site)


@pytest.fixture
def group(project: Project, site: JiraSite) -> Group:
    group = make_group(project, last_release="2.0.1")
    link(group, site, "10001", "BB-1", status_id="10000", status_category="new", watermark=T0)
    return group


@pytest.fixture
def ada(organization: Organization, binding: SiteBinding) -> Any:
    user = get_user_model().objects.create_user(username="ada", email="ada@example.com")
    Membership.objects.create(organization=organization, user=user)
    binding.user_maps.create(user=user, account_id=ADA)
    return user


def deliver(site: JiraSite, body: dict[str, Any]) -> InboundResult:
    return dispatch.dispatch(site, body["webhookEvent"], body)


def refreshed(group: Group) -> Group:
    return Group.objects.get(pk=group.pk)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


# -- assignee -------------------------------------------------------------------------------


def test_assignee_mapped_by_user_mapping(site: JiraSite, group: Group, ada: Any) -> None:
    body = issue_body(updated=at(1), assignee=person(ADA, "Ada J"), items=[assign_item(ADA)])

    result = deliver(site, body)

    assert result.outcome == DeliveryOutcome.APPLIED
    assert refreshed(group).assignee == ada
    activity = Activity.objects.get(group=group, kind="assigned")
    assert (activity.actor_kind, activity.actor_label) == ("integration", "Jira site acme")
    ticket = Ticket.objects.get(issue_id="10001")
    assert (ticket.assignee_account_id, ticket.assignee_name) == (ADA, "Ada J")
    assert ticket.watermark == at(1)


def test_assignee_mapped_by_visible_email(
    site: JiraSite, group: Group, organization: Organization
) -> None:
    user = get_user_model().objects.create_user(username="bob", email="Bob@Example.com")
    Membership.objects.create(organization=organization, user=user)
    body = issue_body(updated=at(1), assignee=person(BOB, "Bob", "bob@example.com"))

    deliver(site, body)

    assert refreshed(group).assignee == user


def test_hidden_email_and_no_mapping_unassigns_and_says_who(
    site: JiraSite, group: Group, owner: Any
) -> None:
    services.assign_group(group, owner, Actor.member(owner))
    body = issue_body(updated=at(1), assignee=person(BOB, "Bob Hidden"), items=[assign_item(BOB)])

    result = deliver(site, body)

    assert result.outcome == DeliveryOutcome.APPLIED
    assert refreshed(group).assignee is None
    unmapped = Activity.objects.get(group=group, kind="jira_assignee_unmapped")
    assert unmapped.data == {
        "assignee": "Bob Hidden",
        "jira_user": "Bob Hidden",
        "jira_account": BOB,
        "site": "acme",
    }
    from bugbridge.web.templatetags.bugbridge_web import activity_text

    assert activity_text(unmapped) == (
        "found no member for Jira user Bob Hidden, so left it unassigned"
    )


def test_mapping_to_someone_no_longer_a_member_is_unmapped(
    site: JiraSite, group: Group, binding: SiteBinding
) -> None:
    former = get_user_model().objects.create_user(username="former", email="f@example.com")
    binding.user_maps.create(user=former, account_id=BOB)

    deliver(site, issue_body(updated=at(1), assignee=person(BOB, "Former")))

    assert refreshed(group).assignee is None
    assert Activity.objects.filter(group=group, kind="jira_assignee_unmapped").exists()


def test_assignee_only_in_changelog_when_fields_are_trimmed(
    site: JiraSite, group: Group, ada: Any
) -> None:
    body = issue_body(updated=at(1), items=[assign_item(ADA)])
    del body["issue"]["fields"]["assignee"]

    deliver(site, body)

    assert refreshed(group).assignee == ada


def test_assignee_switch_off_leaves_the_group(
    site: JiraSite, group: Group, ada: Any, binding: SiteBinding
) -> None:
    binding.sync_assignee_inbound = False
    binding.save()

    deliver(site, issue_body(updated=at(1), assignee=person(ADA, "Ada")))

    assert refreshed(group).assignee is None
    # The ticket row still learns what Jira holds.
    assert Ticket.objects.get(issue_id="10001").assignee_account_id == ADA


# -- status ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["Done", "Won't Do"])
def test_done_category_resolves(site: JiraSite, group: Group, status: str) -> None:
    body = issue_body(updated=at(1), status=status, items=[status_item("To Do", status)])

    assert deliver(site, body).outcome == DeliveryOutcome.APPLIED

    group = refreshed(group)
    assert (group.status, group.resolved_in_release) == (GroupStatus.RESOLVED, "")


def test_reopen_unresolves_and_done_to_wont_do_changes_nothing(
    site: JiraSite, group: Group
) -> None:
    deliver(site, issue_body(updated=at(1), status="Done"))
    deliver(site, issue_body(updated=at(2), status="Won't Do"))
    assert Activity.objects.filter(group=group, kind="set_resolved").count() == 1

    deliver(site, issue_body(updated=at(3), status="To Do"))

    assert refreshed(group).status == GroupStatus.UNRESOLVED


def test_in_progress_changes_no_group(site: JiraSite, group: Group) -> None:
    deliver(site, issue_body(updated=at(1), status="In Progress"))
    assert refreshed(group).status == GroupStatus.UNRESOLVED
    assert not Activity.objects.filter(group=group).exists()


def test_next_release_strategy(site: JiraSite, group: Group, binding: SiteBinding) -> None:
    binding.resolve_strategy = ResolveStrategy.NEXT_RELEASE
    binding.save()

    deliver(site, issue_body(updated=at(1), status="Done"))

    group = refreshed(group)
    assert (group.status, group.resolved_in_release) == (GroupStatus.RESOLVED, "2.0.1")


def test_status_mapping_sets_resolved_and_ignored(
    site: JiraSite, group: Group, binding: SiteBinding
) -> None:
    StatusMapping.objects.create(
        binding=binding,
        jira_project_key="BB",
        inbound_resolved_status_ids=["10001"],
        inbound_ignored_status_ids=["10002"],
    )

    deliver(site, issue_body(updated=at(1), status="Won't Do"))
    assert refreshed(group).status == GroupStatus.IGNORED

    # An ignore that came from Jira follows Jira back out.
    deliver(site, issue_body(updated=at(2), status="To Do"))
    assert refreshed(group).status == GroupStatus.UNRESOLVED

    deliver(site, issue_body(updated=at(3), status="Done"))
    assert refreshed(group).status == GroupStatus.RESOLVED


def test_a_group_a_person_ignored_stays_ignored(
    site: JiraSite, group: Group, owner: Any, binding: SiteBinding
) -> None:
    services.set_group_status(group, GroupStatus.IGNORED, Actor.member(owner))

    deliver(site, issue_body(updated=at(1), status="Done"))
    assert refreshed(group).status == GroupStatus.IGNORED

    binding.keep_ignored_on_inbound = False
    binding.save()
    deliver(site, issue_body(updated=at(2), status="To Do"))
    assert refreshed(group).status == GroupStatus.UNRESOLVED


def test_status_switch_off(site: JiraSite, group: Group, binding: SiteBinding) -> None:
    binding.sync_status_inbound = False
    binding.save()
    deliver(site, issue_body(updated=at(1), status="Done"))
    assert refreshed(group).status == GroupStatus.UNRESOLVED


# -- ordering -------------------------------------------------------------------------------


def test_older_or_equal_delivery_is_stale_and_changes_nothing(
    site: JiraSite, group: Group, ada: Any
) -> None:
    deliver(site, issue_body(updated=at(5), status="Done", assignee=person(ADA, "Ada")))

    late = deliver(site, issue_body(updated=at(3), status="To Do", assignee=None))
    same = deliver(site, issue_body(updated=at(5), status="To Do", assignee=None))

    assert (late.outcome, same.outcome) == (DeliveryOutcome.STALE, DeliveryOutcome.STALE)
    group = refreshed(group)
    assert (group.status, group.assignee) == (GroupStatus.RESOLVED, ada)
    ticket = Ticket.objects.get(issue_id="10001")
    assert (ticket.watermark, ticket.status_name) == (at(5), "Done")


def test_a_lost_delivery_is_made_good_by_the_next_one(
    site: JiraSite, group: Group, ada: Any
) -> None:
    # The assignment's own delivery never came; the next one carries the current fields.
    body = issue_body(
        updated=at(2),
        status="Done",
        assignee=person(ADA, "Ada"),
        items=[status_item("To Do", "Done")],
    )
    deliver(site, body)

    group = refreshed(group)
    assert (group.status, group.assignee) == (GroupStatus.RESOLVED, ada)


# -- echo and isolation ---------------------------------------------------------------------


def test_echo_of_our_own_assignment_does_not_reassign_the_other_group(
    site: JiraSite, group: Group, project: Project, ada: Any, owner: Any
) -> None:
    other = make_group(project, title="KeyError")
    GroupLink.objects.create(group=other, ticket=Ticket.objects.get(issue_id="10001"))
    services.assign_group(other, owner, Actor.member(owner))
    # Bugbridge assigned `group` to Ada and the worker recorded what Jira now holds.
    services.assign_group(group, ada, Actor.member(owner))
    Ticket.objects.filter(issue_id="10001").update(assignee_account_id=ADA)

    result = deliver(site, issue_body(updated=at(1), assignee=person(ADA, "Ada")))

    assert result.outcome == DeliveryOutcome.APPLIED
    assert refreshed(other).assignee == owner


def test_echo_while_the_worker_has_not_recorded_yet(
    site: JiraSite, group: Group, project: Project, ada: Any, owner: Any
) -> None:
    other = make_group(project, title="KeyError")
    GroupLink.objects.create(group=other, ticket=Ticket.objects.get(issue_id="10001"))
    services.assign_group(other, owner, Actor.member(owner))
    services.assign_group(group, ada, Actor.member(owner))
    OutboundChange.objects.filter(kind=ChangeKind.ASSIGNEE).update(state=ChangeState.IN_FLIGHT)

    result = deliver(site, issue_body(updated=at(1), assignee=person(ADA, "Ada")))

    assert "echo" in result.detail
    assert refreshed(other).assignee == owner


def test_inbound_change_is_not_sent_back_but_reaches_other_tickets(
    site: JiraSite, group: Group, ada: Any
) -> None:
    link(group, site, "10002", "BB-2")

    deliver(site, issue_body(updated=at(1), status="Done", assignee=person(ADA, "Ada")))

    changes = OutboundChange.objects.all()
    assert {c.ticket.issue_id for c in changes} == {"10002"}
    assert {c.kind for c in changes} == {ChangeKind.ASSIGNEE, ChangeKind.STATUS}


def test_groups_of_organizations_not_bound_to_the_site_are_untouched(
    site: JiraSite, group: Group
) -> None:
    stranger_org = Organization.objects.create(name="Other", slug="other")
    stranger_project = Project.objects.create(organization=stranger_org, name="P", slug="p")
    stranger = make_group(stranger_project)
    GroupLink.objects.create(group=stranger, ticket=Ticket.objects.get(issue_id="10001"))

    deliver(site, issue_body(updated=at(1), status="Done"))
    deliver(site, comment_body("comment_created"))

    assert refreshed(group).status == GroupStatus.RESOLVED
    assert refreshed(stranger).status == GroupStatus.UNRESOLVED
    assert not Note.objects.filter(group=stranger).exists()
    assert not Activity.objects.filter(group=stranger).exists()


def test_another_site_cannot_touch_this_ticket(
    site: JiraSite, group: Group, organization: Organization
) -> None:
    other_site, _ = make_site(organization, "other")

    result = deliver(other_site, issue_body(updated=at(1), status="Done"))

    assert result.outcome == DeliveryOutcome.IGNORED
    assert refreshed(group).status == GroupStatus.UNRESOLVED


# -- deletion -------------------------------------------------------------------------------


def test_issue_deleted_unlinks_and_writes_activity(site: JiraSite, group: Group) -> None:
    body = {"webhookEvent": "jira:issue_deleted", "issue": {"id": "10001", "key": "BB-1"}}

    assert deliver(site, body).outcome == DeliveryOutcome.APPLIED

    assert not GroupLink.objects.exists()
    assert not Ticket.objects.exists()
    activity = Activity.objects.get(group=group, kind="jira_ticket_deleted")
    assert activity.data == {"key": "BB-1", "site": "acme"}
    # A late update for the deleted ticket finds nothing to change.
    assert deliver(site, issue_body(updated=at(9), status="Done")).outcome == "ignored"


# -- comments -------------------------------------------------------------------------------


def test_comment_lifecycle_follows_the_note(site: JiraSite, group: Group) -> None:
    created = deliver(site, comment_body("comment_created"))
    note = Note.objects.get(group=group)
    assert created.outcome == DeliveryOutcome.APPLIED
    assert (note.body, note.author_label, note.author) == (
        "Seen in prod too",
        "Bob Jira (Jira acme)",
        None,
    )
    link_row = CommentLink.objects.get(note=note)
    assert (link_row.comment_id, link_row.outbound) == ("20001", False)

    deliver(site, comment_body("comment_updated", text="Seen in prod, twice"))
    note.refresh_from_db()
    assert note.body == "Seen in prod, twice"

    deliver(site, comment_body("comment_deleted", text="Seen in prod, twice"))
    note.refresh_from_db()
    assert note.is_deleted

    # A late edit or twin after the delete does not bring the note back.
    late = deliver(site, comment_body("comment_updated", text="again"))
    assert late.outcome == DeliveryOutcome.IGNORED
    note.refresh_from_db()
    assert (note.is_deleted, note.body) == (True, "Seen in prod, twice")


def test_comment_event_and_its_issue_updated_twin_make_one_note(
    site: JiraSite, group: Group
) -> None:
    comment = comment_body("comment_created")
    twin = issue_body(
        updated=at(1), issue_event_type_name="issue_commented", comment=comment["comment"]
    )
    del twin["changelog"]

    deliver(site, comment)
    deliver(site, twin)

    assert Note.objects.filter(group=group).count() == 1


def test_twin_of_a_deleted_comment_deletes(site: JiraSite, group: Group) -> None:
    comment = comment_body("comment_created")
    deliver(site, comment)
    twin = issue_body(
        updated=at(1), issue_event_type_name="issue_comment_deleted", comment=comment["comment"]
    )

    deliver(site, twin)

    assert Note.objects.get(group=group).is_deleted


def test_comment_bugbridge_wrote_is_not_imported(site: JiraSite, group: Group, owner: Any) -> None:
    note = services.add_note(group, "from Bugbridge", Actor.member(owner))
    ticket = Ticket.objects.get(issue_id="10001")
    CommentLink.objects.create(note=note, ticket=ticket, comment_id="20001", outbound=True)

    result = deliver(site, comment_body("comment_created", author=person(BOT, "Bot")))

    assert result.outcome == DeliveryOutcome.IGNORED
    assert Note.objects.filter(group=group).count() == 1


def test_comment_with_the_marker_property_is_not_imported(site: JiraSite, group: Group) -> None:
    body = comment_body(
        "comment_created", properties=[{"key": "bugbridge.note", "value": {"note": 1}}]
    )
    assert deliver(site, body).outcome == DeliveryOutcome.IGNORED
    assert not Note.objects.exists()


def test_comment_echo_before_the_worker_recorded_its_id(
    site: JiraSite, group: Group, owner: Any
) -> None:
    from bugbridge.jira.sites import remember_connection_account

    remember_connection_account(site, BOT)
    note = services.add_note(group, "from Bugbridge", Actor.member(owner))
    ticket = Ticket.objects.get(issue_id="10001")
    # The worker records its intent (no comment id yet) before calling Jira.
    CommentLink.objects.create(note=note, ticket=ticket, comment_id="", outbound=True)

    ours = deliver(site, comment_body("comment_created", author=person(BOT, "Bot")))
    theirs = deliver(site, comment_body("comment_created", "20002", author=person(BOB, "Bob")))

    assert ours.outcome == DeliveryOutcome.IGNORED
    assert theirs.outcome == DeliveryOutcome.APPLIED
    assert Note.objects.filter(group=group).count() == 2


def test_comment_switch_off(site: JiraSite, group: Group, binding: SiteBinding) -> None:
    binding.sync_comments_inbound = False
    binding.save()
    assert deliver(site, comment_body("comment_created")).outcome == DeliveryOutcome.IGNORED
    assert not Note.objects.exists()


def test_empty_comment_is_ignored(site: JiraSite, group: Group) -> None:
    assert deliver(site, comment_body("comment_created", text="  ")).outcome == "ignored"


def test_imported_note_goes_out_to_the_groups_other_tickets_only(
    site: JiraSite, group: Group
) -> None:
    link(group, site, "10002", "BB-2")

    deliver(site, comment_body("comment_created"))

    change = OutboundChange.objects.get()
    assert (change.kind, change.ticket.issue_id) == (ChangeKind.COMMENT_CREATE, "10002")


def test_now_is_used_for_refreshed_at(site: JiraSite, group: Group) -> None:
    before = timezone.now()
    deliver(site, issue_body(updated=at(1)))
    refreshed_at = Ticket.objects.get(issue_id="10001").refreshed_at
    assert refreshed_at is not None and refreshed_at >= before


def test_an_older_edit_arriving_late_is_stale(site: JiraSite, group: Group) -> None:
    from bugbridge.jira.webhooks.delivery import handle_verified_delivery

    def edit(text: str, when: datetime) -> str:
        body = comment_body("comment_updated", text=text)
        body["comment"]["updated"] = jira_time(when)
        result = handle_verified_delivery(site, None, body, {})
        return str(result.payload["status"])

    handle_verified_delivery(site, None, comment_body("comment_created", text="first"), {})

    assert edit("third", at(3)) == "applied"
    assert edit("second", at(2)) == "stale"
    assert Note.objects.get(group=group).body == "third"


def test_snapshot_after_a_push_applies_a_persons_undelivered_change(
    site: JiraSite, group: Group, project: Project, ada: Any, owner: Any
) -> None:
    from bugbridge.sync.inbound import apply_pushed_snapshot

    other = make_group(project, title="KeyError")
    GroupLink.objects.create(group=other, ticket=Ticket.objects.get(issue_id="10001"))
    # Bugbridge resolved `group` and its worker moved the ticket to Done (at 2s); someone had
    # assigned Ada in Jira at 1s, and that delivery is still on its way.
    services.set_group_status(group, GroupStatus.RESOLVED, Actor.member(owner))
    snapshot = issue_body(updated=at(2), status="Done", assignee=person(ADA, "Ada"))["issue"]

    result = apply_pushed_snapshot(site, snapshot, {"status"})

    assert result.outcome == DeliveryOutcome.APPLIED
    assert (refreshed(group).assignee, refreshed(other).assignee) == (ada, ada)
    # The pushed status is Bugbridge's own: the other group is not resolved by it.
    assert refreshed(other).status == GroupStatus.UNRESOLVED
    late = deliver(site, issue_body(updated=at(1), assignee=person(ADA, "Ada")))
    assert late.outcome == DeliveryOutcome.STALE


@pytest.fixture
def bob(organization: Organization, binding: SiteBinding) -> Any:
    user = get_user_model().objects.create_user(username="bob", email="bob@example.com")
    Membership.objects.create(organization=organization, user=user)
    binding.user_maps.create(user=user, account_id=BOB)
    return user


def test_a_persons_change_in_jira_drops_our_unsent_change(
    site: JiraSite, group: Group, ada: Any, bob: Any, owner: Any
) -> None:
    services.assign_group(group, ada, Actor.member(owner))
    assert OutboundChange.objects.filter(state=ChangeState.PENDING).count() == 1

    deliver(site, issue_body(updated=at(1), assignee=person(BOB, "Bob")))

    assert refreshed(group).assignee == bob
    assert not OutboundChange.objects.exists()


def test_a_persons_change_racing_our_call_in_flight_is_sent_after_it(
    site: JiraSite, group: Group, ada: Any, bob: Any, owner: Any
) -> None:
    services.assign_group(group, ada, Actor.member(owner))
    OutboundChange.objects.update(state=ChangeState.IN_FLIGHT)

    deliver(site, issue_body(updated=at(1), assignee=person(BOB, "Bob")))

    assert refreshed(group).assignee == bob
    repush = OutboundChange.objects.get(state=ChangeState.PENDING)
    assert (repush.kind, repush.payload, repush.ticket.issue_id) == (
        ChangeKind.ASSIGNEE,
        {"user_id": bob.pk},
        "10001",
    )


def test_status_from_jira_drops_our_unsent_status_change(
    site: JiraSite, group: Group, owner: Any
) -> None:
    deliver(site, issue_body(updated=at(1), status="Done"))
    services.set_group_status(group, GroupStatus.UNRESOLVED, Actor.member(owner))
    deliver(site, issue_body(updated=at(2), status="To Do"))
    assert OutboundChange.objects.filter(kind=ChangeKind.STATUS).count() == 1

    deliver(site, issue_body(updated=at(3), status="Won't Do"))

    assert refreshed(group).status == GroupStatus.RESOLVED
    assert not OutboundChange.objects.filter(kind=ChangeKind.STATUS).exists()
