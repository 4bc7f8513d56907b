"""The `remit` command: Django's management commands under one name (remit migrate, remit demo, …)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "remit.settings")
    from django.core.management import execute_from_command_line

    from remit.lib.env import ConfigurationError

    args = sys.argv[1:]
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")  # `remit rotate-keys` is Django's rotate_keys
    try:
        execute_from_command_line(["remit", *args])
    except ConfigurationError as error:
        sys.stderr.write(f"remit: configuration error: {error}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
