"""Jira sites, how each is connected, which organizations it serves, and its deliveries.

A site is a Jira instance (Cloud or Data Center). It is connected one way (API token, OAuth 2.0,
a Data Center personal access token, or Connect) and bound to any number of organizations; an
organization may use any number of sites. Everything above the connection is the same code.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models

from bugbridge.core.crypto import EncryptedTextField
from bugbridge.tracker.models import Organization


class Deployment(models.TextChoices):
    CLOUD = "cloud"
    DATA_CENTER = "dc"


class AuthMethod(models.TextChoices):
    API_TOKEN = "api_token", "API token (Cloud)"
    OAUTH2 = "oauth2", "OAuth 2.0 (Cloud)"
    PAT = "pat", "Personal access token (Data Center)"
    CONNECT = "connect", "Atlassian Connect"


def _new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class JiraSite(models.Model):
    # Opaque id used in URLs we hand to Jira (webhook targets), so a site's database id is never
    # guessable from outside.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    base_url = models.URLField(max_length=500)
    deployment = models.CharField(
        max_length=8, choices=Deployment.choices, default=Deployment.CLOUD
    )
    auth_method = models.CharField(max_length=16, choices=AuthMethod.choices)
    is_enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True, default="")

    # API token (Cloud): Basic e-mail:token. Data Center PAT: Bearer token in `api_token`.
    account_email = models.EmailField(blank=True, default="")
    api_token = EncryptedTextField(blank=True, default="")
    # Admin webhooks prove themselves with X-Hub-Signature (HMAC of the raw body).
    webhook_secret = EncryptedTextField(default=_new_webhook_secret)

    # Atlassian Connect: the tenant is the clientKey; sharedSecret signs both directions.
    client_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    shared_secret = EncryptedTextField(blank=True, default="")

    # OAuth 2.0 (3LO): api.atlassian.com/ex/jira/{cloud_id}; refresh tokens rotate on each use.
    cloud_id = models.CharField(max_length=64, blank=True, default="")
    oauth_access_token = EncryptedTextField(blank=True, default="")
    oauth_refresh_token = EncryptedTextField(blank=True, default="")
    oauth_expires_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    organizations: models.ManyToManyField[Organization, SiteBinding] = models.ManyToManyField(
        Organization, through="SiteBinding", related_name="jira_sites"
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.base_url})"

    @property
    def actor_label(self) -> str:
        return f"Jira site {self.name}"


class ResolveStrategy(models.TextChoices):
    NOW = "now", "Resolve now"
    NEXT_RELEASE = "next_release", "Resolve in the next release"


class SiteBinding(models.Model):
    """An organization's use of a site, with that organization's sync settings for it."""

    site = models.ForeignKey(JiraSite, on_delete=models.CASCADE, related_name="bindings")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="site_bindings"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    sync_assignee_outbound = models.BooleanField(default=True)
    sync_assignee_inbound = models.BooleanField(default=True)
    sync_status_outbound = models.BooleanField(default=True)
    sync_status_inbound = models.BooleanField(default=True)
    sync_comments_outbound = models.BooleanField(default=True)
    sync_comments_inbound = models.BooleanField(default=True)
    reopen_on_regression = models.BooleanField(default=True)
    # A group a person ignored stays ignored when Jira moves its ticket, unless this is off.
    keep_ignored_on_inbound = models.BooleanField(default=True)
    resolve_strategy = models.CharField(
        max_length=16, choices=ResolveStrategy.choices, default=ResolveStrategy.NOW
    )
    # Jira Service Management: comments are internal notes unless this is on.
    jsm_comments_public = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "organization"], name="uniq_site_binding")
        ]


class UserMapping(models.Model):
    """Which Jira account a member is on one site (accountId on Cloud, user name on DC)."""

    binding = models.ForeignKey(SiteBinding, on_delete=models.CASCADE, related_name="user_maps")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    account_id = models.CharField(max_length=128)
    display_name = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["binding", "user"], name="uniq_user_map_user"),
            models.UniqueConstraint(fields=["binding", "account_id"], name="uniq_user_map_acct"),
        ]


class StatusMapping(models.Model):
    """Per Jira project: where each Bugbridge state goes, and which Jira statuses mean what."""

    binding = models.ForeignKey(SiteBinding, on_delete=models.CASCADE, related_name="status_maps")
    jira_project_key = models.CharField(max_length=32)
    # Outbound: target Jira status ids ("" = do not move the ticket).
    resolved_status_id = models.CharField(max_length=32, blank=True, default="")
    unresolved_status_id = models.CharField(max_length=32, blank=True, default="")
    ignored_status_id = models.CharField(max_length=32, blank=True, default="")
    # Inbound: Jira status ids that resolve / ignore the groups. Empty resolved list means
    # "every status in the done category".
    inbound_resolved_status_ids = models.JSONField(default=list, blank=True)
    inbound_ignored_status_ids = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["binding", "jira_project_key"], name="uniq_status_map_project"
            )
        ]


class DeliveryOutcome(models.TextChoices):
    RECEIVED = "received"
    APPLIED = "applied"
    IGNORED = "ignored"
    STALE = "stale"
    FAILED = "failed"


class WebhookDelivery(models.Model):
    """A webhook Jira sent, stored once per identifier so retries and duplicates apply once."""

    site = models.ForeignKey(JiraSite, on_delete=models.CASCADE, related_name="deliveries")
    identifier = models.CharField(max_length=200)
    event = models.CharField(max_length=64)
    issue_key = models.CharField(max_length=64, blank=True, default="")
    body = models.JSONField()
    outcome = models.CharField(
        max_length=16, choices=DeliveryOutcome.choices, default=DeliveryOutcome.RECEIVED
    )
    detail = models.CharField(max_length=500, blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "identifier"], name="uniq_delivery")]
