"""Connecting a Jira site by API token (Cloud) or personal access token (Data Center).

The credentials are checked against Jira before anything is stored (`/serverInfo`, then
`/myself`), stored encrypted, and the site is bound to the organization. Each site has its own
generated webhook secret; `webhook_url(site)` is the address to paste into Jira's admin webhook.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from bugbridge.jira import errors
from bugbridge.jira.client import JiraClient
from bugbridge.jira.models import AuthMethod, Deployment, JiraSite, SiteBinding
from bugbridge.tracker.errors import DomainError
from bugbridge.tracker.models import Organization

log = structlog.get_logger(__name__)

_ACCOUNT_CACHE_SECONDS = 3600


class SiteConnectError(DomainError):
    """Jira refused or could not be reached; `field` names the form input at fault."""


@dataclass(frozen=True)
class ConnectedSite:
    site: JiraSite
    binding: SiteBinding
    created: bool
    account_id: str
    account_name: str


def normalize_base_url(base_url: str) -> str:
    url = (base_url or "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise SiteConnectError(
            "Enter the site's address, like https://your-team.atlassian.net.", field="base_url"
        )
    return url


def connect_token_site(
    organization: Organization,
    *,
    base_url: str,
    token: str,
    email: str = "",
    name: str = "",
    transport: httpx.BaseTransport | None = None,
) -> ConnectedSite:
    """Connect a site with an API token (Cloud: e-mail + token) or a PAT (Data Center: token).

    Which one is decided by Jira's own `/serverInfo` `deploymentType`. An already connected
    site at the same address gets the new credentials (once they work) and another binding.
    """
    url = normalize_base_url(base_url)
    if not token.strip():
        raise SiteConnectError("Enter the API token.", field="api_token")
    probe = JiraSite(name=name or _host(url), base_url=url, account_email=email.strip())
    probe.api_token = token.strip()
    info = _server_info(probe, transport)
    _set_auth(probe, info)
    me = _myself(probe, transport)
    return _store(organization, probe, me)


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def _set_auth(site: JiraSite, info: dict[str, Any]) -> None:
    is_cloud = str(info.get("deploymentType") or "Cloud").lower() == "cloud"
    site.deployment = Deployment.CLOUD if is_cloud else Deployment.DATA_CENTER
    if not is_cloud:
        # Data Center: a personal access token is sent as Bearer; no e-mail is needed.
        site.auth_method = AuthMethod.PAT
        return
    if not site.account_email:
        raise SiteConnectError(
            "Jira Cloud API tokens belong to an account: enter its e-mail address.",
            field="account_email",
        )
    site.auth_method = AuthMethod.API_TOKEN


def _server_info(site: JiraSite, transport: httpx.BaseTransport | None) -> dict[str, Any]:
    # Read before the deployment is known: v2 answers on Cloud and Data Center alike.
    site.deployment = Deployment.DATA_CENTER
    site.auth_method = AuthMethod.API_TOKEN if site.account_email else AuthMethod.PAT
    try:
        with JiraClient(site, transport=transport) as client:
            info: dict[str, Any] = client.request("GET", client.api("serverInfo", version="2"))
    except errors.JiraUnavailable as exc:
        raise SiteConnectError(
            f"Jira could not be reached: {exc.message}", field="base_url"
        ) from exc
    except errors.JiraAuthError as exc:
        # Jira refuses bad credentials even on its anonymous endpoints.
        raise _credentials_refused(site, exc) from exc
    except errors.JiraError as exc:
        raise SiteConnectError(
            f"This does not look like a Jira site ({exc.message}).", field="base_url"
        ) from exc
    if not isinstance(info, dict) or ("deploymentType" not in info and "version" not in info):
        raise SiteConnectError("This does not look like a Jira site.", field="base_url")
    return info


def _credentials_refused(site: JiraSite, exc: errors.JiraError) -> SiteConnectError:
    if not site.account_email:
        return SiteConnectError(
            "Jira refused the token. A Jira Cloud API token needs its account's e-mail address; "
            "a Data Center personal access token needs none.",
            field="account_email",
        )
    return SiteConnectError(f"Jira refused these credentials: {exc.message}", field="api_token")


def _myself(site: JiraSite, transport: httpx.BaseTransport | None) -> dict[str, Any]:
    try:
        with JiraClient(site, transport=transport) as client:
            me: dict[str, Any] = client.myself()
    except errors.JiraAuthError as exc:
        raise _credentials_refused(site, exc) from exc
    except errors.JiraError as exc:
        raise SiteConnectError(f"Jira could not check the credentials: {exc.message}") from exc
    if not (me.get("accountId") or me.get("name")):
        raise SiteConnectError("Jira did not say which account the token belongs to.")
    return me


@transaction.atomic
def _store(organization: Organization, probe: JiraSite, me: dict[str, Any]) -> ConnectedSite:
    site = (
        JiraSite.objects.select_for_update()
        .filter(base_url=probe.base_url, auth_method__in=[AuthMethod.API_TOKEN, AuthMethod.PAT])
        .first()
    )
    created = site is None
    if site is None:
        site = probe
    else:
        site.account_email = probe.account_email
        site.api_token = probe.api_token
        site.auth_method = probe.auth_method
        site.deployment = probe.deployment
        site.is_enabled = True
        site.disabled_reason = ""
    site.save()
    binding, _ = SiteBinding.objects.get_or_create(site=site, organization=organization)
    account_id = str(me.get("accountId") or me.get("name") or "")
    remember_connection_account(site, account_id)
    log.info(
        "jira.site.connected",
        site=site.pk,
        organization=organization.pk,
        deployment=str(site.deployment),
        created=created,
    )
    return ConnectedSite(site, binding, created, account_id, str(me.get("displayName") or ""))


def webhook_url(site: JiraSite) -> str:
    """The address to enter in Jira's admin webhook (with the site's secret as its Secret).

    Data Center versions that cannot sign deliveries use the variant with the secret in the URL
    (`webhook_url_with_secret`).
    """
    path = reverse("jira-webhook", kwargs={"public_id": site.public_id})
    return f"{settings.BASE_URL}{path}"


def webhook_url_with_secret(site: JiraSite) -> str:
    return f"{webhook_url(site)}?secret={site.webhook_secret}"


def rotate_webhook_secret(site: JiraSite) -> str:
    """A new secret; Jira's webhook must be updated with it (Jira cannot show the old one)."""
    site.webhook_secret = secrets.token_urlsafe(32)
    site.save(update_fields=["webhook_secret", "updated_at"])
    log.info("jira.site.webhook_secret_rotated", site=site.pk)
    return site.webhook_secret


def _account_cache_key(site: JiraSite) -> str:
    return f"bb:jira:connection-account:{site.pk}"


def remember_connection_account(site: JiraSite, account_id: str) -> None:
    cache.set(_account_cache_key(site), account_id, _ACCOUNT_CACHE_SECONDS)


def connection_account_id(site: JiraSite) -> str:
    """The account Bugbridge calls Jira as (accountId on Cloud, user name on Data Center).

    Cached; asks Jira's `/myself` when unknown. "" when Jira cannot tell right now.
    """
    cached = cache.get(_account_cache_key(site))
    if cached is not None:
        return str(cached)
    try:
        with JiraClient.for_site(site) as client:
            me = client.myself()
    except errors.JiraError as exc:
        log.warning("jira.site.myself_failed", site=site.pk, error=exc.message)
        return ""
    account_id = str(me.get("accountId") or me.get("name") or "")
    remember_connection_account(site, account_id)
    return account_id


# -- registering the webhook in Jira ---------------------------------------------------------

WEBHOOK_EVENTS = [
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
    "comment_deleted",
]
WEBHOOK_NAME = "Bugbridge"
# Jira Cloud and Data Center before 10 manage admin webhooks here...
_LEGACY_WEBHOOKS = "/rest/webhooks/1.0/webhook"
# ...Data Center 10 moved them (the old path answers 404 there).
_DC10_WEBHOOKS = "/rest/jira-webhook/1.0/webhooks"


@dataclass(frozen=True)
class WebhookRegistration:
    """Whether Jira now sends webhooks here; when not, what a person must do instead."""

    registered: bool
    url: str
    message: str


def register_webhook(
    site: JiraSite, *, transport: httpx.BaseTransport | None = None
) -> WebhookRegistration:
    """Create (or replace) Bugbridge's admin webhook in Jira with the site's secret.

    Needs a Jira administrator's credentials. Without them the site still works outbound;
    the answer says what to paste into Jira's webhook settings instead.
    """
    url = _registered_url(site)
    try:
        with JiraClient(site, transport=transport) as client:
            path = _webhooks_path(client)
            _remove_ours(client, path, url)
            client.request("POST", path, json=_webhook_body(site, url, path))
    except errors.JiraAuthError:
        log.info("jira.site.webhook_manual", site=site.pk, reason="not_admin")
        return WebhookRegistration(False, url, _manual_message(site, url, "is not a Jira admin"))
    except errors.JiraError as exc:
        log.warning("jira.site.webhook_manual", site=site.pk, reason="error", error=exc.message)
        return WebhookRegistration(False, url, _manual_message(site, url, f"failed: {exc}"))
    log.info("jira.site.webhook_registered", site=site.pk, path=path)
    return WebhookRegistration(True, url, "Jira now sends its webhooks to Bugbridge.")


def _registered_url(site: JiraSite) -> str:
    # Whether Data Center signs deliveries varies by version; a secret in the URL always works.
    if site.deployment == Deployment.DATA_CENTER:
        return webhook_url_with_secret(site)
    return webhook_url(site)


def _webhooks_path(client: JiraClient) -> str:
    if client.is_cloud:
        return _LEGACY_WEBHOOKS
    info = client.server_info()
    numbers = info.get("versionNumbers") or [0]
    return _DC10_WEBHOOKS if int(numbers[0]) >= 10 else _LEGACY_WEBHOOKS


def _remove_ours(client: JiraClient, path: str, url: str) -> None:
    """Drop earlier Bugbridge webhooks for this site: Jira cannot show their secret."""
    base = url.split("?", 1)[0]
    for hook in client.request("GET", path) or []:
        if str(hook.get("url") or "").split("?", 1)[0] != base:
            continue
        hook_id = hook.get("id") or str(hook.get("self") or "").rstrip("/").rsplit("/", 1)[-1]
        client.request("DELETE", f"{path}/{hook_id}")


def _webhook_body(site: JiraSite, url: str, path: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": WEBHOOK_NAME,
        "url": url,
        "events": WEBHOOK_EVENTS,
        "secret": site.webhook_secret,
        "excludeBody": False,
    }
    if path == _DC10_WEBHOOKS:
        body["configuration"] = {"FILTERS": "", "EXCLUDE_BODY": "false"}
        body["active"] = True
    else:
        body["filters"] = {"issue-related-events-section": ""}
    return body


def _manual_message(site: JiraSite, url: str, why: str) -> str:
    return (
        f"Registering the webhook {why}. In Jira, open System → WebHooks, create a webhook "
        f"for issue updated/deleted and comment created/updated/deleted with the URL {url} "
        f"and, as its secret, the webhook secret shown for {site.name} in Bugbridge."
    )
