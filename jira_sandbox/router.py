"""A tiny route table for the site-relative REST paths (also walked by the contract test)."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.datastructures import QueryParams

from .errors import JiraError

if TYPE_CHECKING:
    from .model import User
    from .site import Site
    from .webhooks import WebhookEvent


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Ctx:
    site: "Site"
    method: str
    path: str
    version: int
    params: dict[str, str]
    query: QueryParams
    body: Any
    user: "User | None"
    auth: str
    client: str = ""  # OAuth client id or Connect app key behind the call
    events: list["WebhookEvent"] = field(default_factory=list)

    def q(self, name: str, default: str | None = None) -> str | None:
        return self.query.get(name, default)

    def qint(self, name: str, default: int) -> int:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError as exc:
            raise JiraError(400, [f"The '{name}' parameter must be a number."]) from exc

    def json(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise JiraError(400, ["The request body must be a JSON object."])
        return self.body

    @property
    def actor(self) -> str | None:
        return self.user.account_id if self.user else None


Handler = Callable[[Ctx], Any]


@dataclass
class Route:
    method: str
    template: str
    handler: Handler
    op: str = ""  # OpenAPI operationId (empty for endpoints outside the v3 spec)
    deployments: tuple[str, ...] = ("cloud", "dc")
    anonymous: bool = False
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template)
        self.regex = re.compile("^" + pattern + "/?$")


ROUTES: list[Route] = []


def route(
    method: str,
    template: str,
    op: str = "",
    deployments: tuple[str, ...] = ("cloud", "dc"),
    anonymous: bool = False,
) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        ROUTES.append(Route(method, template, fn, op, deployments, anonymous))
        return fn

    return deco


def find_route(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """Match a site-relative path; `{v}` accepts 2, 3 or latest."""
    path_matched = False
    # Literal segments win over placeholders: /issue/picker before /issue/{key}.
    for r in sorted(ROUTES, key=lambda r: r.template.count("{")):
        m = r.regex.match(path)
        if not m:
            continue
        path_matched = True
        if r.method == method:
            return r, m.groupdict()
    if path_matched:
        raise JiraError(405, ["Method not allowed."])
    return None
