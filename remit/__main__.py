"""The `remit` command: Django's management commands under one name (remit migrate, remit demo, …).

`remit`, `remit help` and `remit --help` list Remit's own commands (remit/commands.py);
`remit help --all` lists Django's too. A server Remit cannot reach is one line on standard error and
exit status 2, never a traceback.
"""

from __future__ import annotations

import os
import sys

HELP = {"help", "--help", "-h"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "remit.settings")
    args = sys.argv[1:]
    if not args or (args[0] in HELP and len(args) == 1):
        from remit.commands import overview

        sys.stdout.write(overview())
        return
    if args[0] in HELP and args[1:] == ["--all"]:
        args = ["help"]  # Django's list of every command
    else:
        # `remit rotate-keys` is Django's rotate_keys (and `remit help rotate-keys` its help).
        named = 1 if args[0] == "help" else 0
        if len(args) > named and not args[named].startswith("-"):
            args[named] = args[named].replace("-", "_")
    sys.exit(run(args))


def run(args: list[str]) -> int:
    from django.core.management import execute_from_command_line

    from remit.lib.env import ConfigurationError
    from remit.lib.reach import unreachable

    try:
        execute_from_command_line(["remit", *args])
    except ConfigurationError as error:
        sys.stderr.write(f"remit: configuration error: {error}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("remit: stopped.\n")
        return 130
    except Exception as error:
        line = unreachable(error)
        if line is None or "--traceback" in args:
            raise
        sys.stderr.write(f"remit: {line}\n")
        return 2
    return 0


if __name__ == "__main__":
    main()
