"""Creating, checking and revoking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

import structlog
from django.db.models import QuerySet
from django.utils import timezone

from bugbridge.api.models import ApiToken
from bugbridge.tracker.errors import DomainError, NotFound

log = structlog.get_logger(__name__)

TOKEN_PREFIX = "bbt_"  # noqa: S105 (a marker, not a secret)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: Any, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`. The plain token is returned once and never stored."""
    name = name.strip()
    if not name:
        raise DomainError("Name the token (e.g. the script that will use it).", field="name")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=plain[:12], token_hash=_digest(plain)
    )
    log.info("api.token.created", user=user.pk, token=token.pk)
    return token, plain


def tokens_of(user: Any) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def user_for_token(plain: str) -> Any | None:
    if not plain.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(token_hash=_digest(plain)).first()
    if token is None or not token.user.is_active:
        return None
    _touch(token)
    return token.user


def _touch(token: ApiToken) -> None:
    # Write at most once a minute per token, so busy scripts do not write on every call.
    now = timezone.now()
    if token.last_used_at and now - token.last_used_at < timedelta(minutes=1):
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


def revoke_token(user: Any, token_id: Any) -> None:
    deleted, _ = ApiToken.objects.filter(user=user, pk=_int(token_id)).delete()
    if not deleted:
        raise NotFound("No such token among yours.")
    log.info("api.token.revoked", user=user.pk, token=token_id)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
