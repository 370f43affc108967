"""Default content of a new site: projects BB and OPS, issue types, workflow, fields."""

from .model import FieldDef, IssueType, Project, Status, Transition

ISSUE_TYPES = [
    IssueType(
        "10001", "Story", "Functionality or a feature expressed as a user goal.", False, 10315
    ),
    IssueType("10002", "Task", "A small, distinct piece of work.", False, 10318),
    IssueType("10004", "Bug", "A problem or error.", False, 10303),
    IssueType(
        "10003", "Sub-task", "A small piece of work that's part of a larger task.", True, 10316
    ),
    IssueType("10000", "Epic", "A big user story that needs to be broken down.", False, 10307),
]

# Won't Do is a second "done" status: resolving to it must read as resolved, not as fixed.
STATUSES = [
    Status("10000", "To Do", "new"),
    Status("3", "In Progress", "indeterminate"),
    Status("10001", "Done", "done", resolution="10000"),
    Status("10002", "Won't Do", "done", resolution="10001"),
]

# Global transitions ("any status -> X"), ids as Jira's simplified workflows number them.
TRANSITIONS = [
    Transition("11", "To Do", "10000"),
    Transition("21", "In Progress", "3"),
    Transition("31", "Done", "10001"),
    Transition("41", "Won't Do", "10002"),
]

_SEVERITY = [
    {"id": "10100", "value": "Critical"},
    {"id": "10101", "value": "Major"},
    {"id": "10102", "value": "Minor"},
]
_PLATFORMS = [
    {"id": "10110", "value": "Backend"},
    {"id": "10111", "value": "Frontend"},
    {"id": "10112", "value": "Mobile"},
]


def _cf(fid: str, name: str, kind: str, custom: str, items: str | None = None) -> dict[str, object]:
    schema: dict[str, object] = {"type": kind, "custom": custom, "customId": int(fid.split("_")[1])}
    if items:
        schema["items"] = items
    return schema


CUSTOM_FIELDS = [
    FieldDef(
        "customfield_10010",
        "Severity",
        _cf(
            "customfield_10010",
            "Severity",
            "option",
            "com.atlassian.jira.plugin.system.customfieldtypes:select",
        ),
        _SEVERITY,
        True,
    ),
    FieldDef(
        "customfield_10011",
        "Platforms",
        _cf(
            "customfield_10011",
            "Platforms",
            "array",
            "com.atlassian.jira.plugin.system.customfieldtypes:multiselect",
            "option",
        ),
        _PLATFORMS,
        True,
    ),
    FieldDef(
        "customfield_10012",
        "Reviewer",
        _cf(
            "customfield_10012",
            "Reviewer",
            "user",
            "com.atlassian.jira.plugin.system.customfieldtypes:userpicker",
        ),
        None,
        True,
    ),
    FieldDef(
        "customfield_10013",
        "Steps to reproduce",
        _cf(
            "customfield_10013",
            "Steps",
            "string",
            "com.atlassian.jira.plugin.system.customfieldtypes:textarea",
        ),
        None,
        True,
    ),
    FieldDef(
        "customfield_10014",
        "Story Points",
        _cf(
            "customfield_10014",
            "Story Points",
            "number",
            "com.atlassian.jira.plugin.system.customfieldtypes:float",
        ),
        None,
        True,
    ),
    FieldDef(
        "customfield_10020",
        "Sprint",
        _cf("customfield_10020", "Sprint", "array", "com.pyxis.greenhopper.jira:gh-sprint", "json"),
        None,
        True,
    ),
    FieldDef(
        "customfield_10015",
        "Error tags",
        _cf(
            "customfield_10015",
            "Error tags",
            "array",
            "com.atlassian.jira.plugin.system.customfieldtypes:labels",
            "string",
        ),
        None,
        True,
    ),
]

SYSTEM_FIELDS = [
    FieldDef("summary", "Summary", {"type": "string", "system": "summary"}),
    FieldDef("description", "Description", {"type": "string", "system": "description"}),
    FieldDef("issuetype", "Issue Type", {"type": "issuetype", "system": "issuetype"}),
    FieldDef("project", "Project", {"type": "project", "system": "project"}),
    FieldDef("reporter", "Reporter", {"type": "user", "system": "reporter"}),
    FieldDef("assignee", "Assignee", {"type": "user", "system": "assignee"}),
    FieldDef("priority", "Priority", {"type": "priority", "system": "priority"}),
    FieldDef("labels", "Labels", {"type": "array", "items": "string", "system": "labels"}),
    FieldDef("parent", "Parent", {"type": "issuelink", "system": "parent"}),
]

BASE_REQUIRED = ["summary", "issuetype", "project"]


def default_projects(lead: str) -> list[Project]:
    """BB is permissive; OPS requires Severity on bugs so create-metadata has teeth."""
    types = [t.id for t in ISSUE_TYPES]
    bb = Project("10000", "BB", "Bugbridge Demo", types, {}, lead)
    ops_required = {"10004": ["customfield_10010"]}
    ops = Project("10001", "OPS", "Operations", types, ops_required, lead)
    return [bb, ops]
