"""Demo laureates for a local run, drawn from the real referential (``setup_demo``), idempotent.

For each département (deterministic choice), one to four EPCI of the département (about one in
five, evenly spread by SIREN) are taken and, as laureate, the most populous commune of the EPCI in
that département under the programme's ceiling — a commune acting as the centrality of its EPCI.
About 250 laureates, identifiers
``demo-<région>-<département>-<n>``, flagged ``demo=True`` and labelled « Démo » in the UI.
They go through the same import as the official list (a generated CSV in the data.gouv.fr
format); dates of adhésion and of the ORT are derived deterministically from the INSEE code,
so that some milestones are done, some overdue, some soon due.
To use the official list instead: ``manage.py import_laureats <URL of the data.gouv.fr CSV>``.
"""

from __future__ import annotations

import datetime as dt
import zlib

from django.db import transaction

from pvd.territoires.models import Commune

from .factories import programme_pvd
from .models import Jalon, Laureat
from .services import echeances
from .services.import_liste import import_laureats

MAX_PER_DEPARTEMENT = 4
EPCI_PER_LAUREAT = 5
MIN_POPULATION = 1_500


def demo_centralities(programme) -> list[Commune]:
    """The demo laureates' communes: deterministic, from the real referential."""
    ceiling = programme.plafond_population or 20_000
    best: dict[tuple[str, str], Commune] = {}
    communes = (
        Commune.objects.current()
        .filter(epci__isnull=False, population__gte=MIN_POPULATION, population__lt=ceiling)
        .exclude(zone="com")
        .only("code", "nom", "population", "departement_id", "region_id", "epci_id")
        .order_by("departement_id", "epci_id", "-population", "code")
    )
    for commune in communes:
        best.setdefault((commune.departement_id, commune.epci_id), commune)
    by_departement: dict[str, list[Commune]] = {}
    for (departement, _epci), commune in sorted(best.items()):
        by_departement.setdefault(departement, []).append(commune)
    chosen = []
    for _departement, centralities in sorted(by_departement.items()):
        # 1 to 4 per département, more where there are more EPCI: the map shows contrasts.
        k = max(1, min(MAX_PER_DEPARTEMENT, round(len(centralities) / EPCI_PER_LAUREAT)))
        picks = sorted({(i * len(centralities)) // k for i in range(k)})
        chosen.extend(centralities[i] for i in picks)
    return chosen


def _dates(code: str, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """(adhésion, ORT) dates of a demo laureate, derived from its INSEE code."""
    h = zlib.crc32(code.encode())
    r = h % 100
    if r < 8:
        return None, None
    day = (h >> 16) % 28 + 1
    if r < 80:
        adhesion = echeances.add_months(dt.date(2021, 1, day), (h >> 8) % 24)
    else:
        adhesion = echeances.add_months(dt.date(2023, 1, day), (h >> 8) % 44)
    adhesion = min(adhesion, today - dt.timedelta(days=30))
    if r % 3 == 0:
        return adhesion, None
    ort = echeances.add_months(adhesion, 12 + (h >> 20) % 14)
    return adhesion, (ort if ort <= today else None)


def demo_csv(programme, today: dt.date) -> tuple[str, dict[str, dt.date]]:
    lines = ["insee_com;lib_com;id_pvd;date_signature"]
    orts: dict[str, dt.date] = {}
    counters: dict[str, int] = {}
    for commune in demo_centralities(programme):
        counters[commune.departement_id] = counters.get(commune.departement_id, 0) + 1
        identifiant = f"demo-{commune.region_id}-{commune.departement_id}-{counters[commune.departement_id]}"
        adhesion, ort = _dates(commune.code, today)
        lines.append(f"{commune.code};{commune.nom};{identifiant};{adhesion.isoformat() if adhesion else ''}")
        if ort:
            orts[identifiant] = ort
    return "\n".join(lines) + "\n", orts


def load_demo(stdout) -> None:
    programme = programme_pvd()
    today = echeances.today()
    content, orts = demo_csv(programme, today)
    with transaction.atomic():
        report = import_laureats(
            content=content.encode(), name="démonstration", programme=programme, on=today
        )
        if not report.ok:
            stdout.write("Lauréats de démonstration : import refusé\n" + "\n".join(map(str, report.errors)))
            return
        flagged = Laureat.objects.filter(
            programme=programme, identifiant__startswith="demo-", demo=False
        ).update(demo=True)
        done = 0
        for jalon in Jalon.objects.filter(
            laureat__programme=programme,
            laureat__identifiant__in=list(orts),
            type__code="ort",
            date_realisation__isnull=True,
        ).select_related("laureat"):
            jalon.date_realisation = orts[jalon.laureat.identifiant]
            jalon.document = "Convention-cadre (démonstration)"
            jalon.version += 1
            jalon.save()
            echeances.sync_jalons(jalon.laureat)
            done += 1
    counts = report.counts
    stdout.write(
        f"Lauréats de démonstration : {counts.get('créés', 0)} créés, {counts.get('inchangés', 0)} inchangés, "
        f"{flagged} marqués démo, {done} ORT signées ajoutées.\n"
    )
