"""`remit files export DIR | list`: what the shared file store holds (storages["files"]: the database or
S3, REMIT_FILE_STORE), written out to a local folder or listed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from remit.files.store import export_to, file_store, walk


class Command(BaseCommand):
    help = "The shared file store: write what it holds to a folder (export), or list its keys."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Write every stored file to DIR/<key> (unchanged ones are skipped).")
        export.add_argument("directory", metavar="DIR")
        export.add_argument("--prefix", default="", help="Only keys under this folder, e.g. ach/outbound.")
        listing = sub.add_parser("list", help="Print every key with its size in bytes.")
        listing.add_argument("--prefix", default="", help="Only keys under this folder, e.g. ach/inbound.")

    def handle(self, *args: Any, **options: Any) -> None:
        prefix = options["prefix"].strip("/")
        if options["action"] == "list":
            store = file_store()
            for key in walk(store, prefix):
                self.stdout.write(f"{store.size(key):>12}  {key}")
            return
        directory = Path(options["directory"])
        written, unchanged = export_to(directory, prefix=prefix)
        self.stdout.write(
            f"Wrote {written} file(s) to {directory.resolve()} ({unchanged} already there) from the "
            f"{settings.REMIT_FILE_STORE} file store."
        )
