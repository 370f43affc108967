"""Provider-neutral links between groups and tickets, and the outbound-change queue.

The queue is the heart of "nothing lost": a state change on a group and the record that the
ticket must follow are written in one transaction; workers deliver the records to Jira.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from bugbridge.jira.models import JiraSite
from bugbridge.tracker.models import Group, Note


class Ticket(models.Model):
    """A Jira issue as Bugbridge last knew it. Site-scoped; organizations reach it via links."""

    site = models.ForeignKey(JiraSite, on_delete=models.CASCADE, related_name="tickets")
    issue_id = models.CharField(max_length=32)
    key = models.CharField(max_length=64)
    summary = models.CharField(max_length=255, blank=True, default="")
    project_key = models.CharField(max_length=32, blank=True, default="")
    status_id = models.CharField(max_length=32, blank=True, default="")
    status_name = models.CharField(max_length=100, blank=True, default="")
    status_category = models.CharField(max_length=16, blank=True, default="")
    assignee_account_id = models.CharField(max_length=128, blank=True, default="")
    assignee_name = models.CharField(max_length=200, blank=True, default="")
    # `issue.fields.updated` of the newest state applied; older deliveries are ignored.
    watermark = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    # Connect glance badge: the count of linked groups last written to the issue property, so
    # the panel only writes it when it changed (null = never written).
    badge_count = models.IntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "issue_id"], name="uniq_ticket_issue"),
        ]
        indexes = [models.Index(fields=["site", "key"], name="ticket_key_idx")]

    def __str__(self) -> str:
        return self.key

    @property
    def browse_url(self) -> str:
        return f"{self.site.base_url.rstrip('/')}/browse/{self.key}"


class GroupLink(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="links")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "ticket"], name="uniq_group_ticket"),
        ]


class ChangeKind(models.TextChoices):
    ASSIGNEE = "assignee"
    STATUS = "status"
    COMMENT_CREATE = "comment_create"
    COMMENT_UPDATE = "comment_update"
    COMMENT_DELETE = "comment_delete"


class ChangeState(models.TextChoices):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DONE = "done"
    FAILED = "failed"


class OutboundChange(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="outbound")
    kind = models.CharField(max_length=24, choices=ChangeKind.choices)
    # Changes with the same key coalesce while pending: "assignee", "status", "comment:<note>".
    coalesce_key = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    # The group whose change this is (for showing failures on the group page).
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL)
    state = models.CharField(
        max_length=16, choices=ChangeState.choices, default=ChangeState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "coalesce_key"],
                condition=Q(state="pending"),
                name="uniq_pending_change",
            )
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="outbound_due_idx")]


class CommentLink(models.Model):
    """A note mirrored as a comment on a ticket (either direction), so edits follow it."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="comment_links")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comment_links")
    comment_id = models.CharField(max_length=32, blank=True, default="")
    # True when the comment was written by Bugbridge (so its webhook echo is not imported).
    outbound = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["note", "ticket"], name="uniq_note_ticket"),
        ]
        indexes = [models.Index(fields=["ticket", "comment_id"], name="comment_link_idx")]


class TicketDefaults(models.Model):
    """Create-form defaults for a Bugbridge project on a site; with `user`, that person's last
    choice (which wins over the project's)."""

    project = models.ForeignKey(
        "tracker.Project", on_delete=models.CASCADE, related_name="ticket_defaults"
    )
    site = models.ForeignKey(JiraSite, on_delete=models.CASCADE, related_name="ticket_defaults")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    jira_project = models.CharField(max_length=64, blank=True, default="")
    issue_type_id = models.CharField(max_length=32, blank=True, default="")
    priority_id = models.CharField(max_length=32, blank=True, default="")
    labels = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "site", "user"],
                condition=Q(user__isnull=False),
                name="uniq_ticket_defaults_user",
            ),
            models.UniqueConstraint(
                fields=["project", "site"],
                condition=Q(user__isnull=True),
                name="uniq_ticket_defaults_project",
            ),
        ]
