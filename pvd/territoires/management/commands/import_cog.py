"""``manage.py import_cog``: load or update the territorial referential (see services/import_cog.py)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from ...services.import_cog import LABELS, LEVELS, CogError, CogSummary, import_cog, package_dir

NATURES = {
    "deleguee": "communes déléguées",
    "associee": "communes associées",
    "arrondissement": "arrondissements municipaux",
    "ancien": "anciens codes",
}


def number(value: int) -> str:
    """French thousands separator (a plain space, so that columns stay aligned): 34 969."""
    return f"{value:,}".replace(",", " ")


def headline(summary: CogSummary) -> str:
    """The counts that matter, with the collectivités d'outre-mer kept apart (ADR 0001)."""
    levels = summary.levels
    regions, departements = levels["regions"], levels["departements"]

    def with_com(level, singular_plural: str) -> str:
        text = f"{number(level.current - level.current_com)} {singular_plural}"
        if level.current_com:
            text += f" (+{level.current_com} collectivités d'outre-mer)"
        return text

    return (
        f"{number(levels['communes'].current)} communes actuelles, {number(levels['epci'].current)} EPCI, "
        f"{with_com(departements, 'départements')}, {with_com(regions, 'régions')}"
    )


class Command(BaseCommand):
    help = (
        "Charge ou met à jour le référentiel territorial (COG) depuis le paquet "
        "@etalab/decoupage-administratif. Idempotent, ne supprime rien (ce qui a disparu est "
        "marqué obsolète), enregistre le millésime."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--path", help="dossier du paquet (par défaut node_modules/@etalab/decoupage-administratif)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="calcule et affiche le bilan sans rien écrire"
        )

    def handle(self, *args, **options):
        verbose = options["verbosity"] >= 1
        started = time.perf_counter()

        def progress(message: str) -> None:
            if verbose:
                self.stdout.write(f"  [{time.perf_counter() - started:5.2f} s] {message}")

        try:
            summary = import_cog(options.get("path"), progress=progress, dry_run=options["dry_run"])
        except CogError as exc:
            directory = options.get("path") or package_dir()
            raise CommandError(f"Paquet {directory} invalide, rien n'a été écrit — {exc}") from exc
        if verbose:
            self.write_summary(summary)

    def write_summary(self, summary: CogSummary) -> None:
        out = self.stdout.write
        out(f"Référentiel COG {summary.annee} (paquet {summary.package_version}) : {headline(summary)}.")
        out(
            f"  {'niveau':<16} {'actuels':>11} {'créés':>8} {'modifiés':>9} {'inchangés':>10} "
            f"{'obsolètes':>10} {'obsolètes conservés':>20}"
        )
        for level in LEVELS:
            s = summary.levels[level]
            current = number(s.current)
            if s.current_com:
                current = f"{s.current - s.current_com} + {s.current_com}"
            out(
                f"  {LABELS[level]:<16} {current:>11} {number(s.created):>8} {number(s.updated):>9} "
                f"{number(s.unchanged):>10} {number(s.obsolete):>10} {number(s.obsolete_total):>20}"
            )
        out(
            "  (régions et départements : « N + M » = N hors collectivités d'outre-mer + M collectivités d'outre-mer)"
        )
        details = ", ".join(
            f"{number(count)} {NATURES.get(nature, nature)}"
            for nature, count in sorted(summary.codes_by_nature.items())
        )
        out(f"  codes rattachés aux communes actuelles : {details}")
        out(f"  durée : {summary.seconds:.2f} s")
        if summary.dry_run:
            out(self.style.WARNING("Simulation (--dry-run) : rien n'a été écrit."))
        elif summary.changed:
            out(self.style.SUCCESS(f"Référentiel mis à jour ; millésime enregistré : {summary.millesime}."))
        elif summary.millesime is not None:
            out(self.style.SUCCESS(f"Aucune donnée modifiée ; millésime enregistré : {summary.millesime}."))
        else:
            out(
                self.style.SUCCESS(
                    "Rien à changer : le référentiel est déjà à jour (aucun millésime ajouté)."
                )
            )
