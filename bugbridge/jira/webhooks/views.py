"""Webhook endpoints, one per way in. Verify on the raw body first; store nothing on failure."""

from __future__ import annotations

from uuid import UUID

import structlog
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bugbridge.jira.models import JiraSite
from bugbridge.jira.webhooks.delivery import respond_to_verified_request
from bugbridge.jira.webhooks.metrics import REJECTED
from bugbridge.jira.webhooks.verify import WebhookRejected, verifier_for

log = structlog.get_logger(__name__)


def reject(reason: str, detail: str, status: int, site: JiraSite | None = None) -> JsonResponse:
    REJECTED.labels(reason).inc()
    log.warning(
        "jira.webhook.rejected", reason=reason, site=site.pk if site else None, status=status
    )
    return JsonResponse({"detail": detail}, status=status)


@csrf_exempt
@require_POST
def site_webhook(request: HttpRequest, public_id: UUID) -> JsonResponse:
    """Admin webhooks (API token sites) and Data Center webhooks: `/jira/webhooks/<site>/`."""
    site = JiraSite.objects.filter(public_id=public_id).first()
    if site is None:
        return reject("unknown_site", "No Jira site is connected at this address.", 404)
    if not site.is_enabled:
        return reject("site_disabled", "This Jira site is disabled in Bugbridge.", 404, site)

    raw = request.body
    try:
        verifier_for(site).verify(site, raw, request.headers, request.GET)
    except WebhookRejected as exc:
        return reject(exc.reason, exc.detail, exc.status, site)

    return respond_to_verified_request(request, site)
