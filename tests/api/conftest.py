"""The web tests' two-organization world, plus API tokens for its users."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bugbridge.api.tokens import create_token
from tests.web.conftest import World, fast_passwords, world  # noqa: F401 (fixtures)


class ApiClient:
    """The Django test client with a token and JSON bodies."""

    def __init__(self, token: str) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def request(self, method: str, path: str, body: Any = None) -> Any:
        call = getattr(self.client, method.lower())
        kwargs: dict[str, Any] = {"headers": self.headers}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return call(f"/api/v1{path}", **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("post", path, body if body is not None else {})

    def patch(self, path: str, body: Any) -> Any:
        return self.request("patch", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self.request("put", path, body)

    def delete(self, path: str) -> Any:
        return self.request("delete", path)


@pytest.fixture
def api(world: World) -> ApiClient:  # noqa: F811
    _, plain = create_token(world.alice, "tests")
    return ApiClient(plain)


@pytest.fixture
def carol_api(world: World) -> ApiClient:  # noqa: F811
    _, plain = create_token(world.carol, "tests")
    return ApiClient(plain)
