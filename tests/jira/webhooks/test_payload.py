"""Reading the real captures into typed values."""

from __future__ import annotations

from datetime import UTC, datetime

from bugbridge.jira.webhooks.payload import (
    changed_fields,
    comment_data,
    issue_state,
    parse_jira_time,
    rich_text,
)
from tests.jira.webhooks.helpers import body_fixture


def test_jira_time_without_a_colon_in_the_offset() -> None:
    parsed = parse_jira_time("2019-02-05T14:12:07.651+0000")
    assert parsed == datetime(2019, 2, 5, 14, 12, 7, 651000, tzinfo=UTC)
    assert parse_jira_time("2019-02-15T19:07:51.756-0800") == datetime(
        2019, 2, 16, 3, 7, 51, 756000, tzinfo=UTC
    )
    assert parse_jira_time("yesterday") is None
    assert parse_jira_time(None) is None


def test_cloud_assignee_comes_from_the_changelog_when_fields_are_null() -> None:
    state = issue_state(body_fixture("cloud-jira_issue_updated-assignee-set.json"))
    assert state is not None
    assert state.assignee_known
    assert state.assignee is not None
    assert state.assignee.ident == "000000000000000000000002"
    assert "assignee" in state.changed and "fixVersions" in state.changed


def test_cloud_unassignment_reads_as_nobody() -> None:
    state = issue_state(body_fixture("cloud-jira_issue_updated-assignee-cleared.json"))
    assert state is not None
    assert state.assignee_known and state.assignee is None


def test_dc_assignee_is_the_user_name_with_email() -> None:
    state = issue_state(body_fixture("dc-jira_issue_updated-assignee.json"))
    assert state is not None and state.assignee is not None
    assert state.assignee.ident == "admin"
    assert state.assignee.email == "user1@example.com"
    # Server changelog items have no fieldId: the lower-cased `field` stands in.
    assert state.changed == frozenset({"assignee"})


def test_status_with_category_and_previous_status() -> None:
    state = issue_state(body_fixture("cloud-jira_issue_updated-status-resolved.json"))
    assert state is not None
    assert (state.status_id, state.status_category, state.previous_status_id) == (
        "10002",
        "done",
        "3",
    )
    older = body_fixture("cloud-jira_issue_updated-status-in-progress.json")
    assert changed_fields(older) == {"status"}


def test_hidden_email_is_no_email() -> None:
    data = comment_data(body_fixture("cloud-comment_deleted.json"))
    assert data is not None and data.author is not None
    assert data.author.email == ""
    assert data.author.account_id == "000000000000000000000002"


def test_dc_comment_without_issue_takes_the_id_from_self() -> None:
    data = comment_data(body_fixture("dc-comment_created.json"))
    assert data is not None
    assert (data.issue_id, data.comment_id, data.body) == ("10013", "10082", "unik")


def test_adf_is_flattened_should_one_arrive() -> None:
    doc = {
        "type": "doc",
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "a"}]},
            {"type": "paragraph", "content": [{"type": "text", "text": "b"}]},
        ],
    }
    assert rich_text(doc) == "a\n\nb"
