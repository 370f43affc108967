"""Which rows a signed-in user may see: only those of the organizations they belong to.

Every web view and API endpoint that takes an id looks it up through here. A row of another
organization is reported as missing (404), never as forbidden, so ids cannot be probed; a row
the user may see but not change (settings of an organization they are a plain member of) is 403.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from bugbridge.jira.models import JiraSite, SiteBinding, StatusMapping, UserMapping
from bugbridge.sync.models import GroupLink, OutboundChange
from bugbridge.tracker.errors import NotFound, PermissionDenied
from bugbridge.tracker.models import (
    Event,
    Group,
    Membership,
    Note,
    Organization,
    Project,
    Role,
)


def org_ids(user: Any) -> QuerySet[Membership, int]:
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none().values_list("organization_id", flat=True)
    return Membership.objects.filter(user=user).values_list("organization_id", flat=True)


def organizations(user: Any) -> QuerySet[Organization]:
    return Organization.objects.filter(pk__in=org_ids(user)).order_by("name")


def projects(user: Any) -> QuerySet[Project]:
    return Project.objects.filter(organization_id__in=org_ids(user))


def groups(user: Any) -> QuerySet[Group]:
    return Group.objects.filter(project__organization_id__in=org_ids(user)).select_related(
        "project", "assignee"
    )


def bindings(user: Any) -> QuerySet[SiteBinding]:
    return SiteBinding.objects.filter(organization_id__in=org_ids(user)).select_related(
        "site", "organization"
    )


MAX_ID = 2**63 - 1


def parse_id(value: Any) -> int | None:
    """A database id from a URL, form or query value; None unless 1..2^63-1 in ASCII digits.

    `str.isdigit()` is not enough: "²" and other Unicode digits pass it and then fail `int()`,
    and ids past 2^63 overflow SQLite and PostgreSQL's bigint in foreign-key lookups.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value if value is not None else "").strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 19:
            return None
        number = int(text)
    return number if 0 < number <= MAX_ID else None


def _one(queryset: QuerySet[Any], pk: Any, what: str) -> Any:
    number = parse_id(pk)
    try:
        if number is None:
            raise ValueError(pk)
        return queryset.get(pk=number)
    except (ValueError, queryset.model.DoesNotExist):
        raise NotFound(f"No {what} with id {str(pk)[:40]} in your organizations.") from None


def get_project(user: Any, pk: Any) -> Project:
    return _one(projects(user).select_related("organization"), pk, "project")


def get_group(user: Any, pk: Any) -> Group:
    return _one(groups(user), pk, "issue")


def get_event(user: Any, pk: Any) -> Event:
    events = Event.objects.filter(project__organization_id__in=org_ids(user))
    return _one(events.select_related("group", "project"), pk, "event")


def get_note(user: Any, pk: Any) -> Note:
    notes = Note.objects.filter(group__project__organization_id__in=org_ids(user))
    return _one(notes.filter(is_deleted=False).select_related("group__project"), pk, "note")


def get_link(user: Any, pk: Any) -> GroupLink:
    links = GroupLink.objects.filter(group__project__organization_id__in=org_ids(user))
    return _one(links.select_related("group", "ticket__site"), pk, "link")


def changes_of(organization_ids: Any) -> Q:
    """Outbound changes an organization may see and retry: those of its own groups.

    A ticket can be linked from groups of several organizations bound to the same site, so
    "linked to one of our groups" is not enough: another organization's change on that ticket
    (its note text in the payload, its error, its group) is not ours. A change whose group was
    deleted is shown to every organization that still links the ticket.
    """
    return Q(group__project__organization_id__in=organization_ids) | Q(
        group__isnull=True, ticket__links__group__project__organization_id__in=organization_ids
    )


def get_change(user: Any, pk: Any) -> OutboundChange:
    visible = OutboundChange.objects.filter(changes_of(org_ids(user))).distinct()
    return _one(visible.select_related("ticket__site", "group"), pk, "sync change")


def get_binding(user: Any, pk: Any) -> SiteBinding:
    return _one(bindings(user), pk, "Jira site")


def get_site(user: Any, pk: Any) -> JiraSite:
    sites = JiraSite.objects.filter(bindings__organization_id__in=org_ids(user)).distinct()
    return _one(sites, pk, "Jira site")


def get_status_map(user: Any, pk: Any) -> StatusMapping:
    maps = StatusMapping.objects.filter(binding__organization_id__in=org_ids(user))
    return _one(maps.select_related("binding"), pk, "status map")


def get_user_map(user: Any, pk: Any) -> UserMapping:
    maps = UserMapping.objects.filter(binding__organization_id__in=org_ids(user))
    return _one(maps.select_related("binding", "user"), pk, "user mapping")


def admin_memberships(user: Any) -> QuerySet[Membership]:
    roles = [Role.OWNER, Role.ADMIN]
    return Membership.objects.filter(user=user, role__in=roles).select_related("organization")


def membership(user: Any, organization_id: int) -> Membership:
    number = parse_id(organization_id)
    found = (
        Membership.objects.filter(user=user, organization_id=number).first()
        if number is not None
        else None
    )
    if found is None:
        raise NotFound("No such organization among yours.")
    return found


def require_admin(user: Any, organization_id: int) -> Membership:
    member = membership(user, organization_id)
    if not member.can_admin:
        raise PermissionDenied(
            "Only an owner or admin of this organization can change its settings."
        )
    return member
