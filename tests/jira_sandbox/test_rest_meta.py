"""Projects, create metadata (Cloud and DC shapes) and validation against it."""

import httpx

from jira_sandbox import Site

from .conftest import ADMIN


def _get(site: Site, path: str, **params: object) -> httpx.Response:
    return httpx.get(f"{site.base_url}{path}", params=params, auth=ADMIN)  # type: ignore[arg-type]


def test_project_search_paged(site: Site) -> None:
    page = _get(site, "/rest/api/3/project/search", maxResults=1).json()
    assert page["total"] == 2 and not page["isLast"] and page["values"][0]["key"] == "BB"
    assert "nextPage" in page
    second = _get(site, "/rest/api/3/project/search", startAt=1, maxResults=1).json()
    assert second["values"][0]["key"] == "OPS" and second["isLast"]


def test_createmeta_cloud(site: Site) -> None:
    types = _get(site, "/rest/api/3/issue/createmeta/OPS/issuetypes").json()
    assert {t["name"] for t in types["issueTypes"]} >= {"Bug", "Task", "Story", "Sub-task"}
    assert types["total"] == len(types["issueTypes"])
    fields = _get(site, "/rest/api/3/issue/createmeta/OPS/issuetypes/10004").json()["fields"]
    by_id = {f["fieldId"]: f for f in fields}
    assert by_id["customfield_10010"]["required"] is True
    assert next(o["value"] for o in by_id["customfield_10010"]["allowedValues"]) == "Critical"
    assert by_id["summary"]["required"] is True
    assert by_id["customfield_10011"]["schema"]["type"] == "array"
    paged = _get(site, "/rest/api/3/issue/createmeta/OPS/issuetypes/10004", maxResults=2).json()
    assert len(paged["fields"]) == 2 and paged["total"] == len(fields)


def test_createmeta_dc_uses_values(dc_site: Site) -> None:
    auth = ("admin", "admin-token")
    url = f"{dc_site.base_url}/rest/api/2/issue/createmeta/BB/issuetypes"
    types = httpx.get(url, auth=auth).json()
    assert "values" in types and "issueTypes" not in types
    fields = httpx.get(f"{url}/10004", auth=auth).json()
    assert "values" in fields and "fields" not in fields


def _create(site: Site, fields: dict[str, object], version: int = 2) -> httpx.Response:
    base = {"project": {"key": "OPS"}, "issuetype": {"id": "10004"}, "summary": "s"}
    return httpx.post(
        f"{site.base_url}/rest/api/{version}/issue", json={"fields": base | fields}, auth=ADMIN
    )


def test_required_custom_field_and_options(site: Site) -> None:
    missing = _create(site, {})
    assert missing.status_code == 400
    assert missing.json()["errors"] == {"customfield_10010": "Severity is required."}
    bad = _create(site, {"customfield_10010": {"value": "Apocalyptic"}})
    assert "not valid" in bad.json()["errors"]["customfield_10010"]
    ada = site.add_user("Ada", "ada@example.com")
    ok = _create(
        site,
        {
            "customfield_10010": {"id": "10100"},
            "customfield_10011": [{"value": "Backend"}],
            "customfield_10012": {"accountId": ada["accountId"]},
            "customfield_10014": 3,
            "customfield_10015": ["checkout"],
            "customfield_10020": 7,
            "labels": ["sentry"],
            "priority": {"name": "High"},
        },
    )
    assert ok.status_code == 201, ok.text
    issue = site.get_issue(ok.json()["key"])["fields"]
    assert issue["customfield_10010"]["value"] == "Critical"
    assert issue["customfield_10012"]["accountId"] == ada["accountId"]
    assert issue["priority"]["name"] == "High"
    unknown = _create(site, {"customfield_10010": {"id": "10100"}, "customfield_99": 1})
    assert "customfield_99" in unknown.json()["errors"]


def test_subtask_needs_parent(site: Site) -> None:
    site.act_create("Parent")
    base = {"project": {"key": "BB"}, "issuetype": {"name": "Sub-task"}, "summary": "child"}
    url = f"{site.base_url}/rest/api/2/issue"
    orphan = httpx.post(url, json={"fields": base}, auth=ADMIN)
    assert "parent" in orphan.json()["errors"]
    child = httpx.post(url, json={"fields": base | {"parent": {"key": "BB-1"}}}, auth=ADMIN)
    assert child.status_code == 201
    parent = site.get_issue("BB-1")["fields"]
    assert parent["subtasks"][0]["key"] == child.json()["key"]


def test_statuses_and_transitions(site: Site) -> None:
    statuses = _get(site, "/rest/api/3/status").json()
    assert {s["name"]: s["statusCategory"]["key"] for s in statuses}["Won't Do"] == "done"
    site.act_create("x")
    trans = _get(site, "/rest/api/3/issue/BB-1/transitions").json()["transitions"]
    done = next(t for t in trans if t["to"]["name"] == "Done")
    resp = httpx.post(
        f"{site.base_url}/rest/api/3/issue/BB-1/transitions",
        json={"transition": {"id": done["id"]}},
        auth=ADMIN,
    )
    assert resp.status_code == 204
    fields = site.get_issue("BB-1")["fields"]
    assert fields["status"]["name"] == "Done" and fields["resolution"]["name"] == "Done"


def test_transition_requiring_field(site: Site) -> None:
    site.require_transition_fields("Won't Do", ["resolution"])
    site.act_create("x")
    url = f"{site.base_url}/rest/api/2/issue/BB-1/transitions"
    listed = httpx.get(url, params={"expand": "transitions.fields"}, auth=ADMIN).json()
    wont = next(t for t in listed["transitions"] if t["id"] == "41")
    assert wont["fields"]["resolution"]["required"] is True
    missing = httpx.post(url, json={"transition": {"id": "41"}}, auth=ADMIN)
    assert missing.status_code == 400 and "resolution" in missing.json()["errors"]
    body = {"transition": {"id": "41"}, "fields": {"resolution": {"name": "Duplicate"}}}
    assert httpx.post(url, json=body, auth=ADMIN).status_code == 204
    assert site.get_issue("BB-1")["fields"]["resolution"]["name"] == "Duplicate"


def test_edit_issue_advances_updated(site: Site) -> None:
    site.act_create("x")
    before = site.get_issue("BB-1")["fields"]["updated"]
    body = {"fields": {"summary": "y"}, "update": {"labels": [{"add": "bugbridge"}]}}
    resp = httpx.put(f"{site.base_url}/rest/api/2/issue/BB-1", json=body, auth=ADMIN)
    assert resp.status_code == 204
    after = site.get_issue("BB-1")["fields"]
    assert after["summary"] == "y" and after["labels"] == ["bugbridge"]
    assert after["updated"] > before


def test_add_project_with_required_fields(site: Site) -> None:
    site.add_project("WEB", "Web", required={"Task": ["customfield_10014"]})
    base = {"project": {"key": "WEB"}, "issuetype": {"name": "Task"}, "summary": "s"}
    url = f"{site.base_url}/rest/api/2/issue"
    missing = httpx.post(url, json={"fields": base}, auth=ADMIN)
    assert missing.json()["errors"] == {"customfield_10014": "Story Points is required."}
    ok = httpx.post(url, json={"fields": base | {"customfield_10014": 2}}, auth=ADMIN)
    assert ok.json()["key"] == "WEB-1"
    site.act_comment("WEB-1", "note")
    assert [c["body"] for c in site.comments("WEB-1")] == ["note"]


def test_epic_parent_hierarchy(site: Site) -> None:
    url = f"{site.base_url}/rest/api/2/issue"
    epic = {"project": {"key": "BB"}, "issuetype": {"name": "Epic"}, "summary": "Epic"}
    epic_key = httpx.post(url, json={"fields": epic}, auth=ADMIN).json()["key"]
    bug = {
        "project": {"key": "BB"},
        "issuetype": {"name": "Bug"},
        "summary": "b",
        "parent": {"key": epic_key},
    }
    child = httpx.post(url, json={"fields": bug}, auth=ADMIN)
    assert child.status_code == 201
    assert site.get_issue(child.json()["key"])["fields"]["parent"]["key"] == epic_key
    wrong = httpx.post(
        url, json={"fields": bug | {"parent": {"key": child.json()["key"]}}}, auth=ADMIN
    )
    assert wrong.status_code == 400 and "parent" in wrong.json()["errors"]
