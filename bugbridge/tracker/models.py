"""The error inbox: organizations, their members and projects, and the groups events fall into.

State changes never happen here: they go through `bugbridge.tracker.services`, which also writes
the activity trail and the outbound sync records in the same transaction.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


class Membership(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="uniq_membership")
        ]

    @property
    def can_admin(self) -> bool:
        return self.role in {Role.OWNER, Role.ADMIN}


class Project(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="projects"
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=64)
    platform = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="uniq_project_slug")
        ]

    def __str__(self) -> str:
        return self.name


def _new_public_key() -> str:
    return secrets.token_hex(16)


class ProjectKey(models.Model):
    """A DSN key. Sentry SDKs send only the public part; it identifies the project's sender."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="keys")
    label = models.CharField(max_length=64, default="Default")
    public_key = models.CharField(max_length=32, unique=True, default=_new_public_key)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def dsn(self, base_url: str) -> str:
        scheme, _, host = base_url.partition("://")
        return f"{scheme}://{self.public_key}@{host}/{self.project_id}"


class GroupStatus(models.TextChoices):
    UNRESOLVED = "unresolved"
    RESOLVED = "resolved"
    IGNORED = "ignored"


class Group(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="groups")
    fingerprint_hash = models.CharField(max_length=64)
    title = models.CharField(max_length=1024)
    culprit = models.CharField(max_length=1024, blank=True, default="")
    # "error" when grouped on an exception, "default" for a message.
    type = models.CharField(max_length=16, default="error")
    level = models.CharField(max_length=16, default="error")
    platform = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(
        max_length=16, choices=GroupStatus.choices, default=GroupStatus.UNRESOLVED
    )
    # Set when resolved "in the next release": the group stays resolved until an event arrives
    # from a release other than this one.
    resolved_in_release = models.CharField(max_length=200, blank=True, default="")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_groups",
    )
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    times_seen = models.PositiveBigIntegerField(default=0)
    users_seen = models.PositiveIntegerField(default=0)
    first_release = models.CharField(max_length=200, blank=True, default="")
    last_release = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "fingerprint_hash"], name="uniq_group_fingerprint"
            )
        ]
        indexes = [
            models.Index(fields=["project", "status", "-last_seen"], name="group_inbox_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def short_id(self) -> str:
        return f"{self.project.slug.upper()}-{self.pk}"


class Event(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="events")
    event_id = models.UUIDField(default=uuid.uuid4)
    timestamp = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    title = models.CharField(max_length=1024)
    level = models.CharField(max_length=16, default="error")
    release = models.CharField(max_length=200, blank=True, default="")
    environment = models.CharField(max_length=64, blank=True, default="")
    user_ident = models.CharField(max_length=256, blank=True, default="")
    tags = models.JSONField(default=dict)
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "event_id"], name="uniq_event_id"),
        ]
        indexes = [models.Index(fields=["group", "-timestamp"], name="event_group_time_idx")]


class GroupUser(models.Model):
    """One row per distinct user seen on a group, so `users_seen` counts each user once."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="seen_users")
    ident = models.CharField(max_length=256)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "ident"], name="uniq_group_user")]


class Note(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # Who wrote it when it is not a member (e.g. "Ada Lovelace (Jira acme)").
    author_label = models.CharField(max_length=200, blank=True, default="")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    is_deleted = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["group", "created_at"], name="note_group_idx")]


class ActorKind(models.TextChoices):
    MEMBER = "member"
    INTEGRATION = "integration"
    SYSTEM = "system"


class Activity(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="activity")
    kind = models.CharField(max_length=48)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_label = models.CharField(max_length=200)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["group", "-created_at"], name="activity_group_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(actor_kind="member") | Q(actor_user__isnull=False),
                name="member_activity_has_user",
            )
        ]
