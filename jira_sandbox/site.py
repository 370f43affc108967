"""One Jira site (tenant): its state and the actions a person can take in it."""

import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import render
from .errors import JiraError, not_found_issue
from .faults import FaultSet
from .model import (
    AdminWebhook,
    Comment,
    FieldDef,
    Issue,
    IssueType,
    Project,
    Status,
    Transition,
    User,
)
from .seed import (
    CUSTOM_FIELDS,
    ISSUE_TYPES,
    STATUSES,
    SYSTEM_FIELDS,
    TRANSITIONS,
    default_projects,
)
from .util import new_account_id
from .webhooks import Delivery, WebhookEvent, deliver_events

if TYPE_CHECKING:
    from .connect import ConnectInstall
    from .server import Sandbox

ALL_EVENTS = [
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
    "comment_deleted",
    "issue_property_set",
    "issue_property_deleted",
]


@dataclass
class Token:
    account_id: str
    kind: str  # api | oauth | pat
    expires_ms: int | None = None
    scopes: list[str] = field(default_factory=list)
    client_id: str = ""  # OAuth 2.0 app that obtained the access token


class Site:
    """State of one Jira site plus `act_*` methods that behave like a person in Jira's UI."""

    def __init__(self, sandbox: "Sandbox", name: str, deployment: str, version: str) -> None:
        if deployment not in {"cloud", "dc"}:
            raise ValueError("deployment must be 'cloud' or 'dc'")
        self.sandbox = sandbox
        self.name = name
        self.deployment = deployment
        self.version = version
        self.lock: threading.RLock = sandbox.lock
        self.users: dict[str, User] = {}
        self.tokens: dict[tuple[str, str], Token] = {}  # (kind, secret) -> token
        self.projects: dict[str, Project] = {}
        self.issue_types: dict[str, IssueType] = {t.id: t for t in ISSUE_TYPES}
        self.statuses: dict[str, Status] = {s.id: s for s in STATUSES}
        self.transitions: list[Transition] = [
            Transition(t.id, t.name, t.to_status, list(t.required_fields)) for t in TRANSITIONS
        ]
        self.system_fields: dict[str, FieldDef] = {f.id: f for f in SYSTEM_FIELDS}
        self.custom_fields: dict[str, FieldDef] = {f.id: f for f in CUSTOM_FIELDS}
        self.issues_by_id: dict[str, Issue] = {}
        self.webhooks: list[AdminWebhook] = []
        self.deliveries: list[Delivery] = []
        self.faults = FaultSet()
        self.rest_emits_webhooks = True
        self.comment_emits_issue_updated = True
        # Jira answers fewer items than `maxResults` asks for when the endpoint's own cap is
        # lower; set this to make every paged endpoint cap its pages (clients must follow).
        self.max_page_size: int | None = None
        self.webhook_retries = 2
        self.webhook_backoff = 0.05
        self.webhook_timeout = 5.0
        self.connect: ConnectInstall | None = None
        self.revoked: dict[str, set[str]] = {}  # accountId -> revoked permission keys
        self.oauth_clients: dict[str, str] = {}  # client id -> client secret
        self.cloud_id = str(uuid.uuid4())  # OAuth 2.0 routes: {sb.url}/ex/jira/{cloud_id}/...
        self._seq = {"issue": 10000, "comment": 10000, "changelog": 10000, "webhook": 1}
        self.admin = self._seed()

    # ----------------------------------------------------------------- identity & seed
    @property
    def is_dc(self) -> bool:
        return self.deployment == "dc"

    @property
    def base_url(self) -> str:
        return f"{self.sandbox.url}/{self.name}"

    def next_id(self, kind: str) -> str:
        with self.lock:
            self._seq[kind] += 1
            return str(self._seq[kind] - 1)

    def _seed(self) -> dict[str, Any]:
        admin = self.add_user("Site Admin", "admin@example.com", name="admin", key="admin")
        self.add_api_token("admin@example.com", "admin-token")
        if self.is_dc:
            self.add_bearer_token("admin-pat", admin["accountId"], kind="pat")
        for p in default_projects(admin["accountId"]):
            self.projects[p.id] = p
        return admin

    # ------------------------------------------------------------------------- users
    def add_user(
        self,
        display_name: str,
        email: str | None = None,
        email_hidden: bool = False,
        name: str | None = None,
        key: str | None = None,
        account_id: str | None = None,
        time_zone: str = "Etc/UTC",
    ) -> dict[str, Any]:
        """Add a person; returns their REST user object plus `accountId`, `name`, `key`."""
        with self.lock:
            acc = account_id or new_account_id()
            login = name or (email.split("@")[0] if email else acc)
            ukey = key or f"JIRAUSER{10100 + len(self.users)}"
            u = User(acc, display_name, email, email_hidden, login, ukey, time_zone=time_zone)
            self.users[acc] = u
            return self.user_info(u)

    def user_info(self, u: User) -> dict[str, Any]:
        out = dict(render.user(self, u))
        out.update(accountId=u.account_id, name=u.name, key=u.key)
        return out

    def set_email_hidden(self, user_ref: str, hidden: bool = True) -> None:
        with self.lock:
            self.resolve_user(user_ref).email_hidden = hidden

    def resolve_user(self, ref: str | None) -> User:
        """Find a user by accountId, DC name or key, or e-mail."""
        with self.lock:
            if ref is None:
                return self.users[self.admin["accountId"]]
            if ref in self.users:
                return self.users[ref]
            for u in self.users.values():
                if ref in {u.name, u.key} or (u.email and ref.lower() == u.email.lower()):
                    return u
        raise KeyError(f"no user {ref!r}")

    def find_user(self, ref: str | None) -> User | None:
        try:
            return self.resolve_user(ref) if ref is not None else None
        except KeyError:
            return None

    def user_ref(self, u: User | None) -> str | None:
        """The identifier REST clients and webhooks use: accountId on Cloud, key on DC."""
        if u is None:
            return None
        return u.key if self.is_dc else u.account_id

    def add_api_token(self, email: str, token: str) -> None:
        """Accept Basic `email:token` (Cloud) or `username:password|token` (DC)."""
        with self.lock:
            u = self.resolve_user(email)
            self.tokens[("basic", f"{email}:{token}")] = Token(u.account_id, "api")
            if self.is_dc:
                self.tokens[("basic", f"{u.name}:{token}")] = Token(u.account_id, "api")

    def add_bearer_token(
        self,
        token: str,
        user_ref: str,
        kind: str = "oauth",
        expires_ms: int | None = None,
        scopes: list[str] | None = None,
        client_id: str = "",
    ) -> None:
        """An OAuth 2.0 access token (Cloud) or personal access token (DC)."""
        with self.lock:
            u = self.resolve_user(user_ref)
            token_obj = Token(u.account_id, kind, expires_ms, scopes or [], client_id)
            self.tokens[("bearer", token)] = token_obj

    def add_oauth_app(self, client_id: str, client_secret: str) -> None:
        """Register an OAuth 2.0 (3LO) app; its dynamic webhooks are signed with the secret."""
        with self.lock:
            self.oauth_clients[client_id] = client_secret

    # ---------------------------------------------------------------------- webhooks
    def add_admin_webhook(
        self,
        url: str,
        secret: str | None = None,
        events: Iterable[str] | None = None,
        jql: str = "",
        kind: str = "admin",
        owner: str = "",
        expires_ms: int | None = None,
    ) -> AdminWebhook:
        with self.lock:
            hook = AdminWebhook(
                id=int(self.next_id("webhook")),
                url=url,
                events=list(events or ALL_EVENTS),
                secret=secret,
                kind=kind,
                jql=jql,
                owner=owner,
                expires_ms=expires_ms,
            )
            self.webhooks.append(hook)
            return hook

    def remove_webhook(self, hook_id: int) -> bool:
        with self.lock:
            before = len(self.webhooks)
            self.webhooks = [h for h in self.webhooks if h.id != hook_id]
            return len(self.webhooks) != before

    def emit(self, events: list[WebhookEvent]) -> list[Delivery]:
        """Deliver events synchronously (call without holding the lock)."""
        return deliver_events(self, events)

    # -------------------------------------------------------------------- issue reads
    @property
    def issues(self) -> dict[str, dict[str, Any]]:
        """Every issue as REST v2 would return it, keyed by issue key."""
        with self.lock:
            return {i.key: render.issue(self, i, 2) for i in self.issues_by_id.values()}

    def get_issue(self, key: str) -> dict[str, Any]:
        with self.lock:
            return render.issue(self, self.issue(key), 2)

    def issue(self, id_or_key: str) -> Issue:
        with self.lock:
            if id_or_key in self.issues_by_id:
                return self.issues_by_id[id_or_key]
            for i in self.issues_by_id.values():
                if i.key.upper() == str(id_or_key).upper():
                    return i
        raise not_found_issue()

    def subtasks_of(self, parent: Issue) -> list[Issue]:
        return [
            i
            for i in self.issues_by_id.values()
            if i.parent_id == parent.id and self.issue_types[i.issuetype_id].subtask
        ]

    def comments(self, issue_key: str) -> list[dict[str, Any]]:
        """The issue's comments as REST v2 returns them (ids, bodies, authors)."""
        with self.lock:
            issue = self.issue(issue_key)
            return [render.comment(self, issue, c, 2) for c in issue.comments]

    # ----------------------------------------------------------------- configuration
    def add_project(
        self, key: str, name: str, required: dict[str, list[str]] | None = None
    ) -> dict[str, Any]:
        """Add a project with every issue type; `required` maps issue type name -> field ids."""
        with self.lock:
            if self.project(key) is not None:
                raise ValueError(f"project {key} exists")
            pid = str(10000 + len(self.projects))
            types = list(self.issue_types)
            proj = Project(pid, key, name, types, {}, self.admin["accountId"])
            self.projects[pid] = proj
            for type_name, fields in (required or {}).items():
                self.set_required_fields(key, type_name, fields)
            return render.project(self, pid)

    def set_required_fields(self, project: str, issuetype: str, fields: list[str]) -> None:
        """Fields (besides summary/project/issuetype) create requires for that issue type."""
        with self.lock:
            proj = self.project(project)
            itype = next(
                (t for t in self.issue_types.values() if issuetype in {t.id, t.name}), None
            )
            if proj is None or itype is None:
                raise ValueError(f"unknown project {project!r} or issue type {issuetype!r}")
            proj.required[itype.id] = list(fields)

    def revoke_permission(self, user_ref: str, permission: str) -> None:
        """Take a project permission (e.g. ASSIGN_ISSUES) from a user: REST answers 403."""
        with self.lock:
            u = self.resolve_user(user_ref)
            self.revoked.setdefault(u.account_id, set()).add(permission)

    def grant_permission(self, user_ref: str, permission: str) -> None:
        with self.lock:
            u = self.resolve_user(user_ref)
            self.revoked.get(u.account_id, set()).discard(permission)

    def require_transition_fields(self, transition: str, fields: list[str]) -> None:
        """Make a transition (by id or name, e.g. "Won't Do") require fields like resolution."""
        with self.lock:
            for t in self.transitions:
                if transition in {t.id, t.name}:
                    t.required_fields = list(fields)
                    return
        raise ValueError(f"unknown transition {transition!r}")

    def project(self, id_or_key: str | None) -> Project | None:
        for p in self.projects.values():
            if id_or_key in {p.id, p.key}:
                return p
        return None

    def status_by_name(self, name: str) -> Status:
        for s in self.statuses.values():
            if s.name.lower() == name.lower() or s.id == name:
                return s
        raise JiraError(400, [f"Status '{name}' does not exist."])

    # ------------------------------------------------------------------ person actions
    def act_create(
        self,
        summary: str,
        project: str = "BB",
        issuetype: str = "Bug",
        description: str | None = None,
        actor: str | None = None,
        assignee: str | None = None,
        labels: list[str] | None = None,
    ) -> list[Delivery]:
        """Create an issue as a person; the new key is `result[0].issue_key` or `last_key`."""
        from . import actions

        return self.emit(
            actions.create(self, summary, project, issuetype, description, actor, assignee, labels)
        )

    def act_assign(self, issue_key: str, account_id: str | None, actor: str | None = None) -> Any:
        from . import actions

        return self.emit(actions.assign(self, issue_key, account_id, actor))

    def act_transition(self, issue_key: str, to_status: str, actor: str | None = None) -> Any:
        from . import actions

        return self.emit(actions.transition(self, issue_key, to_status, actor))

    def act_comment(self, issue_key: str, body: str, actor: str | None = None) -> list[Delivery]:
        from . import actions

        return self.emit(actions.add_comment(self, issue_key, body, None, actor))

    def act_edit_comment(
        self, issue_key: str, comment_id: str, body: str, actor: str | None = None
    ) -> list[Delivery]:
        from . import actions

        return self.emit(actions.edit_comment(self, issue_key, comment_id, body, None, actor))

    def act_delete_comment(
        self, issue_key: str, comment_id: str, actor: str | None = None
    ) -> list[Delivery]:
        from . import actions

        return self.emit(actions.delete_comment(self, issue_key, comment_id, actor))

    def act_edit(self, issue_key: str, actor: str | None = None, **fields: Any) -> list[Delivery]:
        """Edit summary/description/labels/priority_id as a person."""
        from . import actions

        return self.emit(actions.edit(self, issue_key, fields, actor))

    def act_delete_issue(self, issue_key: str, actor: str | None = None) -> list[Delivery]:
        from . import actions

        return self.emit(actions.delete_issue(self, issue_key, actor))

    @property
    def last_key(self) -> str | None:
        with self.lock:
            if not self.issues_by_id:
                return None
            return max(self.issues_by_id.values(), key=lambda i: int(i.id)).key

    # ------------------------------------------------------------------------ connect
    def connect_install(self, descriptor_url: str, variant: str = "ok") -> Any:
        """Install a Connect app: fetch its descriptor, POST the signed `installed` callback.

        variant: "ok" (RS256 + kid, aud = app baseUrl), "unsigned", "hs256_no_kid",
        "wrong_aud". Returns the app's httpx.Response; on 2xx the site stores the app key
        and shared secret, accepts its JWTs and signs webhooks to its descriptor URLs.
        """
        from . import connect

        return connect.install(self, descriptor_url, variant)

    def connect_uninstall(self, variant: str = "ok") -> Any:
        from . import connect

        return connect.uninstall(self, variant)

    # ------------------------------------------------------------------------- faults
    def set_fault(self, **kwargs: Any) -> Any:
        """Inject a fault; see `faults.Fault` for the kinds (429, 5xx, slow, reset, html...)."""
        return self.faults.add(**kwargs)

    def clear_faults(self) -> None:
        self.faults.clear()

    def set_delivery_fault(self, kind: str, count: int | None = None, seconds: float = 0) -> None:
        """Webhook delivery faults: duplicate | delay | reorder | drop | none."""
        self.faults.set_delivery(kind, count, seconds)

    def flush_held_deliveries(self) -> list[Delivery]:
        """Send deliveries held back by an open-ended `reorder` fault, newest first."""
        from .webhooks import send_planned

        return send_planned(self, self.faults.release_held())


__all__ = ["ALL_EVENTS", "Comment", "Site", "Token"]
