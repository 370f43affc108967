"""Values a person types that end up in Jira REST paths: no traversal to other endpoints."""

from __future__ import annotations

from typing import Any

import pytest

from bugbridge.tracker.models import Project
from tests.adversarial.conftest import Browser
from tests.conftest import JiraSiteEnv
from tests.web.conftest import make_group

pytestmark = pytest.mark.slow

CREATEMETA = "/rest/api/3/issue/createmeta/"


@pytest.fixture
def browser(live_server: Any, jira_site: JiraSiteEnv, owner: Any) -> Any:
    b = Browser(live_server.url, owner)
    yield b
    b.http.close()


@pytest.mark.parametrize(
    ("project_value", "issuetype"),
    [
        ("../../2/myself", ""),
        ("..", ""),
        ("OPS/../../../2/serverInfo", ""),
        ("OPS", "../../../../2/myself"),
        ("OPS", ".."),
        ("OPS?expand=x#", ""),
    ],
)
def test_create_form_values_cannot_reach_other_jira_endpoints(
    browser: Browser, jira_site: JiraSiteEnv, project: Project, project_value: str, issuetype: str
) -> None:
    group = make_group(project)
    log = jira_site.sandbox.request_log
    before = len(log)

    page = browser.get(
        f"/issues/{group.pk}/jira/create/fields/",
        site=str(jira_site.site.pk),
        project=project_value,
        issuetype=issuetype,
    )

    assert page.status_code < 500
    paths = [path for _, site, _, path, _ in log[before:] if site == jira_site.jira.name]
    strays = [p for p in paths if "createmeta" not in p and "/project" not in p]
    assert not strays, f"Bugbridge called {strays} for project={project_value!r}"
    assert all(".." not in p for p in paths)


@pytest.mark.parametrize(
    ("project_value", "issuetype"),
    [("../../2/myself", "1"), ("..", "1"), ("OPS", "../../../../2/myself"), ("OPS", "..")],
)
def test_api_ticket_values_cannot_reach_other_jira_endpoints(
    live_server: Any,
    jira_site: JiraSiteEnv,
    owner: Any,
    project: Project,
    project_value: str,
    issuetype: str,
) -> None:
    from tests.adversarial.conftest import Script

    group = make_group(project)
    script = Script(live_server.url, owner)
    log = jira_site.sandbox.request_log
    before = len(log)

    response = script.http.post(
        f"/groups/{group.pk}/tickets",
        json={
            "site_id": jira_site.site.pk,
            "project": project_value,
            "issuetype": issuetype,
            "summary": "x",
        },
    )

    assert response.status_code == 400, response.text[:300]
    bad = "project" if project_value != "OPS" else "issuetype"
    assert bad in response.json()["fields"]
    paths = [path for _, site, _, path, _ in log[before:] if site == jira_site.jira.name]
    strays = [p for p in paths if "createmeta" not in p and "/project" not in p]
    assert not strays, f"Bugbridge called {strays} for project={project_value!r}"
