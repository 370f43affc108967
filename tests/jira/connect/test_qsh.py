"""qsh against Atlassian's interop vectors and the atlassian-jwt-js cases (see fixtures/README)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jwt
import pytest

from bugbridge.jira.connect.qsh import (
    canonical_request,
    query_hash,
    query_hash_for_url,
    relative_path,
)

FIXTURES = Path(__file__).parent / "fixtures"
VECTORS = json.loads((FIXTURES / "qsh-vectors.json").read_text())["vectors"]
SIGNED = json.loads((FIXTURES / "jwt-signed-urls.json").read_text())

pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [f"{i}-{case['name']}" for i, case in enumerate(cases)]


@pytest.mark.parametrize("vector", VECTORS, ids=_ids(VECTORS))
def test_relative_url_vectors(vector: dict[str, Any]) -> None:
    path, _, query = vector["relativeUrl"].partition("?")
    assert canonical_request(vector["method"], path, query) == vector["canonicalRequest"]
    assert query_hash(vector["method"], path, query) == vector["qsh"]


@pytest.mark.parametrize(
    "vector",
    [v for v in VECTORS if v["requestUrl"]],
    ids=_ids([v for v in VECTORS if v["requestUrl"]]),
)
def test_absolute_url_vectors_strip_the_base_path(vector: dict[str, Any]) -> None:
    parts = urlsplit(vector["requestUrl"])
    got = query_hash(vector["method"], parts.path, parts.query, base_path=vector["baseUrlPath"])
    assert got == vector["qsh"]


@pytest.mark.parametrize("case", SIGNED["tests"], ids=_ids(SIGNED["tests"]))
def test_atlassian_signed_urls(case: dict[str, Any]) -> None:
    parts = urlsplit(case["signedUrl"])
    token = dict(parse_qsl(parts.query))["jwt"]
    claims = jwt.decode(
        token, SIGNED["secret"], algorithms=["HS256"], options={"verify_exp": False}
    )
    base_path = case.get("addonBaseUrl", "")
    assert (
        canonical_request("GET", parts.path, parts.query, base_path=base_path)
        == (case["canonicalUrl"])
    )
    assert query_hash("GET", parts.path, parts.query, base_path=base_path) == claims["qsh"]


def test_jwt_parameter_is_ignored() -> None:
    assert query_hash("GET", "/p", "a=1&jwt=abc") == query_hash("GET", "/p", "a=1")


def test_outgoing_examples_from_the_reference() -> None:
    # Computed in reference/atlassian.md §1.4 for our own outgoing calls.
    assert query_hash("GET", "/rest/api/2/issue/ABC-1", "expand=names,renderedFields") == (
        "7d7950c2d9d02f677262fe97798891e32584be1f1a3a7c313e1de4c879936524"
    )
    assert query_hash("POST", "/rest/api/2/issue") == (
        "43dd1779e33c34fae00c308d62e5dd153a32147d1bcb5d40b3936457fda0ece4"
    )


def test_sentry_configure_vector() -> None:
    # reference/sentry-jira.md §4.1 (Sentry's own test vector).
    got = query_hash("GET", "/extensions/jira/configure/", "a=1&b=2&c=3&test=pass")
    assert got == "36f43b88d6a8cdf89bb8f744e2378bb0ceb6378e80ab0b513082a8b72396bccc"


@pytest.mark.parametrize(
    ("path", "base", "expected"),
    [
        ("/jira/rest/api/2/issue", "/jira", "/rest/api/2/issue"),
        ("/jira", "/jira", "/"),
        ("/jiraX/rest", "/jira", "/jiraX/rest"),
        ("/rest", "", "/rest"),
        ("", "", "/"),
    ],
)
def test_relative_path(path: str, base: str, expected: str) -> None:
    assert relative_path(path, base) == expected


def test_query_hash_for_url_uses_the_base_url_path() -> None:
    assert query_hash_for_url(
        "GET", "https://x.example/wiki/rest/api/space?limit=1", "https://x.example/wiki"
    ) == query_hash("GET", "/rest/api/space", "limit=1")
