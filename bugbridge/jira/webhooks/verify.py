"""How a webhook delivery proves it came from the Jira site it claims, one verifier per way in.

Verification runs on the raw body before anything parses it. A verifier raises
`WebhookRejected` with a short reason; the view answers 401 and stores nothing. Other ways in
(Connect JWTs, OAuth 2.0 dynamic-webhook JWTs) plug their verifier in with `register_verifier`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Protocol

import jwt
from django.conf import settings

from bugbridge.jira.models import AuthMethod, JiraSite


class WebhookRejected(Exception):
    """The delivery does not prove itself. `reason` is a stable word for logs and metrics."""

    def __init__(self, reason: str, detail: str, *, status: int = 401) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.status = status


class Verifier(Protocol):
    def verify(
        self, site: JiraSite, raw_body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> None:
        """Return when the delivery is genuine; raise WebhookRejected otherwise."""


def hub_signature(secret: str, raw_body: bytes) -> str:
    """`sha256=<hex>`: the value Jira Cloud sends in X-Hub-Signature for admin webhooks."""
    digest = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class HubSignatureVerifier:
    """Admin webhooks with a secret: HMAC-SHA256 of the raw body in `X-Hub-Signature`.

    Jira uses the WebSub header name `X-Hub-Signature` (not GitHub's `-256` variant) and the
    `sha256=` prefix. Jira's admin UI cannot add custom headers, so this is the only proof.
    """

    def verify(
        self, site: JiraSite, raw_body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> None:
        received = headers.get("X-Hub-Signature", "").strip()
        if not received:
            raise WebhookRejected("missing_signature", "X-Hub-Signature header is missing.")
        method, _, _ = received.partition("=")
        if method.lower() != "sha256":
            raise WebhookRejected("bad_signature", "X-Hub-Signature must be sha256=<hex>.")
        expected = hub_signature(site.webhook_secret, raw_body)
        if not hmac.compare_digest(expected.lower().encode(), received.lower().encode()):
            raise WebhookRejected("bad_signature", "X-Hub-Signature does not match the body.")


class SignatureOrUrlSecretVerifier:
    """Data Center: the HMAC header when the server sends one, else the secret in the URL.

    Whether a Data Center version signs deliveries varies; what every version can do is call a
    URL that carries an unguessable secret (`?secret=...`), so that is the fallback.
    """

    def verify(
        self, site: JiraSite, raw_body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> None:
        if headers.get("X-Hub-Signature"):
            HubSignatureVerifier().verify(site, raw_body, headers, query)
            return
        given = query.get("secret", "")
        if not given:
            raise WebhookRejected(
                "missing_signature", "Neither X-Hub-Signature nor a secret in the URL was given."
            )
        if not hmac.compare_digest(given.encode(), site.webhook_secret.encode()):
            raise WebhookRejected("bad_secret", "The secret in the URL does not match.")


class OAuthBearerVerifier:
    """OAuth 2.0 (3LO) dynamic webhooks: `Authorization: Bearer <JWT>`, HS256 with the app's
    client secret. They carry no HMAC; Atlassian documents no claim set beyond a signed,
    expiring token, so the signature and `exp` are what is checked.
    """

    def verify(
        self, site: JiraSite, raw_body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> None:
        secret = settings.JIRA_OAUTH_CLIENT_SECRET
        if not secret:
            raise WebhookRejected(
                "not_configured", "No OAuth 2.0 client secret is configured.", status=404
            )
        scheme, _, token = headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise WebhookRejected("missing_token", "Authorization: Bearer <JWT> is missing.")
        try:
            jwt.decode(
                token.strip(),
                secret,
                algorithms=["HS256"],
                options={"require": ["exp"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as exc:
            raise WebhookRejected("expired_token", "The webhook token has expired.") from exc
        except jwt.InvalidTokenError as exc:
            raise WebhookRejected("bad_token", "The webhook token is not valid.") from exc


_VERIFIERS: dict[str, Verifier] = {
    AuthMethod.API_TOKEN: HubSignatureVerifier(),
    AuthMethod.PAT: SignatureOrUrlSecretVerifier(),
    AuthMethod.OAUTH2: OAuthBearerVerifier(),
}


def register_verifier(auth_method: str, verifier: Verifier) -> None:
    """Let another way in (Connect, OAuth 2.0) say how its sites' deliveries are verified."""
    _VERIFIERS[auth_method] = verifier


def verifier_for(site: JiraSite) -> Verifier:
    verifier = _VERIFIERS.get(site.auth_method)
    if verifier is None:
        raise WebhookRejected(
            "no_verifier",
            f"Sites connected by {site.auth_method} do not accept deliveries here.",
            status=404,
        )
    return verifier
