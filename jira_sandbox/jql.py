"""A small JQL subset: enough for webhook filters, /search/jql and the issue picker.

Clauses: field (=, !=, ~, IN, NOT IN, IS [NOT] EMPTY) value, joined by AND/OR with
parentheses, and a trailing ORDER BY. Fields: project, key/issuekey/id, status,
statusCategory, assignee, reporter, issuetype/type, labels, summary, text, resolution,
parent, priority. Anything else answers Jira's 400 for an unknown field.
"""

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import JiraError
from .model import Issue

if TYPE_CHECKING:
    from .site import Site

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')|(?P<op>!=|>=|<=|!~|=|~|<|>|\(|\)|,)'
    r"|(?P<word>[^\s=!~<>(),\"']+))"
)
Pred = Callable[[Issue], bool]


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise JiraError(400, [f"Error in the JQL Query: unexpected text at {pos}."])
        quoted = m.group("str")
        out.append("\x00" + quoted[1:-1] if quoted else (m.group("op") or m.group("word")))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, site: "Site", toks: list[str], me: str | None) -> None:
        self.site, self.toks, self.pos, self.me = site, toks, 0, me

    def peek(self, upper: bool = True) -> str | None:
        if self.pos >= len(self.toks):
            return None
        tok = self.toks[self.pos]
        return tok.upper() if upper and not tok.startswith("\x00") else tok

    def take(self) -> str:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def expr(self) -> Pred:
        left = self.term()
        while self.peek() == "OR":
            self.take()
            right = self.term()
            left = (lambda a, b: lambda i: a(i) or b(i))(left, right)
        return left

    def term(self) -> Pred:
        left = self.factor()
        while self.peek() == "AND":
            self.take()
            right = self.factor()
            left = (lambda a, b: lambda i: a(i) and b(i))(left, right)
        return left

    def factor(self) -> Pred:
        if self.peek() == "NOT":
            self.take()
            inner = self.factor()
            return lambda i: not inner(i)
        if self.peek() == "(":
            self.take()
            inner = self.expr()
            self._expect(")")
            return inner
        return self.clause()

    def _expect(self, tok: str) -> None:
        if self.peek() != tok:
            raise JiraError(400, [f"Error in the JQL Query: expected '{tok}'."])
        self.take()

    def clause(self) -> Pred:
        field = self.take().lower().lstrip("\x00")
        getter = _getter(self.site, field)
        op = self.take().upper()
        if op == "NOT" and self.peek() == "IN":
            self.take()
            values = self.values()
            return lambda i: not _any_eq(getter(i), values)
        if op == "IN":
            values = self.values()
            return lambda i: _any_eq(getter(i), values)
        if op == "IS":
            negate = self.peek() == "NOT"
            if negate:
                self.take()
            self.take()  # EMPTY / NULL
            return lambda i: _empty(getter(i)) != negate
        value = self.value()
        return _compare(op, getter, value)

    def values(self) -> list[str]:
        self._expect("(")
        out = [self.value()]
        while self.peek() == ",":
            self.take()
            out.append(self.value())
        self._expect(")")
        return out

    def value(self) -> str:
        tok = self.take()
        if tok.startswith("\x00"):
            return tok[1:]
        if tok.lower() == "currentuser" and self.peek() == "(":
            self.take()
            self._expect(")")
            return self.me or ""
        return tok


def _compare(op: str, getter: Callable[[Issue], Any], value: str) -> Pred:
    if op == "=":
        return lambda i: _any_eq(getter(i), [value])
    if op == "!=":
        return lambda i: not _any_eq(getter(i), [value])
    if op == "~":
        return lambda i: value.lower().strip("*") in " ".join(_flat(getter(i))).lower()
    if op == "!~":
        return lambda i: value.lower() not in " ".join(_flat(getter(i))).lower()
    raise JiraError(400, [f"Error in the JQL Query: the operator '{op}' is not supported here."])


def _flat(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, list | tuple | set):
        return [str(x) for x in v]
    return [str(v)]


def _any_eq(v: Any, wanted: list[str]) -> bool:
    have = {s.lower() for s in _flat(v)}
    return any(w.lower() in have for w in wanted)


def _empty(v: Any) -> bool:
    return not _flat(v)


def _user_ids(site: "Site", ref: str | None) -> list[str]:
    u = site.users.get(ref or "")
    return [u.account_id, u.name, u.key] + ([u.email] if u.email else []) if u else []


def _getter(site: "Site", field: str) -> Callable[[Issue], Any]:
    st = site.statuses
    table: dict[str, Callable[[Issue], Any]] = {
        "project": lambda i: [
            i.project_id,
            site.projects[i.project_id].key,
            site.projects[i.project_id].name,
        ],
        "key": lambda i: [i.key, i.id],
        "issuekey": lambda i: [i.key, i.id],
        "id": lambda i: [i.key, i.id],
        "status": lambda i: [i.status_id, st[i.status_id].name],
        "statuscategory": lambda i: _category_names(st[i.status_id].category),
        "assignee": lambda i: _user_ids(site, i.assignee),
        "reporter": lambda i: _user_ids(site, i.reporter),
        "issuetype": lambda i: [i.issuetype_id, site.issue_types[i.issuetype_id].name],
        "type": lambda i: [i.issuetype_id, site.issue_types[i.issuetype_id].name],
        "labels": lambda i: i.labels,
        "summary": lambda i: i.summary,
        "text": lambda i: [i.summary, i.description or ""] + [c.body for c in i.comments],
        "resolution": lambda i: _resolution(i),
        "parent": lambda i: _parent(site, i),
        "priority": lambda i: [i.priority_id],
    }
    if field.startswith("issue.property["):
        return _property_getter(site, field)
    if field not in table:
        raise JiraError(
            400,
            [f"Field '{field}' does not exist or you do not have permission to view it."],
        )
    return table[field]


def _category_names(key: str) -> list[str]:
    names = {"new": ["2", "new", "To Do"], "indeterminate": ["4", "indeterminate", "In Progress"]}
    return [key, *names.get(key, ["3", "done", "Done", "Complete"])]


def _resolution(i: Issue) -> list[str]:
    from .model import RESOLUTIONS

    return [i.resolution, RESOLUTIONS[i.resolution]["name"]] if i.resolution else []


def _parent(site: "Site", i: Issue) -> list[str]:
    parent = site.issues_by_id.get(i.parent_id or "")
    return [parent.id, parent.key] if parent else []


def _split_order(jql: str) -> tuple[str, list[tuple[str, bool]]]:
    m = re.search(r"\border\s+by\b(.*)$", jql, flags=re.IGNORECASE | re.DOTALL)
    if not m:
        return jql, []
    order = []
    for part in m.group(1).split(","):
        words = part.split()
        if words:
            order.append((words[0].lower(), len(words) > 1 and words[1].upper() == "DESC"))
    return jql[: m.start()], order


def compile_jql(site: "Site", jql: str, me: str | None = None) -> tuple[Pred, list[Any]]:
    where, order = _split_order(jql or "")
    if not where.strip():
        return (lambda i: True), order
    parser = _Parser(site, _tokens(where), me)
    pred = parser.expr()
    if parser.pos != len(parser.toks):
        raise JiraError(400, ["Error in the JQL Query: unexpected trailing input."])
    return pred, order


def matches(site: "Site", issue: Issue, jql: str) -> bool:
    pred, _ = compile_jql(site, jql)
    return pred(issue)


def search(site: "Site", jql: str, me: str | None = None) -> list[Issue]:
    pred, order = compile_jql(site, jql, me)
    found = [i for i in site.issues_by_id.values() if pred(i)]
    keys = order or [("created", True)]
    for field, desc in reversed(keys):
        found.sort(key=_sort_key(field), reverse=desc)
    return found


def _sort_key(field: str) -> Callable[[Issue], Any]:
    if field in {"updated", "created"}:
        return lambda i: getattr(i, field)
    if field in {"key", "issuekey", "id"}:
        return lambda i: int(i.id)
    return lambda i: str(getattr(i, field, ""))


_PROPERTY_FIELD = re.compile(r"^issue\.property\[([^\]]+)\]((?:\.[A-Za-z0-9_]+)*)$")


def _property_getter(site: "Site", field: str) -> Callable[[Issue], Any]:
    """(added by jira-out) `issue.property[key].path.to.value`, as Jira's JQL spells it.

    Real Jira searches only properties an app's descriptor indexes: a test can set
    `site.indexed_properties = {...}` (default: every property is searchable)."""
    match = _PROPERTY_FIELD.match(field)
    if match is None:
        raise JiraError(400, [f"Error in the JQL Query: '{field}' is not a valid property."])
    key, path = match.group(1), [p for p in match.group(2).split(".") if p]
    indexed = getattr(site, "indexed_properties", None)
    if indexed is not None and key not in indexed:
        raise JiraError(
            400, [f"Field '{field}' does not exist or you do not have permission to view it."]
        )

    def get(issue: Issue) -> Any:
        value: Any = issue.properties.get(key)
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        return None if value is None else str(value)

    return get
