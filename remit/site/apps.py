from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "remit.site"
    label = "site"
    verbose_name = "Site"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from remit.site import checks  # noqa: F401 (registers `remit check --deploy`'s own checks)
        from remit.site.middleware import request_id_clear

        request_finished.connect(request_id_clear, dispatch_uid="remit.site.request_id_clear")
