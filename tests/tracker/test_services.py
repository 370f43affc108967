from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from bugbridge.tracker import services
from bugbridge.tracker.actors import Actor
from bugbridge.tracker.errors import DomainError
from bugbridge.tracker.models import Activity, Group, GroupStatus, Project


def _group(project: Project) -> Group:
    now = timezone.now()
    return Group.objects.create(
        project=project,
        fingerprint_hash="f" * 32,
        title="ValueError: x",
        first_seen=now,
        last_seen=now,
    )


def test_assign_writes_activity_naming_the_actor(project: Project, owner: Any) -> None:
    group = _group(project)

    changed = services.assign_group(group, owner, Actor.member(owner))

    group.refresh_from_db()
    assert changed is True
    assert group.assignee == owner
    activity = Activity.objects.get(group=group)
    assert (activity.kind, activity.actor_user) == ("assigned", owner)


def test_assign_to_a_non_member_is_refused_and_changes_nothing(
    project: Project, owner: Any
) -> None:
    group = _group(project)
    stranger = get_user_model().objects.create_user(username="stranger")

    with pytest.raises(DomainError) as excinfo:
        services.assign_group(group, stranger, Actor.member(owner))

    group.refresh_from_db()
    assert excinfo.value.field == "assignee"
    assert group.assignee is None
    assert not Activity.objects.exists()


def test_same_status_twice_is_one_change(project: Project, owner: Any) -> None:
    group = _group(project)
    actor = Actor.integration("Jira site acme")

    assert services.set_group_status(group, GroupStatus.RESOLVED, actor) is True
    assert services.set_group_status(group, GroupStatus.RESOLVED, actor) is False

    activity = Activity.objects.get(group=group)
    assert (activity.kind, activity.actor_label, activity.actor_user) == (
        "set_resolved",
        "Jira site acme",
        None,
    )
