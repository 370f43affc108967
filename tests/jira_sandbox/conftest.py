"""Fixtures for the sandbox's own tests (plain pytest, no Django)."""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from jira_sandbox import Sandbox, Site


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


@dataclass
class Receiver:
    """A loopback HTTP endpoint that records webhook deliveries."""

    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answers to give, then 200s
    documents: dict[str, Any] = field(default_factory=dict)  # GET path -> JSON answer

    @property
    def base(self) -> str:
        return self.url.rsplit("/", 1)[0]

    def events(self) -> list[str]:
        return [r.json.get("webhookEvent", "") for r in self.requests]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", 0)))
            receiver.requests.append(Received(self.path, dict(self.headers), raw))
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            doc = receiver.documents.get(self.path)
            raw = json.dumps(doc).encode() if doc is not None else b""
            self.send_response(200 if doc is not None else 404)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    holder: dict[str, Receiver] = {}
    rec = Receiver(url="")
    holder["r"] = rec
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rec))
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield rec
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    sb = Sandbox().start()
    yield sb
    sb.stop()


_counter = iter(range(1, 1_000_000))


@pytest.fixture
def site(sandbox: Sandbox) -> Site:
    return sandbox.add_site(f"cloud{next(_counter)}", deployment="cloud")


@pytest.fixture
def dc_site(sandbox: Sandbox) -> Site:
    return sandbox.add_site(f"dc{next(_counter)}", deployment="dc", version="9.12")


ADMIN = ("admin@example.com", "admin-token")
