"""Secrets at rest: a model field that stores Fernet tokens and hands out plain text."""

from __future__ import annotations

from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet() -> MultiFernet:
    keys = [Fernet(key.encode()) for key in settings.ENCRYPTION_KEYS]
    return MultiFernet(keys)


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        # Never fall back to returning the stored value: it would leak ciphertext as a secret.
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with BUGBRIDGE_ENCRYPTION_KEY; "
            "restore the key it was written with (keep old keys after a rotation)."
        ) from exc


class EncryptedTextField(models.TextField):
    """Text kept encrypted in the database; Python code only ever sees the plain value."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))
