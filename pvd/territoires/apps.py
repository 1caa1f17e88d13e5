from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TerritoiresConfig(AppConfig):
    name = "pvd.territoires"
    label = "territoires"
    verbose_name = "Territoires"

    def ready(self) -> None:
        from . import rules  # noqa: F401  (registers the access rules)
        from .services import search_index

        # The commune search's SQLite trigram index lives outside the model state: repair it
        # after any migration (a migration altering Commune on SQLite drops its triggers).
        post_migrate.connect(search_index.ensure_after_migrate, sender=self, dispatch_uid="pvd_commune_fts")
