"""Read-side queries shared by the web pages and the API: the inbox filter, a group's figures,
its stack trace in reading order, and the sync state of each linked ticket."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDay
from django.utils import timezone

from bugbridge.sync.models import ChangeState, GroupLink, OutboundChange
from bugbridge.tracker.models import Event, Group, GroupStatus
from bugbridge.web.access import changes_of, parse_id

SORTS = {"last_seen": "-last_seen", "events": "-times_seen", "users": "-users_seen"}


@dataclass(frozen=True)
class IssueFilter:
    status: str = "unresolved"  # or "resolved", "ignored", "all"
    assignee: str = ""  # "", "me", "none" or a user id
    linked: str = ""  # "", "yes", "no"
    environment: str = ""
    release: str = ""
    query: str = ""
    sort: str = "last_seen"
    project: str = ""

    @classmethod
    def from_params(cls, params: Any) -> IssueFilter:
        values = {name: _clean(params.get(name)) for name in cls.__dataclass_fields__}
        values["status"] = values["status"] or "unresolved"
        values["sort"] = values["sort"] if values["sort"] in SORTS else "last_seen"
        return cls(**values)


def _clean(value: Any) -> str:
    # PostgreSQL refuses NUL characters in text; nothing a person types contains one.
    return str(value or "").replace("\x00", "").strip()[:200]


def filter_groups(groups: QuerySet[Group], flt: IssueFilter, user: Any) -> QuerySet[Group]:
    if flt.status in GroupStatus.values:
        groups = groups.filter(status=flt.status)
    groups = _by_assignee(groups, flt.assignee, user)
    if flt.linked in {"yes", "no"}:
        has_link = Exists(GroupLink.objects.filter(group=OuterRef("pk")))
        groups = groups.filter(has_link if flt.linked == "yes" else ~has_link)
    if flt.environment:
        events = Event.objects.filter(group=OuterRef("pk"), environment=flt.environment)
        groups = groups.filter(Exists(events))
    if flt.release:
        events = Event.objects.filter(group=OuterRef("pk"), release=flt.release)
        groups = groups.filter(Exists(events))
    if flt.query:
        groups = groups.filter(Q(title__icontains=flt.query) | Q(culprit__icontains=flt.query))
    project_id = _small_int(flt.project)
    if project_id is not None:
        groups = groups.filter(project_id=project_id)
    return groups.order_by(SORTS[flt.sort], "-pk")


def _by_assignee(groups: QuerySet[Group], assignee: str, user: Any) -> QuerySet[Group]:
    if assignee == "me":
        return groups.filter(assignee=user)
    if assignee == "none":
        return groups.filter(assignee__isnull=True)
    user_id = _small_int(assignee)
    if user_id is not None:
        return groups.filter(assignee_id=user_id)
    return groups


def _small_int(text: str) -> int | None:
    """An id filter: None (no filter) unless digits; 0 (matches nothing) past the id range."""
    if not (text.isascii() and text.isdigit()):
        return None
    return parse_id(text) or 0


FACET_SAMPLE = 5000


def facet_values(groups: QuerySet[Group], column: str) -> list[str]:
    """Environments or releases for the filter menus, from the newest events only, so the
    inbox never scans a whole event table for them."""
    projects = groups.values("project_id")
    newest = Event.objects.filter(project_id__in=projects).order_by("-pk")[:FACET_SAMPLE]
    values = {v for v in newest.values_list(column, flat=True) if v}
    return sorted(values)[:50]


def links_by_group(group_ids: list[int]) -> dict[int, list[GroupLink]]:
    found: dict[int, list[GroupLink]] = {}
    links = GroupLink.objects.filter(group_id__in=group_ids).select_related("ticket__site")
    for link in links.order_by("created_at"):
        found.setdefault(link.group_id, []).append(link)
    return found


# -- a group's figures ------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    height: int
    count: int
    label: str


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    peak: int
    bar_width: int


def event_chart(group: Group, days: int = 14, width: int = 560, height: int = 80) -> Chart:
    since = timezone.now() - timedelta(days=days - 1)
    start = since.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (
        group.events.filter(timestamp__gte=start)
        .annotate(day=TruncDay("timestamp"))
        .values("day")
        .annotate(n=Count("pk"))
    )
    counts = {row["day"].date(): row["n"] for row in rows}
    peak = max(counts.values(), default=0)
    slot = width // days
    bars = []
    for i in range(days):
        day = (start + timedelta(days=i)).date()
        n = counts.get(day, 0)
        bar_height = round((height - 2) * n / peak) if peak else 0
        if n and bar_height < 2:
            bar_height = 2
        label = f"{day:%b %d}: {n} event{'s' if n != 1 else ''}"
        bars.append(Bar(i * slot, height - bar_height, bar_height, n, label))
    return Chart(bars=bars, width=width, height=height, peak=peak, bar_width=max(slot - 6, 2))


def releases(group: Group) -> list[str]:
    values = group.events.exclude(release="").values_list("release", flat=True)
    return list(values.order_by("release").distinct()[:20])


def tag_summary(group: Group, sample: int = 300) -> list[tuple[str, list[tuple[str, int]]]]:
    counters: dict[str, Counter[str]] = {}
    for tags in group.events.order_by("-timestamp").values_list("tags", flat=True)[:sample]:
        for key, value in _tag_pairs(tags):
            counters.setdefault(key, Counter())[value] += 1
    return [(key, counters[key].most_common(5)) for key in sorted(counters)]


def _tag_pairs(tags: Any) -> list[tuple[str, str]]:
    # Sentry sends tags either as an object or as a list of [key, value] pairs.
    if isinstance(tags, dict):
        return [(str(k), str(v)) for k, v in tags.items()]
    if isinstance(tags, list):
        return [(str(p[0]), str(p[1])) for p in tags if isinstance(p, list | tuple) and len(p) == 2]
    return []


# -- stack traces -----------------------------------------------------------------------------


@dataclass
class Frame:
    filename: str
    function: str
    lineno: int | None
    in_app: bool
    pre_context: list[str] = field(default_factory=list)
    context_line: str = ""
    post_context: list[str] = field(default_factory=list)
    vars: dict[str, Any] = field(default_factory=dict)

    @property
    def first_line(self) -> int:
        return (self.lineno or 0) - len(self.pre_context)


@dataclass
class ExceptionView:
    type: str
    value: str
    app_frames: list[Frame]
    other_frames: list[Frame]


def exceptions(event: Event | None) -> list[ExceptionView]:
    """The event's exceptions, innermost first; frames newest call first, the app's own first."""
    if event is None:
        return []
    # Ingest stores what the SDK sent, whatever its shape: every level is checked here.
    data = _dict(event.data)
    raw = data.get("exception") or []
    values = _list(raw.get("values") if isinstance(raw, dict) else raw)
    views = [_exception_view(value) for value in values if isinstance(value, dict)]
    return list(reversed(views))


def _exception_view(value: dict[str, Any]) -> ExceptionView:
    stack = _dict(value.get("stacktrace"))
    frames = [_frame(f) for f in reversed(_list(stack.get("frames"))) if isinstance(f, dict)]
    return ExceptionView(
        type=str(value.get("type") or "Error"),
        value=str(value.get("value") or ""),
        app_frames=[f for f in frames if f.in_app],
        other_frames=[f for f in frames if not f.in_app],
    )


def _frame(raw: dict[str, Any]) -> Frame:
    lineno = raw.get("lineno")
    return Frame(
        filename=str(raw.get("filename") or raw.get("abs_path") or raw.get("module") or "?"),
        function=str(raw.get("function") or "?"),
        lineno=lineno if isinstance(lineno, int) and not isinstance(lineno, bool) else None,
        in_app=bool(raw.get("in_app")),
        pre_context=[str(x) for x in _list(raw.get("pre_context"))],
        context_line=str(raw.get("context_line") or ""),
        post_context=[str(x) for x in _list(raw.get("post_context"))],
        vars=_dict(raw.get("vars")),
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def event_message(event: Event | None) -> str:
    if event is None:
        return ""
    data = event.data or {}
    logentry = data.get("logentry") or {}
    if isinstance(logentry, dict) and (logentry.get("formatted") or logentry.get("message")):
        return str(logentry.get("formatted") or logentry.get("message"))
    message = data.get("message")
    if isinstance(message, dict):
        return str(message.get("formatted") or message.get("message") or "")
    return str(message or "")


# -- sync state -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkState:
    link: GroupLink
    state: str  # "in_step", "pending", "failed"
    failed: list[OutboundChange]
    pending: int


def link_states(group: Group) -> list[LinkState]:
    links = group.links.select_related("ticket__site").order_by("created_at")
    return [_link_state(link) for link in links]


def _link_state(link: GroupLink) -> LinkState:
    # Only this organization's changes: the ticket may also be linked from another one's group.
    ours = changes_of([link.group.project.organization_id])
    open_changes = (
        OutboundChange.objects.filter(ours, ticket=link.ticket)
        .exclude(state=ChangeState.DONE)
        .distinct()
    )
    failed = list(open_changes.filter(state=ChangeState.FAILED).order_by("-updated_at"))
    pending = open_changes.filter(state__in=[ChangeState.PENDING, ChangeState.IN_FLIGHT]).count()
    state = "failed" if failed else "pending" if pending else "in_step"
    return LinkState(link=link, state=state, failed=failed, pending=pending)


def unsettled_changes(org_ids: Any) -> QuerySet[OutboundChange]:
    visible = OutboundChange.objects.filter(changes_of(org_ids)).values("pk")
    return (
        OutboundChange.objects.filter(pk__in=visible)
        .exclude(state=ChangeState.DONE)
        .select_related("ticket__site", "group")
        .order_by("ticket__site__name", "state", "due_at")
    )


def age(moment: datetime | None) -> str:
    if moment is None:
        return ""
    seconds = int((timezone.now() - moment).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return "just now"
