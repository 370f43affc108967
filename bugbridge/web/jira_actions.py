"""The Jira actions the UI and API offer, as calls into the sync and Jira packages.

Those packages are built alongside this one; each action resolves its function when called, so
a missing piece answers with a clear message instead of breaking every page.
"""

from __future__ import annotations

import importlib
from typing import Any

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bugbridge.jira import errors as jira_errors
from bugbridge.jira.models import JiraSite, SiteBinding
from bugbridge.sync.models import ChangeState, GroupLink, OutboundChange
from bugbridge.tracker.actors import Actor
from bugbridge.tracker.errors import DomainError
from bugbridge.tracker.models import Group, Organization

log = structlog.get_logger(__name__)


def _function(module: str, name: str) -> Any:
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        found = None
    if found is None:
        raise DomainError("This Jira action is not available in this build yet.")
    return found


def _jira_call(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a call that reaches Jira; Jira's refusals become messages a person can act on."""
    try:
        return call(*args, **kwargs)
    except jira_errors.JiraValidationError as exc:
        field = next(iter(exc.field_errors), None)
        raise DomainError(f"Jira refused it: {exc.message}", field=field) from None
    except jira_errors.JiraAuthError as exc:
        raise DomainError(
            f"Jira refused our credentials or a permission is missing: {exc.message}"
        ) from None
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


def jira_projects(site: JiraSite) -> list[dict[str, Any]]:
    from bugbridge.jira.client import JiraClient

    def fetch() -> list[dict[str, Any]]:
        with JiraClient.for_site(site) as client:
            if hasattr(client, "projects"):
                return list(client.projects())
            body = client.request("GET", client.api("project/search"), params={"maxResults": 100})
            return list(body.get("values", []) if isinstance(body, dict) else body or [])

    return list(_jira_call(fetch))


def issue_types(site: JiraSite, project: str) -> list[dict[str, Any]]:
    if not project:
        return []
    call = _function("bugbridge.jira.fields", "issue_types")
    return list(_jira_call(call, site, project))


def form_fields(site: JiraSite, project: str, issue_type_id: str) -> list[Any]:
    if not (project and issue_type_id):
        return []
    call = _function("bugbridge.jira.fields", "form_fields")
    return list(_jira_call(call, site, project, issue_type_id))


def create_ticket(
    group: Group, site: JiraSite, data: dict[str, Any], actor: Actor
) -> GroupLink | Any:
    call = _function("bugbridge.sync.links", "create_ticket")
    return _field_errors_call(call, group, site, data, actor)


def _field_errors_call(call: Any, *args: Any) -> Any:
    fields_module = importlib.import_module("bugbridge.jira.fields")
    input_error = getattr(fields_module, "FieldInputError", None)
    try:
        return _jira_call(call, *args)
    except Exception as exc:
        if input_error is not None and isinstance(exc, input_error):
            fid, message = next(iter(exc.field_errors.items()))
            raise DomainError(message, field=fid) from None
        raise


# -- link, unlink, search, retry ----------------------------------------------------------------


def link_ticket(group: Group, site: JiraSite, key_or_url: str, actor: Actor) -> Any:
    if not key_or_url.strip():
        raise DomainError("Give an issue key (SHOP-12) or its URL.", field="issue")
    call = _function("bugbridge.sync.links", "link")
    return _jira_call(call, group, site, key_or_url.strip(), actor)


def unlink(link: GroupLink, actor: Actor) -> None:
    call = _function("bugbridge.sync.links", "unlink")
    _jira_call(call, link, actor)


def search_issues(site: JiraSite, text: str) -> list[dict[str, Any]]:
    if len(text.strip()) < 2:
        return []
    call = _function("bugbridge.jira.search", "search_issues")
    return list(_jira_call(call, site, text.strip()))


@transaction.atomic
def retry_change(change: OutboundChange, actor: Actor) -> OutboundChange:
    if change.state != ChangeState.FAILED:
        raise DomainError("Only a failed change can be retried.")
    try:
        call = _function("bugbridge.sync.worker", "retry_change")
    except DomainError:
        call = _requeue
    result = call(change, actor) if call is not _requeue else _requeue(change)
    log.info("web.sync.retry_requested", change=change.pk, actor=actor.label)
    return result if isinstance(result, OutboundChange) else change


def _requeue(change: OutboundChange) -> OutboundChange:
    change.state = ChangeState.PENDING
    change.due_at = timezone.now()
    change.attempts = 0
    change.save(update_fields=["state", "due_at", "attempts", "updated_at"])
    return change


# -- connecting sites ---------------------------------------------------------------------------


def connect_api_token(
    organization: Organization, name: str, base_url: str, email: str, token: str
) -> SiteBinding:
    call = _function("bugbridge.jira.sites", "connect_api_token")
    result = _jira_call(call, organization, name=name, base_url=base_url, email=email, token=token)
    if isinstance(result, SiteBinding):
        return result
    return SiteBinding.objects.get(site=result, organization=organization)


def webhook_url(site: JiraSite) -> str:
    try:
        return str(_function("bugbridge.jira.sites", "webhook_url")(site))
    except DomainError:
        return f"{settings.BASE_URL}/jira/webhooks/{site.public_id}/"


def connect_descriptor_url() -> str:
    return f"{settings.BASE_URL}/jira/connect/atlassian-connect.json"


def suggest_user_maps(binding: SiteBinding) -> list[dict[str, str]]:
    """Jira accounts that match members' e-mail addresses (Jira matches hidden e-mails too)."""
    from bugbridge.jira.client import JiraClient
    from bugbridge.tracker.models import Membership

    mapped = set(binding.user_maps.values_list("user_id", flat=True))
    members = Membership.objects.filter(organization_id=binding.organization_id)
    candidates = [m.user for m in members.select_related("user") if m.user_id not in mapped]
    found = []
    with JiraClient.for_site(binding.site) as client:
        for user in candidates:
            if not user.email:
                continue
            found.extend(_matches(client, user))
    return found


def _matches(client: Any, user: Any) -> list[dict[str, str]]:
    params = {"query": user.email} if client.is_cloud else {"username": user.email}
    try:
        accounts = client.request("GET", client.api("user/search"), params=params) or []
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
