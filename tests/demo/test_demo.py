"""The README's main job, run as a person runs it: `bugbridge demo` in a fresh data directory.

The demo is the embedded default (SQLite) by definition, so it runs without DATABASE_URL even
when the rest of the suite runs on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_demo_prints_groups_tickets_and_an_assignee_from_jira(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["BUGBRIDGE_DATA_DIR"] = str(tmp_path)

    completed = subprocess.run(
        [sys.executable, "-m", "bugbridge", "demo", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    groups = json.loads(completed.stdout)["groups"]
    assert len(groups) >= 3
    assert len({g["jira_key"] for g in groups if g["jira_key"]}) >= 3
    assert max(g["events"] for g in groups) >= 2
    from_jira = [g for g in groups if g["jira_assignee"] == "Ada Lovelace"]
    assert from_jira and from_jira[0]["bugbridge_assignee"] == "Ada Lovelace"
    to_jira = [g for g in groups if g["bugbridge_assignee"] == "Grace Hopper"]
    assert to_jira and to_jira[0]["jira_assignee"] == "Grace Hopper"
