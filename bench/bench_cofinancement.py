"""Yearly co-financing of ≈900 chef de projet posts nationally (target ≤ 1 s on SQLite).

Builds a throw-away database (a temporary SQLite file unless DATABASE_URL points elsewhere):
migrations, the real referential (import_cog), ≈900 laureates drawn from real communes
(2,500–20,000 inhabitants, every département), one post each — one in ten shared between two
territories of the same département, one territory in four running an OPAH-RU, some posts filled
part of the year. Then it times, in the same run:

- baseline: loading the posts with their shares from the database (prefetch, what the computation
  needs);
- measured: ``cofinancements_annuels(posts, year)`` — the same load plus the habitat operations
  and the programme's rules, then the rules applied to every post (Decimal/Fraction, exact
  split between territories) — and checks it issues a constant number of queries.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import tempfile
from decimal import Decimal

from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from bench.harness import measure

N_POSTES = 900
ANNEE = 2026


def _build() -> int:
    from pvd.ingenierie.models import OperationHabitat, PartPoste, PosteChefDeProjet
    from pvd.programmes.models import Laureat, LaureatCommune, Programme
    from pvd.territoires.models import Commune

    programme = Programme.objects.get(slug="pvd")
    communes = list(
        Commune.objects.current()
        .filter(population__gte=2_500, population__lt=20_000, zone="metro", epci__isnull=False)
        .order_by("departement_id", "-population")
    )
    # spread over every département: round-robin over départements until ≈N posts
    by_dep: dict[str, list] = {}
    for c in communes:
        by_dep.setdefault(c.departement_id, []).append(c)
    chosen = []
    while len(chosen) < N_POSTES * 1.1 and any(by_dep.values()):
        for dep in sorted(by_dep):
            if by_dep[dep]:
                chosen.append(by_dep[dep].pop(0))
    chosen.sort(key=lambda c: (c.departement_id, c.code))
    laureats = Laureat.objects.bulk_create(
        [
            Laureat(
                programme=programme,
                identifiant=f"pvd-{c.region_id}-{c.departement_id}-{i}",
                nom=c.nom,
                epci_id=c.epci_id,
                departement_id=c.departement_id,
                region_id=c.region_id,
                date_admission=dt.date(2021, 3, 1),
                statut=Laureat.Statut.ORT_SIGNEE,
            )
            for i, c in enumerate(chosen)
        ]
    )
    LaureatCommune.objects.bulk_create(
        [
            LaureatCommune(laureat=lau, commune=c, principale=True)
            for lau, c in zip(laureats, chosen, strict=True)
        ]
    )
    rng = random.Random(2026)  # noqa: S311 — deterministic benchmark data
    OperationHabitat.objects.bulk_create(
        [
            OperationHabitat(
                laureat=lau, type="opah_ru", date_debut=dt.date(2023, 1, 1), date_fin=dt.date(2028, 12, 31)
            )
            for lau in laureats
            if rng.random() < 0.25
        ]
    )
    postes, parts = [], []
    i = 0
    while i < len(laureats) and len(postes) < N_POSTES:
        lau = laureats[i]
        shared = (
            len(postes) % 10 == 9
            and i + 1 < len(laureats)
            and laureats[i + 1].departement_id == lau.departement_id
        )
        debut = dt.date(ANNEE, rng.randint(1, 12), 1) if rng.random() < 0.15 else dt.date(2021, 9, 1)
        poste = PosteChefDeProjet(
            programme=programme,
            employeur_epci_id=lau.epci_id,
            cout_annuel=Decimal(rng.randrange(38_000, 85_000, 50)),
            etat=PosteChefDeProjet.Etat.POURVU,
            etat_depuis=debut,
            titulaire_nom=f"Chef de projet {len(postes) + 1}",
            date_prise_poste=debut,
            type_contrat="projet",
            date_fin_contrat=dt.date(ANNEE, 9, 30) if rng.random() < 0.1 else None,
        )
        postes.append(poste)
        served = (
            [(lau, Decimal("0.5")), (laureats[i + 1], Decimal("0.5"))] if shared else [(lau, Decimal("1"))]
        )
        parts.append(served)
        i += 2 if shared else 1
    PosteChefDeProjet.objects.bulk_create(postes)
    PartPoste.objects.bulk_create(
        [
            PartPoste(poste=p, laureat=lau, part=share)
            for p, served in zip(postes, parts, strict=True)
            for lau, share in served
        ]
    )
    return len(postes)


def run(report) -> None:
    conn = connections["default"]
    tmpdir = tempfile.mkdtemp(prefix="pvd-bench-")
    if conn.vendor == "sqlite":
        conn.settings_dict.setdefault("TEST", {})["NAME"] = os.path.join(tmpdir, "bench.sqlite3")
    old_name = conn.settings_dict["NAME"]
    conn.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        call_command("import_cog", verbosity=0)
        n = _build()
        from pvd.ingenierie.models import PartPoste, PosteChefDeProjet
        from pvd.ingenierie.services.calcul import cofinancements_annuels

        report.line(f"{n} posts ({PartPoste.objects.count()} shares) on {conn.vendor}")

        def load():
            return list(PosteChefDeProjet.objects.all().pour_calcul())

        def compute():
            return cofinancements_annuels(PosteChefDeProjet.objects.all(), ANNEE)

        with CaptureQueriesContext(connection) as ctx:
            resultats = compute()
        total = sum((r.total for r in resultats.values()), Decimal(0))
        etat = sum((r.etat for r in resultats.values()), Decimal(0))
        report.line(
            f"{len(resultats)} posts computed in {len(ctx)} queries; aid {total:,.2f} € of which State {etat:,.2f} €"
        )
        if len(ctx) > 4:
            report.misses.append(f"cofinancement: {len(ctx)} queries (expected ≤ 4, no per-post query)")
        baseline = measure("load posts + shares", load, repeat=7)
        measured = measure("co-financing of the year", compute, repeat=7)
        report.absolute(f"co-financing {ANNEE} of {n} posts (median)", measured.median, target=1.0)
        report.ratio("co-financing vs loading the posts (median)", measured.median, baseline.median)
    finally:
        conn.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
