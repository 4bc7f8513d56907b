from django.apps import AppConfig


class BillersConfig(AppConfig):
    name = "remit.billers"
    label = "billers"
    verbose_name = "Billers"
