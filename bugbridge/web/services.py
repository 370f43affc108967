"""State changes that are not about a group: accounts, organizations, projects, DSN keys, and
an organization's sync settings for a Jira site. Web views and the API both call these.

Group changes (assign, resolve, notes) live in `bugbridge.tracker.services`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from bugbridge.jira.models import ResolveStrategy, SiteBinding, StatusMapping, UserMapping
from bugbridge.tracker.errors import DomainError
from bugbridge.tracker.models import Membership, Organization, Project, ProjectKey, Role

log = structlog.get_logger(__name__)

SYNC_SWITCHES = (
    "sync_assignee_outbound",
    "sync_assignee_inbound",
    "sync_status_outbound",
    "sync_status_inbound",
    "sync_comments_outbound",
    "sync_comments_inbound",
    "reopen_on_regression",
    "keep_ignored_on_inbound",
    "jsm_comments_public",
)


# -- accounts -------------------------------------------------------------------------------


def needs_first_run() -> bool:
    return not get_user_model().objects.exists()


def _check_password(password: str, user: Any = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password") from None


def _check_account(username: str, email: str) -> None:
    if not username.strip():
        raise DomainError("Choose a user name.", field="username")
    if get_user_model().objects.filter(username=username).exists():
        raise DomainError(f"The user name {username} is taken.", field="username")
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError("Enter a valid e-mail address.", field="email") from None


def _organization_named(name: str) -> Organization:
    name = name.strip()
    if not name:
        raise DomainError("Name the organization.", field="organization")
    existing = Organization.objects.filter(name=name).first()
    if existing is not None:
        return existing
    base = slugify(name)[:50] or "org"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return Organization.objects.create(name=name, slug=slug)


@transaction.atomic
def create_owner(username: str, email: str, password: str, organization: str) -> Any:
    """A user who owns an organization (created when no organization has that name)."""
    _check_account(username, email)
    _check_password(password)
    org = _organization_named(organization)
    user = get_user_model().objects.create_user(username=username, email=email, password=password)
    Membership.objects.create(organization=org, user=user, role=Role.OWNER)
    log.info("web.account.owner_created", user=user.pk, organization=org.pk)
    return user


@transaction.atomic
def first_run(username: str, email: str, password: str, organization: str) -> Any:
    """Create the first organization and its admin; refused once any user exists."""
    if not needs_first_run():
        raise DomainError("Bugbridge is already set up: sign in instead.")
    user = create_owner(username, email, password, organization)
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


def change_password(user: Any, old: str, new: str) -> None:
    if not user.check_password(old):
        raise DomainError("The current password is not right.", field="old_password")
    _check_password(new, user)
    user.set_password(new)
    user.save(update_fields=["password"])


# -- projects -------------------------------------------------------------------------------


@transaction.atomic
def create_project(organization: Organization, name: str, platform: str = "python") -> Project:
    name = name.strip()
    if not name:
        raise DomainError("Name the project.", field="name")
    slug = slugify(name)[:60]
    if not slug:
        raise DomainError("Use some letters or digits in the name.", field="name")
    if Project.objects.filter(organization=organization, slug=slug).exists():
        raise DomainError(f"There is already a project called {name}.", field="name")
    project = Project.objects.create(
        organization=organization, name=name, slug=slug, platform=platform
    )
    ProjectKey.objects.create(project=project)
    log.info("web.project.created", project=project.pk, organization=organization.pk)
    return project


def active_key(project: Project) -> ProjectKey | None:
    return project.keys.filter(is_active=True).order_by("-created_at", "-pk").first()


@transaction.atomic
def rotate_key(project: Project) -> ProjectKey:
    """A new DSN key; the old ones stop being accepted at once."""
    project.keys.filter(is_active=True).update(is_active=False)
    key = ProjectKey.objects.create(project=project)
    log.info("web.project.key_rotated", project=project.pk, key=key.pk)
    return key


# -- sync settings --------------------------------------------------------------------------


@transaction.atomic
def update_switches(binding: SiteBinding, values: dict[str, Any]) -> SiteBinding:
    changed = [name for name in SYNC_SWITCHES if name in values]
    for name in changed:
        setattr(binding, name, bool(values[name]))
    if "resolve_strategy" in values:
        strategy = str(values["resolve_strategy"])
        if strategy not in ResolveStrategy.values:
            raise DomainError("Choose how a resolved ticket resolves.", field="resolve_strategy")
        binding.resolve_strategy = strategy
        changed.append("resolve_strategy")
    binding.save(update_fields=changed or None)
    log.info("web.binding.switches_updated", binding=binding.pk, fields=changed)
    return binding


@dataclass(frozen=True)
class StatusMapInput:
    jira_project_key: str
    resolved_status_id: str = ""
    unresolved_status_id: str = ""
    ignored_status_id: str = ""
    inbound_resolved_status_ids: tuple[str, ...] = ()
    inbound_ignored_status_ids: tuple[str, ...] = ()


@transaction.atomic
def save_status_map(binding: SiteBinding, data: StatusMapInput) -> StatusMapping:
    key = data.jira_project_key.strip().upper()
    if not key:
        raise DomainError("Name the Jira project (its key, e.g. SHOP).", field="jira_project_key")
    mapping, _ = StatusMapping.objects.update_or_create(
        binding=binding,
        jira_project_key=key,
        defaults={
            "resolved_status_id": data.resolved_status_id.strip(),
            "unresolved_status_id": data.unresolved_status_id.strip(),
            "ignored_status_id": data.ignored_status_id.strip(),
            "inbound_resolved_status_ids": _ids(data.inbound_resolved_status_ids),
            "inbound_ignored_status_ids": _ids(data.inbound_ignored_status_ids),
        },
    )
    log.info("web.binding.status_map_saved", binding=binding.pk, project=key)
    return mapping


def _ids(values: tuple[str, ...] | list[str]) -> list[str]:
    return [str(v).strip() for v in values if str(v).strip()]


def delete_status_map(mapping: StatusMapping) -> None:
    mapping.delete()


def save_user_map(
    binding: SiteBinding, user: Any, account_id: str, display_name: str = ""
) -> UserMapping:
    account_id = account_id.strip()
    if not account_id:
        raise DomainError("Give the Jira account id.", field="account_id")
    if not Membership.objects.filter(organization=binding.organization_id, user=user).exists():
        raise DomainError("That user is not a member of this organization.", field="user")
    try:
        with transaction.atomic():
            mapping, _ = UserMapping.objects.update_or_create(
                binding=binding,
                user=user,
                defaults={"account_id": account_id, "display_name": display_name.strip()},
            )
    except IntegrityError:
        raise DomainError(
            "That Jira account is already mapped to another member.", field="account_id"
        ) from None
    log.info("web.binding.user_map_saved", binding=binding.pk, user=user.pk)
    return mapping


def delete_user_map(mapping: UserMapping) -> None:
    mapping.delete()
