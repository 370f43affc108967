"""The `bugbridge` command as a script runs it: no terminal, a fresh data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _bugbridge(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["BUGBRIDGE_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "bugbridge", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_createuser_without_a_terminal_says_which_flag_to_pass(tmp_path: Path) -> None:
    assert _bugbridge(tmp_path, "migrate", "-v", "0").returncode == 0

    result = _bugbridge(tmp_path, "createuser", "--username", "ops", "--email", "o@x.example")

    assert result.returncode == 1
    assert "pass --organization" in result.stderr
    assert "Traceback" not in result.stderr


def test_createuser_with_every_flag_creates_an_owner(tmp_path: Path) -> None:
    assert _bugbridge(tmp_path, "migrate", "-v", "0").returncode == 0

    result = _bugbridge(
        tmp_path,
        "createuser",
        "--username=ops",
        "--email=ops@example.com",
        "--password=a long enough passphrase",
        "--organization=Acme",
        "--no-input",
    )

    assert result.returncode == 0, result.stderr
    assert "Created ops, owner of Acme." in result.stdout
