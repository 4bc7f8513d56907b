from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "remit.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
