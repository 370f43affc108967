"""HTML pages of the Connect integration: rendering, and the headers Jira's iframes need.

Templates live next to the code (connect/templates, panel/templates) and are rendered by a small
engine of their own, so the pages do not depend on the web UI's template set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.template import Engine, RequestContext

_HERE = Path(__file__).resolve().parent
_ENGINE = Engine(
    dirs=[str(_HERE / "templates"), str(_HERE.parent / "panel" / "templates")],
    context_processors=[
        "django.template.context_processors.csrf",
        "django.template.context_processors.request",
    ],
    autoescape=True,
)

# Where Jira Cloud pages live when the site is not known yet (e.g. an unverifiable token).
_ATLASSIAN_ANCESTORS = "https://*.atlassian.net https://*.jira.com"


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    html = _ENGINE.get_template(template).render(RequestContext(request, context))
    return HttpResponse(html, status=status, content_type="text/html; charset=utf-8")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def allow_framing_by(response: HttpResponse, site_base_url: str | None) -> HttpResponse:
    """Let Jira embed the page: no X-Frame-Options, and CSP frame-ancestors naming the site."""
    response.xframe_options_exempt = True  # type: ignore[attr-defined]
    origin = _origin(site_base_url or "")
    ancestors = f"'self' {origin}" if origin else f"'self' {_ATLASSIAN_ANCESTORS}"
    response["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
    return response


def render_iframe_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    site_base_url: str | None,
    status: int = 200,
) -> HttpResponse:
    response = render_page(request, template, context, status=status)
    return allow_framing_by(response, site_base_url)
