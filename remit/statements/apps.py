from django.apps import AppConfig


class StatementsConfig(AppConfig):
    name = "remit.statements"
    label = "statements"
    verbose_name = "Statements of account"
