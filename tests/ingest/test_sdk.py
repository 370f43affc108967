"""The real Sentry SDK, configured with a project key's DSN, sending to the live server."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sentry_sdk
from sentry_sdk.integrations.logging import LoggingIntegration

from bugbridge.tracker.models import Event, Group, ProjectKey

pytestmark = pytest.mark.django_db(transaction=True)

Init = Callable[..., None]


@pytest.fixture
def sdk(live_server: Any, project_key: ProjectKey) -> Iterator[Init]:
    """sentry_sdk.init against the live server; the client is closed and unset afterwards."""

    def init(**options: Any) -> None:
        sentry_sdk.init(
            dsn=project_key.dsn(live_server.url),
            # No logging/excepthook/framework integrations: they would hook into this test
            # process (and the live server inside it) beyond what the test sends.
            default_integrations=False,
            auto_enabling_integrations=False,
            **options,
        )

    yield init
    client = sentry_sdk.get_client()
    client.flush(timeout=10)
    # The SDK keeps its HTTP connection alive, and with it the live server's request thread and
    # that thread's database connection; closing the pool lets both end before the test DB goes.
    pool = getattr(client.transport, "_pool", None)
    client.close()
    if pool is not None:
        pool.clear()
    sentry_sdk.get_global_scope().set_client(None)


def _fail(value: str) -> None:
    raise ValueError(value)


def _capture(value: str) -> str | None:
    try:
        _fail(value)
    except ValueError:
        return sentry_sdk.capture_exception()
    return None


def test_capture_exception_groups_by_code_not_value(sdk: Init) -> None:
    sdk(release="shop@2.0", environment="staging")
    with sentry_sdk.new_scope() as scope:
        scope.set_user({"id": "ada"})
        first = _capture("card 1 declined")
    with sentry_sdk.new_scope() as scope:
        scope.set_user({"id": "bob"})
        _capture("card 2 declined")
    _capture("card 3 declined")  # no user
    sentry_sdk.flush(timeout=10)

    group = Group.objects.get()
    assert group.title == "ValueError: card 3 declined"
    assert group.culprit == "tests.ingest.test_sdk in _fail"
    assert (group.times_seen, group.users_seen) == (3, 2)
    assert (group.first_release, group.last_release, group.platform) == (
        "shop@2.0",
        "shop@2.0",
        "python",
    )
    assert Event.objects.filter(event_id=first).get().environment == "staging"


def test_capture_message_groups_by_message(sdk: Init) -> None:
    sdk()
    sentry_sdk.capture_message("Payment provider timed out", level="warning")
    sentry_sdk.capture_message("Payment provider timed out", level="warning")
    sentry_sdk.capture_message("Inventory out of sync")
    sentry_sdk.flush(timeout=10)

    groups = {g.title: g for g in Group.objects.all()}
    assert set(groups) == {"Payment provider timed out", "Inventory out of sync"}
    timeout = groups["Payment provider timed out"]
    assert (timeout.times_seen, timeout.level, timeout.type, timeout.culprit) == (
        2,
        "warning",
        "default",
        "",
    )


def test_logging_integration_groups_by_message_template(sdk: Init) -> None:
    # The logging integration sends the template and its params unformatted (logentry), so
    # "Order 1" and "Order 2" are one problem.
    sdk(integrations=[LoggingIntegration(level=None, event_level=logging.ERROR)])
    logger = logging.getLogger("tests.ingest.shop")
    logger.error("Order %s could not be paid", 1)
    logger.error("Order %s could not be paid", 2)
    logger.error("Stock for %s is negative", "sku-9")
    sentry_sdk.flush(timeout=10)

    orders = Group.objects.get(title__startswith="Order")
    assert (orders.title, orders.times_seen) == ("Order 2 could not be paid", 2)
    assert Group.objects.count() == 2


@pytest.mark.parametrize("algorithm", ["gzip", "br"])
def test_sdk_compression_algorithms(sdk: Init, algorithm: str) -> None:
    sdk(_experiments={"transport_compression_algo": algorithm})
    _capture("compressed")
    sentry_sdk.flush(timeout=10)
    assert Group.objects.get().times_seen == 1


def test_explicit_fingerprint_from_the_sdk(sdk: Init) -> None:
    sdk()
    for tenant in ("t1", "t1", "t2"):
        with sentry_sdk.new_scope() as scope:
            scope.fingerprint = ["{{ default }}", tenant]
            scope.set_tag("tenant", tenant)
            _capture(f"failure for {tenant}")
    sentry_sdk.flush(timeout=10)

    counts = sorted(Group.objects.values_list("times_seen", flat=True))
    assert counts == [1, 2]
    assert Event.objects.filter(tags__tenant="t2").count() == 1


def test_disabled_key_stores_nothing(sdk: Init, project_key: ProjectKey) -> None:
    ProjectKey.objects.filter(pk=project_key.pk).update(is_active=False)
    sdk()
    _capture("refused")
    sentry_sdk.flush(timeout=10)
    assert Event.objects.count() == 0
