from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "pvd.programmes"
    label = "programmes"
    verbose_name = "Programmes"

    def ready(self) -> None:
        from . import rules  # noqa: F401  (registers the access rules)
