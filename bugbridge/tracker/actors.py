"""Who made a change: a member, an integration (a Jira site), or Bugbridge itself."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User

from bugbridge.tracker.models import ActorKind


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    label: str
    user: User | None = None
    # For changes that arrive from a Jira ticket: that ticket's id, so the change is not sent
    # back to the ticket it came from (no echo).
    origin_ticket_id: int | None = None

    @classmethod
    def member(cls, user: User) -> Actor:
        label = user.get_username()
        full_name = user.get_full_name()
        return cls(kind=ActorKind.MEMBER, label=full_name or label, user=user)

    @classmethod
    def integration(cls, label: str, *, origin_ticket_id: int | None = None) -> Actor:
        return cls(kind=ActorKind.INTEGRATION, label=label, origin_ticket_id=origin_ticket_id)

    @classmethod
    def system(cls) -> Actor:
        return cls(kind=ActorKind.SYSTEM, label="Bugbridge")
