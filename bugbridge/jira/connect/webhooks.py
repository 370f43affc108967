"""POST /jira/connect/webhook — Jira's Connect webhooks, verified here, handled by jira-in.

Connect webhooks prove themselves with an HS256 JWT in `Authorization` whose qsh covers POST and
this URL (never a context token). After that they are ordinary deliveries: stored once and
applied by the shared webhook handling every way in uses.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bugbridge.jira.connect.verify import ConnectAuthError, rejection_response, verify_request


@csrf_exempt
@require_POST
def connect_webhook(request: HttpRequest) -> HttpResponse:
    try:
        verified = verify_request(request, allow_context_qsh=False)
    except ConnectAuthError as exc:
        return rejection_response(exc)
    from bugbridge.jira.webhooks.delivery import respond_to_verified_request

    return respond_to_verified_request(request, verified.site)
