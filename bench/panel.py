"""Issue panel render time for 1, 10 and 100 groups linked to one ticket, with the query count.

Sets up a fresh database (a temporary SQLite file, or a PostgreSQL database it drops and
recreates), runs the migrations, starts a jira_sandbox site that trusts a Connect install, and
links N groups (each with events spread over the last 20 days) to one ticket. Then it loads
`/jira/connect/issue-panel/<key>?jwt=…` through Django's test client (in process: the view,
JWT verification, the queries and the template, no network) as Jira would, with a fresh
URL-bound token per request. The first load per size also writes the glance badge to the
sandbox over HTTP; the timed loads after it find the badge unchanged and make no Jira call.

    .venv/bin/python bench/panel.py --database sqlite
    .venv/bin/python bench/panel.py --database postgresql --write-docs
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION_START, SECTION_END = "<!-- panel:start -->", "<!-- panel:end -->"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/bb_bench_panel"
APP_KEY = "io.bugbridge.bench"
SECRET = "bench-shared-secret-0123456789abcdef-0123456789"
QUERY = "xdm_e=https%3A%2F%2Fexample.atlassian.net&xdm_c=channel-x&cp=&lic=none&cv=1001.0.0"


def _configure_environment(database: str, pg_url: str, data_dir: str) -> str:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bugbridge.settings"
    os.environ["BUGBRIDGE_DATA_DIR"] = data_dir
    os.environ["BUGBRIDGE_BASE_URL"] = "http://testserver"
    os.environ["BUGBRIDGE_CONNECT_APP_KEY"] = APP_KEY
    os.environ["BUGBRIDGE_LOG_LEVEL"] = "WARNING"
    if database == "sqlite":
        url = f"sqlite:///{data_dir}/bench.sqlite3"
    else:
        _recreate_pg(pg_url)
        url = pg_url
    os.environ["DATABASE_URL"] = url
    return url


def _recreate_pg(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _setup_django() -> None:
    import django
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    django.setup()
    setup_test_environment()
    call_command("migrate", verbosity=0)


def _seed(groups: int, events_per_group: int, sandbox: Any) -> tuple[Any, str]:
    from django.utils import timezone

    from bugbridge.jira.models import AuthMethod, JiraSite, SiteBinding
    from bugbridge.sync.models import GroupLink, Ticket
    from bugbridge.tracker.models import Event, Group, Organization, Project
    from jira_sandbox.connect import ConnectInstall

    jira = sandbox.add_site(f"bench{uuid.uuid4().hex[:8]}")
    jira.connect = ConnectInstall(
        APP_KEY, f"ck-{jira.name}", SECRET, "http://testserver", jira.admin["accountId"], {}
    )
    org = Organization.objects.create(name=jira.name, slug=jira.name)
    project = Project.objects.create(organization=org, name="Shop", slug="shop")
    site = JiraSite.objects.create(
        name=jira.name,
        base_url=jira.base_url,
        auth_method=AuthMethod.CONNECT,
        client_key=f"ck-{jira.name}",
        shared_secret=SECRET,
    )
    SiteBinding.objects.create(site=site, organization=org)
    jira.act_create("Checkout crashes", project="BB", issuetype="Bug")
    key = str(jira.last_key)
    ticket = Ticket.objects.create(site=site, key=key, issue_id=str(jira.get_issue(key)["id"]))
    now = timezone.now()
    for i in range(groups):
        group = Group.objects.create(
            project=project,
            fingerprint_hash=uuid.uuid4().hex,
            title=f"Error {i}",
            first_seen=now - timedelta(days=30),
            last_seen=now,
            users_seen=i,
            first_release="1.0",
            last_release="1.1",
        )
        Event.objects.bulk_create(
            Event(
                project=project,
                group=group,
                title=group.title,
                timestamp=now - timedelta(minutes=(e * 20 * 24 * 60) // events_per_group),
            )
            for e in range(events_per_group)
        )
        GroupLink.objects.create(group=group, ticket=ticket)
    return site, key


def _url(site: Any, key: str) -> str:
    from bugbridge.jira.connect.signing import sign_request

    path = f"/jira/connect/issue-panel/{key}"
    # Same claims Jira sends (iss = clientKey); sign_request makes iss/iat/exp/qsh for us.
    token = sign_request("GET", path, QUERY, app_key=site.client_key, shared_secret=SECRET)
    return f"{path}?{QUERY}&jwt={token}"


def _measure(site: Any, key: str, groups: int, repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client

    client = Client()
    executed: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append(sql)
        return execute(sql, params, many, context)

    # Warm-up (URLconf, templates, HTTP client) on an unlinked key, so "first" is the badge write.
    assert client.get(_url(site, "WARM-1")).status_code == 200
    started = time.perf_counter()
    first = client.get(_url(site, key))
    first_ms = (time.perf_counter() - started) * 1000
    assert first.status_code == 200 and first.content.count(b'class="group"') == groups
    with connection.execute_wrapper(count):
        assert client.get(_url(site, key)).status_code == 200
    timings = []
    for _ in range(repeat):
        url = _url(site, key)
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    timings.sort()
    return {
        "groups": groups,
        "queries": len(executed),
        "first_ms": first_ms,
        "median_ms": statistics.median(timings),
        "p95_ms": timings[min(len(timings) - 1, int(len(timings) * 0.95))],
    }


def _table(rows: list[dict[str, Any]], database: str, events: int, command: str) -> str:
    lines = [
        f"Database: {database}; {events} events per group over 20 days; "
        f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}.",
        "",
        f"Command: `{command}`",
        "",
        "| linked groups | queries per render | first render (writes badge), ms "
        "| median ms | p95 ms |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['groups']} | {r['queries']} | {r['first_ms']:.1f} "
            f"| {r['median_ms']:.1f} | {r['p95_ms']:.1f} |"
        )
    return "\n".join(lines)


def _write_docs(database: str, table: str) -> None:
    start, end = f"<!-- panel-{database}:start -->", f"<!-- panel-{database}:end -->"
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    block = f"{start}\n{table}\n{end}"
    if start in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        if SECTION_START not in text:
            text = (
                text.rstrip()
                + f"\n\n## Issue panel (bench/panel.py)\n\n{SECTION_START}\n{SECTION_END}\n"
            )
        text = text.replace(SECTION_END, f"{block}\n\n{SECTION_END}")
    DOCS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--sizes", default="1,10,100")
    parser.add_argument("--events-per-group", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bb-bench-panel-") as data_dir:
        _configure_environment(args.database, args.pg_url, data_dir)
        _setup_django()
        from jira_sandbox import Sandbox

        rows = []
        with Sandbox() as sandbox:
            for size in (int(s) for s in args.sizes.split(",")):
                site, key = _seed(size, args.events_per_group, sandbox)
                rows.append(_measure(site, key, size, args.repeat))
    command = ".venv/bin/python bench/panel.py " + " ".join(sys.argv[1:])
    table = _table(rows, args.database, args.events_per_group, command.strip())
    print(table)
    if args.write_docs:
        _write_docs(args.database, table)


if __name__ == "__main__":
    main()
