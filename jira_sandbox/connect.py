"""Atlassian Connect: the lifecycle driver (descriptor, signed installed/uninstalled).

Jira signs install/uninstall callbacks with RS256 and a `kid`; the app fetches the public
key from https://connect-install-keys.atlassian.com/<kid>. The sandbox serves the same key
text at {sb.url}/_connect-keys/<kid>, so an app under test points its key URL there.
"""

import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import httpx
import jwt
import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .qsh import qsh_for_url

if TYPE_CHECKING:
    from .server import Sandbox
    from .site import Site

log = structlog.get_logger(__name__)
VARIANTS = {"ok", "unsigned", "hs256_no_kid", "wrong_aud"}


@dataclass
class ConnectInstall:
    key: str
    client_key: str
    shared_secret: str
    base_url: str
    user_account_id: str
    descriptor: dict[str, Any]
    installed: bool = True
    webhook_ids: list[int] = field(default_factory=list)


@dataclass
class SigningKey:
    kid: str
    private_pem: bytes
    public_pem: str


def signing_key(sb: "Sandbox") -> SigningKey:
    """One RSA key per sandbox, published under its kid."""
    with sb.lock:
        existing = getattr(sb, "_connect_signing_key", None)
        if existing is not None:
            return existing
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public_pem = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        key = SigningKey(f"sandbox-{uuid.uuid4().hex[:12]}", private_pem, public_pem.decode())
        sb.connect_keys[key.kid] = key.public_pem
        sb._connect_signing_key = key  # type: ignore[attr-defined]
        return key


def fetch_descriptor(url: str) -> dict[str, Any]:
    resp = httpx.get(url, timeout=10)
    resp.raise_for_status()
    descriptor = resp.json()
    if not isinstance(descriptor, dict) or "key" not in descriptor or "baseUrl" not in descriptor:
        raise ValueError("descriptor needs at least 'key' and 'baseUrl'")
    return descriptor


def install(site: "Site", descriptor_url: str, variant: str = "ok") -> httpx.Response:
    """Fetch the descriptor, POST `installed`; on 2xx the site trusts the app."""
    _check_variant(variant)
    descriptor = fetch_descriptor(descriptor_url)
    previous = site.connect
    client_key = previous.client_key if previous else str(uuid.uuid4())
    secret = secrets.token_urlsafe(48)
    payload = _payload(site, descriptor, client_key, secret, "installed")
    resp = _post_lifecycle(site, descriptor, "installed", payload, secret, variant)
    log.info("jira_sandbox.connect.installed", site=site.name, status=resp.status_code)
    if 200 <= resp.status_code < 300:
        _activate(site, descriptor, client_key, secret)
    return resp


def uninstall(site: "Site", variant: str = "ok") -> httpx.Response:
    _check_variant(variant)
    app = site.connect
    if app is None:
        raise ValueError("no Connect app installed on this site")
    payload = _payload(site, app.descriptor, app.client_key, app.shared_secret, "uninstalled")
    resp = _post_lifecycle(site, app.descriptor, "uninstalled", payload, app.shared_secret, variant)
    with site.lock:
        app.installed = False
        for hook_id in app.webhook_ids:
            site.remove_webhook(hook_id)
        app.webhook_ids.clear()
    return resp


def _check_variant(variant: str) -> None:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {sorted(VARIANTS)}")


def _payload(
    site: "Site", descriptor: dict[str, Any], client_key: str, secret: str, event: str
) -> dict[str, Any]:
    return {
        "key": descriptor["key"],
        "clientKey": client_key,
        "sharedSecret": secret,
        "serverVersion": "100000",
        "pluginsVersion": "1001.0.0-SNAPSHOT",
        "baseUrl": site.base_url,
        "displayUrl": site.base_url,
        "productType": "jira",
        "description": f"Atlassian JIRA at {site.base_url}",
        "eventType": event,
    }


def _post_lifecycle(
    site: "Site",
    descriptor: dict[str, Any],
    event: str,
    payload: dict[str, Any],
    secret: str,
    variant: str,
) -> httpx.Response:
    path = (descriptor.get("lifecycle") or {}).get(event)
    if not path:
        raise ValueError(f"descriptor has no lifecycle.{event}")
    app_base = str(descriptor["baseUrl"]).rstrip("/") + "/"
    url = urljoin(app_base, str(path).lstrip("/"))
    headers = {"Content-Type": "application/json"}
    token = _lifecycle_token(site, descriptor, url, payload["clientKey"], secret, variant)
    if token:
        headers["Authorization"] = f"JWT {token}"
    return httpx.post(url, json=payload, headers=headers, timeout=10)


def _lifecycle_token(
    site: "Site",
    descriptor: dict[str, Any],
    url: str,
    client_key: str,
    secret: str,
    variant: str,
) -> str | None:
    if variant == "unsigned":
        return None
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": client_key,
        "iat": now,
        "exp": now + 180,
        "qsh": qsh_for_url("POST", url, str(descriptor["baseUrl"])),
        "aud": [str(descriptor["baseUrl"])],
        "context": {},
    }
    if variant == "hs256_no_kid":
        # Pre-2021 style: HS256 with the shared secret and no kid.
        claims.pop("aud")
        return jwt.encode(claims, secret, algorithm="HS256")
    if variant == "wrong_aud":
        claims["aud"] = ["https://not-your-app.example.com"]
    key = signing_key(site.sandbox)
    return jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid})


def _activate(site: "Site", descriptor: dict[str, Any], client_key: str, secret: str) -> None:
    with site.lock:
        previous = site.connect
        if previous is not None:
            for hook_id in previous.webhook_ids:
                site.remove_webhook(hook_id)
        app_user = _app_user(site, descriptor, previous)
        app = ConnectInstall(
            key=str(descriptor["key"]),
            client_key=client_key,
            shared_secret=secret,
            base_url=str(descriptor["baseUrl"]).rstrip("/"),
            user_account_id=app_user,
            descriptor=descriptor,
        )
        site.connect = app
        _register_module_webhooks(site, app)


def _app_user(site: "Site", descriptor: dict[str, Any], previous: ConnectInstall | None) -> str:
    if previous is not None:
        return previous.user_account_id
    info = site.add_user(str(descriptor.get("name") or descriptor["key"]), None)
    site.users[info["accountId"]].account_type = "app"
    return str(info["accountId"])


def _register_module_webhooks(site: "Site", app: ConnectInstall) -> None:
    for module in (app.descriptor.get("modules") or {}).get("webhooks") or []:
        url = urljoin(app.base_url + "/", str(module.get("url", "")).lstrip("/"))
        hook = site.add_admin_webhook(
            url,
            None,
            [module["event"]],
            str(module.get("filter") or ""),
            kind="connect",
            owner=app.key,
        )
        app.webhook_ids.append(hook.id)


# Standard parameters Jira appends to every Connect iframe URL (the jwt's qsh covers them).
IFRAME_PARAMS = {"xdm_e": "", "xdm_c": "channel-sandbox", "cp": "", "lic": "none", "cv": "1001.0.0"}


def iframe_url(
    site: "Site",
    module_url: str,
    context: dict[str, str] | None = None,
    *,
    user: str | None = None,
    context_qsh: bool = False,
    ttl: int = 180,
) -> str:
    """The URL Jira loads in an iframe for a module (web panel, glance, configure page).

    `module_url` is the descriptor's URL with `{issue.key}`-style variables, filled from
    `context`. The jwt: HS256 with the shared secret, iss = clientKey, sub = the viewing user,
    qsh over GET + the URL relative to the app's baseUrl (or the literal "context-qsh").
    """
    from urllib.parse import urlencode

    app = site.connect
    if app is None or not app.installed:
        raise ValueError("no Connect app installed on this site")
    path = module_url
    for name, value in (context or {}).items():
        path = path.replace("{" + name + "}", value)
    params = {**IFRAME_PARAMS, "xdm_e": site.sandbox.url}
    url = f"{app.base_url}/{path.lstrip('/')}"
    url += ("&" if "?" in url else "?") + urlencode(params)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": app.client_key,
        "sub": user or site.admin["accountId"],
        "iat": now,
        "exp": now + ttl,
        "qsh": "context-qsh" if context_qsh else qsh_for_url("GET", url, app.base_url),
        "context": {},
    }
    return url + "&jwt=" + jwt.encode(claims, app.shared_secret, algorithm="HS256")
