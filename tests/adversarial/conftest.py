"""Attacks over real HTTP: the live server, httpx clients signed in like a browser or a script."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from bugbridge.api.tokens import create_token
from tests.web.conftest import World, fast_passwords  # noqa: F401 (fixture)

_CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


class Browser:
    """A signed-in browser: session cookie, and the CSRF token a page hands out for POSTs."""

    def __init__(self, base_url: str, user: Any) -> None:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        self.http = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)
        self.http.cookies.set(settings.SESSION_COOKIE_NAME, session.session_key or "")

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params)

    def post(self, path: str, data: dict[str, Any], *, csrf: bool = True) -> httpx.Response:
        headers = {"Referer": str(self.http.base_url)}
        if csrf:
            page = self.http.get("/issues/")
            found = _CSRF_META.search(page.text)
            assert found, "no CSRF token on the inbox page"
            headers["X-CSRFToken"] = found.group(1)
        return self.http.post(path, data=data, headers=headers)


class Script:
    """A script with an API token."""

    def __init__(self, base_url: str, user: Any) -> None:
        _, plain = create_token(user, "adversarial")
        self.http = httpx.Client(
            base_url=base_url + "/api/v1",
            timeout=30,
            headers={"Authorization": f"Bearer {plain}"},
        )


@pytest.fixture
def world(transactional_db: Any, fast_passwords: None) -> World:  # noqa: F811
    return World()


@pytest.fixture
def alice_browser(live_server: Any, world: World) -> Iterator[Browser]:
    browser = Browser(live_server.url, world.alice)
    yield browser
    browser.http.close()


@pytest.fixture
def alice_script(live_server: Any, world: World) -> Iterator[Script]:
    script = Script(live_server.url, world.alice)
    yield script
    script.http.close()


def assert_not_server_error(response: httpx.Response) -> None:
    assert response.status_code < 500, (
        f"{response.request.method} {response.request.url} → {response.status_code}: "
        f"{response.text[:300]}"
    )
