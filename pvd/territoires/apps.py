from django.apps import AppConfig


class TerritoiresConfig(AppConfig):
    name = "pvd.territoires"
    label = "territoires"
    verbose_name = "Territoires"

    def ready(self) -> None:
        from . import rules  # noqa: F401  (registers the access rules)
