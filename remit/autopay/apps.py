from django.apps import AppConfig


class AutoPayConfig(AppConfig):
    name = "remit.autopay"
    label = "autopay"
    verbose_name = "Auto Pay"

    def ready(self) -> None:
        # Auto Pay follows what happens below it (remit.lib.hooks): new and edited invoices, and bank
        # accounts that can no longer be debited.
        from remit.autopay.engine import autopay_follow_invoices
        from remit.autopay.settings import autopay_account_gone, autopay_disallowed_tell
        from remit.invoices.hooks import invoices_changed
        from remit.payments.hooks import autopay_disallowed, bank_account_retired

        invoices_changed.register(autopay_follow_invoices)
        bank_account_retired.register(autopay_account_gone)
        autopay_disallowed.register(autopay_disallowed_tell)
