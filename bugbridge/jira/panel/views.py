"""GET /jira/connect/issue-panel/<issue_key>?jwt=… — the glance / web panel Jira embeds."""

from __future__ import annotations

import structlog
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from bugbridge.jira.connect.binding import token_problem_page
from bugbridge.jira.connect.pages import render_iframe_page
from bugbridge.jira.connect.verify import ConnectAuthError, verify_request
from bugbridge.jira.panel.badge import sync_badge
from bugbridge.jira.panel.queries import find_ticket, panel_rows

log = structlog.get_logger(__name__)


@xframe_options_exempt
@require_GET
def issue_panel(request: HttpRequest, issue_key: str) -> HttpResponse:
    try:
        # Jira loads the panel itself (URL-bound qsh); the app's own frontend may reload it
        # with a context token from AP.context.getToken().
        verified = verify_request(request, allow_context_qsh=True)
    except ConnectAuthError as exc:
        return token_problem_page(request, exc)
    site = verified.site
    ticket = find_ticket(site, issue_key)
    rows = panel_rows(site, ticket, timezone.now()) if ticket is not None else []
    note = sync_badge(site, ticket, len(rows)) if ticket is not None else ""
    log.info("jira.panel.rendered", site=site.pk, issue=issue_key, groups=len(rows))
    context = {"issue_key": issue_key, "rows": rows, "note": note, "site": site}
    template = "panel/panel.html" if rows else "panel/not_linked.html"
    return render_iframe_page(request, template, context, site_base_url=site.base_url)
