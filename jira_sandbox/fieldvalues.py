"""Turn REST `fields` input into internal values, with Jira's per-field 400 messages."""

from typing import TYPE_CHECKING, Any

from .errors import JiraError
from .model import PRIORITIES, FieldDef, Project
from .util import adf_to_text, is_adf

if TYPE_CHECKING:
    from .site import Site

SUMMARY_MAX = 255
TEXT_MAX = 32767
TOO_LONG = "The entered text is too long. It exceeds the allowed limit of 32,767 characters."


class FieldErrors(dict[str, str]):
    def raise_if_any(self) -> None:
        if self:
            raise JiraError(400, [], dict(self))


def parse_project(site: "Site", value: Any) -> Project | None:
    if not isinstance(value, dict):
        return None
    return site.project(str(value.get("id") or value.get("key") or ""))


def parse_issuetype(site: "Site", project: Project | None, value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    for t in site.issue_types.values():
        if str(value.get("id")) == t.id or value.get("name") == t.name:
            return t.id if project is None or t.id in project.issue_types else None
    return None


def check_summary(value: Any, errors: FieldErrors) -> None:
    if not isinstance(value, str) or not value.strip():
        errors["summary"] = "You must specify a summary of the issue."
    elif len(value) > SUMMARY_MAX:
        errors["summary"] = "Summary must be less than 255 characters."
    elif "\n" in value or "\r" in value:
        errors["summary"] = "The summary is invalid because it contains newline characters."


def rich_text(value: Any, version: int, fid: str, errors: FieldErrors) -> tuple[Any, Any]:
    """(wiki text, ADF) from a v2 string or a v3 document; records errors."""
    if value is None:
        return None, None
    if version == 3 and not is_adf(value):
        errors[fid] = (
            "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
        )
        return None, None
    if version != 3 and not isinstance(value, str):
        errors[fid] = "Operation value must be a string"
        return None, None
    text = adf_to_text(value) if version == 3 else value
    if len(text) > TEXT_MAX:
        errors[fid] = TOO_LONG
    return text, (value if version == 3 else None)


def user_ref(site: "Site", value: Any, fid: str, errors: FieldErrors) -> str | None:
    """A user given as {accountId}/{id} on Cloud or {name}/{key} on Data Center."""
    if value is None:
        return None
    if not isinstance(value, dict):
        errors[fid] = "expected Object"
        return None
    ref = _user_key_in(site, value, fid, errors)
    if ref is None:
        return None
    u = site.find_user(ref)
    if u is None:
        errors[fid] = (
            f"User '{ref}' cannot be assigned issues."
            if fid == "assignee"
            else (f"User '{ref}' does not exist.")
        )
        return None
    return u.account_id


def _user_key_in(site: "Site", value: dict[str, Any], fid: str, errors: FieldErrors) -> Any:
    if site.is_dc:
        ref = value.get("name") or value.get("key")
        if ref is None:
            errors[fid] = "expected 'name' or 'key' property"
        return ref
    if "name" in value or "key" in value:
        errors[fid] = "'accountId' must be the only user identifying property in GDPR strict mode."
        return None
    ref = value.get("accountId") or value.get("id")
    if ref is None:
        errors[fid] = "expected 'accountId' property"
    return ref


def parse_priority(value: Any, errors: FieldErrors) -> str | None:
    if not isinstance(value, dict):
        errors["priority"] = "expected Object"
        return None
    for pid, name in PRIORITIES.items():
        if str(value.get("id")) == pid or value.get("name") == name:
            return pid
    errors["priority"] = "Specify the Priority (id or name) in the correct format"
    return None


def parse_labels(value: Any, fid: str, errors: FieldErrors) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors[fid] = "expected array of strings"
        return []
    for label in value:
        if " " in label:
            errors[fid] = f"The label '{label}' contains spaces which is invalid."
        elif len(label) > 255:
            errors[fid] = "The label must not exceed 255 characters."
    return list(value)


def custom_value(
    site: "Site", fdef: FieldDef, value: Any, version: int, errors: FieldErrors
) -> Any:
    kind = fdef.schema.get("custom", "").rsplit(":", 1)[-1]
    if value is None:
        return None
    if kind == "select":
        return _option(fdef, value, errors)
    if kind == "multiselect":
        if not isinstance(value, list):
            errors[fdef.id] = "expected array"
            return None
        return [_option(fdef, v, errors) for v in value]
    if kind == "userpicker":
        return user_ref(site, value, fdef.id, errors)
    if kind == "textarea":
        text, _ = rich_text(value, version, fdef.id, errors)
        return text
    if kind == "float":
        return _number(fdef, value, errors)
    if kind == "gh-sprint":
        return _sprint(fdef, value, errors)
    if kind == "labels":
        return parse_labels(value, fdef.id, errors)
    return value


def _option(fdef: FieldDef, value: Any, errors: FieldErrors) -> Any:
    if not isinstance(value, dict):
        errors[fdef.id] = "Could not find valid 'id' or 'value' in the Parent Option object."
        return None
    for opt in fdef.allowed or []:
        if str(value.get("id")) == opt["id"] or value.get("value") == opt["value"]:
            return dict(opt)
    if "id" in value:
        errors[fdef.id] = f"Option id '{value['id']}' is not valid"
    else:
        errors[fdef.id] = f"Option value '{value.get('value')}' is not valid"
    return None


def _number(fdef: FieldDef, value: Any, errors: FieldErrors) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors[fdef.id] = f"Operation value must be a number, '{value}' is not a number."
        return None
    return value


def _sprint(fdef: FieldDef, value: Any, errors: FieldErrors) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        errors[fdef.id] = "Number value expected as the Sprint id."
        return None
    return value
