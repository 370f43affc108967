"""Binding a Connect site to organizations: configure page → signed link → confirm in Bugbridge.

The configure page runs inside Jira (JWT-verified) and only hands out a signed, expiring link that
names the site. The binding itself happens in Bugbridge, in the person's own session, after they
picked an organization they administer, with a CSRF-protected POST (a GET never binds).
"""

from __future__ import annotations

from typing import Any

import structlog
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_http_methods

from bugbridge.jira.connect.pages import render_iframe_page, render_page
from bugbridge.jira.connect.verify import ConnectAuthError, verify_request
from bugbridge.jira.models import AuthMethod, JiraSite, SiteBinding
from bugbridge.tracker.models import Membership, Organization, Role

log = structlog.get_logger(__name__)

BIND_SALT = "bugbridge.jira.connect.bind"
BIND_LINK_MAX_AGE_SECONDS = 3600
_ADMIN_ROLES = (Role.OWNER, Role.ADMIN)


class BindRefused(Exception):
    def __init__(self, kind: str, heading: str, message: str, status: int, hint: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.heading = heading
        self.message = message
        self.status = status
        self.hint = hint


# -- the link ---------------------------------------------------------------------------------


def make_bind_token(site: JiraSite) -> str:
    payload = {"site": str(site.public_id), "client_key": site.client_key}
    return signing.dumps(payload, salt=BIND_SALT, compress=True)


def bind_url(site: JiraSite) -> str:
    return f"{settings.BASE_URL}{reverse('jira-connect:bind')}?token={make_bind_token(site)}"


def site_from_bind_token(token: str) -> JiraSite:
    try:
        payload = signing.loads(token, salt=BIND_SALT, max_age=BIND_LINK_MAX_AGE_SECONDS)
    except signing.SignatureExpired as exc:
        raise BindRefused(
            "expired_link",
            "This link has expired",
            "The link from Jira is only valid for an hour.",
            400,
            "Open the Bugbridge app's configure page in Jira again for a new link.",
        ) from exc
    except signing.BadSignature as exc:
        raise BindRefused(
            "bad_link",
            "This link is not valid",
            "The link has been changed or is incomplete.",
            400,
            "Open the Bugbridge app's configure page in Jira and use its button.",
        ) from exc
    site = JiraSite.objects.filter(
        public_id=payload.get("site"),
        client_key=payload.get("client_key"),
        auth_method=AuthMethod.CONNECT,
    ).first()
    if site is None or not site.is_enabled:
        raise BindRefused(
            "site_gone",
            "The Jira site is not installed",
            "Bugbridge is no longer installed on this Jira site.",
            404,
            "Install the app in Jira again, then use its configure page.",
        )
    return site


# -- inside Jira --------------------------------------------------------------------------------


@xframe_options_exempt
@require_GET
def configure_page(request: HttpRequest) -> HttpResponse:
    try:
        verified = verify_request(request, allow_context_qsh=True)
    except ConnectAuthError as exc:
        return token_problem_page(request, exc)
    site = verified.site
    context = {
        "site": site,
        "bind_url": bind_url(site),
        "link_minutes": BIND_LINK_MAX_AGE_SECONDS // 60,
        "binding_count": site.bindings.count(),
    }
    log.info("jira.connect.configure.shown", site=site.pk, account=verified.account_id)
    return render_iframe_page(
        request, "connect/configure.html", context, site_base_url=site.base_url
    )


def token_problem_page(request: HttpRequest, error: ConnectAuthError) -> HttpResponse:
    """What an iframe shows for a refused token (Jira shows our status code as a broken panel)."""
    if error.expired:
        heading, message = "Page expired", "This page has expired. Please refresh the page."
    else:
        heading, message = (
            "Unable to verify",
            "Bugbridge was unable to verify the installation of this app on the Jira site.",
        )
    context = {"heading": heading, "message": message, "kind": error.reason}
    return render_iframe_page(
        request, "connect/message.html", context, site_base_url=None, status=error.status
    )


# -- in Bugbridge -------------------------------------------------------------------------------


def _admin_organizations(user: Any) -> list[Organization]:
    memberships = Membership.objects.filter(user=user, role__in=_ADMIN_ROLES).select_related(
        "organization"
    )
    return sorted((m.organization for m in memberships), key=lambda org: org.name.lower())


def _refused_page(request: HttpRequest, error: BindRefused) -> HttpResponse:
    log.warning("jira.connect.bind.refused", reason=error.kind, user=request.user.pk)
    context = {
        "heading": error.heading,
        "message": error.message,
        "hint": error.hint,
        "kind": error.kind,
    }
    return render_page(request, "connect/bind_message.html", context, status=error.status)


def _chosen_organization(request: HttpRequest, orgs: list[Organization]) -> Organization:
    raw = request.POST.get("organization", "")
    chosen = next((org for org in orgs if str(org.pk) == raw), None)
    if chosen is None:
        raise BindRefused(
            "no_permission",
            "Not allowed",
            "You are not an owner or admin of that organization.",
            403,
        )
    return chosen


def _bind(request: HttpRequest, site: JiraSite, org: Organization) -> HttpResponse:
    try:
        with transaction.atomic():
            SiteBinding.objects.create(site=site, organization=org)
    except IntegrityError:
        raise BindRefused(
            "already_bound",
            "Already connected",
            f"{org.name} is already connected to {site.name}.",
            409,
        ) from None
    log.info("jira.connect.bind.created", site=site.pk, organization=org.pk, user=request.user.pk)
    context = {
        "heading": "Connected",
        "message": f"{site.name} is now connected to {org.name}.",
        "hint": "Linked tickets show their errors in Jira's issue view.",
        "kind": "bound",
        "css": "ok",
    }
    return render_page(request, "connect/bind_message.html", context)


@require_http_methods(["GET", "POST"])
def bind_view(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
    token = request.POST.get("token") or request.GET.get("token", "")
    try:
        site = site_from_bind_token(token)
        orgs = _admin_organizations(request.user)
        if not orgs:
            raise BindRefused(
                "no_permission",
                "Not allowed",
                "Only an owner or admin of an organization can connect a Jira site to it.",
                403,
                "Ask an owner of your organization to open this link.",
            )
        if request.method == "POST":
            return _bind(request, site, _chosen_organization(request, orgs))
    except BindRefused as exc:
        return _refused_page(request, exc)
    return _confirm_page(request, site, orgs, token)


def _confirm_page(
    request: HttpRequest, site: JiraSite, orgs: list[Organization], token: str
) -> HttpResponse:
    bound_ids = set(site.bindings.values_list("organization_id", flat=True))
    context = {
        "site": site,
        "token": token,
        "choices": [org for org in orgs if org.pk not in bound_ids],
        "already": [org for org in orgs if org.pk in bound_ids],
        "other_count": len(bound_ids - {org.pk for org in orgs}),
    }
    return render_page(request, "connect/bind_confirm.html", context)
