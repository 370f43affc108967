from __future__ import annotations

import copy
from typing import Any

from bugbridge.ingest.grouping import fingerprint_hash, grouping_components
from tests.ingest.conftest import make_event


def _frames(event: dict[str, Any]) -> list[dict[str, Any]]:
    return event["exception"]["values"][0]["stacktrace"]["frames"]


def test_same_exception_and_frames_group_together_despite_line_numbers_and_value() -> None:
    first = make_event()
    second = copy.deepcopy(first)
    second["exception"]["values"][0]["value"] = "another bad input"
    for frame in _frames(second):
        frame["lineno"] += 17
        frame["context_line"] = "moved"

    assert fingerprint_hash(first) == fingerprint_hash(second)


def test_different_exception_type_or_function_splits() -> None:
    base = make_event()
    other_type = copy.deepcopy(base)
    other_type["exception"]["values"][0]["type"] = "KeyError"
    other_function = copy.deepcopy(base)
    _frames(other_function)[1]["function"] = "refund"

    hashes = {fingerprint_hash(e) for e in (base, other_type, other_function)}
    assert len(hashes) == 3


def test_only_in_app_frames_count_when_there_are_some() -> None:
    base = make_event()
    with_library = copy.deepcopy(base)
    _frames(with_library).insert(0, {"module": "django.core", "function": "x", "in_app": False})

    assert fingerprint_hash(base) == fingerprint_hash(with_library)
    assert "frame:django.core.x" not in grouping_components(with_library)


def test_all_frames_count_when_none_is_in_app() -> None:
    event = make_event()
    for frame in _frames(event):
        frame["in_app"] = False
    components = grouping_components(event)
    assert components == ["type:ValueError", "frame:app.main.run", "frame:app.orders.pay"]

    changed = copy.deepcopy(event)
    _frames(changed)[0]["function"] = "start"
    assert fingerprint_hash(event) != fingerprint_hash(changed)


def test_exception_without_stack_groups_on_type_and_value() -> None:
    event = {"exception": {"values": [{"type": "TypeError", "value": "x is undefined"}]}}
    other = {"exception": {"values": [{"type": "TypeError", "value": "y is null"}]}}
    assert fingerprint_hash(event) != fingerprint_hash(other)


def test_chained_exceptions_all_contribute() -> None:
    event = make_event()
    cause = {"type": "OSError", "value": "disk", "stacktrace": {"frames": []}}
    chained = copy.deepcopy(event)
    chained["exception"]["values"].insert(0, cause)
    assert fingerprint_hash(event) != fingerprint_hash(chained)


def test_message_template_groups_before_formatting() -> None:
    first = {"logentry": {"message": "Order %s failed", "formatted": "Order 1 failed"}}
    second = {"logentry": {"message": "Order %s failed", "formatted": "Order 2 failed"}}
    legacy = {"message": {"message": "Order %s failed", "params": ["3"]}}

    assert fingerprint_hash(first) == fingerprint_hash(second) == fingerprint_hash(legacy)
    assert grouping_components(first) == ["message", "Order %s failed"]


def test_formatted_message_groups_when_there_is_no_template() -> None:
    assert fingerprint_hash({"message": "disk full"}) == fingerprint_hash(
        {"logentry": {"formatted": "disk full"}}
    )
    assert fingerprint_hash({"message": "disk full"}) != fingerprint_hash({"message": "disk ok"})


def test_explicit_fingerprint_replaces_default_grouping() -> None:
    one = make_event(fingerprint=["payment-gateway-down"])
    other = {"message": "anything", "fingerprint": ["payment-gateway-down"]}
    assert fingerprint_hash(one) == fingerprint_hash(other)
    assert grouping_components(one) == ["custom:payment-gateway-down"]


def test_default_placeholder_expands_to_default_components() -> None:
    plain = make_event()
    only_default = make_event(fingerprint=["{{ default }}"])
    extended = make_event(fingerprint=["{{default}}", "tenant-7"])
    other_tenant = make_event(fingerprint=["{{ Default }}", "tenant-8"])

    assert fingerprint_hash(plain) == fingerprint_hash(only_default)
    assert grouping_components(extended) == [*grouping_components(plain), "custom:tenant-7"]
    assert fingerprint_hash(extended) != fingerprint_hash(other_tenant)


def test_custom_value_cannot_collide_with_default_component() -> None:
    assert fingerprint_hash({"fingerprint": ["message", "x"]}) != fingerprint_hash({"message": "x"})


def test_non_string_fingerprint_parts_and_empty_fingerprint() -> None:
    assert grouping_components({"fingerprint": [1, None]}) == ["custom:1", "custom:null"]
    assert grouping_components({"message": "m", "fingerprint": []}) == ["message", "m"]
