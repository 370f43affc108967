"""Small helpers shared by the sandbox modules: Jira time format, ids, ADF/wiki text."""

import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Any


class MonotonicClock:
    """Millisecond clock that never returns the same value twice.

    Jira's `fields.updated` must advance on every change; two edits inside the same
    millisecond would otherwise look like no change to a client comparing timestamps.
    """

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        with self._lock:
            self._last = max(int(time.time() * 1000), self._last + 1)
            return self._last


def jira_time(ms: int) -> str:
    """Format epoch milliseconds the way Jira does: 2019-02-05T14:12:07.651+0000."""
    dt = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}+0000"


def new_account_id() -> str:
    """A Cloud-shaped accountId (24 hex chars, like the legacy 557058-less ids)."""
    return secrets.token_hex(12)


def text_to_adf(text: str | None) -> dict[str, Any] | None:
    """Wrap plain/wiki text in a minimal Atlassian Document (one paragraph per block)."""
    if text is None:
        return None
    blocks = [b for b in text.split("\n\n")] if text else []
    content = [_paragraph(b) for b in blocks]
    return {"type": "doc", "version": 1, "content": content}


def _paragraph(block: str) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    for i, line in enumerate(block.split("\n")):
        if i:
            parts.append({"type": "hardBreak"})
        if line:
            parts.append({"type": "text", "text": line})
    return {"type": "paragraph", "content": parts}


def adf_to_text(doc: Any) -> str:
    """Flatten an ADF document to text (blocks joined by blank lines)."""
    if not isinstance(doc, dict):
        return ""
    if doc.get("type") == "doc":
        return "\n\n".join(adf_to_text(c) for c in doc.get("content", []))
    return _inline_text(doc)


def _inline_text(node: dict[str, Any]) -> str:
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    if kind == "mention":
        return f"[~accountid:{node.get('attrs', {}).get('id', '')}]"
    children = node.get("content", [])
    sep = "\n" if kind in {"bulletList", "orderedList", "listItem"} else ""
    return sep.join(_inline_text(c) for c in children if isinstance(c, dict))


def is_adf(value: Any) -> bool:
    return isinstance(value, dict) and value.get("type") == "doc" and "content" in value
