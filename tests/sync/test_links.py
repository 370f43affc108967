"""Creating, linking and unlinking tickets against the sandbox over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bugbridge.jira import fields as jira_fields
from bugbridge.jira.errors import JiraValidationError
from bugbridge.sync import links
from bugbridge.sync.models import GroupLink, Ticket, TicketDefaults
from bugbridge.tracker.actors import Actor
from bugbridge.tracker.errors import DomainError
from bugbridge.tracker.models import Activity, Group

from .conftest import JiraEnv, sample_event_data

pytestmark = pytest.mark.django_db


def test_create_links_ticket_with_summary_and_adf_description(
    env: JiraEnv, group: Group, owner: Any
) -> None:
    group.title = "ZeroDivisionError: division by zero\nin step_2"
    group.save()
    ticket = links.create_ticket(
        group, env.site, {"project": "BB", "issuetype": "10004"}, Actor.member(owner)
    )

    issue = env.issue(ticket.key)
    assert issue["fields"]["summary"] == "ZeroDivisionError: division by zero in step_2"
    adf = env.jira.issue(ticket.key).description_adf
    link = adf["content"][0]["content"][1]
    assert link["marks"][0]["attrs"]["href"] == links.group_url(group)
    assert adf["content"][1]["type"] == "codeBlock"
    assert 'File "app/module2.py", line 12, in step_2' in adf["content"][1]["content"][0]["text"]
    assert ticket.issue_id == issue["id"] and ticket.status_name == "To Do"
    assert ticket.watermark is not None
    assert GroupLink.objects.filter(group=group, ticket=ticket).exists()
    assert Activity.objects.filter(group=group, kind="ticket_created").exists()
    # The marker a retry after a timeout looks for.
    assert env.jira.issue(ticket.key).properties[links.ORIGIN_PROPERTY]["group"] == group.pk


def test_create_on_data_center_writes_wiki_markup(
    dc_env: JiraEnv, group: Group, owner: Any
) -> None:
    ticket = links.create_ticket(
        group, dc_env.site, {"project": "BB", "issuetype": "10004"}, Actor.member(owner)
    )
    description = dc_env.issue(ticket.key)["fields"]["description"]
    assert "{code}" in description
    assert f"|{links.group_url(group)}]" in description


def test_required_custom_field_errors_come_back_per_field_and_nothing_is_linked(
    env: JiraEnv, group: Group, owner: Any
) -> None:
    with pytest.raises(JiraValidationError) as caught:
        links.create_ticket(
            group, env.site, {"project": "OPS", "issuetype": "10004"}, Actor.member(owner)
        )
    assert "customfield_10010" in caught.value.field_errors
    assert not Ticket.objects.exists() and not GroupLink.objects.exists()
    assert env.jira.last_key is None


def test_jira_field_errors_come_back_per_field(env: JiraEnv, group: Group, owner: Any) -> None:
    # A label with a space passes our form (we split it) but a priority id Jira does not know
    # is Jira's to refuse.
    with pytest.raises(JiraValidationError) as caught:
        links.create_ticket(
            group,
            env.site,
            {"project": "BB", "issuetype": "10004", "assignee": "no-such-account"},
            Actor.member(owner),
        )
    assert set(caught.value.field_errors) == {"assignee"}
    assert not GroupLink.objects.exists()


def test_custom_fields_are_sent_in_the_shapes_jira_expects(
    env: JiraEnv, group: Group, owner: Any
) -> None:
    reviewer = env.jira.add_user("Rita Reviewer", "rita@example.com")
    values = {
        "project": "OPS",
        "issuetype": "10004",
        "customfield_10010": "Major",
        "customfield_10011": ["Backend", "Mobile"],
        "customfield_10012": reviewer["accountId"],
        "customfield_10013": "1. open\n2. crash",
        "customfield_10014": "2.5",
        "labels": "prod, checkout  urgent",
        "priority": "2",
    }
    ticket = links.create_ticket(group, env.site, values, Actor.member(owner))
    issue = env.issue(ticket.key)["fields"]
    assert issue["customfield_10010"]["value"] == "Major"
    assert [o["value"] for o in issue["customfield_10011"]] == ["Backend", "Mobile"]
    assert issue["customfield_10012"]["accountId"] == reviewer["accountId"]
    assert issue["customfield_10014"] == 2.5
    assert issue["labels"] == ["prod", "checkout", "urgent"]
    assert issue["priority"]["id"] == "2"
    remembered = links.form_defaults(group.project, env.site, owner)
    assert remembered["jira_project"] == "OPS" and remembered["priority_id"] == "2"
    assert TicketDefaults.objects.filter(user=owner).count() == 1


def test_form_fields_from_split_createmeta(env: JiraEnv) -> None:
    types = jira_fields.issue_types(env.site, "OPS")
    assert "Sub-task" not in {t["name"] for t in types}
    assert "Sub-task" in {
        t["name"] for t in jira_fields.issue_types(env.site, "OPS", with_subtasks=True)
    }
    form = {f.id: f for f in jira_fields.form_fields(env.site, "OPS", "10004")}
    assert "summary" not in form and "project" not in form
    assert form["customfield_10010"].required and form["customfield_10010"].kind == "select"
    assert ("Major", "Major") in form["customfield_10010"].choices
    assert form["customfield_10011"].kind == "multiselect"
    assert form["customfield_10012"].kind == "user" and form["customfield_10012"].searchable
    assert form["customfield_10020"].kind == "async" and not form["customfield_10020"].multiple
    assert form["labels"].kind == "labels"
    assert form["customfield_10013"].kind == "textarea"
    assert form["customfield_10014"].kind == "number"
    assert next(iter(form)) == "priority"


def test_number_that_does_not_parse_is_a_field_error(
    env: JiraEnv, group: Group, owner: Any
) -> None:
    with pytest.raises(JiraValidationError) as caught:
        links.create_ticket(
            group,
            env.site,
            {"project": "BB", "issuetype": "10004", "customfield_10014": "lots"},
            Actor.member(owner),
        )
    assert caught.value.field_errors == {"customfield_10014": "'lots' is not a number."}


def test_subtask_needs_a_parent(env: JiraEnv, group: Group, owner: Any) -> None:
    with pytest.raises(JiraValidationError) as caught:
        links.create_ticket(
            group, env.site, {"project": "BB", "issuetype": "10003"}, Actor.member(owner)
        )
    assert "issuetype" in caught.value.field_errors
    parent = env.new_issue("Parent")
    ticket = links.create_ticket(
        group,
        env.site,
        {"project": "BB", "issuetype": "10003", "parent": parent.lower()},
        Actor.member(owner),
    )
    assert env.issue(ticket.key)["fields"]["parent"]["key"] == parent


def test_huge_stack_trace_is_trimmed_not_refused(
    env: JiraEnv, make_group: Callable[..., Group], owner: Any
) -> None:
    group = make_group(**sample_event_data(frames=3000, context="x = compute(" + "y" * 40 + ")"))
    ticket = links.create_ticket(
        group, env.site, {"project": "BB", "issuetype": "10004"}, Actor.member(owner)
    )
    description = env.issue(ticket.key)["fields"]["description"]
    assert "trimmed to fit" in description
    assert "ZeroDivisionError: division by zero" in description


@pytest.mark.parametrize(
    "ref",
    [
        "{key}",
        "{lower}",
        "{base}/browse/{key}",
        "{base}/jira/software/projects/BB/boards/1?selectedIssue={key}",
    ],
)
def test_link_by_key_or_url(env: JiraEnv, group: Group, owner: Any, ref: str) -> None:
    key = env.new_issue("Checkout fails")
    text = ref.format(key=key, lower=key.lower(), base=env.site.base_url)
    ticket = links.link_ticket(group, env.site, text, Actor.member(owner))
    assert ticket.key == key and ticket.summary == "Checkout fails"
    assert GroupLink.objects.filter(group=group, ticket=ticket).exists()


def test_link_unknown_key_is_a_field_error(env: JiraEnv, group: Group, owner: Any) -> None:
    with pytest.raises(DomainError) as caught:
        links.link_ticket(group, env.site, "BB-999", Actor.member(owner))
    assert caught.value.field == "issue" and "BB-999" in caught.value.message
    with pytest.raises(DomainError):
        links.link_ticket(group, env.site, "not a key", Actor.member(owner))


def test_many_groups_share_a_ticket_and_unlink_keeps_it_until_the_last(
    env: JiraEnv, make_group: Callable[..., Group], owner: Any
) -> None:
    first, second = make_group("A"), make_group("B")
    key = env.new_issue()
    ticket = links.link_ticket(first, env.site, key, Actor.member(owner))
    assert links.link_ticket(second, env.site, key, Actor.member(owner)).pk == ticket.pk
    with pytest.raises(DomainError):
        links.link_ticket(second, env.site, key, Actor.member(owner))

    assert links.unlink_ticket(first, ticket, Actor.member(owner))
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert links.unlink_ticket(second, ticket, Actor.member(owner))
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    assert not links.unlink_ticket(second, ticket, Actor.member(owner))
    assert key in env.jira.issues  # unlinking never touches Jira


def test_a_group_may_hold_tickets_on_several_sites(
    make_env: Callable[..., JiraEnv], group: Group, owner: Any
) -> None:
    cloud, dc = make_env("cloud"), make_env("dc")
    links.link_ticket(group, cloud.site, cloud.new_issue(), Actor.member(owner))
    links.link_ticket(group, dc.site, dc.new_issue(), Actor.member(owner))
    assert GroupLink.objects.filter(group=group).count() == 2


def test_project_defaults_then_personal_choice_wins(env: JiraEnv, group: Group, owner: Any) -> None:
    links.set_project_defaults(
        group.project, env.site, {"jira_project": "BB", "issue_type_id": "10004", "labels": ["x"]}
    )
    assert links.form_defaults(group.project, env.site, owner)["jira_project"] == "BB"
    links.remember_defaults(group.project, env.site, owner, {"jira_project": "OPS"})
    chosen = links.form_defaults(group.project, env.site, owner)
    assert chosen["jira_project"] == "OPS" and chosen["issue_type_id"] == "10004"
    assert chosen["labels"] == ["x"]


def test_parse_issue_ref() -> None:
    assert links.parse_issue_ref(" bb-12 ") == "BB-12"
    assert links.parse_issue_ref("https://acme.atlassian.net/browse/OPS-7?x=1") == "OPS-7"
    assert links.parse_issue_ref("checkout is slow") is None


def test_create_and_link_leave_a_web_link_back_to_the_group(
    env: JiraEnv, make_group: Callable[..., Group], owner: Any
) -> None:
    group = make_group()
    ticket = links.create_ticket(
        group, env.site, {"project": "BB", "issuetype": "10004"}, Actor.member(owner)
    )
    other = make_group("Second")
    links.link_ticket(other, env.site, ticket.key, Actor.member(owner))
    links.link_ticket(group, env.site, env.new_issue(), Actor.member(owner))
    remote = env.jira.issue(ticket.key).remote_links
    assert sorted(link["object"]["url"].rsplit("/", 2)[-2] for link in remote) == sorted(
        [str(group.pk), str(other.pk)]
    )


def test_data_center_create_metadata_and_user_values(
    dc_env: JiraEnv, group: Group, owner: Any
) -> None:
    form = {f.id: f for f in jira_fields.form_fields(dc_env.site, "OPS", "10004")}
    assert form["customfield_10010"].required
    rita = dc_env.jira.add_user("Rita Reviewer", "rita@example.com", name="rita")
    ticket = links.create_ticket(
        group,
        dc_env.site,
        {
            "project": "OPS",
            "issuetype": "10004",
            "customfield_10010": "Minor",
            "customfield_10012": rita["name"],
        },
        Actor.member(owner),
    )
    fields = dc_env.issue(ticket.key)["fields"]
    assert fields["customfield_10012"]["name"] == "rita"
    assert "{code}" in fields["description"]


def test_create_form_uses_remembered_choices_and_offers_a_token(
    env: JiraEnv, group: Group, owner: Any
) -> None:
    links.set_project_defaults(
        group.project,
        env.site,
        {"jira_project": "OPS", "issue_type_id": "10004", "priority_id": "2", "labels": ["prod"]},
    )
    form = links.create_form(group, env.site, owner)
    assert form.project == "10001" and form.issue_type == "10004"
    assert ("10001", "OPS - Operations") in form.projects
    assert "Sub-task" not in dict(form.issue_types).values()
    by_id = {f.id: f for f in form.fields}
    assert by_id["priority"].default == "2" and by_id["labels"].default == ["prod"]
    assert form.summary == group.title and len(form.request_token) == 32
    asked = links.create_form(group, env.site, owner, project="10000", issue_type="10002")
    assert (asked.project, asked.issue_type) == ("10000", "10002")
