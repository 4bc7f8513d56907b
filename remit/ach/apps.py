from django.apps import AppConfig


class AchConfig(AppConfig):
    name = "remit.ach"
    label = "ach"
    verbose_name = "ACH"
