"""Ingest throughput: events per second through /api/<project>/envelope/ over loopback HTTP.

Starts its own Bugbridge (gunicorn serving bugbridge.wsgi) on a free port against a fresh
database (a temporary SQLite file, or a PostgreSQL database it drops and recreates), runs the
migrations, creates a project key, then N concurrent senders post pre-built envelopes (httpx,
keep-alive) until a count or a duration is reached. Afterwards it checks that every accepted
event is stored exactly once.

    .venv/bin/python bench/ingest.py --database sqlite --senders 8 --events 4000
    .venv/bin/python bench/ingest.py --database postgresql --senders 8 --events 4000 --write-docs
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shlex
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION_START, SECTION_END = "<!-- ingest:start -->", "<!-- ingest:end -->"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/bb_bench_ingest"

_CREATE_KEY = """
import json
from bugbridge.tracker.models import Organization, Project, ProjectKey
org = Organization.objects.create(name="Bench", slug="bench")
project = Project.objects.create(organization=org, name="Bench", slug="bench")
key = ProjectKey.objects.create(project=project)
print(json.dumps({"project": project.pk, "key": key.public_key}))
"""

_COUNT_ROWS = """
import json
from django.db.models import Sum
from bugbridge.tracker.models import Event, Group
times = Group.objects.aggregate(total=Sum("times_seen"))["total"] or 0
print(json.dumps({"events": Event.objects.count(), "groups": Group.objects.count(),
                  "times_seen": times}))
"""


@dataclass
class Results:
    sent: int = 0
    seconds: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    # CPU seconds the gunicorn workers spent during the run: unlike events/s, this does not
    # depend on what else the machine is doing.
    server_cpu: float = 0.0

    @property
    def cpu_ms_per_event(self) -> float:
        return self.server_cpu / self.ok * 1000 if self.ok else 0.0

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    env: dict[str, str]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="dropped and recreated")
    parser.add_argument("--senders", type=int, default=8, help="concurrent HTTP senders")
    parser.add_argument("--events", type=int, default=4000, help="stop after this many")
    parser.add_argument("--duration", type=float, default=60.0, help="or after this many s")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--groups", type=int, default=50, help="distinct fingerprints")
    parser.add_argument("--users", type=int, default=500, help="distinct users")
    parser.add_argument("--write-docs", action="store_true", help=f"update {DOCS.name}")
    return parser.parse_args(argv)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(args: argparse.Namespace, data_dir: str) -> dict[str, str]:
    env = {
        **os.environ,
        "BUGBRIDGE_DATA_DIR": data_dir,
        "BUGBRIDGE_INPROCESS_WORKER": "0",
        "BUGBRIDGE_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "bugbridge.settings",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DATABASE_URL", None)
    if args.database == "postgresql":
        env["DATABASE_URL"] = args.pg_url
    return env


def recreate_pg_database(url: str, *, create: bool = True) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict[str, str], *args: str) -> str:
    command = [PYTHON, "-m", "bugbridge.manage", *args]
    # The command line is built here from fixed arguments, never from outside input.
    done = subprocess.run(  # noqa: S603
        command, env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{shlex.join(command)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def shell_json(env: dict[str, str], code: str) -> dict[str, Any]:
    lines = manage(env, "shell", "--no-imports", "-c", code).strip().splitlines()
    return dict(json.loads(lines[-1]))


def start_server(args: argparse.Namespace, env: dict[str, str]) -> Server:
    port = free_port()
    command = [
        PYTHON, "-m", "gunicorn", "bugbridge.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
        "--threads", str(args.threads), "--worker-class", "gthread", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: S603
    server = Server(process=process, base_url=f"http://127.0.0.1:{port}", env=env)
    wait_ready(server)
    return server


def worker_cpu_seconds(server: Server) -> float:
    """User + system CPU time of the gunicorn master's worker processes (Linux /proc)."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if not children.exists():
        return 0.0
    ticks = 0
    for child in children.read_text().split():
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_ready(server: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz in time")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()


def build_bodies(count: int, groups: int, users: int) -> list[bytes]:
    """Envelopes like the Python SDK's: an exception with in-app frames, tags, user, release."""
    bodies = []
    for index in range(count):
        event_id = uuid.uuid4().hex
        event = {
            "event_id": event_id,
            "timestamp": time.time(),
            "platform": "python",
            "level": "error",
            "release": f"shop@1.{index % 3}",
            "environment": "production",
            "user": {"id": f"user-{index % users}"},
            "tags": {"region": "eu", "shard": str(index % 7)},
            "exception": {"values": [_exception(index % groups, index)]},
        }
        payload = json.dumps(event).encode()
        header = json.dumps({"event_id": event_id, "sent_at": "2026-01-01T00:00:00Z"}).encode()
        item = json.dumps({"type": "event", "length": len(payload)}).encode()
        bodies.append(b"\n".join([header, item, payload]) + b"\n")
    return bodies


def _exception(group: int, index: int) -> dict[str, Any]:
    frames = [
        {"module": "shop.web", "function": "handle", "lineno": 10, "in_app": True},
        {"module": "shop.orders", "function": f"step_{group}", "lineno": 20, "in_app": True},
        {"module": "requests.api", "function": "post", "lineno": 59, "in_app": False},
    ]
    return {
        "type": "PaymentError",
        "value": f"card declined ({index})",
        "stacktrace": {"frames": frames},
    }


async def send_all(
    server: Server, auth: dict[str, Any], bodies: list[bytes], senders: int, duration: float
) -> Results:
    results = Results()
    url = f"{server.base_url}/api/{auth['project']}/envelope/"
    headers = {"X-Sentry-Auth": f"Sentry sentry_key={auth['key']}, sentry_version=7"}
    queue = iter(bodies)
    limits = httpx.Limits(max_connections=senders, max_keepalive_connections=senders)
    async with httpx.AsyncClient(timeout=60, limits=limits, headers=headers) as client:
        started = time.monotonic()
        deadline = started + duration

        async def sender() -> None:
            for body in queue:
                if time.monotonic() > deadline:
                    return
                sent_at = time.monotonic()
                response = await client.post(url, content=body)
                results.latencies.append(time.monotonic() - sent_at)
                results.statuses[response.status_code] = (
                    results.statuses.get(response.status_code, 0) + 1
                )
                results.sent += 1

        await asyncio.gather(*(sender() for _ in range(senders)))
        results.seconds = time.monotonic() - started
    return results


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


def load_average() -> str:
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def summary_row(args: argparse.Namespace, results: Results, stored: dict[str, Any]) -> str:
    errors = results.sent - results.ok
    return (
        f"| {args.database} | {args.senders} | {args.workers}x{args.threads} | {results.ok} "
        f"| {results.seconds:.1f} | **{results.rate:.0f}** | {results.percentile(0.5):.1f} "
        f"| {results.percentile(0.95):.1f} | {results.percentile(0.99):.1f} | {errors} "
        f"| {results.cpu_ms_per_event:.1f} | {stored['events']} / {stored['groups']} "
        f"| {load_average()} |"
    )


def print_results(args: argparse.Namespace, results: Results, stored: dict[str, Any]) -> None:
    print(f"database        {args.database}")
    print(f"senders         {args.senders} (gunicorn {args.workers} workers x {args.threads})")
    print(f"events sent     {results.sent} in {results.seconds:.2f} s, statuses {results.statuses}")
    print(f"throughput      {results.rate:.0f} events/s")
    mean = statistics.mean(results.latencies) * 1000 if results.latencies else 0.0
    print(
        f"latency ms      mean {mean:.1f}  p50 {results.percentile(0.5):.1f}  "
        f"p95 {results.percentile(0.95):.1f}  p99 {results.percentile(0.99):.1f}"
    )
    print(f"server CPU      {results.cpu_ms_per_event:.1f} ms per event (gunicorn workers)")
    print(f"stored          {stored}")
    print(f"load average    {load_average()} (1/5/15 min, after the run)")


def write_docs(row: str, command: str) -> None:
    """Replace this database's row in the ingest section of docs/benchmarks.md."""
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    if SECTION_START not in text:
        text = text.rstrip("\n") + "\n\n" + _empty_section() + "\n"
    head, rest = text.split(SECTION_START, 1)
    section, tail = rest.split(SECTION_END, 1)
    database = row.split("|")[1].strip()
    lines = [line for line in section.strip("\n").splitlines() if not _is_row_of(line, database)]
    lines = [line for line in lines if not line.startswith(f"- `{database}`: ")]
    table_end = max(i for i, line in enumerate(lines) if line.startswith("|")) + 1
    lines.insert(table_end, row)
    if lines[-1] == "Commands:":
        lines.append("")
    lines.append(f"- `{database}`: `{command}`")
    DOCS.write_text(head + SECTION_START + "\n" + "\n".join(lines) + "\n" + SECTION_END + tail)


def _is_row_of(line: str, database: str) -> bool:
    cells = line.split("|")
    return len(cells) > 2 and cells[1].strip() == database


def _empty_section() -> str:
    return "\n".join(
        [
            SECTION_START,
            "## Ingest (`bench/ingest.py`)",
            "",
            "Events per second accepted by `POST /api/<project>/envelope/` over loopback HTTP.",
            "Each event is a Python-SDK-like envelope (exception with in-app frames, user, tags,",
            "release), spread over 50 fingerprints and 500 users; every accepted event is checked",
            "to be stored once. Server and senders share the same machine: "
            + machine()
            + ". Latencies in ms.",
            "",
            "| database | senders | gunicorn workersxthreads | events | seconds | events/s "
            "| p50 | p95 | p99 | errors | worker CPU ms/event | stored events / groups "
            "| load avg after |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
            "",
            "Commands:",
            "",
            SECTION_END,
        ]
    )


def run(args: argparse.Namespace) -> tuple[Results, dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bb-bench-ingest-") as data_dir:
        env = server_env(args, data_dir)
        if args.database == "postgresql":
            recreate_pg_database(args.pg_url)
        manage(env, "migrate", "--no-input", "-v", "0")
        auth = shell_json(env, _CREATE_KEY)
        bodies = build_bodies(args.events, args.groups, args.users)
        warmup = build_bodies(args.senders * 4, args.groups, args.users)
        server = start_server(args, env)
        try:
            asyncio.run(send_all(server, auth, warmup, args.senders, args.duration))
            cpu_before = worker_cpu_seconds(server)
            results = asyncio.run(send_all(server, auth, bodies, args.senders, args.duration))
            results.server_cpu = worker_cpu_seconds(server) - cpu_before
        finally:
            stop_server(server)
        stored = shell_json(env, _COUNT_ROWS)
        if args.database == "postgresql":
            recreate_pg_database(args.pg_url, create=False)
    stored["events"] -= len(warmup)
    return results, stored


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    results, stored = run(args)
    print_results(args, results, stored)
    if stored["events"] != results.ok:
        raise SystemExit(f"stored {stored['events']} events but {results.ok} were accepted")
    if args.write_docs:
        argv_used = sys.argv[1:] if argv is None else argv
        command = shlex.join([".venv/bin/python", "bench/ingest.py", *argv_used])
        write_docs(summary_row(args, results, stored), command)
        print(f"updated {DOCS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
