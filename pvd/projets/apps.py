from django.apps import AppConfig


class ProjetsConfig(AppConfig):
    name = "pvd.projets"
    label = "projets"
    verbose_name = "Projets"

    def ready(self) -> None:
        from . import rules  # noqa: F401  (registers the access rules)
