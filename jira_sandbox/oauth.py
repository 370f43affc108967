"""OAuth 2.0 (3LO) like auth.atlassian.com / api.atlassian.com, scaled down for tests.

* GET  {sb.url}/authorize?client_id&redirect_uri&state&scope&response_type=code
  -> 302 to redirect_uri?code=..&state=.. (consent is automatic, see `sb.oauth_consent`).
* POST {sb.url}/oauth/token  grant_type=authorization_code | refresh_token (rotating:
  a used refresh token is dead; reuse -> 403 invalid_grant).
* GET  {sb.url}/oauth/token/accessible-resources (Bearer) -> the sites of the grant.
* {sb.url}/ex/jira/{cloudid}/rest/... -> that site's REST API (Bearer access token).
"""

import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

if TYPE_CHECKING:
    from .server import Sandbox
    from .site import Site

ACCESS_TTL_S = 3600


@dataclass
class Grant:
    client_id: str
    site: str
    account_id: str
    scopes: list[str]
    redirect_uri: str = ""
    refresh_tokens: set[str] = field(default_factory=set)


class OAuthServer:
    def __init__(self, sb: "Sandbox") -> None:
        self.sb = sb
        self.apps: dict[str, str] = {}  # client id -> secret
        self.codes: dict[str, Grant] = {}
        self.refresh: dict[str, Grant] = {}
        self.access: dict[str, Grant] = {}

    def add_app(self, client_id: str, client_secret: str) -> None:
        with self.sb.lock:
            self.apps[client_id] = client_secret
            for site in self.sb.sites.values():
                site.oauth_clients[client_id] = client_secret

    def authorize(
        self,
        client_id: str,
        site: "Site",
        user_ref: str | None,
        scopes: list[str],
        redirect_uri: str = "",
    ) -> str:
        """Consent on behalf of a user; returns the authorization code."""
        user = site.resolve_user(user_ref)
        code = secrets.token_urlsafe(24)
        with self.sb.lock:
            self.codes[code] = Grant(client_id, site.name, user.account_id, scopes, redirect_uri)
        return code

    # ------------------------------------------------------------------------- http
    async def handle(self, request: Request, path: str) -> Response:
        if path == "/authorize":
            return self._authorize(request)
        if path == "/oauth/token" and request.method == "POST":
            return await self._token(request)
        if path == "/oauth/token/accessible-resources":
            return self._resources(request)
        return JSONResponse({"error": "not_found"}, 404)

    def _authorize(self, request: Request) -> Response:
        q = request.query_params
        client_id, redirect = q.get("client_id", ""), q.get("redirect_uri", "")
        if client_id not in self.apps or not redirect:
            return JSONResponse({"error": "invalid_request"}, 400)
        site_name, user_ref = self.sb.oauth_consent or (next(iter(self.sb.sites)), None)
        site = self.sb.sites[site_name]
        code = self.authorize(client_id, site, user_ref, q.get("scope", "").split(), redirect)
        params = {"code": code, "state": q.get("state", "")}
        sep = "&" if "?" in redirect else "?"
        return RedirectResponse(f"{redirect}{sep}{urlencode(params)}", 302)

    async def _token(self, request: Request) -> Response:
        body = await _form_or_json(request)
        client_id = str(body.get("client_id", ""))
        if self.apps.get(client_id) != body.get("client_secret"):
            return JSONResponse(
                {"error": "access_denied", "error_description": "Unauthorized"}, 401
            )
        grant_type = body.get("grant_type")
        with self.sb.lock:
            if grant_type == "authorization_code":
                grant = self.codes.pop(str(body.get("code", "")), None)
                if grant is None or grant.client_id != client_id:
                    return _invalid_grant("Invalid authorization code")
            elif grant_type == "refresh_token":
                grant = self.refresh.pop(str(body.get("refresh_token", "")), None)
                if grant is None or grant.client_id != client_id:
                    return _invalid_grant("Unknown or invalid refresh token.")
            else:
                return JSONResponse({"error": "unsupported_grant_type"}, 400)
            return JSONResponse(self._issue(grant))

    def _issue(self, grant: Grant) -> dict[str, Any]:
        access = "at-" + secrets.token_urlsafe(32)
        expires_ms = int((time.time() + ACCESS_TTL_S) * 1000)
        site = self.sb.sites[grant.site]
        site.add_bearer_token(
            access, grant.account_id, "oauth", expires_ms, grant.scopes, grant.client_id
        )
        self.access[access] = grant
        out: dict[str, Any] = {
            "access_token": access,
            "expires_in": ACCESS_TTL_S,
            "token_type": "Bearer",
            "scope": " ".join(grant.scopes),
        }
        if "offline_access" in grant.scopes:
            refresh = "rt-" + secrets.token_urlsafe(32)
            self.refresh[refresh] = grant
            out["refresh_token"] = refresh
        return out

    def _resources(self, request: Request) -> Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        grant = self.access.get(token)
        if grant is None:
            return JSONResponse({"code": 401, "message": "Unauthorized"}, 401)
        site = self.sb.sites[grant.site]
        return JSONResponse(
            [
                {
                    "id": site.cloud_id,
                    "name": site.name,
                    "url": site.base_url,
                    "scopes": grant.scopes,
                    "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/rocket.png",
                }
            ]
        )


def _invalid_grant(description: str) -> Response:
    return JSONResponse({"error": "invalid_grant", "error_description": description}, 403)


async def _form_or_json(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.json()
        return body if isinstance(body, dict) else {}
    # application/x-www-form-urlencoded, parsed by hand (no python-multipart needed)
    return dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
