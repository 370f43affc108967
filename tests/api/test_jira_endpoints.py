"""Creating and linking tickets through the API, against the sandbox Jira over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from bugbridge.api.tokens import create_token
from bugbridge.tracker.models import Project
from tests.api.conftest import ApiClient
from tests.conftest import JiraSiteEnv
from tests.web.conftest import make_event, make_group

pytestmark = pytest.mark.slow


@pytest.fixture
def owner_api(owner: Any) -> ApiClient:
    return ApiClient(create_token(owner, "tests")[1])


def test_create_a_ticket_with_dynamic_fields(
    owner_api: ApiClient, project: Project, jira_site: JiraSiteEnv
) -> None:
    group = make_group(project)
    make_event(group)
    url = f"/groups/{group.pk}/tickets"
    body = {"site_id": jira_site.site.pk, "project": "OPS", "issuetype": "10004"}
    missing = owner_api.post(url, body)
    assert missing.status_code == 400
    assert "customfield_10010" in missing.json()["fields"]  # OPS bugs need a Severity

    body["fields"] = {"customfield_10010": _first_severity(jira_site)}
    created = owner_api.post(url, body)
    assert created.status_code == 201, created.content
    key = created.json()["ticket"]["key"]
    assert key.startswith("OPS-")
    assert jira_site.jira.get_issue(key)["fields"]["summary"] == group.title
    detail = owner_api.get(f"/groups/{group.pk}").json()
    assert detail["tickets"] == [key]


def _first_severity(env: JiraSiteEnv) -> str:
    from bugbridge.jira import fields

    form = fields.form_fields(env.site, "OPS", "10004")
    severity = next(f for f in form if f.id == "customfield_10010")
    return severity.choices[0][0]


def test_link_by_key_or_url_and_refuse_unknown(
    owner_api: ApiClient, project: Project, jira_site: JiraSiteEnv
) -> None:
    group = make_group(project)
    key = jira_site.new_issue("Checkout breaks")
    url = f"/groups/{group.pk}/links"
    linked = owner_api.post(url, {"site_id": jira_site.site.pk, "issue": key.lower()})
    assert linked.status_code == 201 and linked.json()["ticket"]["key"] == key

    other = jira_site.new_issue("Another")
    by_url = owner_api.post(
        url, {"site_id": jira_site.site.pk, "issue": f"{jira_site.jira.base_url}/browse/{other}"}
    )
    assert by_url.status_code == 201

    unknown = owner_api.post(url, {"site_id": jira_site.site.pk, "issue": "BB-9999"})
    assert unknown.status_code == 400 and "issue" in unknown.json()["fields"]
    twice = owner_api.post(url, {"site_id": jira_site.site.pk, "issue": key})
    assert twice.status_code == 400 and "already linked" in twice.json()["detail"]
    wrong_site = owner_api.post(url, {"site_id": 999999, "issue": key})
    assert wrong_site.status_code == 400 and "site" in wrong_site.json()["fields"]
