"""Our calls to a Connect site: each request signed with its own short-lived JWT.

The token is bound to the exact request (method, path relative to the site's base URL, query)
through its qsh, so it cannot be computed once per client: it is made in `auth_flow`, after httpx
has built the final URL.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any

import httpx
import jwt
from django.conf import settings

from bugbridge.jira.connect.qsh import base_path_of, query_hash
from bugbridge.jira.errors import JiraAuthError
from bugbridge.jira.models import AuthMethod, JiraSite

# Jira refuses tokens that live too long; Atlassian's own clients use a few minutes.
TOKEN_TTL_SECONDS = 180


def sign_request(
    method: str,
    raw_path: str,
    raw_query: str,
    *,
    app_key: str,
    shared_secret: str,
    base_path: str = "",
    now: int | None = None,
) -> str:
    """A Connect JWT for one call: iss = our app key, qsh of this method, path and query."""
    issued = int(time.time()) if now is None else now
    claims: dict[str, Any] = {
        "iss": app_key,
        "iat": issued,
        "exp": issued + TOKEN_TTL_SECONDS,
        "qsh": query_hash(method, raw_path, raw_query, base_path=base_path),
    }
    return jwt.encode(claims, shared_secret, algorithm="HS256")


class ConnectJWTAuth(httpx.Auth):
    """httpx auth hook: `Authorization: JWT <token>` computed for each request."""

    def __init__(self, *, app_key: str, shared_secret: str, base_url: str) -> None:
        self._app_key = app_key
        self._secret = shared_secret
        self._base_path = base_path_of(base_url)

    @classmethod
    def for_site(cls, site: JiraSite) -> ConnectJWTAuth:
        if site.auth_method != AuthMethod.CONNECT:
            raise ValueError(f"site {site.pk} is not connected through Atlassian Connect")
        if not site.shared_secret:
            # Only a verified `installed` callback stores the secret; without it we cannot sign.
            raise JiraAuthError("the Connect app is not installed on this site (no shared secret)")
        return cls(
            app_key=settings.CONNECT_APP_KEY,
            shared_secret=site.shared_secret,
            base_url=site.base_url,
        )

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        # raw_path is what goes on the wire (percent-encoded path + "?" + query): the qsh must be
        # computed over those bytes, not over httpx's decoded view of them.
        raw = request.url.raw_path.decode("ascii")
        path, _, query = raw.partition("?")
        token = sign_request(
            request.method,
            path,
            query,
            app_key=self._app_key,
            shared_secret=self._secret,
            base_path=self._base_path,
        )
        request.headers["Authorization"] = f"JWT {token}"
        yield request
