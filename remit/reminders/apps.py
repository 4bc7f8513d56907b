from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "remit.reminders"
    label = "reminders"
    verbose_name = "Reminders"
