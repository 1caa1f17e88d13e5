"""Demo set-up for a local run: a demo administrator and each app's demo data (idempotent)."""

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

# Each app that has demo data exposes a ``load_demo(stdout)`` function; listed in order.
DEMO_LOADERS: list[str] = [
    "pvd.programmes.demo.load_demo",
    "pvd.comptes.demo.load_demo",
    "pvd.ingenierie.demo.load_demo",
    "pvd.projets.demo.load_demo",
]

DEMO_EMAIL = "admin@pvd.localhost"


class Command(BaseCommand):
    help = "Crée l'administrateur de démonstration et les données de démonstration (sans doublon)."

    def handle(self, *args, **options):
        password = os.environ.get("PVD_DEMO_PASSWORD", "demo-pvd-2026!")
        User = get_user_model()
        user, created = User.objects.get_or_create(
            email=DEMO_EMAIL,
            defaults={"first_name": "Admin", "last_name": "Démo", "is_staff": True, "is_superuser": True},
        )
        if created or not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"] if not created else None)
        for dotted in DEMO_LOADERS:
            import_string(dotted)(self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                "Connexion administrateur de démonstration : "
                f"{DEMO_EMAIL} / {password} (http://127.0.0.1:8000/comptes/connexion/)"
            )
        )
