"""Who is calling: Basic (e-mail/username + token), Bearer (OAuth 2.0 / DC PAT), Connect JWT."""

import base64
import binascii
import time
from typing import TYPE_CHECKING

import structlog

from .errors import JiraError
from .model import User
from .qsh import JwtRejected, verify_connect_jwt

if TYPE_CHECKING:
    from .site import Site

log = structlog.get_logger(__name__)

UNAUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."


def unauthorized(reason: str, site: "Site") -> JiraError:
    log.info("jira_sandbox.auth.rejected", reason=reason, site=site.name)
    # Seraph (Jira's auth layer) reports the failure in this header as well.
    return JiraError(
        401, [UNAUTHENTICATED], headers={"X-Seraph-LoginReason": "AUTHENTICATED_FAILED"}
    )


def authenticate(
    site: "Site", header: str, method: str, path: str, query: str, query_jwt: str | None
) -> tuple[User | None, str, str]:
    """Return (user, scheme, client); `None` user means anonymous. 401 on bad credentials.

    `client` is the OAuth client id or Connect app key behind the call, if any.
    """
    scheme, _, cred = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "basic":
        return _basic(site, cred.strip()), "basic", ""
    if scheme == "bearer":
        user, client = _bearer(site, cred.strip())
        return user, "bearer", client
    if scheme == "jwt" or query_jwt:
        token = (cred if scheme == "jwt" else query_jwt or "").strip()
        user = _jwt(site, token, method, path, query)
        return user, "jwt", site.connect.key if site.connect else ""
    if header:
        raise unauthorized("unknown scheme", site)
    return None, "anonymous", ""


def _basic(site: "Site", cred: str) -> User:
    try:
        pair = base64.b64decode(cred, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise unauthorized("malformed basic", site) from exc
    with site.lock:
        token = site.tokens.get(("basic", pair))
        if token is None:
            raise unauthorized("bad basic credentials", site)
        return site.users[token.account_id]


def _bearer(site: "Site", secret: str) -> tuple[User, str]:
    with site.lock:
        token = site.tokens.get(("bearer", secret))
        if token is None:
            raise unauthorized("unknown bearer token", site)
        if token.expires_ms is not None and token.expires_ms < time.time() * 1000:
            raise unauthorized("expired bearer token", site)
        return site.users[token.account_id], token.client_id


def _jwt(site: "Site", token: str, method: str, path: str, query: str) -> User:
    app = site.connect
    if app is None or not app.installed:
        raise unauthorized("no connect app installed", site)

    def secret_for(issuer: str) -> str | None:
        return app.shared_secret if issuer == app.key else None

    try:
        verify_connect_jwt(token, method, path, query, secret_for)
    except JwtRejected as exc:
        raise unauthorized(str(exc), site) from exc
    return site.users[app.user_account_id]
