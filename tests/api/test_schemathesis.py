"""Property-based: generated requests against every operation of the served OpenAPI schema,
over real HTTP to the live server. No response is a 500; every response matches the schema
(status codes, content types, bodies)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bugbridge.api.api import api as ninja_api
from bugbridge.api.tokens import create_token
from tests.web.conftest import World, fast_passwords, world  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def token(world: World) -> str:  # noqa: F811
    return create_token(world.alice, "schemathesis")[1]


# The schema the server serves at /api/v1/openapi.json (test_endpoints checks it is served).
schema = schemathesis.openapi.from_dict(ninja_api.get_openapi_schema())


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests_never_fail_and_match_the_schema(
    case: Any, token: str, live_server: Any
) -> None:
    case.call_and_validate(
        base_url=live_server.url, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS
    )
