"""The Connect query-string hash (qsh): which request a JWT was made for.

canonical request = METHOD & path-relative-to-base-URL & sorted, RFC 3986-encoded query (without
`jwt`); qsh = sha256 hex of it. The canonical form itself comes from `atlassian_jwt.url_utils`,
which passes Atlassian's interop vectors but expects a URL already relative to the base URL: the
base-path stripping (Confluence's `/wiki`, a Data Center context path, our own BASE_URL path) is
ours.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from atlassian_jwt.url_utils import canonicalize_request

# The fixed qsh of context JWTs (apiMigrations.context-qsh): a token that is not bound to a URL.
CONTEXT_QSH = "context-qsh"


def base_path_of(base_url: str) -> str:
    """The path part of a base URL, without a trailing slash ("" for a bare host)."""
    return urlsplit(base_url).path.rstrip("/")


def relative_path(path: str, base_path: str) -> str:
    """`path` with the base URL's path removed; qsh paths are relative to the base URL."""
    base = base_path.rstrip("/")
    if not base:
        return path or "/"
    if path == base:
        return "/"
    if path.startswith(base + "/"):
        return path[len(base) :]
    # Not under the base path: hash it as it is, so the comparison fails rather than guesses.
    return path


def canonical_request(method: str, path: str, query: str = "", *, base_path: str = "") -> str:
    relative = relative_path(path, base_path)
    url = f"{relative}?{query}" if query else relative
    return str(canonicalize_request(method.upper(), url))


def query_hash(method: str, path: str, query: str = "", *, base_path: str = "") -> str:
    canonical = canonical_request(method, path, query, base_path=base_path)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def query_hash_for_url(method: str, url: str, base_url: str) -> str:
    """qsh of an absolute (or host-relative) URL, relative to `base_url`'s path."""
    parts = urlsplit(url)
    return query_hash(method, parts.path, parts.query, base_path=base_path_of(base_url))
