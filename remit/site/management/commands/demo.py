from typing import Any

from django.core.management.base import BaseCommand

from remit.site.demo import DEMO_LOGINS, load_demo


class Command(BaseCommand):
    help = "Load the demo data (Acme Supply Co. and its logins). Running it again changes nothing."

    def handle(self, *args: Any, **options: Any) -> None:
        created = load_demo()
        if created:
            for line in created:
                self.stdout.write(f"Created {line}.")
        else:
            self.stdout.write("Demo data is already loaded; nothing changed.")
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.where}: {login.email} / {login.password}")
