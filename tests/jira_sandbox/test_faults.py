"""Fault switches: 429 flavours, token bucket, 5xx, slow, reset, HTML; delivery faults."""

import httpx
import pytest

from jira_sandbox import Site

from .conftest import ADMIN, Receiver


def _me(site: Site, timeout: float = 5.0) -> httpx.Response:
    return httpx.get(f"{site.base_url}/rest/api/3/myself", auth=ADMIN, timeout=timeout)


def test_429_headers_then_recovers(site: Site) -> None:
    site.set_fault(method="GET", path_glob="*/myself", kind="429", count=2, retry_after=3)
    first = _me(site)
    assert first.status_code == 429
    for header in (
        "Retry-After",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
        "X-RateLimit-NearLimit",
        "RateLimit-Reason",
    ):
        assert header in first.headers
    assert first.headers["Retry-After"] == "3"
    assert _me(site).status_code == 429
    assert _me(site).status_code == 200


def test_429_reset_only(site: Site) -> None:
    site.set_fault(kind="429_reset_only", count=1)
    resp = _me(site)
    assert resp.status_code == 429 and "Retry-After" not in resp.headers
    assert resp.headers["X-RateLimit-Reset"].endswith("Z")


def test_token_bucket(site: Site) -> None:
    site.set_fault(kind="rate_limit", rate=0.001, burst=2)
    codes = [_me(site).status_code for _ in range(4)]
    assert codes == [200, 200, 429, 429]


def test_5xx_and_html(site: Site, dc_site: Site) -> None:
    site.set_fault(kind="503", count=1, path_glob="/rest/api/3/*")
    resp = _me(site)
    assert resp.status_code == 503 and resp.json()["errorMessages"]
    dc_site.set_fault(kind="html", status=502, count=1)
    html = httpx.get(f"{dc_site.base_url}/rest/api/2/myself", auth=("admin", "admin-token"))
    assert html.status_code == 502 and "<html>" in html.text


def test_slow_beyond_timeout(site: Site) -> None:
    site.set_fault(kind="slow", delay=0.5, count=1)
    with pytest.raises(httpx.ReadTimeout):
        _me(site, timeout=0.1)


def test_connection_reset(site: Site) -> None:
    site.set_fault(kind="reset", count=1)
    with pytest.raises(httpx.RemoteProtocolError):
        _me(site)
    assert _me(site).status_code == 200


def test_delivery_duplicate_and_reorder(site: Site, receiver: Receiver) -> None:
    site.add_admin_webhook(receiver.url, events=["jira:issue_created"])
    site.set_delivery_fault("duplicate", count=1)
    site.act_create("one")
    ids = [r.headers["X-Atlassian-Webhook-Identifier"] for r in receiver.requests]
    assert len(ids) == 2 and ids[0] == ids[1]
    receiver.requests.clear()
    site.set_delivery_fault("reorder", count=2)
    site.act_create("two")
    site.act_create("three")
    assert [r.json["issue"]["fields"]["summary"] for r in receiver.requests] == ["three", "two"]


def test_delivery_drop_is_logged(site: Site, receiver: Receiver) -> None:
    site.add_admin_webhook(receiver.url)
    site.set_delivery_fault("drop", count=1)
    results = site.act_create("x")
    assert results[0].dropped and receiver.requests == []


def test_open_ended_reorder_then_flush(site: Site, receiver: Receiver) -> None:
    site.add_admin_webhook(receiver.url, events=["jira:issue_created"])
    site.set_delivery_fault("reorder")
    site.act_create("a")
    site.act_create("b")
    assert receiver.requests == []
    site.set_delivery_fault("none")
    flushed = site.flush_held_deliveries()
    assert [d.ok for d in flushed] == [True, True]
    assert [r.json["issue"]["fields"]["summary"] for r in receiver.requests] == ["b", "a"]


def test_dc_5xx_is_html_and_exclude_body(dc_site: Site, receiver: Receiver) -> None:
    dc_site.set_fault(kind="503", count=1)
    resp = httpx.get(f"{dc_site.base_url}/rest/api/2/myself", auth=("admin", "admin-token"))
    assert resp.status_code == 503 and resp.headers["content-type"].startswith("text/html")
    body = {"name": "n", "url": receiver.url, "events": ["jira:issue_created"], "excludeBody": True}
    made = httpx.post(
        f"{dc_site.base_url}/rest/webhooks/1.0/webhook", json=body, auth=("admin", "admin-token")
    )
    assert made.json()["excludeBody"] is True
    dc_site.act_create("x")
    assert receiver.requests[-1].raw == b""
