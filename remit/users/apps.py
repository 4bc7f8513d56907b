from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "remit.users"
    label = "users"
    verbose_name = "People"
