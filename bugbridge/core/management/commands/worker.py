"""`bugbridge worker`: deliver outbound changes to Jira until stopped (SIGINT/SIGTERM)."""

from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the outbound sync worker: claims due changes and delivers them to Jira."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--poll-interval", type=float, default=1.0)

    def handle(self, *args: Any, **options: Any) -> None:
        from bugbridge.sync.worker import run_worker

        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        run_worker(stop_event=stop, poll_interval=options["poll_interval"])
