from django.apps import AppConfig


class RecurringConfig(AppConfig):
    name = "remit.recurring"
    label = "recurring"
    verbose_name = "Recurring invoices"
