"""Lifecycle callbacks Jira POSTs: installed, uninstalled (signed by Atlassian), enabled, disabled.

`installed` is synchronous: anything but 200/204 makes the install fail in Jira, so each refusal
answers with a short reason the Jira admin can read back from Atlassian's error message.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import structlog
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bugbridge.jira.connect.verify import (
    ConnectAuthError,
    rejection_response,
    verify_request,
    verify_signed_lifecycle,
)
from bugbridge.jira.models import AuthMethod, Deployment, JiraSite

log = structlog.get_logger(__name__)

UNINSTALLED_REASON = "The Connect app was uninstalled in Jira."
DISABLED_REASON = "The Connect app was disabled in Jira."


class BadPayload(Exception):
    pass


def _refuse(reason: str, message: str, status: int = 400, **fields: Any) -> HttpResponse:
    log.warning("jira.connect.install.rejected", reason=reason, status=status, **fields)
    return HttpResponse(f"{message}\n", status=status, content_type="text/plain; charset=utf-8")


def _payload(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadPayload("The body is not JSON.") from exc
    if not isinstance(body, dict):
        raise BadPayload("The body is not a JSON object.")
    return body


# Column sizes of JiraSite (client_key, base_url); the secret is encrypted, so only sanity-bound.
_MAX_LENGTH = {"clientKey": 200, "baseUrl": 400, "sharedSecret": 1000}


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadPayload(f"'{name}' is missing.")
    if len(value.strip()) > _MAX_LENGTH.get(name, 1000):
        raise BadPayload(f"'{name}' is too long.")
    return value.strip()


def _site_base_url(body: dict[str, Any]) -> str:
    base_url = _text(body, "baseUrl").rstrip("/")
    parts = urlsplit(base_url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise BadPayload("'baseUrl' is not an http(s) URL.")
    return base_url


def _store_installation(body: dict[str, Any], client_key: str) -> tuple[JiraSite, bool]:
    base_url = _site_base_url(body)
    shared_secret = _text(body, "sharedSecret")
    with transaction.atomic():
        site = JiraSite.objects.select_for_update().filter(client_key=client_key).first()
        created = site is None
        if site is None:
            site = JiraSite(client_key=client_key, auth_method=AuthMethod.CONNECT)
        # baseUrl is for API calls; displayUrl (a custom domain) would only be for links.
        site.base_url = base_url
        site.name = urlsplit(base_url).netloc
        site.deployment = Deployment.CLOUD
        site.auth_method = AuthMethod.CONNECT
        site.shared_secret = shared_secret
        site.is_enabled = True
        site.disabled_reason = ""
        site.save()
    return site, created


@csrf_exempt
@require_POST
def installed(request: HttpRequest) -> HttpResponse:
    try:
        body = _payload(request)
        client_key = _text(body, "clientKey")
    except BadPayload as exc:
        return _refuse("bad_payload", str(exc))
    if body.get("key") != settings.CONNECT_APP_KEY:
        return _refuse(
            "wrong_app_key",
            "The payload is for another app key.",
            expected=settings.CONNECT_APP_KEY,
            received=str(body.get("key"))[:80],
        )
    try:
        verify_signed_lifecycle(request, client_key)
    except ConnectAuthError as exc:
        return rejection_response(exc)
    try:
        site, created = _store_installation(body, client_key)
    except BadPayload as exc:
        return _refuse("bad_payload", str(exc), client_key=client_key)
    log.info(
        "jira.connect.install.accepted",
        site=site.pk,
        client_key=client_key,
        base_url=site.base_url,
        reinstall=not created,
    )
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def uninstalled(request: HttpRequest) -> HttpResponse:
    try:
        client_key = _text(_payload(request), "clientKey")
    except BadPayload as exc:
        return _refuse("bad_payload", str(exc))
    try:
        verify_signed_lifecycle(request, client_key)
    except ConnectAuthError as exc:
        return rejection_response(exc)
    site = JiraSite.objects.filter(auth_method=AuthMethod.CONNECT, client_key=client_key).first()
    if site is None:
        return _refuse("unknown_site", "This site is not installed.", 404, client_key=client_key)
    # Nothing is deleted: links, tickets and settings come back if the app is installed again.
    JiraSite.objects.filter(pk=site.pk).update(is_enabled=False, disabled_reason=UNINSTALLED_REASON)
    log.info("jira.connect.uninstall.accepted", site=site.pk, client_key=client_key)
    return HttpResponse(status=204)


def _toggle(request: HttpRequest, *, enable: bool) -> HttpResponse:
    # enabled/disabled stay HS256 with the shared secret (signed-install covers only the two above).
    try:
        verified = verify_request(request, require_enabled=False)
        client_key = _text(_payload(request), "clientKey")
    except ConnectAuthError as exc:
        return rejection_response(exc)
    except BadPayload as exc:
        return _refuse("bad_payload", str(exc))
    site = verified.site
    if client_key != site.client_key:
        return _refuse(
            "wrong_iss", "clientKey does not match the token.", 401, expected=site.client_key
        )
    if enable and site.disabled_reason == UNINSTALLED_REASON:
        # Only a signed `installed` brings back an uninstalled site (with a fresh secret).
        return _refuse("not_installed", "The app is not installed on this site.", 409)
    site.is_enabled = enable
    site.disabled_reason = "" if enable else DISABLED_REASON
    site.save(update_fields=["is_enabled", "disabled_reason", "updated_at"])
    log.info("jira.connect.lifecycle.toggled", site=site.pk, enabled=enable)
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def enabled(request: HttpRequest) -> HttpResponse:
    return _toggle(request, enable=True)


@csrf_exempt
@require_POST
def disabled(request: HttpRequest) -> HttpResponse:
    return _toggle(request, enable=False)
