"""`bugbridge serve`: the web server (gunicorn) with the outbound sync worker inside it."""

from __future__ import annotations

import threading
from argparse import ArgumentParser
from typing import Any

import structlog
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from gunicorn.app.base import BaseApplication

from bugbridge.wsgi import application

log = structlog.get_logger(__name__)

# Gunicorn's default format logs the request line with its query string, which carries secrets:
# a Data Center webhook's `?secret=`, a Connect iframe's `?jwt=`. Method and path only, then.
_ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "-" "%(a)s"'


def unapplied_migrations() -> int:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def start_inprocess_worker() -> threading.Event:
    """Run the outbound worker on a daemon thread of this process; set the event to stop it."""
    from bugbridge.sync.worker import run_worker

    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker, kwargs={"stop_event": stop}, name="bugbridge-worker", daemon=True
    )
    thread.start()
    log.info("serve.worker.started", mode="in_process")
    return stop


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return application


def _post_worker_init(worker: Any) -> None:
    start_inprocess_worker()


class Command(BaseCommand):
    help = "Serve Bugbridge over HTTP (gunicorn), with the sync worker in-process by default."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--processes",
            type=int,
            default=1,
            help="gunicorn worker processes (keep 1 on SQLite; more on PostgreSQL)",
        )
        parser.add_argument(
            "--migrate", action="store_true", help="apply database migrations before serving"
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="do not run the sync worker in-process"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        pending = unapplied_migrations()
        if pending:
            raise CommandError(
                f"The database has {pending} unapplied migrations: run `bugbridge migrate` "
                "(or `bugbridge serve --migrate`) first."
            )

        call_command("collectstatic", interactive=False, verbosity=0)
        gunicorn_options: dict[str, Any] = {
            "bind": f"{options['host']}:{options['port']}",
            "workers": options["processes"],
            "threads": options["threads"],
            "worker_class": "gthread",
            "accesslog": "-",
            "access_log_format": _ACCESS_LOG_FORMAT,
            "timeout": 60,
        }
        if settings.INPROCESS_WORKER and not options["no_worker"]:
            gunicorn_options["post_worker_init"] = _post_worker_init
        log.info("serve.starting", url=f"http://{options['host']}:{options['port']}")
        _Gunicorn(gunicorn_options).run()
