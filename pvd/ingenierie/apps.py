from django.apps import AppConfig


class IngenierieConfig(AppConfig):
    name = "pvd.ingenierie"
    label = "ingenierie"
    verbose_name = "Ingénierie"

    def ready(self) -> None:
        from . import rules  # noqa: F401  (registers the access rules)
