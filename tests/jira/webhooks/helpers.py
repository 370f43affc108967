"""Helpers for the jira-in tests: fixture bodies, signing, posting, a bound site with links."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from pathlib import Path
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bugbridge.jira.models import AuthMethod, JiraSite, SiteBinding
from bugbridge.sync.models import GroupLink, Ticket
from bugbridge.tracker.models import Group, Organization, Project

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_names() -> list[str]:
    return sorted(p.name for p in FIXTURES.glob("*.json"))


def raw_fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def body_fixture(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(raw_fixture(name))
    return body


def sign(secret: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def post(
    client: Client,
    site: JiraSite,
    raw: bytes | dict[str, Any],
    *,
    secret: str | None = None,
    signature: str | None = None,
    identifier: str | None = None,
) -> Any:
    """POST like Jira: raw bytes, X-Hub-Signature over them, a delivery identifier."""
    data = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
    headers = {"X-Atlassian-Webhook-Identifier": identifier or str(uuid.uuid4())}
    if signature is None and secret is not None:
        signature = sign(secret, data)
    if signature is not None:
        headers["X-Hub-Signature"] = signature
    url = reverse("jira-webhook", kwargs={"public_id": site.public_id})
    return client.post(url, data=data, content_type="application/json", headers=headers)


def make_site(organization: Organization, name: str = "acme") -> tuple[JiraSite, SiteBinding]:
    site = JiraSite.objects.create(
        name=name,
        base_url=f"https://{name}.example.net",
        auth_method=AuthMethod.API_TOKEN,
        account_email="bot@example.com",
        api_token="token",
    )
    return site, SiteBinding.objects.create(site=site, organization=organization)


def make_group(project: Project, title: str = "ValueError: boom", **kwargs: Any) -> Group:
    now = timezone.now()
    return Group.objects.create(
        project=project,
        fingerprint_hash=uuid.uuid4().hex,
        title=title,
        first_seen=now,
        last_seen=now,
        **kwargs,
    )


def link(group: Group, site: JiraSite, issue_id: str, key: str, **cached: Any) -> Ticket:
    ticket, _ = Ticket.objects.get_or_create(
        site=site, issue_id=issue_id, defaults={"key": key, **cached}
    )
    GroupLink.objects.get_or_create(group=group, ticket=ticket)
    return ticket
