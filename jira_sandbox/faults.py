"""Fault injection: per site and per endpoint (method + path glob), plus delivery faults."""

import fnmatch
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

KINDS = {
    "429",
    "429_reset_only",
    "rate_limit",
    "5xx",
    "slow",
    "slow_after",
    "reset",
    "html",
    "status",
}
# "slow_after" (added by jira-out): the request takes effect, then the answer waits `delay`.


@dataclass
class Fault:
    """One injected failure.

    kind: "429" (Retry-After + X-RateLimit-* + RateLimit-Reason), "429_reset_only" (only
    X-RateLimit-Reset), "rate_limit" (token bucket: `rate` per second, `burst`), "5xx"
    (`status`, default 503, with Retry-After when retry_after is set), "slow" (`delay`
    seconds, then the normal answer), "reset" (connection dropped mid-response), "html"
    (Data Center's HTML error page with `status`, default 500), "status" (any `status`).
    count: how many matching requests fail (None = until cleared).
    """

    kind: str
    method: str = "*"
    path_glob: str = "*"
    count: int | None = None
    status: int | None = None
    retry_after: int | None = 1
    delay: float = 0.0
    rate: float = 10.0
    burst: int = 10
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    hits: int = 0
    tokens: float = -1.0
    last_refill: float = field(default_factory=time.monotonic)

    def applies(self, method: str, path: str) -> bool:
        method_ok = self.method in {"*", method.upper()}
        return method_ok and fnmatch.fnmatchcase(path, self.path_glob)

    def as_dict(self) -> dict[str, Any]:
        keys = ("id", "kind", "method", "path_glob", "count", "status", "retry_after", "delay")
        return {k: getattr(self, k) for k in keys} | {"hits": self.hits}


@dataclass
class DeliveryFlags:
    identifier: str
    duplicate: bool = False
    delay: float = 0.0
    drop: bool = False


def rate_limit_reset(seconds: int) -> str:
    """X-RateLimit-Reset is an ISO-8601 instant (yyyy-MM-ddTHH:mmZ)."""
    at = datetime.now(tz=UTC) + timedelta(seconds=max(seconds, 60))
    return at.strftime("%Y-%m-%dT%H:%MZ")


class FaultSet:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.faults: list[Fault] = []
        self.delivery: dict[str, Any] | None = None
        self._held: list[Any] = []

    def add(self, kind: str, **kwargs: Any) -> Fault:
        if kind not in KINDS and not kind.isdigit():
            raise ValueError(f"unknown fault kind {kind!r}; one of {sorted(KINDS)}")
        if kind.isdigit() and kind != "429":
            kwargs.setdefault("status", int(kind))
            kind = "status"
        if kwargs.get("method"):
            kwargs["method"] = str(kwargs["method"]).upper()
        fault = Fault(kind=kind, **kwargs)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()
            self.delivery = None

    def remove(self, fault_id: str) -> None:
        with self._lock:
            self.faults = [f for f in self.faults if f.id != fault_id]

    def take(self, method: str, path: str) -> Fault | None:
        """The fault that fires for this request, if any (consumes one count)."""
        with self._lock:
            for fault in self.faults:
                if not fault.applies(method, path):
                    continue
                if fault.kind == "rate_limit":
                    if _bucket_allows(fault):
                        continue
                    fault.hits += 1
                    return fault
                if fault.count is not None and fault.hits >= fault.count:
                    continue
                fault.hits += 1
                return fault
        return None

    # ------------------------------------------------------------- webhook deliveries
    def set_delivery(self, kind: str, count: int | None, seconds: float) -> None:
        if kind not in {"duplicate", "delay", "reorder", "drop", "none"}:
            raise ValueError("delivery fault kind: duplicate | delay | reorder | drop | none")
        with self._lock:
            self.delivery = None if kind == "none" else {"kind": kind, "left": count, "s": seconds}

    def shape_deliveries(self, plan: list[tuple[Any, Any]]) -> list[tuple[Any, Any, DeliveryFlags]]:
        out = []
        for hook, ev in plan:
            out.extend(self._shape_one(hook, ev))
        return self._reorder(out)

    def _shape_one(self, hook: Any, ev: Any) -> list[tuple[Any, Any, DeliveryFlags]]:
        flags = DeliveryFlags(str(uuid.uuid4()))
        kind = self._consume()
        if kind is None:
            return [(hook, ev, flags)]
        if kind == "duplicate":
            dup = DeliveryFlags(flags.identifier, duplicate=True)
            return [(hook, ev, flags), (hook, ev, dup)]
        if kind == "delay":
            flags.delay = float(self.delivery["s"] if self.delivery else 0)
        if kind == "drop":
            flags.drop = True
        if kind == "reorder":
            with self._lock:
                self._held.append((hook, ev, flags))
            return []
        return [(hook, ev, flags)]

    def _consume(self) -> str | None:
        with self._lock:
            d = self.delivery
            if d is None:
                return None
            if d["left"] is not None:
                if d["left"] <= 0:
                    return None
                d["left"] -= 1
            return str(d["kind"])

    def _reorder(self, out: list[Any]) -> list[Any]:
        """Held (reorder) deliveries go out, newest first, once the count is used up."""
        with self._lock:
            d = self.delivery
            exhausted = d is None or d["kind"] != "reorder" or d["left"] == 0
            if not self._held or not exhausted:
                return out
            held, self._held = list(reversed(self._held)), []
        return out + held

    def release_held(self) -> list[Any]:
        with self._lock:
            held, self._held = list(reversed(self._held)), []
        return held


def _bucket_allows(fault: Fault) -> bool:
    now = time.monotonic()
    if fault.tokens < 0:
        fault.tokens = float(fault.burst)
    fault.tokens = min(fault.burst, fault.tokens + (now - fault.last_refill) * fault.rate)
    fault.last_refill = now
    if fault.tokens >= 1:
        fault.tokens -= 1
        return True
    return False
