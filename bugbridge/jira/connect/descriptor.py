"""The Connect app descriptor (`atlassian-connect.json`) Jira reads when the app is installed.

Every module URL is relative to `baseUrl`, which is also the `aud` Atlassian puts in signed
install tokens: it is settings.BASE_URL, the exact string verify.py compares with.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

GLANCE_KEY = "bugbridge-issue-glance"
PANEL_KEY = "bugbridge-issue-panel"
CONFIGURE_KEY = "bugbridge-configure"
PANEL_URL = "/jira/connect/issue-panel/{issue.key}"
CONFIGURE_URL = "/jira/connect/configure"
WEBHOOK_URL = "/jira/connect/webhook"
ICON_URL = "/jira/connect/icon.svg"

# Jira events Bugbridge follows. jira:issue_created is left out: a ticket only matters once it is
# linked, and linking fetches its state.
WEBHOOK_EVENTS = (
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
    "comment_deleted",
)


def glance_property_key() -> str:
    """The issue property a glance reads its badge from (…:<app key>:<module key>:status)."""
    return f"com.atlassian.jira.issue:{settings.CONNECT_APP_KEY}:{GLANCE_KEY}:status"


def _icon() -> dict[str, Any]:
    return {"width": 24, "height": 24, "url": ICON_URL}


def _modules() -> dict[str, Any]:
    configure = {"key": CONFIGURE_KEY, "name": {"value": "Bugbridge"}, "url": CONFIGURE_URL}
    return {
        "jiraIssueGlances": [
            {
                "key": GLANCE_KEY,
                "name": {"value": "Bugbridge errors"},
                "icon": _icon(),
                "content": {"type": "label", "label": {"value": "Linked errors"}},
                "target": {"type": "web_panel", "url": PANEL_URL},
            }
        ],
        # The old issue view (and Data Center-like layouts) have no glances: a plain web panel.
        "webPanels": [
            {
                "key": PANEL_KEY,
                "name": {"value": "Bugbridge errors"},
                "location": "atl.jira.view.issue.right.context",
                "url": PANEL_URL,
                "weight": 100,
            }
        ],
        "configurePage": configure,
        "postInstallPage": {**configure, "key": "bugbridge-post-install"},
        "webhooks": [
            {"event": event, "url": WEBHOOK_URL, "excludeBody": False} for event in WEBHOOK_EVENTS
        ],
    }


def build_descriptor() -> dict[str, Any]:
    return {
        "key": settings.CONNECT_APP_KEY,
        "name": "Bugbridge",
        "description": "Errors from Sentry SDKs, grouped, and kept in step with Jira tickets.",
        "vendor": {"name": "Bugbridge", "url": settings.BASE_URL},
        "baseUrl": settings.BASE_URL,
        "authentication": {"type": "jwt"},
        "apiVersion": 1,
        "enableLicensing": False,
        "lifecycle": {
            "installed": "/jira/connect/installed",
            "uninstalled": "/jira/connect/uninstalled",
            "enabled": "/jira/connect/enabled",
            "disabled": "/jira/connect/disabled",
        },
        # signed-install: installs come RS256-signed by Atlassian (kid); context-qsh: context
        # tokens carry the literal qsh "context-qsh"; gdpr: accountIds only.
        "apiMigrations": {"gdpr": True, "signed-install": True, "context-qsh": True},
        # READ for webhooks and reads, WRITE for tickets, comments and the glance property.
        "scopes": ["READ", "WRITE"],
        "modules": _modules(),
    }


@require_GET
def descriptor_view(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(build_descriptor(), json_dumps_params={"indent": 2})
    response["Cache-Control"] = "no-cache"
    return response
