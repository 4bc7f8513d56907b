from django.apps import AppConfig


class BankConfig(AppConfig):
    name = "remit.bank"
    label = "bank"
    verbose_name = "Bank connection"

    def ready(self) -> None:
        # A file the ACH export wrote goes to the bank as soon as its export committed (remit.lib.hooks).
        from remit.ach.hooks import file_written
        from remit.bank.delivery import delivery_queue

        file_written.register(delivery_queue)
