"""The Jira actions the UI and API offer, as calls into the sync and Jira packages.

Jira's refusals come back as DomainErrors carrying Jira's own words, with every field Jira
named, so the page can show each message next to its input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import structlog
from django.conf import settings
from django.urls import reverse

from bugbridge.jira import errors as jira_errors
from bugbridge.jira import fields as jira_fields
from bugbridge.jira import search as jira_search
from bugbridge.jira import sites as jira_sites
from bugbridge.jira.client import JiraClient
from bugbridge.jira.models import Deployment, JiraSite, SiteBinding
from bugbridge.sync import links, worker
from bugbridge.sync.models import ChangeState, GroupLink, OutboundChange, Ticket
from bugbridge.tracker.actors import Actor
from bugbridge.tracker.errors import DomainError
from bugbridge.tracker.models import Group, Membership, Organization

log = structlog.get_logger(__name__)

T = TypeVar("T")


class FieldErrors(DomainError):
    """Several inputs refused at once (Jira's create form answers per field)."""

    def __init__(self, message: str, fields: dict[str, str]) -> None:
        super().__init__(message, field=next(iter(fields), None))
        self.fields = fields


def _jira_call(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a call that reaches Jira; Jira's refusals become messages a person can act on."""
    try:
        return call(*args, **kwargs)
    except jira_errors.JiraValidationError as exc:
        if exc.field_errors:
            raise FieldErrors(f"Jira refused it: {exc.message}", exc.field_errors) from None
        raise DomainError(f"Jira refused it: {exc.message}") from None
    except jira_fields.FieldInputError as exc:
        raise FieldErrors("Some fields need another value.", exc.field_errors) from None
    except jira_errors.JiraAuthError as exc:
        message = f"Jira refused our credentials or a permission is missing: {exc.message}"
        raise DomainError(message) from None
    except jira_errors.JiraNotFound as exc:
        raise DomainError(f"Jira could not find it: {exc.message}") from None
    except jira_errors.JiraError as exc:
        message = f"Jira could not be reached; try again shortly. ({exc.message})"
        raise DomainError(message) from None


def sites_for(group: Group) -> list[JiraSite]:
    bindings = SiteBinding.objects.filter(
        organization_id=group.project.organization_id, site__is_enabled=True
    )
    return [b.site for b in bindings.select_related("site").order_by("site__name")]


def site_for(group: Group, site_id: Any) -> JiraSite:
    for site in sites_for(group):
        if str(site.pk) == str(site_id):
            return site
    raise DomainError("Choose a Jira site connected to this organization.", field="site")


# -- create form ------------------------------------------------------------------------------


def create_form(
    group: Group, site: JiraSite, user: Any, project: str, issue_type: str
) -> links.CreateForm:
    """The dialog's choices and fields; the person's last project and type preselected."""
    return _jira_call(
        links.create_form, group, site, user, project=project or None, issue_type=issue_type or None
    )


def create_ticket(group: Group, site: JiraSite, data: dict[str, Any], actor: Actor) -> Ticket:
    """`data`: project, issuetype, summary, description and `fields` (Jira field id → value)."""
    values = {**(data.get("fields") or {})}
    for name in ("project", "issuetype", "summary", "description", "request_token"):
        if data.get(name):
            values[name] = data[name]
    return _jira_call(links.create_ticket, group, site, values, actor)


# -- link, unlink, search, retry ----------------------------------------------------------------


def link_ticket(group: Group, site: JiraSite, key_or_url: str, actor: Actor) -> Ticket:
    if not key_or_url.strip():
        raise DomainError("Give an issue key (SHOP-12) or its URL.", field="issue")
    return _jira_call(links.link_ticket, group, site, key_or_url.strip(), actor)


def unlink(link: GroupLink, actor: Actor) -> None:
    links.unlink_ticket(link.group, link.ticket, actor)


def search_issues(site: JiraSite, text: str) -> list[dict[str, str]]:
    if len(text.strip()) < 2:
        return []
    found = _jira_call(jira_search.search_issues, site, text.strip(), limit=10)
    return [{"key": c.value, "label": c.label} for c in found]


def jira_statuses(site: JiraSite) -> list[dict[str, str]]:
    """Jira's statuses as (id, "Name (category)") for the status-map form."""

    def fetch() -> list[dict[str, Any]]:
        with JiraClient.for_site(site) as client:
            return client.get_statuses()

    out = []
    for status in _jira_call(fetch):
        category = (status.get("statusCategory") or {}).get("name", "")
        label = f"{status.get('name')} ({category})" if category else str(status.get("name"))
        out.append({"id": str(status.get("id")), "label": label})
    return out


def autocomplete(site: JiraSite, field: str, text: str, project: str) -> list[dict[str, str]]:
    """Choices for a searchable create-form field (users, sprints, epics, parents)."""
    if not text.strip():
        return []
    found = _jira_call(jira_search.autocomplete, site, field, text.strip(), project=project or None)
    return [{"value": c.value, "label": c.label} for c in found[:20]]


def retry_change(change: OutboundChange, actor: Actor) -> OutboundChange:
    if change.state != ChangeState.FAILED:
        raise DomainError("Only a failed change can be retried; this one is not failed.")
    retried = worker.retry_change(change.pk)
    log.info("web.sync.retry_requested", change=change.pk, actor=actor.label)
    return retried


# -- connecting sites ---------------------------------------------------------------------------


def connect_api_token(
    organization: Organization, name: str, base_url: str, email: str, token: str
) -> SiteBinding:
    connected = _jira_call(
        jira_sites.connect_token_site,
        organization,
        base_url=base_url,
        token=token,
        email=email,
        name=name,
    )
    return connected.binding


def webhook_url(site: JiraSite) -> str:
    # Data Center versions differ in whether they sign deliveries; the secret in the URL works
    # with all of them.
    if site.deployment == Deployment.DATA_CENTER:
        return jira_sites.webhook_url_with_secret(site)
    return jira_sites.webhook_url(site)


def register_webhook(site: JiraSite) -> tuple[bool, str]:
    """Ask Jira to send its webhooks here; when it cannot, what a person must do instead."""
    registration = jira_sites.register_webhook(site)
    return registration.registered, registration.message


def rotate_webhook_secret(site: JiraSite) -> None:
    jira_sites.rotate_webhook_secret(site)


def check_connection(site: JiraSite) -> str:
    """Who Bugbridge is in Jira, asked afresh; a DomainError says why it failed."""

    def fetch() -> dict[str, Any]:
        with JiraClient.for_site(site) as client:
            return client.myself()

    me = _jira_call(fetch)
    return str(me.get("displayName") or me.get("emailAddress") or me.get("accountId") or "?")


def connect_descriptor_url() -> str:
    return f"{settings.BASE_URL}{reverse('jira-connect:descriptor')}"


def suggest_user_maps(binding: SiteBinding) -> list[dict[str, str]]:
    """Jira accounts that match members' e-mail addresses (Jira matches hidden e-mails too)."""
    mapped = set(binding.user_maps.values_list("user_id", flat=True))
    members = Membership.objects.filter(organization_id=binding.organization_id)
    candidates = [m.user for m in members.select_related("user") if m.user_id not in mapped]
    found: list[dict[str, str]] = []
    with JiraClient.for_site(binding.site) as client:
        for user in candidates:
            if user.email:
                found.extend(_matches(client, user))
    return found


def _matches(client: JiraClient, user: Any) -> list[dict[str, str]]:
    try:
        accounts = client.search_users(user.email, max_results=3)
    except jira_errors.JiraError as exc:
        log.info("web.user_map.suggest_failed", user=user.pk, reason=exc.message)
        return []
    out = []
    for account in accounts[:3]:
        account_id = account.get("accountId") or account.get("name") or ""
        if account_id:
            out.append(
                {
                    "user_id": str(user.pk),
                    "username": user.get_username(),
                    "email": user.email,
                    "account_id": str(account_id),
                    "display_name": str(account.get("displayName") or ""),
                }
            )
    return out
