from django.apps import AppConfig


class CustomfieldsConfig(AppConfig):
    name = "customfields"
    verbose_name = "Custom fields"

    def ready(self) -> None:
        from customfields.imports import import_columns
        from imports.formats import CONTACTS, ORGANIZATIONS, register_columns

        register_columns(ORGANIZATIONS, lambda: import_columns("organization"))
        register_columns(CONTACTS, lambda: import_columns("contact"))
