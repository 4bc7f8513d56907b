from django.apps import AppConfig


class AutoPayConfig(AppConfig):
    name = "remit.autopay"
    label = "autopay"
    verbose_name = "Auto Pay"
