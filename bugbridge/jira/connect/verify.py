"""One verifier for every request Jira makes to us as a Connect app.

Shared-secret tokens (iframes, webhooks, enabled/disabled): HS256 signed with the secret of the
site whose clientKey is the `iss`, `exp`/`iat` with a small leeway, and a qsh recomputed from the
request we actually received. Signed installs (installed/uninstalled): RS256 with a `kid` whose
public key comes from Atlassian's key service, `aud` = our base URL, `iss` = the body's clientKey.

Order matters: the algorithm is pinned before any key is chosen (a PEM public key must never be
usable as an HMAC secret, and `alg: none` never passes), and the shared secret is looked up by the
unverified `iss` only to verify the signature over that same claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt
import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from bugbridge.jira.connect.keys import KeyUnavailable, install_public_key
from bugbridge.jira.connect.qsh import CONTEXT_QSH, base_path_of, query_hash
from bugbridge.jira.models import AuthMethod, JiraSite

log = structlog.get_logger(__name__)

# Clock skew between Jira and us; Atlassian's examples use a few seconds, atlassian-jwt 90 s.
LEEWAY_SECONDS = 30
_REQUIRED_CLAIMS = ["iss", "iat", "exp", "qsh"]


class ConnectAuthError(Exception):
    """A refused token. `message` is safe to show; `reason` is a stable key for logs and tests."""

    def __init__(self, status: int, reason: str, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.expired = expired


@dataclass(frozen=True)
class VerifiedRequest:
    site: JiraSite
    claims: dict[str, Any]

    @property
    def account_id(self) -> str:
        """The Atlassian accountId of the person acting ("" for system calls like webhooks)."""
        return str(self.claims.get("sub") or "")

    @property
    def is_context_token(self) -> bool:
        return self.claims.get("qsh") == CONTEXT_QSH


def rejection_response(error: ConnectAuthError) -> HttpResponse:
    return HttpResponse(
        f"{error.message}\n", status=error.status, content_type="text/plain; charset=utf-8"
    )


def _reject(
    status: int, reason: str, message: str, *, event: str, expired: bool = False, **fields: Any
) -> ConnectAuthError:
    log.warning(event, reason=reason, status=status, **fields)
    return ConnectAuthError(status, reason, message, expired=expired)


# -- token transport ----------------------------------------------------------------------


def extract_token(
    request: HttpRequest, *, allow_query: bool = True, event: str = "jira.connect.jwt.rejected"
) -> str:
    """The JWT from `Authorization: JWT <token>` or (iframes) the `jwt` query parameter."""
    header = request.headers.get("Authorization", "")
    from_query = request.GET.get("jwt", "") if allow_query else ""
    from_header = ""
    if header:
        scheme, _, value = header.partition(" ")
        if scheme != "JWT" or not value.strip():
            raise _reject(
                400,
                "malformed_header",
                "Malformed Authorization header: expected 'JWT <token>'.",
                event=event,
                received=scheme[:16],
            )
        from_header = value.strip()
    if from_header and from_query and from_header != from_query:
        # Two different tokens: which one was meant is unknowable, so neither is trusted.
        raise _reject(400, "two_tokens", "Two different JWTs in one request.", event=event)
    token = from_header or from_query
    if not token:
        raise _reject(
            400,
            "missing_token",
            "Missing JWT: send 'Authorization: JWT <token>' or a jwt query parameter.",
            event=event,
            path=request.path,
        )
    return token


def _peek(token: str, event: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise _reject(
            400, "malformed_token", "Malformed JWT.", event=event, error=str(exc)
        ) from exc
    return header, claims


# -- qsh ------------------------------------------------------------------------------------


def request_query_hash(request: HttpRequest, *, method: str | None = None) -> str:
    """The qsh of the request we received: path relative to our base URL, query without jwt."""
    return query_hash(
        method or request.method or "GET",
        request.path,
        request.META.get("QUERY_STRING", ""),
        base_path=base_path_of(settings.BASE_URL),
    )


def _check_qsh(
    request: HttpRequest, claims: dict[str, Any], *, allow_context_qsh: bool, event: str
) -> None:
    received = claims.get("qsh")
    if received == CONTEXT_QSH:
        if allow_context_qsh:
            return
        # Context tokens are not bound to a URL: accepting one on a webhook or a lifecycle call
        # would let any token a browser ever saw replay a state-changing call.
        raise _reject(
            401,
            "context_qsh_not_allowed",
            "A context JWT is not accepted here.",
            event=event,
            path=request.path,
        )
    expected = request_query_hash(request)
    if received != expected:
        raise _reject(
            401,
            "wrong_qsh",
            "The JWT was made for a different request (qsh mismatch).",
            event=event,
            expected=expected,
            received=str(received)[:80],
            path=request.path,
        )


# -- shared-secret tokens -------------------------------------------------------------------


def _site_for_issuer(issuer: str, *, require_enabled: bool, event: str) -> JiraSite:
    site = JiraSite.objects.filter(auth_method=AuthMethod.CONNECT, client_key=issuer).first()
    if site is None or not site.shared_secret:
        raise _reject(
            401, "unknown_issuer", "The app is not installed on this site.", event=event, iss=issuer
        )
    if require_enabled and not site.is_enabled:
        raise _reject(
            401,
            "site_disabled",
            "The app is not enabled on this site.",
            event=event,
            iss=issuer,
            site=site.pk,
        )
    return site


def _decode_hs256(token: str, site: JiraSite, event: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            site.shared_secret,
            algorithms=["HS256"],
            leeway=LEEWAY_SECONDS,
            # `aud` is not part of shared-secret tokens; PyJWT would refuse one if present.
            options={"require": _REQUIRED_CLAIMS, "verify_aud": False},
        )
    except jwt.ExpiredSignatureError as exc:
        raise _reject(
            401, "expired", "The JWT has expired.", event=event, expired=True, site=site.pk
        ) from exc
    except jwt.InvalidSignatureError as exc:
        raise _reject(
            401, "bad_signature", "Invalid JWT signature.", event=event, site=site.pk
        ) from exc
    except jwt.PyJWTError as exc:
        raise _reject(
            401, "invalid_token", "Invalid JWT.", event=event, site=site.pk, error=str(exc)
        ) from exc
    return claims


def verify_request(
    request: HttpRequest, *, allow_context_qsh: bool = False, require_enabled: bool = True
) -> VerifiedRequest:
    """Verify a shared-secret Connect JWT on `request`, or raise ConnectAuthError.

    `allow_context_qsh` only for views Jira loads in an iframe (the issue panel, the configure
    page), never for webhooks or lifecycle calls.
    """
    event = "jira.connect.jwt.rejected"
    token = extract_token(request)
    header, unverified = _peek(token, event)
    if header.get("alg") != "HS256":
        raise _reject(
            401,
            "wrong_alg",
            "Unexpected JWT algorithm.",
            event=event,
            expected="HS256",
            received=str(header.get("alg"))[:16],
        )
    issuer = str(unverified.get("iss") or "")
    site = _site_for_issuer(issuer, require_enabled=require_enabled, event=event)
    claims = _decode_hs256(token, site, event)
    _check_qsh(request, claims, allow_context_qsh=allow_context_qsh, event=event)
    return VerifiedRequest(site=site, claims=claims)


# -- signed installs ------------------------------------------------------------------------


def _audience_matches(aud: Any) -> bool:
    # `aud` is a list holding the app's descriptor baseUrl; ACE compares without a trailing "/".
    expected = settings.BASE_URL.rstrip("/")
    values = aud if isinstance(aud, list) else [aud]
    return any(isinstance(v, str) and v.rstrip("/") == expected for v in values)


def _decode_rs256(token: str, kid: str, event: str) -> dict[str, Any]:
    try:
        key = install_public_key(kid)
    except KeyUnavailable as exc:
        raise _reject(401, "unknown_kid", f"Install key: {exc}.", event=event, kid=kid) from exc
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            leeway=LEEWAY_SECONDS,
            # aud is compared by hand below, to tolerate a trailing slash and to log both values.
            options={"require": [*_REQUIRED_CLAIMS, "aud"], "verify_aud": False},
        )
    except jwt.ExpiredSignatureError as exc:
        raise _reject(401, "expired", "The install JWT has expired.", event=event) from exc
    except jwt.InvalidSignatureError as exc:
        raise _reject(
            401, "bad_signature", "Invalid install JWT signature.", event=event, kid=kid
        ) from exc
    except jwt.PyJWTError as exc:
        raise _reject(
            401, "invalid_token", "Invalid install JWT.", event=event, error=str(exc)
        ) from exc
    return claims


def verify_signed_lifecycle(request: HttpRequest, client_key: str) -> dict[str, Any]:
    """Verify the RS256 token of an installed/uninstalled callback for `client_key`.

    With apiMigrations.signed-install Atlassian signs these with its own key (header `kid`).
    An HS256 token is refused even for a known site: whoever holds (or guesses) a shared secret
    must not be able to replace it.
    """
    event = "jira.connect.install.rejected"
    # Lifecycle callbacks carry the token in the header only.
    token = extract_token(request, allow_query=False, event=event)
    header, _ = _peek(token, event)
    if header.get("alg") != "RS256":
        raise _reject(
            401,
            "unsigned_install",
            "Install callbacks must be signed by Atlassian (RS256 with kid).",
            event=event,
            expected="RS256",
            received=str(header.get("alg"))[:16],
            client_key=client_key,
        )
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise _reject(
            401, "missing_kid", "The install JWT has no kid.", event=event, client_key=client_key
        )
    claims = _decode_rs256(token, kid, event)
    if not _audience_matches(claims.get("aud")):
        raise _reject(
            401,
            "wrong_aud",
            "The install JWT is for another app (aud).",
            event=event,
            expected=settings.BASE_URL,
            received=str(claims.get("aud"))[:200],
        )
    if claims.get("iss") != client_key:
        raise _reject(
            401,
            "wrong_iss",
            "The install JWT was issued for another site (iss != clientKey).",
            event=event,
            expected=client_key,
            received=str(claims.get("iss"))[:200],
        )
    _check_qsh(request, claims, allow_context_qsh=False, event=event)
    return claims
