"""The demo: Bugbridge, the sandbox Jira and a sample app, end to end on this machine.

Each step is named; the first one that fails stops the run and is reported by name with what
went wrong, so a person knows where to look (the server's log is kept in the data directory).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connections

from bugbridge.jira import sites
from bugbridge.jira.models import JiraSite
from bugbridge.sync import links
from bugbridge.sync.models import Ticket
from bugbridge.tracker import services
from bugbridge.tracker.actors import Actor
from bugbridge.tracker.models import Group, Membership, Organization, Project, ProjectKey, Role
from jira_sandbox import Sandbox

T = TypeVar("T")

# The sample app sends 4 + 1 + 1 errors and one message (see sample_app.py).
EXPECTED_EVENTS = 7
ADMIN_PASSWORD = "bugbridge-demo"  # noqa: S105 - a demo login on loopback, printed for the user
JIRA_BUG_TYPE = "10004"


class StepFailed(Exception):
    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step
        self.reason = reason


@dataclass
class DemoState:
    data_dir: Path
    say: Callable[[str], None]
    sandbox: Sandbox | None = None
    server: subprocess.Popen[bytes] | None = None
    base_url: str = ""
    admin: User | None = None
    people: dict[str, User] = field(default_factory=dict)
    jira_people: dict[str, dict[str, Any]] = field(default_factory=dict)
    project: Project | None = None
    jira_site: JiraSite | None = None
    groups: list[Group] = field(default_factory=list)
    tickets: dict[int, Ticket] = field(default_factory=dict)


def step(state: DemoState, name: str, action: Callable[[], T]) -> T:
    state.say(f"· {name}")
    try:
        return action()
    except StepFailed:
        raise
    except Exception as exc:
        raise StepFailed(name, f"{type(exc).__name__}: {exc}") from exc


def wait_for(what: str, check: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise TimeoutError(f"gave up after {seconds:.0f}s waiting for {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# -- steps ----------------------------------------------------------------------------------


def fresh_database(state: DemoState) -> None:
    config = settings.DATABASES["default"]
    if config["ENGINE"] == "django.db.backends.sqlite3":
        connections.close_all()
        path = Path(str(config["NAME"]))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    call_command("migrate", interactive=False, verbosity=0)


def start_sandbox(state: DemoState) -> None:
    sandbox = Sandbox().start()
    state.sandbox = sandbox
    site = sandbox.add_site("demo")
    for handle, name in (("ada", "Ada Lovelace"), ("grace", "Grace Hopper")):
        state.jira_people[handle] = site.add_user(display_name=name, email=f"{handle}@example.com")


def start_server(state: DemoState, port: int) -> None:
    port = port or free_port()
    state.base_url = f"http://127.0.0.1:{port}"
    # This process creates rows whose links point at the server, so both share the base URL.
    settings.BASE_URL = state.base_url
    env = {**os.environ, "BUGBRIDGE_BASE_URL": state.base_url}
    log_path = state.data_dir / "server.log"
    log_file = log_path.open("ab")
    command = [sys.executable, "-m", "bugbridge", "serve", "--port", str(port)]
    state.server = subprocess.Popen(command, env=env, stdout=log_file, stderr=log_file)  # noqa: S603

    def healthy() -> bool:
        if state.server is not None and state.server.poll() is not None:
            raise RuntimeError(f"the server exited; its log is {log_path}")
        try:
            return httpx.get(f"{state.base_url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for("the server to answer /healthz", healthy, seconds=60)


def create_organization(state: DemoState) -> None:
    organization = Organization.objects.create(name="Demo Shop", slug="demo-shop")
    admin = User.objects.create_user(
        "admin", "admin@shop.example", ADMIN_PASSWORD, first_name="Demo", last_name="Admin"
    )
    Membership.objects.create(organization=organization, user=admin, role=Role.OWNER)
    for handle, (first, last) in {"ada": ("Ada", "Lovelace"), "grace": ("Grace", "Hopper")}.items():
        user = User.objects.create_user(
            handle, f"{handle}@example.com", first_name=first, last_name=last
        )
        Membership.objects.create(organization=organization, user=user, role=Role.MEMBER)
        state.people[handle] = user
    state.admin = admin
    state.project = Project.objects.create(
        organization=organization, name="Shop", slug="shop", platform="python"
    )
    ProjectKey.objects.create(project=state.project)


def connect_site(state: DemoState) -> None:
    assert state.sandbox is not None and state.project is not None
    jira = state.sandbox.site("demo")
    connected = sites.connect_token_site(
        state.project.organization,
        base_url=jira.base_url,
        email="admin@example.com",
        token="admin-token",  # noqa: S106 - the sandbox's seeded admin token
        name="demo",
    )
    state.jira_site = connected.site
    jira.add_admin_webhook(sites.webhook_url(connected.site), secret=connected.site.webhook_secret)


def send_errors(state: DemoState) -> None:
    assert state.project is not None
    dsn = state.project.keys.get().dsn(state.base_url)
    command = [sys.executable, "-m", "bugbridge.demo.sample_app", dsn]
    subprocess.run(command, check=True, timeout=60)  # noqa: S603

    def all_stored() -> bool:
        events = sum(
            Group.objects.filter(project=state.project).values_list("times_seen", flat=True)
        )
        return events >= EXPECTED_EVENTS

    wait_for(f"{EXPECTED_EVENTS} events to be grouped", all_stored)
    state.groups = list(Group.objects.filter(project=state.project).order_by("-times_seen", "pk"))
    if len(state.groups) < 3:
        raise StepFailed("send errors", f"expected at least 3 groups, got {len(state.groups)}")


def create_tickets(state: DemoState) -> None:
    assert state.jira_site is not None and state.admin is not None
    actor = Actor.member(state.admin)
    for group in state.groups:
        fields = {"project": "BB", "issuetype": JIRA_BUG_TYPE}
        state.tickets[group.pk] = links.create_ticket(group, state.jira_site, fields, actor)


def assign_in_jira(state: DemoState) -> None:
    assert state.sandbox is not None
    group = state.groups[0]
    ticket = state.tickets[group.pk]
    ada = state.jira_people["ada"]
    deliveries = state.sandbox.site("demo").act_assign(ticket.key, ada["accountId"])
    if not deliveries or not all(d.ok for d in deliveries):
        raise StepFailed("assign in Jira", f"the webhook was not accepted: {deliveries}")

    def assigned() -> bool:
        group.refresh_from_db()
        return group.assignee_id == state.people["ada"].pk

    wait_for("the Jira assignee to reach Bugbridge", assigned)


def assign_in_bugbridge(state: DemoState) -> None:
    assert state.sandbox is not None and state.admin is not None
    group = state.groups[1]
    ticket = state.tickets[group.pk]
    services.assign_group(group, state.people["grace"], Actor.member(state.admin))
    grace_id = state.jira_people["grace"]["accountId"]
    jira = state.sandbox.site("demo")

    def followed() -> bool:
        assignee = jira.get_issue(ticket.key)["fields"].get("assignee") or {}
        return assignee.get("accountId") == grace_id

    wait_for("Jira to follow the assignment made in Bugbridge", followed)


# -- report ---------------------------------------------------------------------------------


def result_rows(state: DemoState) -> list[dict[str, Any]]:
    assert state.sandbox is not None
    jira = state.sandbox.site("demo")
    rows = []
    groups = Group.objects.filter(pk__in=[g.pk for g in state.groups])
    for group in groups.select_related("assignee").order_by("-times_seen", "title"):
        ticket = state.tickets.get(group.pk)
        jira_assignee = None
        if ticket is not None:
            assignee = jira.get_issue(ticket.key)["fields"].get("assignee")
            jira_assignee = assignee["displayName"] if assignee else None
        rows.append(
            {
                "title": group.title,
                "events": group.times_seen,
                "jira_key": ticket.key if ticket else None,
                "jira_assignee": jira_assignee,
                "bugbridge_assignee": group.assignee.get_full_name() if group.assignee else None,
            }
        )
    return rows


def render_table(rows: list[dict[str, Any]]) -> str:
    headers = ["group", "events", "Jira key", "assignee in Jira", "assignee in Bugbridge"]
    cells = [
        [
            _clip(row["title"], 48),
            str(row["events"]),
            row["jira_key"] or "-",
            row["jira_assignee"] or "-",
            row["bugbridge_assignee"] or "-",
        ]
        for row in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = [_row(headers, widths), _row(["-" * w for w in widths], widths)]
    lines += [_row(c, widths) for c in cells]
    return "\n".join(lines)


def _row(values: list[str], widths: list[int]) -> str:
    return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def run(state: DemoState, *, port: int = 0) -> list[dict[str, Any]]:
    step(state, "prepare a fresh database", lambda: fresh_database(state))
    step(state, "start the sandbox Jira", lambda: start_sandbox(state))
    step(state, "start Bugbridge", lambda: start_server(state, port))
    step(state, "create the organization, people and project", lambda: create_organization(state))
    step(state, "connect the sandbox site by API token", lambda: connect_site(state))
    step(state, "send errors from the sample app (sentry-sdk)", lambda: send_errors(state))
    step(state, "create a Jira ticket for each group", lambda: create_tickets(state))
    step(state, "assign a ticket in Jira and wait for the webhook", lambda: assign_in_jira(state))
    step(state, "assign a group in Bugbridge and wait for Jira", lambda: assign_in_bugbridge(state))
    return result_rows(state)


def shut_down(state: DemoState) -> None:
    if state.server is not None and state.server.poll() is None:
        state.server.terminate()
        try:
            state.server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            state.server.kill()
    if state.sandbox is not None:
        state.sandbox.stop()
