"""`remit web`: the web server for production — gunicorn serving remit.wsgi with threads, so a slow
request (a sign-in's password hash, a PDF) doesn't hold up the fast ones. The process becomes gunicorn
(exec), so a service manager's signals reach it directly: SIGHUP reloads the code and configuration
gracefully (new workers start, old ones finish their requests), SIGTERM stops it gracefully."""

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from remit.lib.env import env_int, env_str

# Seconds an idle keep-alive connection stays open. Longer than the reverse proxy keeps its idle
# connections to Remit (Caddy: 2 minutes), so the proxy, not gunicorn, closes them: when the server
# closes a connection at the moment the client sends the next request on it, that request fails
# with "connection reset" (gunicorn's own 2 s made `make loadtest`'s users, thinking 1–3 s between
# pages, lose about 1 request in 100 that way).
KEEP_ALIVE = 150


def web_defaults() -> dict[str, Any]:
    """What `remit web` runs with when no option says otherwise: a worker process per core, each with
    four threads."""
    host, port = env_str("HOST", "127.0.0.1"), env_int("PORT", 8000)
    return {
        "bind": env_str("REMIT_WEB_BIND") or f"{host}:{port}",
        "workers": env_int("REMIT_WEB_WORKERS", os.cpu_count() or 1),
        "threads": env_int("REMIT_WEB_THREADS", 4),
        "timeout": env_int("REMIT_WEB_TIMEOUT", 30),
        "keep_alive": env_int("REMIT_WEB_KEEPALIVE", KEEP_ALIVE),
    }


def gunicorn_command(
    *, bind: str, workers: int, threads: int, timeout: int, keep_alive: int = KEEP_ALIVE, log_format: str = "plain"
) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "remit.wsgi",
        f"--bind={bind}",
        f"--workers={workers}",
        f"--threads={threads}",
        "--worker-class=gthread",
        f"--timeout={timeout}",
        f"--graceful-timeout={timeout}",
        f"--keep-alive={keep_alive}",
        "--access-logfile=-",  # one line per request on standard output
        "--error-logfile=-",
        "--name=remit-web",
        # No control socket (gunicorn ≥ 24 makes one in $HOME): signals are the interface, and two
        # instances on one machine would fight over the one path.
        "--no-control-socket",
    ]
    if log_format == "json":  # gunicorn's own lines as JSON too, with the request id (site/gunicorn_logs.py)
        command.append("--logger-class=remit.site.gunicorn_logs.JsonLogger")
    return command


class Command(BaseCommand):
    help = "Run the web server (gunicorn: a worker process per core, 4 threads each); SIGHUP reloads gracefully."

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = web_defaults()
        parser.add_argument("--bind", default=defaults["bind"], help="HOST:PORT (REMIT_WEB_BIND, or HOST and PORT).")
        parser.add_argument(
            "--workers", type=int, default=defaults["workers"], help="Processes (REMIT_WEB_WORKERS; the cores)."
        )
        parser.add_argument(
            "--threads", type=int, default=defaults["threads"], help="Threads per process (REMIT_WEB_THREADS; 4)."
        )
        parser.add_argument(
            "--timeout",
            type=int,
            default=defaults["timeout"],
            help="Seconds before a silent worker is restarted, and a graceful stop's limit (REMIT_WEB_TIMEOUT; 30).",
        )
        parser.add_argument(
            "--keep-alive",
            type=int,
            default=defaults["keep_alive"],
            help=f"Seconds an idle connection stays open, longer than the proxy's (REMIT_WEB_KEEPALIVE; {KEEP_ALIVE}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        command = gunicorn_command(
            bind=options["bind"],
            workers=options["workers"],
            threads=options["threads"],
            timeout=options["timeout"],
            keep_alive=options["keep_alive"],
            log_format=settings.REMIT_LOG_FORMAT,
        )
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, command)  # noqa: S606 (becomes gunicorn: signals reach it directly)
