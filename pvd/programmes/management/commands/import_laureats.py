"""``manage.py import_laureats FICHIER_OU_URL [--programme pvd] [--dry-run]``."""

from django.core.management.base import BaseCommand, CommandError

from pvd.programmes.models import Programme
from pvd.programmes.services.import_liste import SourceError, import_laureats


class Command(BaseCommand):
    help = (
        "Importe la liste officielle des lauréats (CSV data.gouv.fr ou GeoJSON ANCT) depuis un fichier "
        "ou une URL : rapport de validation d'abord, rien n'est écrit en cas d'erreur ou avec --dry-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="chemin d'un fichier .csv/.geojson ou URL http(s)")
        parser.add_argument(
            "--programme", default="pvd", help="identifiant court du programme (défaut : pvd)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="valider et afficher le rapport sans rien écrire"
        )

    def handle(self, *args, source, programme, dry_run, **options):
        try:
            programme_obj = Programme.objects.get(slug=programme)
        except Programme.DoesNotExist:
            raise CommandError(f"Programme inconnu : {programme}") from None
        try:
            report = import_laureats(source, programme=programme_obj, dry_run=dry_run)
        except SourceError as exc:
            raise CommandError(str(exc)) from None
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(
                f"{len(report.errors)} erreur(s), {len(report.warnings)} avertissement(s) : rien n'a été importé."
            )
        if dry_run:
            self.stdout.write(self.style.WARNING("Simulation (--dry-run) : rien n'a été écrit."))
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Import terminé ({len(report.warnings)} avertissement(s)).")
            )
