from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "remit.console"
    label = "console"
    verbose_name = "Biller console"
