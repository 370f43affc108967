"""`bugbridge demo`: the main job end to end on this machine (see bugbridge/demo/runner.py)."""

from __future__ import annotations

import json
import sys
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from bugbridge.demo import runner


class Command(BaseCommand):
    help = (
        "Run Bugbridge with the sandbox Jira and a sample app sending real errors, create "
        "tickets, sync assignees both ways, and print the result."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument(
            "--keep-running", action="store_true", help="leave the server up to browse"
        )
        parser.add_argument("--port", type=int, default=0, help="Bugbridge's port (default: any)")

    def handle(self, *args: Any, **options: Any) -> None:
        state = runner.DemoState(data_dir=settings.DATA_DIR, say=self._say)
        try:
            rows = runner.run(state, port=options["port"])
            self._print(rows, as_json=options["json"])
            if options["keep_running"]:
                self._keep_running(state)
        except runner.StepFailed as failure:
            raise CommandError(
                f"demo failed at step '{failure.step}': {failure.reason}"
            ) from failure
        finally:
            runner.shut_down(state)

    def _say(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def _print(self, rows: list[dict[str, Any]], *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps({"groups": rows}, indent=2))
            return
        self.stdout.write(runner.render_table(rows))

    def _keep_running(self, state: runner.DemoState) -> None:
        self._say(
            f"\nBugbridge runs at {state.base_url}/ — sign in as admin / {runner.ADMIN_PASSWORD}."
            "\nPress Ctrl-C to stop."
        )
        try:
            while state.server is not None and state.server.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            self._say("stopping")
