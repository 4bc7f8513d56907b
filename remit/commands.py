"""Remit's commands, grouped, each with one line of what it does: what `remit help` prints and what
the README's table shows (a test keeps the two the same). Django's own commands are still there:
`remit help --all` lists them all."""

from __future__ import annotations

import shutil
import textwrap

# (group, ((usage after "remit ", what it does — Markdown, as in the README), …))
GROUPS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Run Remit",
        (
            (
                "run",
                "the web server, the worker and the periodic schedule together, for development (what "
                "`make run` ends with)",
            ),
            (
                "web [--bind HOST:PORT] [--workers N] [--threads N] [--timeout S] [--keep-alive S]",
                "the web server for production: gunicorn, a process per core with 4 threads each, an access "
                "log on standard output; SIGHUP reloads gracefully",
            ),
            (
                "worker [--beat] [--concurrency N]",
                "the background worker; it runs the periodic schedule only with `--beat`",
            ),
            (
                "beat",
                "the periodic schedule; a second beat waits, and takes over within seconds when the first stops",
            ),
        ),
    ),
    (
        "Set up",
        (
            ("migrate", "create or update the database tables"),
            ("demo", "load the demo biller Acme, its customers and their invoices; idempotent"),
            ("createsuperuser", "an operator login for `/admin/`"),
            ("generate_key", "print a new `SECRET_KEY` and encryption key, for production"),
            (
                "check --deploy",
                "the deployment checks, Django's and Remit's: each warning names the variable to set and why "
                "(`docs/deploy.md`)",
            ),
            ("collectstatic --no-input", "copy the static files into `$REMIT_DATA_DIR/static/`, for production"),
        ),
    ),
    (
        "Data",
        (
            (
                "import customers|invoices FILE --biller SLUG",
                "import a CSV file: every row or none, each problem listed with its line",
            ),
            (
                "rotate-keys",
                "re-encrypt account numbers, webhook secrets and bank connection secrets, and re-seal the stored "
                "files (NACHA files), with the first key of "
                "`REMIT_ENCRYPTION_KEYS` "
                "(put a new key first, run this, then drop the old one)",
            ),
            (
                "backup [--output PATH]",
                "write the database, every stored file and a manifest with checksums to one `.tar.gz`, readable by "
                "its owner only (default: under `$REMIT_DATA_DIR/backups/`); the encryption keys and `SECRET_KEY` "
                "are not in it: keep them elsewhere",
            ),
            (
                "restore PATH",
                "restore such an archive into an empty database (creating its tables if missing) after checking every "
                "checksum, then count the rows against the backup's manifest",
            ),
        ),
    ),
    (
        "Invoicing",
        (
            (
                "recurring run [--today YYYY-MM-DD]",
                "issue the recurring invoices whose date has come in each biller's time zone, once each, and print "
                "them (the worker does it every 15 minutes)",
            ),
        ),
    ),
    (
        "Email",
        (
            ("outbox status", "count the emails waiting, delivered and given up on"),
            ("outbox deliver", "deliver the emails that are due now, without the worker"),
            (
                "reminders run [--today YYYY-MM-DD]",
                "send the payment reminders and add the late fees that are due, once, and print what was sent "
                "(the worker does it hourly)",
            ),
        ),
    ),
    (
        "ACH (the bank's files)",
        (
            (
                "ach export [--date YYYY-MM-DD] [--biller SLUG]",
                "write each biller's NACHA file into the file store at `ach/outbound/` (default date: the next "
                "banking day); the worker does it at each biller's cut-off",
            ),
            (
                "ach import-outbound [DIR]",
                "put NACHA files written to a local folder before the file store existed into it (default: "
                "`$REMIT_DATA_DIR/ach/outbound`; each checked against its recorded SHA-256)",
            ),
            (
                "files export DIR [--prefix FOLDER]",
                "write what the file store (database or S3) holds to a local folder, e.g. `--prefix ach/outbound`",
            ),
            (
                "files list [--prefix FOLDER]",
                "list the file store's keys and sizes",
            ),
            (
                "ach import-returns FILE [--biller SLUG]",
                "import the bank's returns and change notices (all or nothing; twice changes nothing)",
            ),
            (
                "ach settle [--today YYYY-MM-DD]",
                "settle sent payments not returned within the biller's settlement days (the worker does it hourly)",
            ),
            (
                "ach return-rates [--biller SLUG] [--date YYYY-MM-DD]",
                "print each biller's return rates over 60 days against NACHA's thresholds and email the owners "
                "about a level newly reached (the worker checks hourly); `--date`: only print that day's figures",
            ),
            (
                "bank-sim FILE --return TRACE=R01 [--correct TRACE=C01:DATA] [--rule ending=DIGITS:CODE] [--out PATH]",
                "for demos and tests: the return file a bank would send for an outbound file",
            ),
            (
                "bank-sim --sftp PORT [--dir DIR] [--user NAME] [--password-env VAR] [--rule ending=DIGITS:CODE]",
                "for demos and tests: the bank as an SFTP server on 127.0.0.1 that answers each delivered file "
                "with its returns (`make run` starts one for Acme)",
            ),
        ),
    ),
    (
        "Bank connection (SFTP)",
        (
            (
                "bank configure --biller SLUG --url sftp://USER@HOST:PORT --host-key 'TYPE BASE64' "
                "(--key-file PATH | --password-env VAR) --outbound DIR --inbound DIR [--pgp-bank-key FILE] "
                "[--pgp-own-key FILE [--pgp-passphrase-env VAR]]",
                "set a biller's bank connection (what the console's ACH → Bank connection page does); the "
                "connection is tested before anything is saved",
            ),
            (
                "bank sync [--biller SLUG]",
                "deliver the NACHA files that are due and pick up the bank's returns, once, and say what was done "
                "(the worker does it every minute)",
            ),
        ),
    ),
    (
        "Measure",
        (
            (
                "bench [--only NAMES]",
                "benchmarks on a throwaway database, in a temporary folder (what `make bench` runs)",
            ),
            (
                "loadtest [--users N,N] [--seconds S] [--web-workers N] [--web-threads N]",
                "portal and console users under load (locust) against `remit web` ×2 and `remit worker` with "
                "production settings, on a throwaway PostgreSQL database; prints requests/s, p50/p95/p99, errors "
                "and `/healthz`'s p95 per step beside the goals (what `make loadtest` runs)",
            ),
        ),
    ),
)

USAGE_WIDTH = 24  # the usage column; a longer usage takes a line of its own


def overview(width: int | None = None) -> str:
    """`remit help`: the commands by group, each with its one line, wrapped to the terminal."""
    width = width or min(shutil.get_terminal_size((100, 24)).columns, 120)
    indent = " " * (2 + USAGE_WIDTH + 2)
    lines = [
        "Usage: remit COMMAND [ARGUMENTS]",
        "",
        "  remit COMMAND --help      the options of one command",
        "  remit help --all          every command, Django's own too",
    ]
    for group, commands in GROUPS:
        lines += ["", f"{group}:"]
        for usage, what in commands:
            text = textwrap.wrap(what.replace("`", ""), width=max(width - len(indent), 30))
            if len(usage) <= USAGE_WIDTH:
                lines.append(f"  {usage.ljust(USAGE_WIDTH)}  {text[0]}")
                text = text[1:]
            else:
                lines.append(f"  {usage}")
            lines += [indent + line for line in text]
    return "\n".join(lines) + "\n"
