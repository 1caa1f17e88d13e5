"""Generate a national-scale dataset of projects (benchmarks): ≈1,650 laureates, ≈28,000 actions."""

from django.core.management.base import BaseCommand

from pvd.projets.demo import generate_national


class Command(BaseCommand):
    help = (
        "Génère un jeu national de démonstration (≈1 650 lauréats créés depuis le référentiel si besoin, "
        "≈28 000 fiches actions, ≈90 000 financements) pour les bancs d'essai. Idempotent : ne complète "
        "que les lauréats de démonstration sans projet ; les lauréats réels ne sont jamais touchés."
    )

    def add_arguments(self, parser):
        parser.add_argument("--laureats", type=int, default=1650)
        parser.add_argument("--fiches", type=int, default=28000)

    def handle(self, *args, laureats: int, fiches: int, **options):
        generate_national(laureats=laureats, fiches=fiches, stdout=self.stdout)
