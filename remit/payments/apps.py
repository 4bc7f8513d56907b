from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "remit.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        # A colleague's private bank accounts leave with them (remit.lib.hooks).
        from remit.customers.hooks import member_left
        from remit.payments.bank_accounts import bank_accounts_remove_private

        member_left.register(bank_accounts_remove_private)
