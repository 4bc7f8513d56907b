from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "remit.customers"
    label = "customers"
    verbose_name = "Customers"
