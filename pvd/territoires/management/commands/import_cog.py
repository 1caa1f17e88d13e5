from django.core.management.base import BaseCommand, CommandError

from ...services.import_cog import LEVELS, CogError, import_cog

LABELS = {
    "regions": "Régions",
    "departements": "Départements",
    "epci": "EPCI",
    "communes": "Communes",
    "codes": "Codes rattachés (déléguées, associées, arrondissements, anciens codes)",
}


class Command(BaseCommand):
    help = "Charge ou met à jour le référentiel territorial depuis @etalab/decoupage-administratif."

    def add_arguments(self, parser):
        parser.add_argument(
            "--path", help="dossier du paquet (par défaut node_modules/@etalab/decoupage-administratif)"
        )

    def handle(self, *args, **options):
        def progress(message: str) -> None:
            if options["verbosity"] >= 1:
                self.stdout.write(f"  … {message}")

        try:
            summary = import_cog(options.get("path"), progress=progress)
        except CogError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] < 1:
            return
        self.stdout.write(f"Référentiel COG {summary.annee} (paquet {summary.package_version})")
        self.stdout.write(
            f"  {'niveau':<70} {'actuels':>8} {'créés':>7} {'modifiés':>9} {'inchangés':>10} {'obsolètes':>10}"
        )
        for level in LEVELS:
            s = summary.levels[level]
            self.stdout.write(
                f"  {LABELS[level]:<70} {s.current:>8} {s.created:>7} {s.updated:>9} {s.unchanged:>10} {s.obsolete:>10}"
            )
        self.stdout.write(
            f"  dont hors collectivités d'outre-mer : {summary.extra['regions_hors_com']} régions, "
            f"{summary.extra['departements_hors_com']} départements"
        )
        if summary.changed:
            self.stdout.write(self.style.SUCCESS("Référentiel mis à jour."))
        else:
            self.stdout.write(self.style.SUCCESS("Rien à changer : le référentiel est déjà à jour."))
