"""Reading settings from the environment, and secrets that are generated once per install."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet


def env_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def env_list(name: str) -> list[str]:
    raw = os.environ.get(name, "")
    return [item.strip() for item in raw.split(",") if item.strip()]


def persistent_secret(data_dir: Path, name: str, *, fernet: bool = False) -> str:
    """Return the secret kept in `data_dir/name`, creating it (mode 0600) on first use."""
    path = data_dir / name
    if path.exists():
        return path.read_text().strip()

    data_dir.mkdir(parents=True, exist_ok=True)
    value = Fernet.generate_key().decode() if fernet else secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value
