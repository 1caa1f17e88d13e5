from django.apps import AppConfig


class ComptesConfig(AppConfig):
    name = "pvd.comptes"
    label = "comptes"
    verbose_name = "Comptes"

    def ready(self) -> None:
        from . import rules  # noqa: F401  (registers the access rules)
