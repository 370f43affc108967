"""The Jira parts of the web UI against the sandbox Jira: the dynamic create form (htmx
partial), Jira's refusals next to the field, link search, connecting a site."""

from __future__ import annotations

from typing import Any

import pytest

from bugbridge.sync.models import GroupLink
from bugbridge.tracker.models import Organization, Project
from tests.conftest import JiraSiteEnv
from tests.web.conftest import make_event, make_group

pytestmark = pytest.mark.slow


@pytest.fixture
def owner_client(client: Any, owner: Any) -> Any:
    client.force_login(owner)
    return client


def test_fields_partial_follows_project_and_type(
    owner_client: Any, project: Project, jira_site: JiraSiteEnv
) -> None:
    group = make_group(project)
    url = f"/issues/{group.pk}/jira/create/fields/?site={jira_site.site.pk}"
    only_project = owner_client.get(url + "&project=10001").content.decode()
    assert 'id="issuetype"' in only_project  # a type is preselected, with its fields
    story = owner_client.get(url + "&project=10001&issuetype=10001").content.decode()
    assert "Severity *" not in story  # only OPS bugs require it
    bug = owner_client.get(url + "&project=10001&issuetype=10004").content.decode()
    assert "Severity *" in bug and 'name="f_customfield_10010"' in bug


def test_create_refusal_shows_next_to_the_field(
    owner_client: Any, project: Project, jira_site: JiraSiteEnv
) -> None:
    group = make_group(project)
    make_event(group)
    data = {"site": jira_site.site.pk, "project": "10001", "issuetype": "10004", "summary": "x"}
    response = owner_client.post(f"/issues/{group.pk}/jira/create/submit/", data)
    assert response.status_code == 400
    page = response.content.decode()
    severity_input = page.index('name="f_customfield_10010"')
    assert "Severity is required." in page[severity_input : severity_input + 600]
    assert not GroupLink.objects.exists()


def test_link_search_and_link(owner_client: Any, project: Project, jira_site: JiraSiteEnv) -> None:
    group = make_group(project)
    key = jira_site.new_issue("Checkout total divides by zero")
    found = owner_client.get(
        f"/issues/{group.pk}/jira/search/?site={jira_site.site.pk}&issue=divides"
    ).content.decode()
    assert key in found
    owner_client.post(f"/issues/{group.pk}/jira/link/", {"site": jira_site.site.pk, "issue": key})
    assert GroupLink.objects.get(group=group).ticket.key == key
    bad = owner_client.post(
        f"/issues/{group.pk}/jira/link/", {"site": jira_site.site.pk, "issue": "not a key"}
    )
    assert bad.status_code == 400 and b"Enter an issue key" in bad.content


def test_connecting_with_a_wrong_token_says_so(
    owner_client: Any, organization: Organization, jira_site: JiraSiteEnv
) -> None:
    data = {
        "organization": organization.pk,
        "name": "other",
        "base_url": jira_site.jira.base_url,
        "email": "admin@example.com",
        "api_token": "wrong",
    }
    response = owner_client.post("/settings/integrations/connect/token/", data)
    assert response.status_code == 400
    assert b'class="error"' in response.content
    bad_url = owner_client.post(
        "/settings/integrations/connect/token/", {**data, "base_url": "nope"}
    )
    assert b"Enter the site&#x27;s address" in bad_url.content


def test_user_fields_search_jira_people(
    owner_client: Any, project: Project, jira_site: JiraSiteEnv
) -> None:
    person = jira_site.jira.add_user(display_name="Grace Hopper", email="grace@example.com")
    group = make_group(project)
    url = (
        f"/issues/{group.pk}/jira/autocomplete/?site={jira_site.site.pk}"
        "&project=BB&field=assignee&f_assignee=Grace"
    )
    options = owner_client.get(url).content.decode()
    assert f'value="{person["accountId"]}"' in options and "Grace Hopper" in options


def test_status_map_form_offers_jiras_statuses(owner_client: Any, jira_site: JiraSiteEnv) -> None:
    page = owner_client.get(f"/settings/integrations/{jira_site.binding.pk}/").content.decode()
    assert '<option value="10001">Done' in page
    owner_client.post(
        f"/settings/integrations/{jira_site.binding.pk}/status-maps/",
        {
            "jira_project_key": "BB",
            "resolved_status_id": "10001",
            "inbound_resolved": ["10001", "10002"],
        },
    )
    mapping = jira_site.binding.status_maps.get()
    assert mapping.inbound_resolved_status_ids == ["10001", "10002"]


def test_user_mapping_suggestions_from_email(
    owner_client: Any, owner: Any, jira_site: JiraSiteEnv
) -> None:
    person = jira_site.jira.add_user(display_name="Owner Person", email=owner.email)
    url = f"/settings/integrations/{jira_site.binding.pk}/user-maps/suggest/"
    suggestions = owner_client.get(url).content.decode()
    assert person["accountId"] in suggestions and "Owner Person" in suggestions


def test_pressing_create_twice_makes_one_ticket(
    owner_client: Any, project: Project, jira_site: JiraSiteEnv
) -> None:
    group = make_group(project)
    make_event(group)
    form = owner_client.get(f"/issues/{group.pk}/jira/create/").content.decode()
    start = form.index('name="request_token" value="') + len('name="request_token" value="')
    token = form[start : form.index('"', start)]
    data = {
        "site": jira_site.site.pk,
        "project": "10000",
        "issuetype": "10002",
        "summary": "Once",
        "request_token": token,
    }
    for _ in range(2):
        owner_client.post(f"/issues/{group.pk}/jira/create/submit/", data)
    assert GroupLink.objects.filter(group=group).count() == 1
    created = [i for i in jira_site.jira.issues.values() if i["fields"]["summary"] == "Once"]
    assert len(created) == 1


def test_check_connection_and_register_webhook(owner_client: Any, jira_site: JiraSiteEnv) -> None:
    base = f"/settings/integrations/{jira_site.binding.pk}"
    checked = owner_client.post(f"{base}/check/", follow=True).content.decode()
    assert "Connected: Jira answers as" in checked
    registered = owner_client.post(f"{base}/webhook/register/", follow=True).content.decode()
    assert "Jira now sends its webhooks to Bugbridge." in registered
    old = jira_site.site.webhook_secret
    owner_client.post(f"{base}/webhook/rotate/")
    jira_site.site.refresh_from_db()
    assert jira_site.site.webhook_secret != old
