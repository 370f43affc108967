"""The descriptor: served at a stable URL, valid against Atlassian's (relaxed) schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from django.urls import resolve

SCHEMA_PATH = Path("/work/shared/specs/connect-jira-global-schema.json")
LOCAL_SCHEMA = Path(__file__).parent / "fixtures" / "connect-jira-global-schema.json"


def _schema() -> dict[str, Any]:
    schema = json.loads(LOCAL_SCHEMA.read_text())
    relaxed = copy.deepcopy(schema)
    # The 2019 schema only knows `gdpr`; signed-install and context-qsh came later.
    migrations = relaxed["properties"]["apiMigrations"]
    migrations["properties"]["signed-install"] = {"type": "boolean"}
    migrations["properties"]["context-qsh"] = {"type": "boolean"}
    return relaxed


@pytest.fixture
def descriptor(client: Any, connect_settings: Any) -> dict[str, Any]:
    response = client.get("/jira/connect/atlassian-connect.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return dict(response.json())


def test_validates_against_the_relaxed_schema(descriptor: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(_schema()).validate(descriptor)


def test_unrelaxed_schema_refuses_the_new_migrations(descriptor: dict[str, Any]) -> None:
    schema = json.loads(LOCAL_SCHEMA.read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema).validate(descriptor)


def test_identity_and_migrations(descriptor: dict[str, Any], connect_settings: Any) -> None:
    assert descriptor["key"] == connect_settings.CONNECT_APP_KEY
    assert descriptor["baseUrl"] == connect_settings.BASE_URL
    assert descriptor["authentication"] == {"type": "jwt"}
    assert descriptor["apiMigrations"]["signed-install"] is True
    assert descriptor["apiMigrations"]["context-qsh"] is True


def test_webhooks(descriptor: dict[str, Any]) -> None:
    events = {hook["event"] for hook in descriptor["modules"]["webhooks"]}
    assert {"jira:issue_updated", "jira:issue_deleted", "comment_created"} <= events
    assert {"comment_updated", "comment_deleted"} <= events


def _path(url: str) -> str:
    return url.split("?", 1)[0].replace("{issue.key}", "BB-1")


def test_every_module_url_is_served(descriptor: dict[str, Any]) -> None:
    modules = descriptor["modules"]
    urls = list(descriptor["lifecycle"].values())
    urls += [hook["url"] for hook in modules["webhooks"]]
    urls += [glance["target"]["url"] for glance in modules["jiraIssueGlances"]]
    urls += [glance["icon"]["url"] for glance in modules["jiraIssueGlances"]]
    urls += [panel["url"] for panel in modules["webPanels"]]
    urls += [modules["configurePage"]["url"], modules["postInstallPage"]["url"]]
    for url in urls:
        assert resolve(_path(url)), url


def test_schema_copy_is_the_shared_one() -> None:
    if SCHEMA_PATH.exists():
        assert json.loads(SCHEMA_PATH.read_text()) == json.loads(LOCAL_SCHEMA.read_text())
