"""Search for linking, over a Connect-signed client against the sandbox."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from bugbridge.jira.models import JiraSite
from bugbridge.tracker.models import Organization
from jira_sandbox import Sandbox
from jira_sandbox.site import Site
from tests.jira.connect.helpers import APP_KEY
from tests.jira.panel.conftest import connect_sandbox_site

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore::UserWarning")]


@pytest.fixture
def bound(
    settings: Any, sandbox: Sandbox, organization: Organization
) -> tuple[Site, JiraSite, str]:
    settings.CONNECT_APP_KEY = APP_KEY
    jira, site = connect_sandbox_site(sandbox, organization)
    jira.act_create("Payment gateway timeout", project="BB", issuetype="Bug")
    return jira, site, str(jira.last_key)


def _search(client: Any, site: JiraSite, **params: str) -> Any:
    return client.get(f"/jira/connect/search/{site.public_id}/", params)


@pytest.fixture
def member_client(owner: Any) -> Client:
    browser = Client()
    browser.force_login(owner)
    return browser


def test_key_in_any_case(member_client: Client, bound: Any) -> None:
    _, site, key = bound
    response = _search(member_client, site, field="issue", query=key.lower())
    assert response.status_code == 200
    assert response.json() == [{"value": key, "label": f"{key} Payment gateway timeout"}]


def test_pasted_browse_url(member_client: Client, bound: Any) -> None:
    jira, site, key = bound
    url = f"{jira.base_url}/browse/{key}?focusedCommentId=1"
    assert _search(member_client, site, field="issue", query=url).json()[0]["value"] == key


def test_unknown_key_is_empty(member_client: Client, bound: Any) -> None:
    _, site, _ = bound
    assert _search(member_client, site, field="issue", query="BB-9999").json() == []


def test_text(member_client: Client, bound: Any) -> None:
    _, site, key = bound
    values = [
        o["value"] for o in _search(member_client, site, field="issue", query="gateway").json()
    ]
    assert key in values


def test_projects_and_assignees(member_client: Client, bound: Any) -> None:
    jira, site, _ = bound
    jira.add_user(display_name="Ada Lovelace", email="ada@example.com")
    projects = _search(member_client, site, field="project", query="Bug").json()
    assert {"value": "10000", "label": "BB - Bugbridge Demo"} in projects
    users = _search(member_client, site, field="assignee", query="Ada", project="BB").json()
    assert any(u["label"].startswith("Ada Lovelace") for u in users)


def test_refusals(client: Client, member_client: Client, bound: Any) -> None:
    _, site, _ = bound
    assert _search(client, site, field="issue", query="x").status_code == 401
    assert _search(member_client, site, field="nope", query="x").status_code == 400
    assert _search(member_client, site, field="issue", query=" ").status_code == 400
    stranger = get_user_model().objects.create_user(username="stranger", password="x-0123456789")
    other = Client()
    other.force_login(stranger)
    assert _search(other, site, field="issue", query="x").status_code == 404


def test_jira_failure_is_reported(member_client: Client, bound: Any) -> None:
    jira, site, _ = bound
    jira.set_fault(kind="503", path_glob="*/project/search*")
    response = _search(member_client, site, field="project", query="x")
    assert response.status_code == 502
    assert "Jira" in response.json()["detail"]
