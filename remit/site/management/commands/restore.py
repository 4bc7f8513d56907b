"""`remit restore PATH`: an archive of `remit backup` into an empty database (remit/site/restore.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from remit.site.backup import secret_source
from remit.site.restore import (
    RestoreRefused,
    archive_restore,
    archive_verify,
    keys_open,
    migrate,
    restore_refusal,
)


class Command(BaseCommand):
    help = (
        "Restore an archive of `remit backup` into an empty database (created with `remit migrate` if it "
        "has no tables), after checking every checksum; then compare the rows with the backup's counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The archive `remit backup` wrote.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self._restore(options["path"])
        except RestoreRefused as refused:
            raise CommandError(str(refused)) from None

    def _restore(self, path: Path) -> None:
        archive = archive_verify(path)
        manifest = archive.manifest
        self.stdout.write(
            f"{path}: a backup of Remit {manifest['remit_version']} ({manifest['database_vendor']}) made "
            f"{manifest['created_at']}; all {len(archive.members)} member(s) match their SHA-256 checksums."
        )
        if refusal := restore_refusal(archive):  # before creating any table
            raise RestoreRefused(refusal)
        migrate(self.stdout.write)
        if refusal := restore_refusal(archive):
            raise RestoreRefused(refusal)
        archive_restore(archive, self.stdout.write)
        self.stdout.write(self.style.SUCCESS("Every table holds as many rows as the backup's manifest says."))
        self._check_keys(archive.account_number_token)
        self._check_file_keys(len(archive.files_plain_sha256), archive.files_unopened)

    def _check_keys(self, token: str) -> None:
        if not token:
            self.stdout.write("The backup holds no bank account number to try the encryption keys on.")
        elif keys_open(token):
            self.stdout.write("The encryption keys (REMIT_ENCRYPTION_KEYS) decrypt the backup's account numbers.")
        else:
            self.stderr.write(
                self.style.ERROR(
                    "WARNING: the encryption keys of this install (REMIT_ENCRYPTION_KEYS, "
                    f"{secret_source('REMIT_ENCRYPTION_KEYS')}) do NOT decrypt the account numbers in this "
                    "backup: payments, bank connections and webhooks will fail. Set the keys the backed-up "
                    "install used (all of them, its first key first) and restart Remit."
                )
            )

    def _check_file_keys(self, opened: int, unopened: list[str]) -> None:
        if not unopened:
            if opened:
                self.stdout.write(
                    f"The encryption keys (REMIT_ENCRYPTION_KEYS) open the backup's {opened} stored file(s)."
                )
            return
        self.stderr.write(
            self.style.ERROR(
                f"WARNING: the encryption keys of this install do NOT open {len(unopened)} of the stored files in "
                "this backup (NACHA files and the bank's files are sealed with them), e.g. "
                f"{unopened[0].removeprefix('files/')}: downloads and deliveries of them will fail. Set the keys "
                "the backed-up install used (all of them, its first key first) and restart Remit."
            )
        )
