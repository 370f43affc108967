"""Public keys for signed installs: fetched by `kid` from Atlassian's key service and cached.

A rotated key gets a new `kid` (Atlassian staff, community thread 49046), so a key, once fetched,
never changes under its kid and can be cached for a long time.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx
import structlog
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.conf import settings
from django.core.cache import cache

log = structlog.get_logger(__name__)

KEY_CACHE_SECONDS = 24 * 3600
FETCH_TIMEOUT_SECONDS = 5.0
# kids are opaque ids (UUIDs, sometimes with a path-like prefix); anything else is refused before
# it can steer the fetch somewhere else ("..", "?", "#", "@").
_KID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,199}$")


class KeyUnavailable(Exception):
    """The key for a kid could not be obtained; the message is safe to show."""


def valid_kid(kid: object) -> bool:
    return isinstance(kid, str) and bool(_KID_RE.match(kid)) and ".." not in kid


def key_url(kid: str) -> str:
    return f"{settings.CONNECT_INSTALL_KEYS_URL}/{quote(kid, safe='/')}"


def install_public_key(kid: str) -> RSAPublicKey:
    """The RSA public key Atlassian signs installs with under `kid`."""
    if not valid_kid(kid):
        raise KeyUnavailable("malformed key id")
    cache_key = f"bugbridge:connect-install-key:{settings.CONNECT_INSTALL_KEYS_URL}:{kid}"
    pem = cache.get(cache_key)
    if pem is not None:
        return _load_rsa(pem)
    pem = _fetch_pem(kid)
    key = _load_rsa(pem)
    # Only a key that parsed is cached: a broken answer is retried on the next install.
    cache.set(cache_key, pem, KEY_CACHE_SECONDS)
    return key


def _fetch_pem(kid: str) -> str:
    url = key_url(kid)
    try:
        response = httpx.get(url, timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=False)
    except httpx.HTTPError as exc:
        log.warning("jira.connect.keys.fetch_failed", kid=kid, url=url, error=str(exc))
        raise KeyUnavailable("the key service could not be reached") from exc
    if response.status_code != 200:
        log.warning("jira.connect.keys.unknown_kid", kid=kid, url=url, status=response.status_code)
        raise KeyUnavailable("unknown key id")
    return response.text.strip()


def _load_rsa(pem: str) -> RSAPublicKey:
    try:
        key = load_pem_public_key(pem.encode())
    except ValueError as exc:
        raise KeyUnavailable("the key service returned no valid public key") from exc
    if not isinstance(key, RSAPublicKey):
        raise KeyUnavailable("the key service returned a key that is not RSA")
    return key
