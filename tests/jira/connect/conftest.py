"""Connect fixtures: a Jira sandbox (it also serves the install public keys) and settings."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from django.core.cache import cache

from bugbridge.jira.models import AuthMethod, JiraSite
from jira_sandbox import Sandbox
from tests.jira.connect.helpers import APP_KEY, BASE_URL, SITE_SECRET, new_kid, rsa_pair


@pytest.fixture(scope="session")
def connect_sb(sandbox: Sandbox) -> Sandbox:
    """The session's shared sandbox (tests/conftest.py); it also serves install public keys."""
    return sandbox


@pytest.fixture
def connect_settings(settings: Any, connect_sb: Sandbox) -> Any:
    settings.BASE_URL = BASE_URL
    settings.CONNECT_APP_KEY = APP_KEY
    settings.CONNECT_INSTALL_KEYS_URL = f"{connect_sb.url}/_connect-keys"
    cache.clear()
    return settings


@pytest.fixture
def install_key(connect_sb: Sandbox) -> tuple[RSAPrivateKey, str]:
    """An Atlassian-like signing key, published by the sandbox under a fresh kid."""
    private, pem = rsa_pair()
    kid = new_kid()
    connect_sb.connect_keys[kid] = pem
    return private, kid


@pytest.fixture
def connect_site(db: Any, connect_settings: Any) -> JiraSite:
    return JiraSite.objects.create(
        name="acme.atlassian.net",
        base_url="https://acme.atlassian.net",
        auth_method=AuthMethod.CONNECT,
        client_key="client-acme",
        shared_secret=SITE_SECRET,
    )
