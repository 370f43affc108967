"""Configure page in Jira → signed link → login → pick an organization → CSRF-protected POST."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.test import Client

from bugbridge.jira.connect.binding import BIND_LINK_MAX_AGE_SECONDS, BIND_SALT
from bugbridge.jira.models import JiraSite, SiteBinding
from bugbridge.tracker.models import Membership, Organization, Role
from tests.jira.connect.helpers import SITE_SECRET, claims_for, hs_token

pytestmark = pytest.mark.django_db
CONFIGURE = "/jira/connect/configure"


def _configure(client: Any, site: JiraSite, query: str = "xdm_e=x&cp=") -> Any:
    token = hs_token(SITE_SECRET, claims_for(site.client_key or "", "GET", CONFIGURE, query))
    return client.get(f"{CONFIGURE}?{query}&jwt={token}")


def _bind_link(client: Any, site: JiraSite) -> str:
    response = _configure(client, site)
    assert response.status_code == 200
    href = re.search(r'id="bind-link" href="([^"]+)"', response.content.decode())
    assert href
    return href.group(1).replace("&amp;", "&")


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _admin(org: Organization, name: str = "admin", role: str = Role.ADMIN) -> Any:
    user = get_user_model().objects.create_user(username=name, password="pw-0123456789")
    Membership.objects.create(organization=org, user=user, role=role)
    return user


def test_configure_page_renders_in_jira_iframe(client: Any, connect_site: JiraSite) -> None:
    response = _configure(client, connect_site)
    assert response.status_code == 200
    assert response.get("X-Frame-Options") is None
    assert (
        "frame-ancestors 'self' https://acme.atlassian.net" in response["Content-Security-Policy"]
    )


def test_configure_page_takes_a_context_token(client: Any, connect_site: JiraSite) -> None:
    token = hs_token(SITE_SECRET, claims_for("client-acme", "GET", CONFIGURE, qsh="context-qsh"))
    assert client.get(f"{CONFIGURE}?jwt={token}").status_code == 200


def test_configure_page_refuses_a_bad_token(client: Any, connect_site: JiraSite) -> None:
    token = hs_token(
        "wrong-secret-0123456789abcdef-0123456789abcd", claims_for("client-acme", "GET", CONFIGURE)
    )
    response = client.get(f"{CONFIGURE}?jwt={token}")
    assert response.status_code == 401
    assert b"unable to verify" in response.content.lower()
    assert b"/jira/connect/bind/" not in response.content


def test_full_flow_binds_the_site(connect_site: JiraSite, organization: Organization) -> None:
    browser = Client(enforce_csrf_checks=True)
    link = _bind_link(browser, connect_site)
    assert link.startswith("http://testserver/jira/connect/bind/?token=")

    # Not logged in: sent to the login page, coming back to the same link afterwards.
    response = browser.get(_local(link))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")

    user = _admin(organization)
    browser.force_login(user)
    page = browser.get(_local(link))
    assert page.status_code == 200
    assert b"Acme" in page.content and b"https://acme.atlassian.net" in page.content
    assert not SiteBinding.objects.exists()  # a GET never binds

    csrf = page.cookies["csrftoken"].value
    token = re.search(r'name="token" value="([^"]+)"', page.content.decode())
    assert token
    form = {"token": token.group(1), "organization": organization.pk}
    assert browser.post("/jira/connect/bind/", form).status_code == 403  # no CSRF token
    response = browser.post("/jira/connect/bind/", {**form, "csrfmiddlewaretoken": csrf})
    assert response.status_code == 200
    assert b"now connected" in response.content
    assert SiteBinding.objects.filter(site=connect_site, organization=organization).exists()


def test_site_may_serve_several_organizations(
    connect_site: JiraSite, organization: Organization
) -> None:
    other = Organization.objects.create(name="Beta", slug="beta")
    SiteBinding.objects.create(site=connect_site, organization=other)
    user = _admin(organization)
    browser = Client()
    browser.force_login(user)
    link = _local(_bind_link(browser, connect_site))
    page = browser.get(link)
    assert b"also connected to 1 other organization" in page.content
    token = signing.dumps(
        {"site": str(connect_site.public_id), "client_key": "client-acme"},
        salt=BIND_SALT,
        compress=True,
    )
    response = browser.post(
        "/jira/connect/bind/", {"token": token, "organization": organization.pk}
    )
    assert response.status_code == 200
    assert connect_site.bindings.count() == 2


def test_already_bound_gets_a_clear_page(
    connect_site: JiraSite, organization: Organization
) -> None:
    SiteBinding.objects.create(site=connect_site, organization=organization)
    browser = Client()
    browser.force_login(_admin(organization))
    link = _local(_bind_link(browser, connect_site))
    page = browser.get(link)
    assert b"already connected" in page.content.lower()
    token = link.split("token=", 1)[1]
    response = browser.post(
        "/jira/connect/bind/", {"token": token, "organization": organization.pk}
    )
    assert response.status_code == 409
    assert b"already connected" in response.content
    assert connect_site.bindings.count() == 1


def test_member_without_admin_role_is_refused(
    connect_site: JiraSite, organization: Organization
) -> None:
    browser = Client()
    browser.force_login(_admin(organization, "member", Role.MEMBER))
    link = _local(_bind_link(browser, connect_site))
    assert browser.get(link).status_code == 403
    token = link.split("token=", 1)[1]
    response = browser.post(
        "/jira/connect/bind/", {"token": token, "organization": organization.pk}
    )
    assert response.status_code == 403
    assert b"owner or admin" in response.content
    assert not SiteBinding.objects.exists()


def test_admin_of_another_org_cannot_bind_this_one(
    connect_site: JiraSite, organization: Organization
) -> None:
    other = Organization.objects.create(name="Beta", slug="beta")
    browser = Client()
    browser.force_login(_admin(other))
    token = _local(_bind_link(browser, connect_site)).split("token=", 1)[1]
    response = browser.post(
        "/jira/connect/bind/", {"token": token, "organization": organization.pk}
    )
    assert response.status_code == 403
    assert not SiteBinding.objects.exists()


class _HourAgoSigner(signing.TimestampSigner):
    def timestamp(self) -> str:
        return signing.b62_encode(int(time.time()) - BIND_LINK_MAX_AGE_SECONDS - 5)


def test_expired_link(connect_site: JiraSite, organization: Organization) -> None:
    browser = Client()
    browser.force_login(_admin(organization))
    payload = {"site": str(connect_site.public_id), "client_key": "client-acme"}
    token = _HourAgoSigner(salt=BIND_SALT).sign_object(payload, compress=True)
    response = browser.get(f"/jira/connect/bind/?token={token}")
    assert response.status_code == 400
    assert b"expired" in response.content
    response = browser.post(
        "/jira/connect/bind/", {"token": token, "organization": organization.pk}
    )
    assert response.status_code == 400
    assert not SiteBinding.objects.exists()


@pytest.mark.parametrize("token", ["", "garbage", "eyJzaXRlIjoiMSJ9:1abc:def"])
def test_tampered_link(connect_site: JiraSite, organization: Organization, token: str) -> None:
    browser = Client()
    browser.force_login(_admin(organization))
    response = browser.get(f"/jira/connect/bind/?token={token}")
    assert response.status_code == 400
    assert b"not valid" in response.content


def test_link_of_an_uninstalled_site(connect_site: JiraSite, organization: Organization) -> None:
    browser = Client()
    browser.force_login(_admin(organization))
    link = _local(_bind_link(browser, connect_site))
    JiraSite.objects.filter(pk=connect_site.pk).update(is_enabled=False)
    response = browser.get(link)
    assert response.status_code == 404
    assert b"no longer installed" in response.content


def test_login_page_brings_the_admin_back_to_the_link(
    connect_site: JiraSite, organization: Organization
) -> None:
    _admin(organization, "ada")
    browser = Client()
    link = _local(_bind_link(browser, connect_site))
    login = browser.get(link)
    assert login.status_code == 302
    response = browser.post(
        login["Location"], {"username": "ada", "password": "pw-0123456789"}, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == link
    assert b"Connect the Jira site" in response.content
