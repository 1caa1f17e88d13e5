"""Test/demo builders for programmes and laureates, drawn from the real referential."""

from __future__ import annotations

import datetime as dt
import itertools

from pvd.territoires.models import Commune

from .models import Jalon, Laureat, LaureatCommune, Programme

_counter = itertools.count(1)


def programme_pvd() -> Programme:
    """The PVD programme (created by a data migration; created here if absent)."""
    programme, _ = Programme.objects.get_or_create(
        slug="pvd",
        defaults={
            "nom": "Petites villes de demain",
            "date_lancement": dt.date(2020, 10, 1),
            "date_fin": dt.date(2026, 12, 31),
            "plafond_population": 20_000,
        },
    )
    return programme


def make_laureat(
    commune_code: str, programme: Programme | None = None, adhesion: dt.date | None = None, **fields
) -> Laureat:
    """A laureate whose main centrality is the real commune ``commune_code``.

    With ``adhesion`` (a date), its milestones are created: the programme's adhésion milestone
    done on that date and the others due according to the programme's rules.
    """
    programme = programme or programme_pvd()
    commune = Commune.objects.select_related("departement", "region", "epci").get(code=commune_code)
    n = next(_counter)
    defaults = {
        "identifiant": f"test-{commune.region_id}-{commune.departement_id}-{n}",
        "nom": commune.nom,
        "epci": commune.epci,
        "departement": commune.departement,
        "region": commune.region,
        "date_admission": dt.date(2021, 3, 1),
    }
    defaults.update(fields)
    laureat = Laureat.objects.create(programme=programme, **defaults)
    LaureatCommune.objects.create(laureat=laureat, commune=commune, principale=True)
    if adhesion is not None:
        from .services.echeances import sync_jalons

        type_adhesion = programme.types_jalons.filter(statut_atteint=Laureat.Statut.ADHESION_SIGNEE).first()
        if type_adhesion is not None:
            Jalon.objects.create(laureat=laureat, type=type_adhesion, date_realisation=adhesion)
        sync_jalons(laureat)
    return laureat
