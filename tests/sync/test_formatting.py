"""Rich text as ADF (Cloud v3) and wiki markup (v2 / Data Center); Jira's size limit."""

from __future__ import annotations

import json

from bugbridge.jira import formatting


def test_summary_is_one_line_and_at_most_255_chars() -> None:
    title = "KeyError: 'user'\n  in handler\r\n" + "x" * 400
    summary = formatting.one_line(title)
    assert "\n" not in summary and "\r" not in summary
    assert len(summary) == 255
    assert summary.startswith("KeyError: 'user' in handler x")


def test_wiki_description_escapes_markup_and_keeps_code_literal() -> None:
    trace = 'Error: {code} [link|x] *bold*\n  File "a.py", line 1'
    wiki = formatting.issue_description(
        group_url="http://bb/groups/1/",
        group_label="SHOP-1: Bad [thing] | *now*",
        stack_trace=trace,
        api_version="2",
    )
    assert isinstance(wiki, str)
    assert "[SHOP\\-1: Bad \\[thing\\] \\| \\*now\\*|http://bb/groups/1/]" in wiki
    # The trace sits in one code block; a literal "{code}" inside cannot close it early.
    assert wiki.count("{code}") == 2
    assert "[link|x] *bold*" in wiki


def test_adf_description_has_link_and_code_block() -> None:
    doc = formatting.issue_description(
        group_url="http://bb/groups/1/",
        group_label="SHOP-1: boom",
        stack_trace="Traceback\n  line",
        api_version="3",
    )
    assert isinstance(doc, dict) and doc["type"] == "doc" and doc["version"] == 1
    link = doc["content"][0]["content"][1]
    assert link["marks"] == [{"type": "link", "attrs": {"href": "http://bb/groups/1/"}}]
    assert doc["content"][1] == {
        "type": "codeBlock",
        "content": [{"type": "text", "text": "Traceback\n  line"}],
    }


def test_long_trace_is_trimmed_to_fit_not_refused() -> None:
    trace = "ValueError: top line\n" + "\n".join(f'  frame {i} "quoted"' for i in range(9000))
    for version in ("2", "3"):
        value = formatting.issue_description(
            group_url="http://bb/groups/1/", group_label="x", stack_trace=trace, api_version=version
        )
        assert formatting.rendered_size(value) <= formatting.JIRA_TEXT_LIMIT
        text = value if isinstance(value, str) else json.dumps(value)
        assert "ValueError: top line" in text
        assert "frame 8999" in text
        assert "trimmed to fit" in text


def test_comment_body_quotes_the_note_under_its_author() -> None:
    wiki = formatting.comment_body("Ada Lovelace", "first\n\nsecond {quote}", "2")
    assert wiki == "Ada Lovelace wrote:\n\n{quote}\nfirst\n\nsecond {\u200bquote}\n{quote}"
    adf = formatting.comment_body("Ada Lovelace", "first\n\nsecond", "3")
    assert isinstance(adf, dict)
    assert adf["content"][0]["content"][0]["text"] == "Ada Lovelace wrote:"
    assert adf["content"][1]["type"] == "blockquote"
    assert formatting.plain_text(adf) == "Ada Lovelace wrote:\n\nfirst\n\nsecond"
