"""The `bugbridge` console command: Django's management commands under one name.

`bugbridge serve`, `bugbridge worker`, `bugbridge migrate`, `bugbridge createuser` and
`bugbridge demo` are the ones people use; every other Django command works too.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bugbridge.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    execute_from_command_line(["bugbridge", *args])


if __name__ == "__main__":
    main()
