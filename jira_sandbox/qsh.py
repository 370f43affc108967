"""Atlassian Connect query-string hash (qsh) and JWT checking, written from the spec.

canonical request = METHOD & canonical-path & canonical-query; qsh = sha256 hex of it.
"""

import hashlib
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import jwt
from jwt.warnings import InsecureKeyLengthWarning

_UNRESERVED = "-._~"


def _enc(value: str) -> str:
    """RFC 3986 encoding: only unreserved characters stay literal (space is %20, not +)."""
    return quote(value, safe=_UNRESERVED)


def canonical_path(path: str, base_path: str = "") -> str:
    base = base_path.rstrip("/")
    if base and (path == base or path.startswith(base + "/")):
        path = path[len(base) :]
    if not path.startswith("/"):
        path = "/" + path
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    # Only '&' is re-encoded: it would otherwise be ambiguous with the separators.
    return path.replace("&", "%26")


def canonical_query(query: str, extra: list[tuple[str, str]] | None = None) -> str:
    grouped: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True) + (extra or []):
        if name == "jwt":
            continue
        grouped.setdefault(_enc(name), []).append(value)
    # Values are sorted before encoding (Atlassian JWT-20 behaviour; all vectors agree).
    parts = [f"{n}={','.join(_enc(v) for v in sorted(vs))}" for n, vs in sorted(grouped.items())]
    return "&".join(parts)


def canonical_request(method: str, path: str, query: str = "", base_path: str = "") -> str:
    return f"{method.upper()}&{canonical_path(path, base_path)}&{canonical_query(query)}"


def qsh(method: str, path: str, query: str = "", base_path: str = "") -> str:
    canonical = canonical_request(method, path, query, base_path)
    return hashlib.sha256(canonical.encode()).hexdigest()


def qsh_for_url(method: str, url: str, base_url: str = "") -> str:
    """qsh of an absolute or relative URL, relative to `base_url`'s path."""
    parts = urlsplit(url)
    base_path = urlsplit(base_url).path if base_url else ""
    return qsh(method, parts.path, parts.query, base_path)


class JwtRejected(Exception):
    """The token is not acceptable; the message says why (kept out of the response body)."""


@dataclass
class CheckedJwt:
    claims: dict[str, Any]
    issuer: str


def verify_connect_jwt(
    token: str,
    method: str,
    path: str,
    query: str,
    secret_for: Callable[[str], str | None],
    base_path: str = "",
    verify_exp: bool = True,
    leeway: int = 30,
    allow_context_qsh: bool = False,
) -> CheckedJwt:
    """Check an HS256 Connect JWT: issuer known, signature, iat/exp, and the exact qsh."""
    header, unverified = _peek(token)
    if header.get("alg") != "HS256":
        raise JwtRejected(f"unexpected alg {header.get('alg')!r}")
    issuer = str(unverified.get("iss", ""))
    secret = secret_for(issuer)
    if not secret:
        raise JwtRejected(f"unknown issuer {issuer!r}")
    claims = _decode(token, secret, verify_exp, leeway)
    _check_qsh(claims, qsh(method, path, query, base_path), allow_context_qsh)
    return CheckedJwt(claims, issuer)


def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise JwtRejected(f"malformed token: {exc}") from exc
    return header, claims


def _decode(token: str, secret: str, verify_exp: bool, leeway: int) -> dict[str, Any]:
    required = ["iss", "iat", "exp", "qsh"] if verify_exp else ["iss", "qsh"]
    options: Any = {"verify_exp": verify_exp, "verify_aud": False, "require": required}
    try:
        with warnings.catch_warnings():
            # Shared secrets are whatever the tenant issued; short ones are not our call.
            warnings.simplefilter("ignore", InsecureKeyLengthWarning)
            return jwt.decode(token, secret, algorithms=["HS256"], options=options, leeway=leeway)
    except jwt.PyJWTError as exc:
        raise JwtRejected(f"invalid token: {exc}") from exc


def _check_qsh(claims: dict[str, Any], expected: str, allow_context: bool) -> None:
    got = claims.get("qsh")
    if allow_context and got == "context-qsh":
        return
    if got != expected:
        raise JwtRejected("qsh does not match the request")


def sign_connect_jwt(
    method: str, url: str, issuer: str, secret: str, base_url: str = "", ttl: int = 180
) -> str:
    """Make the token a Connect app sends to Jira (handy for tests and the demo)."""
    now = int(time.time())
    claims = {
        "iss": issuer,
        "iat": now,
        "exp": now + ttl,
        "qsh": qsh_for_url(method, url, base_url),
    }
    return jwt.encode(claims, secret, algorithm="HS256")
