from typing import Any

from django.core.management.base import BaseCommand

from remit.lib.env import new_encryption_key, new_secret_key


class Command(BaseCommand):
    help = "Print a new SECRET_KEY and a new REMIT_ENCRYPTION_KEYS key, for a production configuration."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"SECRET_KEY={new_secret_key()}")
        self.stdout.write(f"REMIT_ENCRYPTION_KEYS={new_encryption_key()}")
