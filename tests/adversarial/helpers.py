"""Sending envelopes like an SDK, and the shared-site world where two organizations link one
ticket."""

from __future__ import annotations

import json
from typing import Any

import httpx
from django.utils import timezone

from bugbridge.jira.models import SiteBinding
from bugbridge.sync.models import ChangeKind, ChangeState, GroupLink, OutboundChange
from bugbridge.tracker.models import Project, ProjectKey
from tests.web.conftest import World


def envelope(payload: dict[str, Any] | bytes, header: dict[str, Any] | None = None) -> bytes:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return b"\n".join([json.dumps(header or {}).encode(), b'{"type":"event"}', body, b""])


def send_envelope(base_url: str, project: Project, body: bytes, **headers: str) -> httpx.Response:
    key = ProjectKey.objects.filter(project=project).first()
    assert key is not None
    return httpx.post(
        f"{base_url}/api/{project.pk}/envelope/",
        content=body,
        headers={"X-Sentry-Auth": f"Sentry sentry_key={key.public_key}", **headers},
        timeout=30,
    )


SECRET_OF_B = "Globex: DB password hunter2 in the traceback"


def share_ticket_with_org_b(world: World) -> OutboundChange:
    """Site A is also bound to org B, whose group links the same ticket and has a failed change.

    A Jira site can serve several organizations; one ticket can then be linked from groups of
    each. Org B's change (its error text, its group) must stay org B's.
    """
    SiteBinding.objects.create(site=world.site_a, organization=world.org_b)
    ticket = world.link_a.ticket
    GroupLink.objects.create(group=world.group_b, ticket=ticket)
    return OutboundChange.objects.create(
        ticket=ticket,
        group=world.group_b,
        kind=ChangeKind.COMMENT_CREATE,
        coalesce_key="comment:999",
        payload={"body": SECRET_OF_B},
        state=ChangeState.FAILED,
        due_at=timezone.now(),
        last_error=SECRET_OF_B,
    )
