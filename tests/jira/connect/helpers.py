"""Token factories for Connect tests: what Atlassian (or an attacker) would send us."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from bugbridge.jira.connect.qsh import query_hash

APP_KEY = "io.bugbridge.test"
BASE_URL = "http://testserver"
SITE_SECRET = "site-shared-secret-0123456789abcdef-0123456789"


def rsa_pair() -> tuple[RSAPrivateKey, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, pem.decode()


def new_kid() -> str:
    return f"kid-{uuid.uuid4().hex}"


def claims_for(
    iss: str,
    method: str,
    path: str,
    query: str = "",
    *,
    qsh: str | None = None,
    ttl: int = 180,
    iat_offset: int = 0,
    **extra: Any,
) -> dict[str, Any]:
    now = int(time.time()) + iat_offset
    return {
        "iss": iss,
        "iat": now,
        "exp": now + ttl,
        "qsh": qsh if qsh is not None else query_hash(method, path, query),
        **extra,
    }


def hs_token(secret: str, claims: dict[str, Any]) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def rs_token(private: RSAPrivateKey, kid: str, claims: dict[str, Any]) -> str:
    return jwt.encode(claims, private, algorithm="RS256", headers={"kid": kid})


def none_token(claims: dict[str, Any]) -> str:
    return jwt.encode(claims, None, algorithm="none")


def install_body(client_key: str, base_url: str, secret: str, event: str = "installed") -> dict:
    return {
        "key": APP_KEY,
        "clientKey": client_key,
        "sharedSecret": secret,
        "serverVersion": "100273",
        "pluginsVersion": "1001.0.0-SNAPSHOT",
        "baseUrl": base_url,
        "displayUrl": base_url,
        "productType": "jira",
        "description": f"Atlassian JIRA at {base_url}",
        "eventType": event,
    }


def lifecycle_post(client: Any, path: str, body: dict, token: str | None) -> Any:
    import json

    headers = {"Authorization": f"JWT {token}"} if token else {}
    return client.post(
        path, data=json.dumps(body), content_type="application/json", headers=headers
    )


def signed_install(
    private: RSAPrivateKey,
    kid: str,
    client_key: str,
    path: str = "/jira/connect/installed",
    *,
    aud: Any = BASE_URL,
    **kw: Any,
) -> str:
    return rs_token(
        private,
        kid,
        claims_for(client_key, "POST", path, aud=[aud] if isinstance(aud, str) else aud, **kw),
    )
