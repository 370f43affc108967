"""structlog set-up: dotted event keys with fields, rendered as key=value lines."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

import structlog

# Field names whose values must never reach a log line, whatever a caller passes.
_REDACTED_FIELDS = frozenset(
    {"secret", "shared_secret", "api_token", "token", "password", "authorization", "jwt"}
)


def _redact(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in _REDACTED_FIELDS & event_dict.keys():
        event_dict[key] = "[redacted]"
    return event_dict


def configure_structlog() -> None:
    if structlog.is_configured():
        return
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"]),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        cache_logger_on_first_use=True,
    )
