"""`remit backup [--output PATH]`: the database, every stored file and a manifest in one archive
(remit/site/backup.py), and a reminder that the encryption keys and SECRET_KEY are not in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from remit.site.backup import BackupRefused, backup_write, default_output, secrets_reminder


class Command(BaseCommand):
    help = (
        "Write the database, every stored file and a manifest with checksums to one .tar.gz archive "
        "(owner-only). The encryption keys and SECRET_KEY are not in it: keep them elsewhere."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            help="The archive to write, or a folder to write it in "
            "(default: $REMIT_DATA_DIR/backups/remit-backup-YYYYmmdd-HHMMSSZ.tar.gz, UTC).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"]) if options["output"] else default_output()
        if output.is_dir() or (options["output"] or "").endswith("/"):
            output = output / default_output().name
        try:
            written = backup_write(output=output.resolve(), progress=self.stdout.write)
        except BackupRefused as refused:
            raise CommandError(str(refused)) from None
        except OSError as error:
            raise CommandError(f"Could not write the backup to {output}: {error.strerror or error}.") from None
        size = written.path.stat().st_size
        self.stdout.write(self.style.SUCCESS(f"Wrote {written.path} ({size:,} bytes, readable by its owner only)."))
        self.stdout.write("Copy it off this machine; `remit restore PATH` restores it into an empty database.")
        self.stdout.write("")
        self.stdout.write(self.style.WARNING(secrets_reminder()))
