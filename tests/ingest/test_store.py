"""Writing events: query budget per event, and concurrent first events of one fingerprint."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import httpx
import pytest
from django.db import connection, transaction

from bugbridge.ingest.grouping import fingerprint_hash
from bugbridge.ingest.normalize import normalize
from bugbridge.ingest.store import store_event
from bugbridge.tracker.models import Event, Group, Project, ProjectKey
from tests.ingest.conftest import auth_header, event_envelope, make_event


def _store(project: Project, **fields: Any) -> Any:
    event = normalize(make_event(**fields))
    with transaction.atomic():
        return store_event(project.pk, event, fingerprint_hash(event.data))


def _store_counted(project: Project, budget: int, assert_max: Any, **fields: Any) -> None:
    event = normalize(make_event(**fields))
    fingerprint = fingerprint_hash(event.data)
    # The request's transaction is opened outside the count, as the view does.
    with transaction.atomic(), assert_max(budget):
        store_event(project.pk, event, fingerprint)


def test_query_budget_per_event_is_small_and_constant(
    project: Project, django_assert_max_num_queries: Any
) -> None:
    # New group: savepoint, select group, savepoint + insert + release (create), insert event,
    # insert group user, update counters, release = 9.
    _store_counted(project, 9, django_assert_max_num_queries, user={"id": "a"})
    # Known group: savepoint, select group, insert event, insert group user, update, release.
    for user in ("a", "b", "c"):
        _store_counted(project, 6, django_assert_max_num_queries, user={"id": user})
    # Without a user there is no group-user insert.
    _store_counted(project, 5, django_assert_max_num_queries)
    group = Group.objects.get()
    assert (group.times_seen, group.users_seen) == (5, 3)


def test_duplicate_event_rolls_back_only_itself(project: Project) -> None:
    event_id = uuid.uuid4().hex
    assert _store(project, event_id=event_id) is not None
    with transaction.atomic():
        duplicate = store_event(
            project.pk,
            normalize(make_event(event_id=event_id)),
            fingerprint_hash(make_event()),
        )
        other = _store(project)
    assert duplicate is None
    assert other is not None
    assert Event.objects.count() == 2
    assert Group.objects.get().times_seen == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_events_of_one_fingerprint_make_one_group(
    live_server: Any, project_key: ProjectKey
) -> None:
    senders = 8
    barrier = threading.Barrier(senders)
    statuses: list[int] = []

    def send() -> None:
        body = event_envelope(make_event(user={"id": uuid.uuid4().hex}))
        with httpx.Client(base_url=live_server.url, timeout=60) as client:
            barrier.wait()
            response = client.post(
                f"/api/{project_key.project_id}/envelope/",
                content=body,
                headers=auth_header(project_key),
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=send) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * senders
    group = Group.objects.get()
    assert (group.times_seen, group.users_seen) == (senders, senders)
    assert Event.objects.count() == senders
    connection.close()
