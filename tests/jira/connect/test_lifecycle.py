"""Signed install / uninstall (RS256 + kid from the sandbox's key service), enabled/disabled."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from bugbridge.jira.models import AuthMethod, JiraSite
from jira_sandbox import Sandbox
from tests.jira.connect.helpers import (
    SITE_SECRET,
    claims_for,
    hs_token,
    install_body,
    lifecycle_post,
    signed_install,
)

pytestmark = pytest.mark.django_db
INSTALLED = "/jira/connect/installed"
UNINSTALLED = "/jira/connect/uninstalled"


def _install(client: Any, key: tuple[RSAPrivateKey, str], client_key: str, **body: Any) -> Any:
    private, kid = key
    payload = install_body(
        client_key,
        body.pop("base_url", "https://new.atlassian.net"),
        body.pop("secret", SITE_SECRET),
    )
    return lifecycle_post(client, INSTALLED, payload, signed_install(private, kid, client_key))


def test_signed_install_stores_the_site(
    client: Any, connect_settings: Any, install_key: Any
) -> None:
    response = _install(client, install_key, "client-new")
    assert response.status_code == 204, response.content
    site = JiraSite.objects.get(client_key="client-new")
    assert site.auth_method == AuthMethod.CONNECT
    assert site.base_url == "https://new.atlassian.net"
    assert site.shared_secret == SITE_SECRET
    assert site.is_enabled


def test_reinstall_updates_the_known_site(
    client: Any, connect_site: JiraSite, install_key: Any
) -> None:
    new_secret = "rotated-secret-0123456789abcdef-0123456789abcd"
    response = _install(
        client,
        install_key,
        "client-acme",
        base_url="https://acme-renamed.atlassian.net",
        secret=new_secret,
    )
    assert response.status_code == 204, response.content
    site = JiraSite.objects.get(pk=connect_site.pk)
    assert site.shared_secret == new_secret
    assert site.base_url == "https://acme-renamed.atlassian.net"
    assert JiraSite.objects.filter(client_key="client-acme").count() == 1


def test_public_key_is_cached_by_kid(
    client: Any, connect_settings: Any, install_key: Any, connect_sb: Sandbox
) -> None:
    assert _install(client, install_key, "client-cache").status_code == 204
    del connect_sb.connect_keys[install_key[1]]  # the key service forgets it; our cache does not
    assert _install(client, install_key, "client-cache").status_code == 204


def test_wrong_app_key_is_refused(client: Any, connect_settings: Any, install_key: Any) -> None:
    private, kid = install_key
    body = {**install_body("client-x", "https://x.atlassian.net", SITE_SECRET), "key": "other.app"}
    response = lifecycle_post(client, INSTALLED, body, signed_install(private, kid, "client-x"))
    assert response.status_code == 400
    assert not JiraSite.objects.filter(client_key="client-x").exists()


@pytest.mark.parametrize("body", [b"", b"[]", b"{not json"])
def test_bad_body_is_400(client: Any, connect_settings: Any, body: bytes) -> None:
    response = client.post(INSTALLED, data=body, content_type="application/json")
    assert response.status_code == 400


def test_uninstall_disables_and_keeps_everything(
    client: Any, connect_site: JiraSite, install_key: Any
) -> None:
    private, kid = install_key
    token = signed_install(private, kid, "client-acme", UNINSTALLED)
    body = install_body("client-acme", connect_site.base_url, "", "uninstalled")
    response = lifecycle_post(client, UNINSTALLED, body, token)
    assert response.status_code == 204, response.content
    site = JiraSite.objects.get(pk=connect_site.pk)
    assert not site.is_enabled
    assert site.shared_secret == SITE_SECRET
    assert "uninstalled" in site.disabled_reason


def test_uninstall_of_an_unknown_site_is_404(
    client: Any, connect_settings: Any, install_key: Any
) -> None:
    private, kid = install_key
    token = signed_install(private, kid, "client-ghost", UNINSTALLED)
    body = install_body("client-ghost", "https://ghost.atlassian.net", "", "uninstalled")
    assert lifecycle_post(client, UNINSTALLED, body, token).status_code == 404


def test_reinstall_after_uninstall_enables_again(
    client: Any, connect_site: JiraSite, install_key: Any
) -> None:
    JiraSite.objects.filter(pk=connect_site.pk).update(is_enabled=False, disabled_reason="x")
    assert _install(client, install_key, "client-acme").status_code == 204
    assert JiraSite.objects.get(pk=connect_site.pk).is_enabled


@pytest.mark.parametrize(
    ("path", "enabled"), [("/jira/connect/disabled", False), ("/jira/connect/enabled", True)]
)
def test_enabled_and_disabled_use_the_shared_secret(
    client: Any, connect_site: JiraSite, path: str, enabled: bool
) -> None:
    JiraSite.objects.filter(pk=connect_site.pk).update(is_enabled=not enabled)
    token = hs_token(SITE_SECRET, claims_for("client-acme", "POST", path))
    body = install_body("client-acme", connect_site.base_url, "", path.rsplit("/", 1)[-1])
    assert lifecycle_post(client, path, body, token).status_code == 204
    assert JiraSite.objects.get(pk=connect_site.pk).is_enabled is enabled


def test_oversized_fields_are_refused_not_crashed(
    client: Any, connect_settings: Any, install_key: Any
) -> None:
    private, kid = install_key
    client_key = "c" * 300
    body = install_body(client_key, "https://x.atlassian.net", SITE_SECRET)
    response = lifecycle_post(client, INSTALLED, body, signed_install(private, kid, client_key))
    assert response.status_code == 400
    assert b"too long" in response.content
    assert not JiraSite.objects.exists()
