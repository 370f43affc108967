"""Secrets must not reach the logs of a real `bugbridge serve`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

_MAKE_DC_SITE = """
from bugbridge.jira.models import AuthMethod, Deployment, JiraSite
site = JiraSite.objects.create(
    name="dc", base_url="http://127.0.0.1:9/dc", deployment=Deployment.DATA_CENTER,
    auth_method=AuthMethod.PAT, api_token="pat-SECRET-123",
)
print("SITE", site.public_id, site.webhook_secret)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bugbridge(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "bugbridge.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=True)


def test_data_center_webhook_secret_in_the_url_is_not_in_the_access_log(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "BUGBRIDGE_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "bugbridge.settings",
    }
    _bugbridge(env, "migrate", "--verbosity", "0")
    made = _bugbridge(env, "shell", "-c", _MAKE_DC_SITE).stdout
    _, public_id, secret = next(
        line for line in made.splitlines() if line.startswith("SITE")
    ).split()
    port = _free_port()
    out = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "bugbridge.cli", "serve", "--port", str(port), "--no-worker"],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/jira/webhooks/{public_id}/"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "bugbridge serve did not start"
                time.sleep(0.2)
        good = httpx.post(url, params={"secret": secret}, json={"webhookEvent": "user_created"})
        bad = httpx.post(url, params={"secret": secret + "x"}, json={"webhookEvent": "x"})
        assert good.status_code == 200, good.text
        assert bad.status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=30)
        out.close()

    log = (tmp_path / "serve.log").read_text()
    assert f"/jira/webhooks/{public_id}/" in log  # the requests were logged...
    assert secret not in log  # ...without the secret that authenticates them
    assert "pat-SECRET-123" not in log
