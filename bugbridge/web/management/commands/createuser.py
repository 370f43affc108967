"""`bugbridge createuser`: a user who owns an organization, from flags or prompts."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bugbridge.tracker.errors import DomainError
from bugbridge.web import services


class Command(BaseCommand):
    help = "Create a user with an owner membership of an organization (created if missing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username")
        parser.add_argument("--email")
        parser.add_argument("--password")
        parser.add_argument("--organization")
        parser.add_argument(
            "--no-input", action="store_true", help="Fail instead of prompting for missing values."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        values: dict[str, str] = {}
        for name in ("username", "email", "organization"):
            values[name] = options.get(name) or self._ask(name, options["no_input"])
        password = options.get("password") or self._ask_password(options["no_input"])
        try:
            user = services.create_owner(
                values["username"], values["email"], password, values["organization"]
            )
        except DomainError as exc:
            raise CommandError(f"{exc.field or 'input'}: {exc.message}") from None
        self.stdout.write(f"Created {user.get_username()}, owner of {values['organization']}.")

    def _ask(self, name: str, no_input: bool) -> str:
        if no_input:
            raise CommandError(f"--{name} is required with --no-input.")
        try:
            return input(f"{name.capitalize()}: ").strip()
        except EOFError:
            raise CommandError(f"No terminal to ask on: pass --{name} (and --no-input).") from None

    def _ask_password(self, no_input: bool) -> str:
        if no_input:
            raise CommandError("--password is required with --no-input.")
        try:
            first = getpass.getpass("Password: ")
            again = getpass.getpass("Password (again): ")
        except EOFError:
            raise CommandError("No terminal to ask on: pass --password (and --no-input).") from None
        if first != again:
            raise CommandError("The passwords differ.")
        return first
