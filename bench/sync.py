"""Outbound sync throughput: changes delivered per second to a jira_sandbox site.

Sets up a fresh database (a temporary SQLite file, or the PostgreSQL database named by
--pg-url, dropped and recreated), N groups each linked to its own sandbox issue, then records
N changes of one kind (assignee: assign + read-back; status: read + transitions + transition +
read-back) and times `bugbridge.sync.worker.drain` until every change is delivered. Runs once
without a limit and once with the sandbox's token-bucket rate limit (429 + Retry-After), and
reports changes/s, Jira calls per change, 429s, the share of the limit used, and the delay from
recording a change to Jira having it.

    .venv/bin/python bench/sync.py --changes 200 --rate 8
    .venv/bin/python bench/sync.py --database postgresql --changes 200 --rate 8 --write-docs
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION_START, SECTION_END = "<!-- sync:start -->", "<!-- sync:end -->"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/bb_bench_sync"


@dataclass
class Run:
    label: str
    kind: str
    changes: int
    seconds: float
    calls: int
    refused: int
    latencies: list[float]
    rate: float | None

    @property
    def per_second(self) -> float:
        return self.changes / self.seconds

    @property
    def limit_share(self) -> str:
        if not self.rate:
            return "-"
        answered = (self.calls - self.refused) / self.seconds
        return f"{100 * answered / self.rate:.0f} %"

    def row(self) -> str:
        p50 = statistics.median(self.latencies)
        p95 = sorted(self.latencies)[int(0.95 * (len(self.latencies) - 1))]
        return (
            f"| {self.label} | {self.kind} | {self.changes} | {self.seconds:.2f} | "
            f"{self.per_second:.1f} | {self.calls / self.changes:.1f} | {self.refused} | "
            f"{self.limit_share} | {p50:.2f} | {p95:.2f} |"
        )


def _setup_django(database: str, pg_url: str) -> None:
    data_dir = tempfile.mkdtemp(prefix="bb-bench-sync-")
    os.environ["BUGBRIDGE_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bugbridge.settings")
    if database == "postgresql":
        _recreate_pg(pg_url)
        os.environ["DATABASE_URL"] = pg_url
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{data_dir}/bench.sqlite3"
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _recreate_pg(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _world(n: int) -> tuple[Any, Any, list[Any], Any, Any]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from bugbridge.jira.models import AuthMethod, JiraSite, SiteBinding, UserMapping
    from bugbridge.sync.models import GroupLink, Ticket
    from bugbridge.tracker.models import Group, Membership, Organization, Project
    from jira_sandbox import Sandbox

    sandbox = Sandbox().start()
    jira = sandbox.add_site("bench")
    jira.rest_emits_webhooks = False
    org = Organization.objects.create(name="Bench", slug="bench")
    project = Project.objects.create(organization=org, name="Shop", slug="shop")
    site = JiraSite.objects.create(
        name="bench",
        base_url=jira.base_url,
        auth_method=AuthMethod.API_TOKEN,
        account_email="admin@example.com",
        api_token="admin-token",
    )
    binding = SiteBinding.objects.create(site=site, organization=org)
    member = get_user_model().objects.create_user(username="ada", email="ada@example.com")
    Membership.objects.create(organization=org, user=member)
    account = jira.add_user("Ada Lovelace", "ada@example.com")
    UserMapping.objects.create(binding=binding, user=member, account_id=account["accountId"])
    groups = []
    now = timezone.now()
    for i in range(n):
        jira.act_create(f"Error {i}")
        issue = jira.get_issue(str(jira.last_key))
        group = Group.objects.create(
            project=project,
            fingerprint_hash=f"b{i}",
            title=f"Error {i}",
            first_seen=now,
            last_seen=now,
        )
        ticket = Ticket.objects.create(site=site, issue_id=issue["id"], key=issue["key"])
        GroupLink.objects.create(group=group, ticket=ticket)
        groups.append(group)
    return sandbox, jira, groups, member, account


def _run(
    label: str,
    kind: str,
    sandbox: Any,
    jira: Any,
    groups: list[Any],
    member: Any,
    rate: float | None,
    workers: int = 0,
) -> Run:
    from django.utils import timezone

    from bugbridge.sync import worker
    from bugbridge.sync.models import ChangeState, OutboundChange
    from bugbridge.tracker import services
    from bugbridge.tracker.actors import Actor
    from bugbridge.tracker.models import GroupStatus

    OutboundChange.objects.all().delete()
    actor = Actor.system()
    for group in groups:
        if kind == "assignee":
            target = None if group.assignee_id else member
            services.assign_group(group, target, actor)
            group.refresh_from_db()
        else:
            status = GroupStatus.UNRESOLVED if group.status == "resolved" else GroupStatus.RESOLVED
            services.set_group_status(group, status, actor)
            group.refresh_from_db()
    jira.clear_faults()
    if rate:
        jira.set_fault(kind="rate_limit", rate=rate, burst=int(rate), retry_after=1)
    logged = len(sandbox.request_log)
    started = time.monotonic()
    if workers:
        _drain_in_processes(workers)
    else:
        worker.drain(600)
    seconds = time.monotonic() - started
    jira.clear_faults()
    calls = [c for c in sandbox.request_log[logged:] if c[1] == jira.name]
    # The delivery window: first to last Jira call (worker start-up is not delivery).
    seconds = calls[-1][0] - calls[0][0] if len(calls) > 1 else seconds
    done = OutboundChange.objects.filter(state=ChangeState.DONE)
    assert done.count() == len(groups), "not every change was delivered"
    first_call = timezone.now() - timedelta(seconds=time.monotonic() - calls[0][0])
    latencies = [
        (c.completed_at - max(c.created_at, first_call)).total_seconds()
        for c in done
        if c.completed_at is not None
    ]
    refused = sum(1 for c in calls if c[4] == 429)
    return Run(label, kind, len(groups), seconds, len(calls), refused, latencies, rate)


def _drain_in_processes(count: int) -> None:
    """Worker processes of their own (the sandbox stays in this one, so they do not share a
    GIL with it), each draining until the queue is empty."""
    code = "import django; django.setup(); from bugbridge.sync.worker import drain; drain(600)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bugbridge.settings"}
    procs = [
        subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)  # noqa: S603
        for _ in range(count)
    ]
    for proc in procs:
        proc.wait(timeout=900)


def _write_docs(database: str, command: str, runs: list[Run]) -> None:
    marker_start = f"<!-- sync-{database}:start -->"
    marker_end = f"<!-- sync-{database}:end -->"
    body = "\n".join(
        [
            marker_start,
            f"Database: {database}; CPython {platform.python_version()} on {platform.machine()}.",
            "",
            f"Command: `{command}`",
            "",
            "| run | kind | changes | seconds | changes/s | Jira calls per change | 429s | "
            "share of limit used | latency p50 s | latency p95 s |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
            *(r.row() for r in runs),
            marker_end,
        ]
    )
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    if SECTION_START not in text:
        text = text.rstrip("\n") + "\n\n" + _INTRO + f"\n{SECTION_START}\n{SECTION_END}\n"
    head, _, rest = text.partition(SECTION_START)
    inner, _, tail = rest.partition(SECTION_END)
    if marker_start in inner:
        before, _, after = inner.partition(marker_start)
        inner = before + body + after.partition(marker_end)[2]
    else:
        inner = inner.rstrip("\n") + "\n" + body + "\n"
    DOCS.write_text(head + SECTION_START + inner + SECTION_END + tail)


_INTRO = """## Outbound sync (bench/sync.py)

What is timed: `bugbridge.sync.worker.drain` delivering N recorded changes (one per group, each
group linked to its own ticket) to a jira_sandbox site over loopback HTTP, by one
worker process (or several), until every change is done; the sandbox runs in the benchmark's
process and the workers in their own. "assignee" is one write plus the read-back of the issue
(the watermark for the webhook echo); "status" reads the issue and its transitions, transitions,
and reads back. "limited" runs put the sandbox's token bucket (rate per second, burst = rate)
in front of every call; refused calls answer 429 with `Retry-After: 1`, which holds the whole
site. "Share of limit used" = answered calls per second / the limit. Latency = from the
workers' first call (or the change, if later) to Jira having it; all changes are recorded
before the workers start, so it grows with the queue. "seconds" is the delivery window, from
the first to the last Jira call (a worker process's start-up is not counted). Timings were
taken on a shared 2-core machine while other suites ran.
"""
# (The "Reading:" paragraph in docs/benchmarks.md is written by hand after a run.)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--rate", type=float, default=8.0, help="calls/s for the limited runs")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()

    _setup_django(args.database, args.pg_url)
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    sandbox, jira, groups, member, _ = _world(args.changes)
    try:
        runs = []
        for workers in args.workers:
            label = f"{workers} worker process{'es' if workers > 1 else ''}"
            for kind in ("assignee", "status"):
                runs.append(_run(label, kind, sandbox, jira, groups, member, None, workers))
        for kind in ("assignee", "status"):
            label = f"1 worker process, limit {args.rate:g}/s"
            runs.append(_run(label, kind, sandbox, jira, groups, member, args.rate, 1))
    finally:
        sandbox.stop()
    for run in runs:
        print(run.row())
    if args.write_docs:
        command = ".venv/bin/python bench/sync.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        _write_docs(args.database, command, runs)


if __name__ == "__main__":
    main()
