"""The Sandbox: Starlette app + uvicorn on loopback in a background thread."""

import asyncio
import json
import logging
import socket
import threading
import time
from typing import Any

import structlog
import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route as StarletteRoute

from . import permissions, rest_issues, rest_meta, rest_search, rest_users, rest_webhooks  # noqa: F401
from .auth import authenticate
from .errors import JiraError
from .faults import Fault, rate_limit_reset
from .oauth import OAuthServer
from .router import Ctx, Reply, find_route
from .site import Site
from .util import MonotonicClock
from .webhooks import AsyncDispatcher

log = structlog.get_logger(__name__)


class SandboxReset(Exception):
    """Raised after a partial response to simulate a dropped connection."""


class _QuietResets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, SandboxReset)


logging.getLogger("uvicorn.error").addFilter(_QuietResets())


class ResetResponse(Response):
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"partial":', "more_body": True})
        raise SandboxReset("sandbox fault: connection reset")


class Sandbox:
    """A Jira simulator: many sites under one loopback HTTP server."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.lock = threading.RLock()
        self.request_log: list[tuple[float, str, str, str, int]] = []
        self.clock = MonotonicClock()
        self.sites: dict[str, Site] = {}
        self.host, self.port = host, port
        self.dispatcher = AsyncDispatcher()
        self.connect_keys: dict[str, str] = {}  # kid -> PEM public key
        self.oauth = OAuthServer(self)
        # (site name, user ref) that consents on GET /authorize; default: first site's admin.
        self.oauth_consent: tuple[str, str | None] | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.app = Starlette(
            routes=[StarletteRoute("/{path:path}", self._endpoint, methods=_METHODS)]
        )

    # ------------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "Sandbox":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="jira-sandbox", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("jira sandbox did not start")
            time.sleep(0.01)
        log.info("jira_sandbox.started", url=self.url)
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        """Block until REST-triggered webhooks have been delivered."""
        return self.dispatcher.wait_idle(timeout)

    # ------------------------------------------------------------------------ sites
    def add_site(self, name: str, deployment: str = "cloud", version: str | None = None) -> Site:
        with self.lock:
            if name in self.sites or name.startswith("_"):
                raise ValueError(f"site name {name!r} taken or reserved")
            default = "1001.0.0" if deployment == "cloud" else "9.12.0"
            site = Site(self, name, deployment, version or default)
            site.oauth_clients.update(self.oauth.apps)
            self.sites[name] = site
            return site

    def site(self, name: str) -> Site:
        return self.sites[name]

    def remove_site(self, name: str) -> None:
        with self.lock:
            self.sites.pop(name, None)

    # ------------------------------------------------------------------------- http
    async def _endpoint(self, request: Request) -> Response:
        path = "/" + request.path_params["path"]
        if path.startswith("/_control"):
            from .control import handle_control

            return await handle_control(self, request, path[len("/_control") :])
        if path.startswith("/_connect-keys/"):
            return self._connect_key(path.rsplit("/", 1)[-1])
        if path in {"/authorize", "/oauth/token", "/oauth/token/accessible-resources"}:
            return await self.oauth.handle(request, path)
        if path.startswith("/ex/jira/"):
            return await self._cloud_id_request(request, path[len("/ex/jira/") :])
        name, _, rest = path[1:].partition("/")
        site = self.sites.get(name)
        if site is None:
            return JSONResponse({"errorMessages": [f"No site '{name}'."], "errors": {}}, 404)
        return await self._site_request(site, request, "/" + rest)

    async def _cloud_id_request(self, request: Request, tail: str) -> Response:
        """api.atlassian.com/ex/jira/{cloudid}/... routing for OAuth 2.0 clients."""
        cloud_id, _, rest = tail.partition("/")
        site = next((s for s in self.sites.values() if s.cloud_id == cloud_id), None)
        if site is None or site.is_dc:
            return JSONResponse({"code": 404, "message": "Site not found"}, 404)
        return await self._site_request(site, request, "/" + rest)

    def add_oauth_app(self, client_id: str, client_secret: str) -> None:
        """Register an OAuth 2.0 (3LO) app with the sandbox's auth server (all sites)."""
        self.oauth.add_app(client_id, client_secret)

    def oauth_authorize(
        self, client_id: str, site: Site, user: str | None = None, scopes: list[str] | None = None
    ) -> str:
        """Skip the browser: consent as `user` on `site` and get an authorization code."""
        default = [
            "read:jira-work",
            "write:jira-work",
            "read:jira-user",
            "manage:jira-webhook",
            "offline_access",
        ]
        return self.oauth.authorize(client_id, site, user, scopes or default)

    @property
    def api_url(self) -> str:
        """Stand-in for https://api.atlassian.com (REST base {api_url}/ex/jira/{cloudid})."""
        return self.url

    def _connect_key(self, kid: str) -> Response:
        pem = self.connect_keys.get(kid)
        if pem is None:
            return PlainTextResponse("Not Found", 404)
        return PlainTextResponse(pem)

    async def _site_request(self, site: Site, request: Request, path: str) -> Response:
        response = await self._site_answer(site, request, path)
        # (added by jira-out) every REST call a site answered, for tests and benchmarks that
        # count calls: (monotonic time, site, method, path, status).
        self.request_log.append(
            (time.monotonic(), site.name, request.method, path, response.status_code)
        )
        return response

    async def _site_answer(self, site: Site, request: Request, path: str) -> Response:
        fault = site.faults.take(request.method, path)
        if fault is not None and fault.kind == "slow_after":
            # (added by jira-out) the call takes effect, then the answer is late: a client
            # that times out cannot know whether Jira did the work.
            response = await self._dispatch_or_error(site, request, path)
            await asyncio.sleep(fault.delay)
            return response
        if fault is not None:
            early = await _apply_fault(fault, site)
            if early is not None:
                return early
        return await self._dispatch_or_error(site, request, path)

    async def _dispatch_or_error(self, site: Site, request: Request, path: str) -> Response:
        try:
            return await self._dispatch(site, request, path)
        except JiraError as err:
            return _error_response(site, err)

    async def _dispatch(self, site: Site, request: Request, path: str) -> Response:
        found = find_route(request.method, path)
        if found is None or site.deployment not in found[0].deployments:
            raise JiraError(404, ["Not Found"], headers={"X-Sandbox-Unknown-Path": "1"})
        route, params = found
        version = _api_version(site, params.pop("v", None))
        raw_query = request.url.query
        user, scheme, client = authenticate(
            site,
            request.headers.get("authorization", ""),
            request.method,
            path,
            raw_query,
            request.query_params.get("jwt"),
        )
        if user is None and not route.anonymous:
            from .auth import unauthorized

            raise unauthorized("anonymous", site)
        if scheme == "bearer" and not self._scopes_ok(site, request, route):
            return JSONResponse(permissions.SCOPE_MISMATCH, 401)
        permissions.check(site, user, route.op)
        body = await _json_body(request)
        ctx = Ctx(
            site, request.method, path, version, params, request.query_params, body, user, scheme
        )
        ctx.client = client
        result = await run_in_threadpool(route.handler, ctx)
        if ctx.events and site.rest_emits_webhooks:
            self.dispatcher.submit(site, ctx.events)
        return _to_response(result)

    @staticmethod
    def _scopes_ok(site: Site, request: Request, route: Any) -> bool:
        secret = request.headers.get("authorization", "").partition(" ")[2].strip()
        token = site.tokens.get(("bearer", secret))
        if token is None or token.kind != "oauth":
            return True
        return permissions.scope_ok(token.scopes, request.method, route.template)


_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]


def _api_version(site: Site, raw: str | None) -> int:
    if raw is None:
        return 2
    if raw == "latest":
        return 2
    if raw == "3" and site.is_dc:
        raise JiraError(404, ["Not Found"])
    if raw not in {"2", "3"}:
        raise JiraError(404, ["Not Found"])
    return int(raw)


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise JiraError(400, [f"Unexpected character in JSON body: {exc}"]) from exc


def _to_response(result: Any) -> Response:
    if isinstance(result, Response):
        return result
    if not isinstance(result, Reply):
        result = Reply(200, result)
    if result.status == 204 or (result.body is None and result.status != 200):
        return Response(status_code=result.status, headers=result.headers)
    return JSONResponse(result.body, result.status, headers=result.headers)


def _error_response(site: Site, err: JiraError) -> Response:
    if site.is_dc and err.headers.get("X-Sandbox-Unknown-Path"):
        return HTMLResponse(dc_error_page(err.status), err.status)
    headers = {k: v for k, v in err.headers.items() if not k.startswith("X-Sandbox")}
    return JSONResponse(err.body(), err.status, headers=headers)


def dc_error_page(status: int) -> str:
    titles = {404: "Oops, you've found a dead link.", 500: "Internal server error"}
    title = titles.get(status, "Something went wrong")
    return (
        "<!DOCTYPE html>\n<html><head><title>Oops - an error has occurred</title></head>"
        f'<body class="error-page"><div id="error-state"><h1>{title}</h1>'
        f"<p>HTTP Status {status}</p><p>Jira Data Center</p></div></body></html>"
    )


async def _apply_fault(fault: Fault, site: Site) -> Response | None:
    log.info("jira_sandbox.fault.fired", kind=fault.kind, site=site.name, path=fault.path_glob)
    if fault.kind == "slow":
        await asyncio.sleep(fault.delay)
        return None
    if fault.kind == "reset":
        return ResetResponse()
    if fault.kind in {"429", "rate_limit"}:
        return _rate_limited(fault)
    if fault.kind == "429_reset_only":
        reset = rate_limit_reset(fault.retry_after or 60)
        return JSONResponse(_rate_body(), 429, headers={"X-RateLimit-Reset": reset})
    if fault.kind == "html":
        return HTMLResponse(dc_error_page(fault.status or 500), fault.status or 500)
    status = fault.status or 503
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    if site.is_dc and status >= 500:
        # Data Center's Tomcat / reverse proxy answers server errors with an HTML page.
        return HTMLResponse(dc_error_page(status), status, headers=headers)
    body = {"errorMessages": [f"Sandbox fault: HTTP {status}"], "errors": {}}
    return JSONResponse(body, status, headers=headers)


def _rate_body() -> dict[str, Any]:
    return {"errorMessages": ["Rate limit exceeded."], "errors": {}}


def _rate_limited(fault: Fault) -> Response:
    retry = fault.retry_after if fault.retry_after is not None else 1
    limit = fault.burst if fault.kind == "rate_limit" else 100
    headers = {
        "Retry-After": str(retry),
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": rate_limit_reset(retry),
        "X-RateLimit-NearLimit": "true",
        "RateLimit-Reason": "jira-burst-based"
        if fault.kind == "rate_limit"
        else "jira-quota-based",
    }
    return JSONResponse(_rate_body(), 429, headers=headers)
