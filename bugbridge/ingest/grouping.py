"""Which group an event belongs to: a hash over the components that identify the problem.

In order: the event's explicit `fingerprint` (where `{{ default }}` stands for the default
components), else the exception types and their in-app frames, else the message template.
Line numbers are left out on purpose, so that editing code above a bug keeps its group.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from bugbridge.ingest.normalize import exception_values, frames, message_parts, text

_DEFAULT_MARKER = re.compile(r"\{\{\s*default\s*\}\}", re.IGNORECASE)


def fingerprint_hash(data: dict[str, Any]) -> str:
    encoded = json.dumps(grouping_components(data), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def grouping_components(data: dict[str, Any]) -> list[str]:
    fingerprint = data.get("fingerprint")
    if not isinstance(fingerprint, list) or not fingerprint:
        return default_components(data)
    components: list[str] = []
    for part in fingerprint:
        value = part if isinstance(part, str) else json.dumps(part)
        if _DEFAULT_MARKER.fullmatch(value.strip()):
            components.extend(default_components(data))
        else:
            # Tagged so a custom value can never collide with a default component.
            components.append(f"custom:{value}")
    return components


def default_components(data: dict[str, Any]) -> list[str]:
    exceptions = exception_values(data)
    if exceptions:
        return exception_components(exceptions)
    template, formatted = message_parts(data)
    if template or formatted:
        return ["message", template or formatted]
    return ["fallback"]


def exception_components(exceptions: list[dict[str, Any]]) -> list[str]:
    all_frames = [frame for exc in exceptions for frame in frames(exc)]
    # Sentry's "app" variant: only the application's frames count, unless there are none.
    use_all = not any(frame.get("in_app") is True for frame in all_frames)
    components: list[str] = []
    for exc in exceptions:
        components.append(f"type:{text(exc.get('type'))}")
        for frame in frames(exc):
            if use_all or frame.get("in_app") is True:
                components.append(f"frame:{frame_component(frame)}")
    if not all_frames:
        # Without any stack, the type alone would merge unrelated errors; Sentry then adds
        # the exception's value.
        components.extend(f"value:{text(exc.get('value'))}" for exc in exceptions)
    return components


def frame_component(frame: dict[str, Any]) -> str:
    where = text(frame.get("module")) or text(frame.get("filename")) or text(frame.get("abs_path"))
    return f"{where}.{text(frame.get('function')) or '?'}"
