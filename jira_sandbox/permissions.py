"""Project permissions: everyone has all of them unless a test revokes one for a user."""

from typing import TYPE_CHECKING, Any

from .errors import JiraError
from .router import Ctx, route

if TYPE_CHECKING:
    from .model import User
    from .site import Site

PERMISSIONS: dict[str, tuple[str, str]] = {
    "BROWSE_PROJECTS": ("10", "Browse Projects"),
    "CREATE_ISSUES": ("11", "Create Issues"),
    "EDIT_ISSUES": ("12", "Edit Issues"),
    "ASSIGN_ISSUES": ("13", "Assign Issues"),
    "ASSIGNABLE_USER": ("17", "Assignable User"),
    "TRANSITION_ISSUES": ("46", "Transition Issues"),
    "RESOLVE_ISSUES": ("14", "Resolve Issues"),
    "ADD_COMMENTS": ("15", "Add Comments"),
    "EDIT_ALL_COMMENTS": ("34", "Edit All Comments"),
    "DELETE_ALL_COMMENTS": ("36", "Delete All Comments"),
    "DELETE_ISSUES": ("16", "Delete Issues"),
}

# Which permission each REST operation needs (operations not listed need none beyond login).
REQUIRED_BY_OP: dict[str, str] = {
    "createIssue": "CREATE_ISSUES",
    "editIssue": "EDIT_ISSUES",
    "assignIssue": "ASSIGN_ISSUES",
    "doTransition": "TRANSITION_ISSUES",
    "addComment": "ADD_COMMENTS",
    "updateComment": "EDIT_ALL_COMMENTS",
    "deleteComment": "DELETE_ALL_COMMENTS",
    "deleteIssue": "DELETE_ISSUES",
    "setIssueProperty": "EDIT_ISSUES",
    "deleteIssueProperty": "EDIT_ISSUES",
    "createOrUpdateRemoteIssueLink": "EDIT_ISSUES",
}


SCOPE_MISMATCH = {"code": 401, "message": "Unauthorized; scope does not match"}


def classic_scope(method: str, template: str) -> str:
    """The classic OAuth 2.0 scope a call needs (granular scopes are not modelled)."""
    if "/webhook" in template:
        return "manage:jira-webhook"
    if method != "GET" and "search" not in template:
        return "write:jira-work"
    if "/user" in template or template.endswith("/myself"):
        return "read:jira-user"
    return "read:jira-work"


def scope_ok(scopes: list[str], method: str, template: str) -> bool:
    """Tokens without scopes (tests' shortcut) and granular-scope tokens are not checked."""
    if not scopes or any(s.count(":") >= 2 for s in scopes):
        return True
    return classic_scope(method, template) in scopes


def check(site: "Site", user: "User | None", op: str) -> None:
    needed = REQUIRED_BY_OP.get(op)
    if needed is None or user is None:
        return
    if needed in site.revoked.get(user.account_id, set()):
        name = PERMISSIONS[needed][1]
        raise JiraError(403, [f"You do not have the '{name}' permission for this project."])


@route("GET", "/rest/api/{v}/mypermissions", "getMyPermissions")
def my_permissions(ctx: Ctx) -> dict[str, Any]:
    wanted = [p for p in (ctx.q("permissions") or "").split(",") if p]
    if not wanted:
        raise JiraError(400, ["The 'permissions' parameter is required."])
    revoked = ctx.site.revoked.get(ctx.actor or "", set())
    out: dict[str, Any] = {}
    for key in wanted:
        if key not in PERMISSIONS:
            raise JiraError(404, [f"No permission with key '{key}' found."])
        pid, name = PERMISSIONS[key]
        out[key] = {
            "id": pid,
            "key": key,
            "name": name,
            "type": "PROJECT",
            "description": f"Ability to {name.lower()}.",
            "havePermission": key not in revoked,
        }
    return {"permissions": out}
