"""Outgoing webhooks: matching, signing (HMAC, Connect JWT, OAuth JWT), retries, faults."""

import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import jwt

from .qsh import qsh_for_url

if TYPE_CHECKING:
    from .model import AdminWebhook
    from .site import Site

# Jira Cloud retries on these and on connection failures (community retry-policy post).
RETRY_STATUSES = {408, 409, 425, 429} | set(range(500, 600))


@dataclass
class WebhookEvent:
    name: str
    body: dict[str, Any]
    match: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class Delivery:
    """The outcome of sending one event to one webhook (all attempts)."""

    webhook_id: int
    kind: str
    url: str
    event: str
    identifier: str
    status: int | None = None
    attempts: int = 0
    error: str | None = None
    body: dict[str, Any] = field(default_factory=dict, repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    sent_at: float = 0.0
    duplicate: bool = False
    dropped: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def hub_signature(secret: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def matching_hooks(site: "Site", event: WebhookEvent) -> list["AdminWebhook"]:
    from .jql import matches

    now_ms = int(time.time() * 1000)
    out = []
    for hook in site.webhooks:
        if not hook.enabled or event.name not in hook.events:
            continue
        if hook.expires_ms is not None and hook.expires_ms < now_ms:
            continue
        if hook.kind == "connect" and not (site.connect and site.connect.installed):
            continue  # an uninstalled app hears nothing, dynamic registrations included
        issue = event.match.get("issue")
        if hook.jql and issue is not None and not matches(site, issue, hook.jql):
            continue
        out.append(hook)
    return out


def deliver_events(site: "Site", events: list[WebhookEvent]) -> list[Delivery]:
    with site.lock:
        plan = [(hook, ev) for ev in events for hook in matching_hooks(site, ev)]
    return send_planned(site, site.faults.shape_deliveries(plan))


def send_planned(site: "Site", plan: list[tuple[Any, WebhookEvent, Any]]) -> list[Delivery]:
    return [_deliver_one(site, hook, ev, flags) for hook, ev, flags in plan]


def _deliver_one(site: "Site", hook: "AdminWebhook", ev: WebhookEvent, flags: Any) -> Delivery:
    url = _target_url(hook.url, ev)
    raw = b"" if hook.exclude_body else json.dumps(ev.body, separators=(",", ":")).encode()
    d = Delivery(hook.id, hook.kind, url, ev.name, flags.identifier, body=ev.body)
    d.duplicate = flags.duplicate
    if flags.delay:
        time.sleep(flags.delay)
    if flags.drop:
        d.dropped = True
    else:
        _attempts(site, hook, d, raw)
    with site.lock:
        site.deliveries.append(d)
    return d


def _target_url(url: str, ev: WebhookEvent) -> str:
    """Connect/dynamic webhook URLs may carry ${issue.key}-style variables."""
    issue = ev.match.get("issue")
    project = ev.match.get("project")
    if issue is None or project is None:
        return url
    subs = {
        "${issue.key}": ev.match["issue_key"],
        "${issue.id}": ev.match["issue_id"],
        "${project.key}": project.key,
        "${project.id}": project.id,
    }
    for k, v in subs.items():
        url = url.replace(k, v)
    return url


def _attempts(site: "Site", hook: "AdminWebhook", d: Delivery, raw: bytes) -> None:
    for attempt in range(site.webhook_retries + 1):
        headers = _headers(site, hook, d, raw, attempt)
        d.attempts = attempt + 1
        d.headers = headers
        d.sent_at = time.time()
        try:
            resp = httpx.post(d.url, content=raw, headers=headers, timeout=site.webhook_timeout)
            d.status, d.error = resp.status_code, None
            if resp.status_code not in RETRY_STATUSES:
                return
        except httpx.HTTPError as exc:
            d.status, d.error = None, f"{type(exc).__name__}: {exc}"
        time.sleep(site.webhook_backoff * (2**attempt))


def _headers(
    site: "Site", hook: "AdminWebhook", d: Delivery, raw: bytes, attempt: int
) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Atlassian Webhook HTTP Client",
        "X-Atlassian-Webhook-Identifier": d.identifier,
    }
    if attempt:
        headers["X-Atlassian-Webhook-Retry"] = str(attempt)
    if hook.secret and hook.kind in {"admin", "dc"}:
        headers["X-Hub-Signature"] = hub_signature(hook.secret, raw)
    if hook.kind == "connect":
        headers["Authorization"] = "JWT " + _connect_token(site, d.url)
    if hook.kind == "dynamic" and hook.owner in site.oauth_clients:
        headers["Authorization"] = "Bearer " + _oauth_token(site, hook)
    return headers


def _connect_token(site: "Site", url: str) -> str:
    """HS256 with the shared secret, iss = clientKey, qsh over POST + URL below baseUrl."""
    app = site.connect
    assert app is not None
    now = int(time.time())
    claims = {
        "iss": app.client_key,
        "iat": now,
        "exp": now + 180,
        "qsh": qsh_for_url("POST", url, app.base_url),
    }
    return jwt.encode(claims, app.shared_secret, algorithm="HS256")


def _oauth_token(site: "Site", hook: "AdminWebhook") -> str:
    """OAuth 2.0 app deliveries carry a JWT signed with the app's client secret."""
    now = int(time.time())
    claims = {
        "iss": f"{site.base_url}",
        "aud": hook.owner,
        "iat": now,
        "exp": now + 180,
        "sub": hook.owner,
        "context": {"webhookId": hook.id},
    }
    return jwt.encode(claims, site.oauth_clients[hook.owner], algorithm="HS256")


class AsyncDispatcher:
    """One background thread delivering REST-triggered webhooks in order, like Jira does
    after answering the REST call (the caller is never blocked by its own echo)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: list[tuple[Site, list[WebhookEvent]]] = []
        self._busy = False
        self._thread = threading.Thread(target=self._run, name="jira-sandbox-webhooks", daemon=True)
        self._thread.start()

    def submit(self, site: "Site", events: list[WebhookEvent]) -> None:
        if not events:
            return
        with self._cond:
            self._queue.append((site, events))
            self._cond.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
                site, events = self._queue.pop(0)
                self._busy = True
            try:
                deliver_events(site, events)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()


def new_identifier() -> str:
    return str(uuid.uuid4())
