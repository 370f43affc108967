"""Atlassian Connect: install state (lifecycle driver added below)."""

from dataclasses import dataclass


@dataclass
class ConnectInstall:
    key: str
    client_key: str
    shared_secret: str
    base_url: str
    user_account_id: str
    descriptor: dict[str, object]
    installed: bool = True
