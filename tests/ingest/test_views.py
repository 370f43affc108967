"""The ingest endpoints over real HTTP against the live server, on a real database."""

from __future__ import annotations

import gzip
import json
import time
import uuid
import zlib
from collections.abc import Callable
from typing import Any

import brotli
import pytest
from django.test import override_settings

from bugbridge.tracker.actors import Actor
from bugbridge.tracker.models import Activity, Event, Group, GroupStatus, ProjectKey
from bugbridge.tracker.services import set_group_status
from tests.ingest.conftest import (
    Ingest,
    auth_header,
    event_envelope,
    make_envelope,
    make_event,
    row_counts,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_envelope_event_is_stored_and_answered_with_its_id(ingest: Ingest) -> None:
    event = make_event(
        release="shop@1.0",
        environment="prod",
        user={"id": "u1"},
        tags=[["browser", "Firefox"]],
    )

    response = ingest.event(event)

    assert response.status_code == 200
    assert response.json() == {"id": event["event_id"]}
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    group = Group.objects.get()
    assert (group.title, group.culprit, group.times_seen, group.users_seen) == (
        "ValueError: bad input",
        "app.orders in pay",
        1,
        1,
    )
    assert (group.first_release, group.last_release, group.platform) == (
        "shop@1.0",
        "shop@1.0",
        "python",
    )
    stored = Event.objects.get()
    assert stored.event_id == uuid.UUID(event["event_id"])
    assert (stored.environment, stored.user_ident, stored.tags) == (
        "prod",
        "id:u1",
        {"browser": "Firefox"},
    )


def test_second_event_updates_counters_releases_and_users(ingest: Ingest) -> None:
    now = int(time.time())
    ingest.event(make_event(release="1.0", user={"id": "a"}, timestamp=now - 500))
    ingest.event(make_event(release="1.1", user={"id": "a"}, timestamp=now - 100))
    ingest.event(make_event(release="1.2", user={"id": "b"}, timestamp=now - 900))

    group = Group.objects.get()
    assert (group.times_seen, group.users_seen) == (3, 2)
    assert (group.first_release, group.last_release) == ("1.0", "1.2")
    assert group.first_seen.timestamp() == now - 900
    assert group.last_seen.timestamp() == now - 100
    assert group.seen_users.count() == 2


def test_repeated_event_id_is_stored_and_counted_once(ingest: Ingest) -> None:
    event = make_event(user={"id": "a"})
    first = ingest.event(event)
    again = ingest.event(event)

    assert first.status_code == again.status_code == 200
    assert again.json() == {"id": event["event_id"]}
    assert Event.objects.count() == 1
    assert (Group.objects.get().times_seen, Group.objects.get().users_seen) == (1, 1)


def test_non_event_items_are_accepted_and_ignored(ingest: Ingest) -> None:
    body = make_envelope(
        ({"type": "session"}, b'{"sid": "x", "status": "ok"}'),
        ({"type": "transaction"}, b'{"type": "transaction", "spans": []}'),
        ({"type": "attachment", "filename": "a.txt"}, b"\x00\x01binary"),
        ({"type": "client_report"}, b'{"discarded_events": []}'),
        ({"type": "check_in"}, b'{"check_in_id": "x", "status": "ok"}'),
        ({"type": "something_new"}, b"whatever"),
    )
    response = ingest.envelope(body)

    assert (response.status_code, response.json()) == (200, {})
    assert row_counts()["events"] == 0


def test_envelope_with_event_and_attachment_stores_the_event(ingest: Ingest) -> None:
    event = make_event()
    body = make_envelope(
        ({"type": "event"}, json.dumps(event).encode()),
        ({"type": "attachment", "filename": "log.txt"}, b"line\nline\n"),
        event_id=event["event_id"],
    )
    assert ingest.envelope(body).status_code == 200
    assert Event.objects.count() == 1


def test_item_without_length_is_read_to_end_of_line(ingest: Ingest) -> None:
    event = make_event()
    body = b"{}\n" + b'{"type":"event"}\n' + json.dumps(event).encode() + b"\n"
    assert ingest.envelope(body).status_code == 200
    assert Event.objects.count() == 1


def test_store_endpoint_accepts_a_json_event(ingest: Ingest) -> None:
    event = make_event()
    response = ingest.store(json.dumps(event).encode())
    assert (response.status_code, response.json()) == (200, {"id": event["event_id"]})
    assert Group.objects.get().title == "ValueError: bad input"


def test_store_endpoint_generates_an_id_when_missing(ingest: Ingest) -> None:
    response = ingest.store(b'{"message": "no id"}')
    assert response.status_code == 200
    assert Event.objects.get().event_id.hex == response.json()["id"]


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", brotli.compress),
    ],
)
@pytest.mark.parametrize("kind", ["envelope", "store"])
def test_compressed_bodies(
    ingest: Ingest, encoding: str, compress: Callable[[bytes], bytes], kind: str
) -> None:
    event = make_event()
    raw = event_envelope(event) if kind == "envelope" else json.dumps(event).encode()
    headers = {**auth_header(ingest.key), "Content-Encoding": encoding}
    response = ingest.client.post(ingest.url(kind), content=compress(raw), headers=headers)
    assert response.status_code == 200
    assert Event.objects.count() == 1


@pytest.mark.parametrize("kind", ["envelope", "store"])
def test_path_without_trailing_slash(ingest: Ingest, kind: str) -> None:
    event = make_event()
    body = event_envelope(event) if kind == "envelope" else json.dumps(event).encode()
    url = ingest.url(kind).rstrip("/")
    response = ingest.client.post(url, content=body, headers=auth_header(ingest.key))
    assert (response.status_code, response.json()) == (200, {"id": event["event_id"]})


def test_key_in_query_parameter(ingest: Ingest) -> None:
    url = f"{ingest.url()}?sentry_key={ingest.key.public_key}&sentry_version=7"
    response = ingest.client.post(url, content=event_envelope(make_event()))
    assert response.status_code == 200
    assert Event.objects.count() == 1


def test_key_in_envelope_dsn(ingest: Ingest, live_server: Any) -> None:
    event = make_event()
    dsn = ingest.key.dsn(live_server.url)
    response = ingest.client.post(ingest.url(), content=event_envelope(event, dsn=dsn))
    assert response.status_code == 200
    assert Event.objects.count() == 1


def test_regression_on_resolved_group_writes_activity(ingest: Ingest) -> None:
    ingest.event(make_event(release="1.0"))
    group = Group.objects.get()
    set_group_status(group, GroupStatus.RESOLVED, Actor.system())

    ingest.event(make_event(release="1.0"))

    group.refresh_from_db()
    assert group.status == GroupStatus.UNRESOLVED
    regression = Activity.objects.get(group=group, kind="regression")
    assert regression.data == {"release": "1.0"}


def test_resolved_in_next_release_only_regresses_on_another_release(ingest: Ingest) -> None:
    ingest.event(make_event(release="1.0"))
    group = Group.objects.get()
    set_group_status(group, GroupStatus.RESOLVED, Actor.system(), in_release="1.0")

    ingest.event(make_event(release="1.0"))
    group.refresh_from_db()
    assert group.status == GroupStatus.RESOLVED
    assert not Activity.objects.filter(kind="regression").exists()

    ingest.event(make_event(release="1.1"))
    group.refresh_from_db()
    assert group.status == GroupStatus.UNRESOLVED
    assert Activity.objects.filter(kind="regression").count() == 1


def test_duplicate_of_event_on_resolved_group_does_not_regress(ingest: Ingest) -> None:
    event = make_event()
    ingest.event(event)
    set_group_status(Group.objects.get(), GroupStatus.RESOLVED, Actor.system())

    ingest.event(event)

    assert Group.objects.get().status == GroupStatus.RESOLVED
    assert not Activity.objects.filter(kind="regression").exists()


# ---- bad input: the status, a detail that says what is wrong, and nothing stored ----


def _assert_refused(response: Any, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert words.lower() in response.json()["detail"].lower()
    assert row_counts() == {"events": 0, "groups": 0, "users": 0, "activity": 0}


def test_missing_key_is_401(ingest: Ingest) -> None:
    response = ingest.envelope(event_envelope(make_event()), headers={})
    _assert_refused(response, 401, "sentry_key")


def test_missing_key_on_store_is_401(ingest: Ingest) -> None:
    response = ingest.store(json.dumps(make_event()).encode(), headers={})
    _assert_refused(response, 401, "sentry_key")


def test_unknown_key_is_403(ingest: Ingest) -> None:
    response = ingest.envelope(event_envelope(make_event()), headers=auth_header("0" * 32))
    _assert_refused(response, 403, "unknown sentry_key")


def test_inactive_key_is_403(ingest: Ingest) -> None:
    ProjectKey.objects.filter(pk=ingest.key.pk).update(is_active=False)
    response = ingest.event(make_event())
    _assert_refused(response, 403, "disabled")


def test_other_projects_key_is_403(ingest: Ingest, organization: Any) -> None:
    other = ingest.key.project.__class__.objects.create(
        organization=organization, name="Other", slug="other"
    )
    url = ingest.url(project_id=other.pk)
    response = ingest.client.post(
        url, content=event_envelope(make_event()), headers=auth_header(ingest.key)
    )
    _assert_refused(response, 403, f"does not belong to project {other.pk}")


@pytest.mark.parametrize("project_id", ["999999", "abc"])
def test_unknown_project_is_403(ingest: Ingest, project_id: str) -> None:
    response = ingest.client.post(
        ingest.url(project_id=project_id),
        content=event_envelope(make_event()),
        headers=auth_header(ingest.key),
    )
    _assert_refused(response, 403, "unknown project")


def test_dsn_of_unknown_key_is_403(ingest: Ingest) -> None:
    body = event_envelope(make_event(), dsn="http://ffffffffffffffffffffffffffffffff@h/1")
    response = ingest.envelope(body, headers={})
    _assert_refused(response, 403, "unknown sentry_key")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "empty"),
        (b"not json\n", "could not be parsed"),
        (b"[1, 2]\n", "could not be parsed"),
        (b'{}\n{"type": "event", "length": 5}\n{"a"\n', "could not be parsed"),
        (b'{}\n{"type": "event"}\n[1, 2]\n', "not a json object"),
        (b'{}\n"item header"\n{}\n', "could not be parsed"),
        (b'{}\n{"type": "attachment", "length": 100}\nshort\n', "truncated"),
        (b'{}\n{"type": "event", "length": "x"}\n{}\n', "could not be parsed"),
    ],
)
def test_malformed_envelope_is_400(ingest: Ingest, body: bytes, words: str) -> None:
    _assert_refused(ingest.envelope(body), 400, words)


def test_bad_event_among_good_ones_stores_nothing(ingest: Ingest) -> None:
    good, bad = make_event(), make_event(event_id="zzz")
    body = make_envelope(
        ({"type": "event"}, json.dumps(good).encode()),
        ({"type": "event"}, json.dumps(bad).encode()),
    )
    _assert_refused(ingest.envelope(body), 400, "event_id")


@pytest.mark.parametrize(
    ("body", "words"), [(b"{not json", "not valid json"), (b"[1]", "not a json object")]
)
def test_malformed_store_json_is_400(ingest: Ingest, body: bytes, words: str) -> None:
    _assert_refused(ingest.store(body), 400, words)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_bad_compression_is_400(ingest: Ingest, encoding: str) -> None:
    headers = {**auth_header(ingest.key), "Content-Encoding": encoding}
    response = ingest.envelope(b"\x00\x01 not compressed at all", headers=headers)
    _assert_refused(response, 400, "could not be decompressed")


def test_unsupported_encoding_is_400(ingest: Ingest) -> None:
    headers = {**auth_header(ingest.key), "Content-Encoding": "zstd"}
    _assert_refused(ingest.envelope(event_envelope(make_event()), headers=headers), 400, "zstd")


@pytest.mark.parametrize("encoding", ["", "gzip", "br"])
def test_body_over_the_limit_is_413(ingest: Ingest, encoding: str) -> None:
    event = make_event(extra={"blob": "x" * 300_000})
    body = event_envelope(event)
    compress = {"": lambda b: b, "gzip": gzip.compress, "br": brotli.compress}[encoding]
    headers = {**auth_header(ingest.key), "Content-Encoding": encoding}
    with override_settings(INGEST_MAX_BODY_BYTES=100_000):
        response = ingest.envelope(compress(body), headers=headers)
    _assert_refused(response, 413, "exceeds 100000 bytes")


def test_failure_while_storing_rolls_back_the_whole_request(
    project_key: ProjectKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.test import Client

    from bugbridge.ingest import views

    calls: list[int] = []

    def store_then_fail(project_id: int, event: Any, fingerprint: str) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real_store(project_id, event, fingerprint)

    real_store = views.store_event
    monkeypatch.setattr(views, "store_event", store_then_fail)
    body = make_envelope(
        ({"type": "event"}, json.dumps(make_event(user={"id": "a"})).encode()),
        ({"type": "event"}, json.dumps(make_event(message="other")).encode()),
    )
    client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
    response = client.post(
        f"/api/{project_key.project_id}/envelope/",
        body,
        content_type="application/x-sentry-envelope",
        HTTP_X_SENTRY_AUTH=f"Sentry sentry_key={project_key.public_key}",
    )
    assert response.status_code == 500
    assert len(calls) == 2
    assert row_counts() == {"events": 0, "groups": 0, "users": 0, "activity": 0}


def test_the_real_urlconf_routes_both_endpoints() -> None:
    from django.urls import reverse

    for name, kind in (("ingest-envelope", "envelope"), ("ingest-store", "store")):
        url = reverse(name, urlconf="bugbridge.urls", kwargs={"project_id": "7"})
        assert url == f"/api/7/{kind}/"


def test_get_is_405_and_options_answers_cors(ingest: Ingest) -> None:
    assert ingest.client.get(ingest.url()).status_code == 405
    preflight = ingest.client.options(ingest.url())
    assert preflight.status_code == 200
    assert "X-Sentry-Auth" in preflight.headers["Access-Control-Allow-Headers"]


def test_rejections_and_acceptances_are_counted(ingest: Ingest) -> None:
    from bugbridge.ingest.metrics import EVENTS

    def value(outcome: str, reason: str = "") -> float:
        return EVENTS.labels(outcome=outcome, reason=reason)._value.get()

    before = (value("accepted"), value("rejected", "missing_key"), value("duplicate"))
    event = make_event()
    ingest.event(event)
    ingest.event(event)
    ingest.envelope(event_envelope(make_event()), headers={})

    after = (value("accepted"), value("rejected", "missing_key"), value("duplicate"))
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 1]
    metrics_text = ingest.client.get("/metrics").text
    assert 'bugbridge_ingest_events_total{outcome="accepted",reason=""}' in metrics_text
