"""A small shop application that fails in real ways, reporting through the real Sentry SDK.

Run as `python -m bugbridge.demo.sample_app <dsn>`. It raises three distinct errors, one of them
several times and for several users, and sends one plain message.
"""

from __future__ import annotations

import sys
from decimal import Decimal

import sentry_sdk

PRICES = {"apple": Decimal("0.50"), "pear": Decimal("0.75")}


def price_of(item: str) -> Decimal:
    return PRICES[item]


def parse_quantity(raw: str) -> int:
    return int(raw)


def average_basket(totals: list[float]) -> float:
    return sum(totals) / len(totals)


def checkout(user: str, item: str, quantity: str) -> Decimal:
    with sentry_sdk.new_scope() as scope:
        scope.set_user({"id": user, "email": f"{user}@shop.example"})
        scope.set_tag("checkout.step", "price")
        try:
            return price_of(item) * parse_quantity(quantity)
        except Exception:
            sentry_sdk.capture_exception()
            return Decimal(0)


def report() -> None:
    try:
        average_basket([])
    except ZeroDivisionError:
        sentry_sdk.capture_exception()


def main(dsn: str) -> None:
    sentry_sdk.init(dsn=dsn, release="shop@1.4.2", environment="demo", traces_sample_rate=0.0)
    for user in ("u1", "u2", "u3", "u1"):
        checkout(user, "banana", "1")  # KeyError, four times, three users
    checkout("u2", "apple", "two")  # ValueError
    report()  # ZeroDivisionError
    sentry_sdk.capture_message("Payment provider answered slowly", level="warning")
    sentry_sdk.flush(timeout=10)


if __name__ == "__main__":
    main(sys.argv[1])
