from importlib import import_module

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "remit.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        # Registers the OpenAPI extension that describes API keys as a bearer scheme.
        import_module("remit.api.schema")
