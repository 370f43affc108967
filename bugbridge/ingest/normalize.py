"""An event payload as any Sentry SDK sends it, reduced to the fields Bugbridge stores.

SDKs differ in what they fill in and how (tags as a dict or as pairs, timestamps as epoch
floats or ISO strings, the legacy `sentry.interfaces.*` keys of old raven clients), so every
reader here is lenient: a field of the wrong shape is ignored, never a reason to refuse.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from bugbridge.ingest.errors import bad_request

UNLABELED = "<unlabeled event>"
LEVELS = frozenset({"fatal", "error", "warning", "info", "debug"})
_LEVEL_ALIASES = {"critical": "fatal", "warn": "warning", "err": "error", "log": "info"}
# Python's logging levels, which some SDKs send as numbers.
_NUMERIC_LEVELS = {50: "fatal", 40: "error", 30: "warning", 20: "info", 10: "debug"}
# Like Sentry's relay, timestamps from a clock that is ahead, or older than 30 days (or not
# representable), are replaced by the time of receipt.
_MAX_CLOCK_DRIFT = timedelta(minutes=1)
_MAX_TIME_IN_PAST = timedelta(days=30)
_TAG_MAX = 200
_MAX_DEPTH = 64
_TRIMMED = "[trimmed: nested too deeply]"


@dataclass(frozen=True)
class NormalizedEvent:
    event_id: uuid.UUID
    timestamp: datetime
    title: str
    culprit: str
    level: str
    platform: str
    release: str
    environment: str
    user_ident: str
    type: str
    tags: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


def normalize(payload: dict[str, Any], fallback_event_id: str | None = None) -> NormalizedEvent:
    data = clean_json(payload)
    exceptions = exception_values(data)
    return NormalizedEvent(
        event_id=parse_event_id(data.get("event_id") or fallback_event_id),
        timestamp=parse_timestamp(data.get("timestamp")),
        title=truncate(title(data), 1024),
        culprit=truncate(culprit(data), 1024),
        level=level(data.get("level")),
        platform=truncate(text(data.get("platform")) or "other", 64),
        release=truncate(text(data.get("release")), 200),
        environment=truncate(text(data.get("environment")), 64),
        user_ident=truncate(user_ident(interface(data, "user")), 256),
        type="error" if exceptions else "default",
        tags=tags(data.get("tags")),
        data=data,
    )


def clean_json(value: Any, depth: int = 0) -> Any:
    """What PostgreSQL's jsonb and SQLite's UTF-8 can store, at a bounded depth.

    json.loads accepts NaN/Infinity, NUL characters and lone surrogates ("\\ud800"), none of
    which the databases take, and nesting deep enough to exhaust the stack later. Like Sentry's
    relay, data nested deeper than _MAX_DEPTH is trimmed rather than the event refused.
    """
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict | list) and depth >= _MAX_DEPTH:
        return _TRIMMED
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(v, depth + 1) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def clean_text(value: str) -> str:
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")
    return value


def text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def truncate(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def first_line(value: str) -> str:
    return value.strip().split("\n", 1)[0].strip()


def interface(data: dict[str, Any], name: str) -> Any:
    """A top-level interface, also under the legacy `sentry.interfaces.Name` key."""
    value = data.get(name)
    if value is None:
        value = data.get(f"sentry.interfaces.{name.capitalize()}")
    return value


def parse_event_id(value: Any) -> uuid.UUID:
    if value is None or value == "":
        return uuid.uuid4()
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise bad_request(
            "bad_event_id", f"event_id {str(value)[:64]!r} is not a 32-digit hex UUID."
        ) from exc


def parse_timestamp(value: Any) -> datetime:
    now = timezone.now()
    parsed = _timestamp_or_none(value)
    if parsed is None or not now - _MAX_TIME_IN_PAST <= parsed <= now + _MAX_CLOCK_DRIFT:
        return now
    return parsed


def _timestamp_or_none(value: Any) -> datetime | None:
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, tz=UTC)
        if isinstance(value, str) and value:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def level(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return _NUMERIC_LEVELS.get(value, "error")
    name = text(value).lower()
    name = _LEVEL_ALIASES.get(name, name)
    return name if name in LEVELS else "error"


def exception_values(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Chained exceptions, oldest first: the last one is the exception that was raised."""
    container = interface(data, "exception")
    values = container.get("values") if isinstance(container, dict) else container
    if not isinstance(values, list):
        return []
    return [v for v in values if isinstance(v, dict) and (v.get("type") or v.get("value"))]


def frames(exception: dict[str, Any]) -> list[dict[str, Any]]:
    """Stack frames, outermost call first (the Sentry protocol's order)."""
    stacktrace = exception.get("stacktrace")
    raw = stacktrace.get("frames") if isinstance(stacktrace, dict) else None
    return [f for f in raw if isinstance(f, dict)] if isinstance(raw, list) else []


def message_parts(data: dict[str, Any]) -> tuple[str, str]:
    """(template, formatted) of the event's message; either may be empty."""
    for key in ("logentry", "message", "sentry.interfaces.Message"):
        value = data.get(key)
        if isinstance(value, dict):
            template = text(value.get("message"))
            formatted = text(value.get("formatted"))
            return template, formatted or _format(template, value.get("params"))
        if isinstance(value, str) and value.strip():
            return "", value.strip()
    return "", ""


def _format(template: str, params: Any) -> str:
    """Python's logging sends the template and its %-style params unformatted."""
    if not template or not isinstance(params, list | dict) or not params:
        return ""
    try:
        return template % (tuple(params) if isinstance(params, list) else params)
    except (TypeError, ValueError, KeyError):
        return ""


def title(data: dict[str, Any]) -> str:
    exceptions = exception_values(data)
    if exceptions:
        main = exceptions[-1]
        kind, value = text(main.get("type")), first_line(text(main.get("value")))
        return f"{kind}: {value}" if kind and value else kind or value
    template, formatted = message_parts(data)
    return first_line(formatted or template) or UNLABELED


def culprit(data: dict[str, Any]) -> str:
    # Sentry's order: an explicit culprit, then the transaction, then the crashing frame.
    explicit = text(data.get("culprit")) or text(data.get("transaction"))
    if explicit:
        return explicit
    exceptions = exception_values(data)
    stack = frames(exceptions[-1]) if exceptions else []
    in_app = [f for f in stack if f.get("in_app") is True]
    candidates = in_app or stack
    return _frame_label(candidates[-1]) if candidates else ""


def _frame_label(frame: dict[str, Any]) -> str:
    where = text(frame.get("module")) or text(frame.get("filename"))
    function = text(frame.get("function"))
    return f"{where} in {function}" if where and function else where or function


def user_ident(user: Any) -> str:
    """A stable identity for counting distinct users: the first of id, email, username, IP."""
    if not isinstance(user, dict):
        return ""
    for key, prefix in (("id", "id"), ("email", "email"), ("username", "username")):
        value = text(user.get(key))
        if value:
            return f"{prefix}:{value}"
    ip = text(user.get("ip_address"))
    # "{{auto}}" asks the server to fill in the sender's address; Bugbridge does not.
    return f"ip:{ip}" if ip and ip != "{{auto}}" else ""


def tags(value: Any) -> dict[str, str]:
    """Tags arrive as {"k": "v"} or as [["k", "v"], ...] depending on the SDK."""
    pairs: list[Any] = list(value.items()) if isinstance(value, dict) else value
    if not isinstance(pairs, list):
        return {}
    result: dict[str, str] = {}
    for pair in pairs:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            continue
        key, tag_value = text(pair[0]), _tag_value(pair[1])
        if key and tag_value:
            result[truncate(key, _TAG_MAX)] = truncate(tag_value, _TAG_MAX)
    return result


def _tag_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else text(value)
