from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from bugbridge.ingest.errors import IngestError
from bugbridge.ingest.normalize import normalize, tags, user_ident
from tests.ingest.conftest import make_event


def test_exception_event_title_culprit_and_fields() -> None:
    event = normalize(
        make_event(release="shop@1.2", environment="prod", platform="python", level="warning")
    )

    assert event.title == "ValueError: bad input"
    assert event.culprit == "app.orders in pay"
    assert (event.level, event.platform, event.type) == ("warning", "python", "error")
    assert (event.release, event.environment) == ("shop@1.2", "prod")


def test_culprit_prefers_explicit_culprit_then_transaction() -> None:
    assert normalize(make_event(transaction="/checkout")).culprit == "/checkout"
    assert normalize(make_event(culprit="legacy", transaction="/x")).culprit == "legacy"


def test_culprit_falls_back_to_last_frame_when_none_is_in_app() -> None:
    event = make_event()
    for frame in event["exception"]["values"][0]["stacktrace"]["frames"]:
        frame["in_app"] = False
    event["exception"]["values"][0]["stacktrace"]["frames"].append(
        {"filename": "lib.js", "function": "boom"}
    )
    assert normalize(event).culprit == "lib.js in boom"


def test_message_event_uses_formatted_message_for_title() -> None:
    event = normalize(
        {"logentry": {"message": "Order %s failed", "formatted": "Order 7 failed\nmore"}}
    )
    assert (event.title, event.type, event.level, event.culprit) == (
        "Order 7 failed",
        "default",
        "error",
        "",
    )


def test_message_template_is_formatted_with_its_params_when_not_formatted() -> None:
    assert normalize({"logentry": {"message": "Order %s by %s", "params": [7, "ada"]}}).title == (
        "Order 7 by ada"
    )
    assert normalize({"logentry": {"message": "%(n)s left", "params": {"n": 3}}}).title == "3 left"
    assert normalize({"logentry": {"message": "bad %d", "params": ["x"]}}).title == "bad %d"


def test_plain_string_message_and_unlabeled_event() -> None:
    assert normalize({"message": "disk full"}).title == "disk full"
    assert normalize({}).title == "<unlabeled event>"


def test_legacy_interface_keys() -> None:
    event = normalize(
        {
            "sentry.interfaces.Exception": {"values": [{"type": "KeyError", "value": "'x'"}]},
            "sentry.interfaces.User": {"id": "42"},
        }
    )
    assert (event.title, event.user_ident) == ("KeyError: 'x'", "id:42")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("warn", "warning"),
        ("CRITICAL", "fatal"),
        ("info", "info"),
        (30, "warning"),
        ("?", "error"),
        (None, "error"),
    ],
)
def test_level_aliases(raw: object, expected: str) -> None:
    assert normalize({"level": raw}).level == expected


def test_tags_as_dict_or_pairs() -> None:
    assert tags({"browser": "Firefox", "n": 3, "ok": True}) == {
        "browser": "Firefox",
        "n": "3",
        "ok": "true",
    }
    assert tags([["browser", "Firefox"], ["bad"], "x", ["os", "Linux"]]) == {
        "browser": "Firefox",
        "os": "Linux",
    }
    assert tags("nonsense") == {}


def test_user_identity_prefers_id_then_email_then_username_then_ip() -> None:
    assert user_ident({"id": 7, "email": "a@b.c"}) == "id:7"
    assert user_ident({"email": "a@b.c", "username": "ada"}) == "email:a@b.c"
    assert user_ident({"username": "ada"}) == "username:ada"
    assert user_ident({"ip_address": "10.0.0.1"}) == "ip:10.0.0.1"
    assert user_ident({"ip_address": "{{auto}}"}) == ""
    assert user_ident("someone") == ""


def test_timestamps_epoch_or_iso() -> None:
    hour_ago = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    assert normalize({"timestamp": hour_ago.timestamp()}).timestamp == hour_ago
    iso = hour_ago.astimezone(timezone.get_fixed_timezone(300)).isoformat()
    assert normalize({"timestamp": iso}).timestamp == hour_ago
    naive_utc = hour_ago.replace(tzinfo=None).isoformat() + "Z"
    assert normalize({"timestamp": naive_utc}).timestamp == hour_ago


@pytest.mark.parametrize(
    "raw",
    [
        "soon",
        0,  # 1970: older than 30 days
        10**30,
        -62135596800.0,
        "0001-01-01T00:00:00+05:00",  # year 0 in UTC: not representable
        "9999-12-31T23:59:59-05:00",
        True,
    ],
)
def test_unusable_timestamps_become_the_time_of_receipt(raw: object) -> None:
    before = timezone.now()
    assert before <= normalize({"timestamp": raw}).timestamp <= timezone.now()


def test_future_timestamp_is_clamped() -> None:
    future = (timezone.now() + timedelta(days=1)).timestamp()
    assert normalize({"timestamp": future}).timestamp <= timezone.now()


def test_event_id_from_payload_or_envelope_else_generated() -> None:
    given = uuid.uuid4()
    assert normalize({"event_id": given.hex}).event_id == given
    assert normalize({}, fallback_event_id=str(given)).event_id == given
    assert isinstance(normalize({}).event_id, uuid.UUID)


def test_malformed_event_id_is_refused() -> None:
    with pytest.raises(IngestError) as caught:
        normalize({"event_id": "not-a-uuid"})
    assert caught.value.status == 400
    assert "event_id" in caught.value.detail


def test_lone_surrogates_are_replaced_in_values_and_keys() -> None:
    event = normalize({"message": "\ud800 x", "extra": {"\udc00": "ok \u00e9"}})
    assert event.title == "? x"
    assert event.data["extra"] == {"?": "ok \u00e9"}


def test_deep_nesting_is_trimmed() -> None:
    deep: object = "leaf"
    for _ in range(500):
        deep = [deep]
    data = normalize({"message": "d", "extra": {"deep": deep}}).data
    depth, node = 0, data["extra"]
    while isinstance(node, dict | list):
        node = next(iter(node.values())) if isinstance(node, dict) else node[0]
        depth += 1
    assert node == "[trimmed: nested too deeply]"
    assert depth <= 64


def test_long_fields_are_truncated_and_nul_and_nan_are_scrubbed() -> None:
    event = normalize(
        {
            "message": "x" * 5000,
            "release": "r" * 500,
            "extra": {"a\x00": "b\x00", "f": float("nan")},
        }
    )
    assert len(event.title) == 1024
    assert len(event.release) == 200
    assert event.data["extra"] == {"a\ufffd": "b\ufffd", "f": None}
