from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "remit.files"
    label = "files"
    verbose_name = "Stored files"
