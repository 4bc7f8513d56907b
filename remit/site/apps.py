from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "remit.site"
    label = "site"
    verbose_name = "Site"
