"""One small rich-text model, rendered as ADF (Cloud REST v3) or wiki markup (REST v2, Data Center).

Jira's v3 API refuses plain strings in rich-text fields ("Operation value must be an Atlassian
Document"), and v2/Data Center shows ADF or markdown literally, so every description and comment
we send is built from these blocks and rendered for the API version of the site.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# Jira refuses a description (and any text field) longer than this, counted after formatting.
JIRA_TEXT_LIMIT = 32767
SUMMARY_LIMIT = 255

# Characters that start wiki markup in running text. A backslash makes them literal.
_WIKI_SPECIAL = re.compile(r"([\\{}\[\]|*_+^~?!#-])")


@dataclass(frozen=True)
class Span:
    text: str
    href: str | None = None
    strong: bool = False


@dataclass(frozen=True)
class Paragraph:
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class CodeBlock:
    code: str
    language: str = ""


@dataclass(frozen=True)
class Quote:
    text: str


Block = Paragraph | CodeBlock | Quote
RichText = str | dict[str, Any]


def para(*spans: Span | str) -> Paragraph:
    return Paragraph(tuple(Span(s) if isinstance(s, str) else s for s in spans))


# -- plain text helpers ---------------------------------------------------------------------


def one_line(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """Collapse newlines and runs of blanks (Jira's summary is a single line), then cut."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rstrip() + "…"


def escape_wiki(text: str) -> str:
    return _WIKI_SPECIAL.sub(r"\\\1", text)


# -- wiki markup ----------------------------------------------------------------------------


def to_wiki(blocks: list[Block]) -> str:
    return "\n\n".join(_wiki_block(b) for b in blocks)


def _wiki_block(block: Block) -> str:
    if isinstance(block, CodeBlock):
        # Inside {code} nothing is markup except the closing tag itself; a zero-width space
        # keeps a literal "{code" in a stack trace from ending the block early.
        code = block.code.replace("{code", "{\u200bcode")
        opener = f"{{code:{block.language}}}" if block.language else "{code}"
        return f"{opener}\n{code}\n{{code}}"
    if isinstance(block, Quote):
        return "{quote}\n" + block.text.replace("{quote", "{\u200bquote") + "\n{quote}"
    return "".join(_wiki_span(s) for s in block.spans)


def _wiki_span(span: Span) -> str:
    text = escape_wiki(span.text)
    if span.href:
        # The link text must not contain "|" or "]" unescaped; escape_wiki handled both.
        text = f"[{text}|{span.href}]"
    return f"*{text}*" if span.strong else text


# -- Atlassian Document Format -------------------------------------------------------------


def to_adf(blocks: list[Block]) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    for block in blocks:
        content.append(_adf_block(block))
    return {"type": "doc", "version": 1, "content": content}


def _adf_block(block: Block) -> dict[str, Any]:
    if isinstance(block, CodeBlock):
        node: dict[str, Any] = {"type": "codeBlock", "content": _adf_text_nodes(block.code)}
        if block.language:
            node["attrs"] = {"language": block.language}
        return node
    if isinstance(block, Quote):
        paragraphs = [p for p in block.text.split("\n\n") if p.strip()] or [""]
        return {"type": "blockquote", "content": [_adf_plain_paragraph(p) for p in paragraphs]}
    return {"type": "paragraph", "content": [_adf_span(s) for s in block.spans if s.text]}


def _adf_text_nodes(text: str) -> list[dict[str, Any]]:
    # ADF forbids empty text nodes; an empty code block has no content at all.
    return [{"type": "text", "text": text}] if text else []


def _adf_plain_paragraph(text: str) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    for i, line in enumerate(text.split("\n")):
        if i:
            content.append({"type": "hardBreak"})
        if line:
            content.append({"type": "text", "text": line})
    return {"type": "paragraph", "content": content}


def _adf_span(span: Span) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": span.text}
    marks: list[dict[str, Any]] = []
    if span.href:
        marks.append({"type": "link", "attrs": {"href": span.href}})
    if span.strong:
        marks.append({"type": "strong"})
    if marks:
        node["marks"] = marks
    return node


# -- rendering for a site -------------------------------------------------------------------


def render(blocks: list[Block], api_version: str) -> RichText:
    return to_adf(blocks) if api_version == "3" else to_wiki(blocks)


def rendered_size(value: RichText) -> int:
    """Characters Jira counts: the string itself, or the serialised ADF document."""
    if isinstance(value, str):
        return len(value)
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def plain_text(value: Any) -> str:
    """Text content of a wiki string or ADF document (for showing and comparing)."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        return ""
    if value.get("type") == "text":
        return str(value.get("text", ""))
    if value.get("type") == "hardBreak":
        return "\n"
    children = [plain_text(c) for c in value.get("content") or []]
    block_types = {"doc", "blockquote", "bulletList", "orderedList"}
    return ("\n\n" if value.get("type") in block_types else "").join(children)


# -- the documents Bugbridge writes ---------------------------------------------------------


def issue_description(
    *,
    group_url: str,
    group_label: str,
    stack_trace: str,
    api_version: str,
    limit: int = JIRA_TEXT_LIMIT,
) -> RichText:
    """A link back to the group and the latest stack trace, trimmed to fit Jira's limit."""
    head = para("Bugbridge issue: ", Span(group_label, href=group_url))
    if not stack_trace.strip():
        return render([head], api_version)

    trace = stack_trace
    for _ in range(8):
        value = render([head, CodeBlock(trace)], api_version)
        excess = rendered_size(value) - limit
        if excess <= 0:
            return value
        trace = trim_middle(trace, len(trace) - excess - 64)
    return render([head, CodeBlock(trim_middle(trace, 0))], api_version)


def trim_middle(text: str, budget: int) -> str:
    """Keep the first and last lines of a trace (where the exception and the crash site are)."""
    if len(text) <= budget:
        return text
    marker = "\n… {n} characters trimmed to fit Jira's size limit …\n"
    keep = max(0, budget - len(marker) - 8)
    head_len = keep // 3
    tail_len = keep - head_len
    removed = len(text) - keep
    tail = text[len(text) - tail_len :] if tail_len else ""
    return text[:head_len] + marker.format(n=removed) + tail


def comment_body(author: str, text: str, api_version: str) -> RichText:
    """A note as Jira shows it: "<author> wrote:" then the note quoted, as Sentry does."""
    return render([para(Span(f"{author} wrote:")), Quote(text)], api_version)
