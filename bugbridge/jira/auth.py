"""How our calls to a site prove who we are, one httpx.Auth per way in."""

from __future__ import annotations

import base64
from collections.abc import Generator

import httpx

from bugbridge.jira.models import AuthMethod, JiraSite


class BasicTokenAuth(httpx.Auth):
    """Jira Cloud API token: Basic with the account's e-mail and the token."""

    def __init__(self, email: str, token: str) -> None:
        raw = f"{email}:{token}".encode()
        self._header = "Basic " + base64.b64encode(raw).decode()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


class BearerAuth(httpx.Auth):
    """Data Center personal access token, or an OAuth 2.0 access token."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


def auth_for_site(site: JiraSite) -> httpx.Auth:
    if site.auth_method == AuthMethod.API_TOKEN:
        return BasicTokenAuth(site.account_email, site.api_token)
    if site.auth_method == AuthMethod.PAT:
        return BearerAuth(site.api_token)
    if site.auth_method == AuthMethod.OAUTH2:
        return BearerAuth(site.oauth_access_token)
    if site.auth_method == AuthMethod.CONNECT:
        from bugbridge.jira.connect.signing import ConnectJWTAuth

        return ConnectJWTAuth.for_site(site)
    raise ValueError(f"unknown auth method {site.auth_method!r}")
