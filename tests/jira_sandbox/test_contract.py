"""Contract: every REST endpoint the sandbox serves answers what Atlassian's OpenAPI says.

Walks each operation (success and error answers) against a Cloud site over v3 and checks
the JSON body with jsonschema against the vendored spec subset
(jira_sandbox/openapi/jira-v3-subset.json, made by scripts/jira_sandbox_openapi_subset.py).
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft7Validator

import jira_sandbox
from jira_sandbox import Sandbox, Site
from jira_sandbox.router import ROUTES

from .conftest import ADMIN

SPEC = json.loads(
    (Path(jira_sandbox.__file__).parent / "openapi" / "jira-v3-subset.json").read_text()
)
OPS = {op["operationId"]: op for item in SPEC["paths"].values() for op in item.values()}
# Statuses the spec does not list but Jira really answers: 401 for any unauthenticated call,
# and 410 for the old search API that Cloud removed (CHANGE-2046) after this spec was cut.
UNDOCUMENTED_OK = {401, 410}


def _nullable(node: Any) -> Any:
    """OpenAPI 3.0 `nullable` -> JSON Schema null type."""
    if isinstance(node, list):
        return [_nullable(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        if "type" in out and isinstance(out["type"], str):
            out["type"] = [out["type"], "null"]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


COMPONENTS = _nullable(SPEC["components"])
# The spec types changelog from/to as strings, yet its own getChangeLogs example (and real
# Jira) answers null for "no value"; accept null there.
for _name in ("from", "fromString", "to", "toString"):
    COMPONENTS["schemas"]["ChangeDetails"]["properties"][_name]["type"] = ["string", "null"]


def _schema(op_id: str, status: int) -> dict[str, Any] | None:
    responses = OPS[op_id]["responses"]
    declared = responses.get(str(status))
    if declared is None:
        assert status in UNDOCUMENTED_OK, f"{op_id}: status {status} not in the spec"
        return {"$ref": "#/components/schemas/ErrorCollection"}
    schema = (declared.get("content") or {}).get("application/json", {}).get("schema")
    if schema is None or schema == {}:
        return {"$ref": "#/components/schemas/ErrorCollection"} if status >= 400 else None
    return _nullable(schema)


def check(op_id: str, resp: httpx.Response) -> None:
    schema = _schema(op_id, resp.status_code)
    if not resp.content:
        return
    if schema is None:
        return
    validator = Draft7Validator({**schema, "components": COMPONENTS})
    body = resp.json()
    # The spec describes getRemoteIssueLinks as one link; without globalId Jira (and its own
    # description) answers all links, so an array is checked item by item.
    items = body if op_id == "getRemoteIssueLinks" and isinstance(body, list) else [body]
    errors = [e for item in items for e in validator.iter_errors(item)]
    detail = "\n".join(f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:8])
    assert not errors, f"{op_id} {resp.status_code} does not match the spec:\n{detail}"


class Walker:
    def __init__(self, site: Site, version: int) -> None:
        self.site = site
        self.version = version
        # v3 takes ADF rich text; v2 takes wiki strings (same operations otherwise).
        self.rich: Any = ADF if version == 3 else "hi *there*"
        self.seen: set[str] = set()
        self.client = httpx.Client(auth=ADMIN, timeout=10)

    def call(
        self,
        op_id: str,
        method: str,
        path: str,
        expect: int,
        auth: Any = None,
        **kwargs: Any,
    ) -> httpx.Response:
        url = f"{self.site.base_url}/rest/api/{self.version}{path}"
        extra = {"auth": auth} if auth is not None else {}
        resp = self.client.request(method, url, **extra, **kwargs)
        assert resp.status_code == expect, f"{op_id}: {resp.status_code} {resp.text[:300]}"
        check(op_id, resp)
        self.seen.add(op_id)
        return resp


ADF = {
    "type": "doc",
    "version": 1,
    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "hi"}]}],
}


@pytest.fixture(params=[3, 2], ids=["v3", "v2"])
def walker(sandbox: Sandbox, request: pytest.FixtureRequest) -> Iterator[Walker]:
    site = sandbox.add_site("contract" + str(len(sandbox.sites)))
    site.rest_emits_webhooks = False
    site.add_user("Ada Lovelace", "ada@example.com")
    site.add_user("Hidden Person", "hidden@example.com", email_hidden=True)
    w = Walker(site, request.param)
    yield w
    w.client.close()


def _walk_meta(w: Walker) -> None:
    w.call("getServerInfo", "GET", "/serverInfo", 200)
    w.call("getCurrentUser", "GET", "/myself", 200)
    w.call(
        "getMyPermissions",
        "GET",
        "/mypermissions",
        200,
        params={"permissions": "ASSIGN_ISSUES,BROWSE_PROJECTS", "projectKey": "BB"},
    )
    w.call("getMyPermissions", "GET", "/mypermissions", 400)
    w.call("getCurrentUser", "GET", "/myself", 401, auth=("admin@example.com", "wrong"))
    w.call("searchProjects", "GET", "/project/search", 200, params={"maxResults": 1})
    w.call("getAllProjects", "GET", "/project", 200)
    w.call("getProject", "GET", "/project/BB", 200)
    w.call("getProject", "GET", "/project/NOPE", 404)
    w.call("getAllStatuses", "GET", "/project/BB/statuses", 200)
    w.call("getIssueAllTypes", "GET", "/issuetype", 200)
    w.call("getStatuses", "GET", "/status", 200)
    w.call("getStatusCategories", "GET", "/statuscategory", 200)
    w.call("getPriorities", "GET", "/priority", 200)
    w.call("getResolutions", "GET", "/resolution", 200)
    w.call("getFields", "GET", "/field", 200)
    w.call("getCreateIssueMetaIssueTypes", "GET", "/issue/createmeta/OPS/issuetypes", 200)
    for type_id in ("10004", "10003"):
        w.call(
            "getCreateIssueMetaIssueTypeId",
            "GET",
            f"/issue/createmeta/OPS/issuetypes/{type_id}",
            200,
        )
    w.call("getCreateIssueMetaIssueTypeId", "GET", "/issue/createmeta/OPS/issuetypes/1", 400)
    w.call(
        "getCreateIssueMeta",
        "GET",
        "/issue/createmeta",
        200,
        params={"projectKeys": "BB", "expand": "projects.issuetypes.fields"},
    )


def _walk_users(w: Walker) -> None:
    users = w.call("findUsers", "GET", "/user/search", 200, params={"query": "h"}).json()
    w.call("findUsers", "GET", "/user/search", 400)
    w.call("getUser", "GET", "/user", 200, params={"accountId": users[0]["accountId"]})
    w.call("getUser", "GET", "/user", 404, params={"accountId": "nobody"})
    w.call(
        "findAssignableUsers",
        "GET",
        "/user/assignable/search",
        200,
        params={"project": "BB", "query": "a"},
    )
    w.call("findAssignableUsers", "GET", "/user/assignable/search", 400)


def _walk_issue(w: Walker) -> None:
    fields = {
        "project": {"key": "BB"},
        "issuetype": {"name": "Bug"},
        "summary": "Crash",
        "description": w.rich,
        "labels": ["sentry"],
    }
    w.call("createIssue", "POST", "/issue", 201, json={"fields": fields})
    w.call("createIssue", "POST", "/issue", 400, json={"fields": fields | {"summary": "x" * 300}})
    w.call(
        "createIssue", "POST", "/issue", 400, json={"fields": fields | {"project": {"key": "OPS"}}}
    )
    ops = fields | {
        "project": {"key": "OPS"},
        "customfield_10010": {"value": "Major"},
        "customfield_10011": [{"id": "10110"}],
        "customfield_10013": w.rich,
    }
    w.call("createIssue", "POST", "/issue", 201, json={"fields": ops})
    w.call("getIssue", "GET", "/issue/BB-1", 200)
    w.call("getIssue", "GET", "/issue/OPS-1", 200, params={"expand": "changelog,names"})
    w.call("getIssue", "GET", "/issue/BB-99", 404)
    w.call("getChangeLogs", "GET", "/issue/OPS-1/changelog", 200, params={"maxResults": 1})
    w.call("editIssue", "PUT", "/issue/BB-1", 204, json={"fields": {"summary": "Crash 2"}})
    w.call("editIssue", "PUT", "/issue/BB-1", 400, json={"fields": {"summary": "a\nb"}})
    ada = w.site.resolve_user("ada@example.com").account_id
    w.call("assignIssue", "PUT", "/issue/BB-1/assignee", 204, json={"accountId": ada})
    w.call("assignIssue", "PUT", "/issue/BB-1/assignee", 400, json={"name": "ada"})
    w.call("assignIssue", "PUT", "/issue/BB-99/assignee", 404, json={"accountId": ada})
    trans = w.call(
        "getTransitions",
        "GET",
        "/issue/BB-1/transitions",
        200,
        params={"expand": "transitions.fields"},
    ).json()
    assert trans["transitions"]
    w.call(
        "doTransition", "POST", "/issue/BB-1/transitions", 204, json={"transition": {"id": "31"}}
    )
    w.call(
        "doTransition", "POST", "/issue/BB-1/transitions", 400, json={"transition": {"id": "999"}}
    )
    w.call("getIssue", "GET", "/issue/BB-1", 200)


def _walk_comments(w: Walker) -> None:
    made = w.call("addComment", "POST", "/issue/BB-1/comment", 201, json={"body": w.rich}).json()
    wrong_kind = "not adf" if w.version == 3 else ADF
    w.call("addComment", "POST", "/issue/BB-1/comment", 400, json={"body": wrong_kind})
    cid = made["id"]
    w.call("getComments", "GET", "/issue/BB-1/comment", 200)
    w.call("getComment", "GET", f"/issue/BB-1/comment/{cid}", 200)
    w.call("getComment", "GET", "/issue/BB-1/comment/1", 404)
    w.call("updateComment", "PUT", f"/issue/BB-1/comment/{cid}", 200, json={"body": w.rich})
    w.call("setCommentProperty", "PUT", f"/comment/{cid}/properties/p", 201, json={"a": 1})
    w.call("setCommentProperty", "PUT", f"/comment/{cid}/properties/p", 200, json={"a": 2})
    w.call("getCommentPropertyKeys", "GET", f"/comment/{cid}/properties", 200)
    w.call("getCommentProperty", "GET", f"/comment/{cid}/properties/p", 200)
    w.call("getCommentProperty", "GET", f"/comment/{cid}/properties/q", 404)
    w.call("deleteCommentProperty", "DELETE", f"/comment/{cid}/properties/p", 204)
    w.call("deleteComment", "DELETE", f"/issue/BB-1/comment/{cid}", 204)


def _walk_properties_links(w: Walker) -> None:
    badge = {"type": "badge", "value": {"label": "3"}}
    w.call("setIssueProperty", "PUT", "/issue/BB-1/properties/glance", 201, json=badge)
    w.call("getIssue", "GET", "/issue/BB-1", 200, params={"properties": "*all"})
    w.call("getIssuePropertyKeys", "GET", "/issue/BB-1/properties", 200)
    w.call("getIssueProperty", "GET", "/issue/BB-1/properties/glance", 200)
    w.call("getIssueProperty", "GET", "/issue/BB-1/properties/nope", 404)
    w.call("deleteIssueProperty", "DELETE", "/issue/BB-1/properties/glance", 204)
    link = {"globalId": "bb:1", "object": {"url": "http://bb/1", "title": "Event"}}
    made = w.call(
        "createOrUpdateRemoteIssueLink", "POST", "/issue/BB-1/remotelink", 201, json=link
    ).json()
    w.call("createOrUpdateRemoteIssueLink", "POST", "/issue/BB-1/remotelink", 200, json=link)
    w.call("createOrUpdateRemoteIssueLink", "POST", "/issue/BB-1/remotelink", 400, json={})
    w.call("getRemoteIssueLinks", "GET", "/issue/BB-1/remotelink", 200)
    w.call("getRemoteIssueLinks", "GET", "/issue/BB-1/remotelink", 200, params={"globalId": "bb:1"})
    w.call("getRemoteIssueLinkById", "GET", f"/issue/BB-1/remotelink/{made['id']}", 200)
    w.call("getRemoteIssueLinkById", "GET", "/issue/BB-1/remotelink/1", 404)
    w.call("deleteRemoteIssueLinkById", "DELETE", f"/issue/BB-1/remotelink/{made['id']}", 204)
    w.call("createOrUpdateRemoteIssueLink", "POST", "/issue/BB-1/remotelink", 201, json=link)
    w.call(
        "deleteRemoteIssueLinkByGlobalId",
        "DELETE",
        "/issue/BB-1/remotelink",
        204,
        params={"globalId": "bb:1"},
    )


def _walk_search(w: Walker) -> None:
    jql = {
        "jql": "project in (BB, OPS) ORDER BY key",
        "maxResults": 1,
        "fields": ["summary", "status"],
    }
    page = w.call(
        "searchAndReconsileIssuesUsingJqlPost", "POST", "/search/jql", 200, json=jql
    ).json()
    w.call(
        "searchAndReconsileIssuesUsingJql",
        "GET",
        "/search/jql",
        200,
        params={"jql": jql["jql"], "nextPageToken": page["nextPageToken"]},
    )
    w.call("searchAndReconsileIssuesUsingJql", "GET", "/search/jql", 400, params={"jql": ""})
    w.call(
        "searchAndReconsileIssuesUsingJqlPost",
        "POST",
        "/search/jql",
        400,
        json={"jql": "nonsense = 1"},
    )
    w.call("countIssues", "POST", "/search/approximate-count", 200, json={"jql": "project = BB"})
    w.call("searchForIssuesUsingJql", "GET", "/search", 410, params={"jql": "project = BB"})
    w.call("searchForIssuesUsingJqlPost", "POST", "/search", 410, json={"jql": "project = BB"})
    w.call("getIssuePickerResource", "GET", "/issue/picker", 200, params={"query": "crash"})


def _walk_webhooks(w: Walker) -> None:
    w.site.add_oauth_app("c1", "secret-secret-secret-secret-secret")
    w.site.add_bearer_token("tok", w.site.admin["accountId"], client_id="c1")
    bearer = {"Authorization": "Bearer tok"}
    w.client.auth = None  # type: ignore[assignment]
    body = {
        "url": "http://127.0.0.1:9/hook",
        "webhooks": [
            {"events": ["jira:issue_updated"], "jqlFilter": "project = BB"},
            {"events": ["jira:issue_updated"], "jqlFilter": "votes = 1"},
        ],
    }
    made = w.call(
        "registerDynamicWebhooks", "POST", "/webhook", 200, json=body, headers=bearer
    ).json()
    hook_id = made["webhookRegistrationResult"][0]["createdWebhookId"]
    w.call("registerDynamicWebhooks", "POST", "/webhook", 403, json=body, auth=ADMIN)
    w.call("getDynamicWebhooksForApp", "GET", "/webhook", 200, headers=bearer)
    w.call(
        "refreshWebhooks",
        "PUT",
        "/webhook/refresh",
        200,
        json={"webhookIds": [hook_id]},
        headers=bearer,
    )
    w.call("refreshWebhooks", "PUT", "/webhook/refresh", 400, json={}, headers=bearer)
    w.call(
        "deleteWebhookById",
        "DELETE",
        "/webhook",
        202,
        json={"webhookIds": [hook_id]},
        headers=bearer,
    )
    w.client.auth = httpx.BasicAuth(*ADMIN)


def test_every_endpoint_matches_the_spec(walker: Walker) -> None:
    _walk_meta(walker)
    _walk_users(walker)
    _walk_issue(walker)
    _walk_comments(walker)
    _walk_properties_links(walker)
    _walk_search(walker)
    _walk_webhooks(walker)
    walker.call("deleteIssue", "DELETE", "/issue/OPS-1", 204)
    walker.call("deleteIssue", "DELETE", "/issue/OPS-1", 404)
    cloud_ops = {r.op for r in ROUTES if r.op and "cloud" in r.deployments}
    assert cloud_ops - walker.seen == set(), "endpoints not walked by the contract test"
