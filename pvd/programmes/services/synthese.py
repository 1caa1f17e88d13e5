"""Aggregated figures of a programme (national, région, département pages), in a constant number
of SQL queries whatever the number of laureates. The querysets come already filtered by the
access policy (``visible_to``)."""

from __future__ import annotations

from django.db.models import Count
from django.db.models.functions import ExtractYear

from . import echeances

OVERDUE_SHOWN = 20


def synthese(laureats, jalons) -> dict:
    """Counts by région, département, statut, year of adhésion, and overdue milestones.

    ``laureats``: Laureat queryset (one programme, visible to the user); ``jalons``: Jalon
    queryset visible to the user, restricted here to those laureates.
    """
    from ..models import Laureat

    jalons = jalons.filter(laureat__in=laureats.values("pk"))
    par_region = list(
        laureats.order_by()
        .values("region_id", "region__nom")
        .annotate(n=Count("pk", distinct=True))
        .order_by("region_id")
    )
    par_departement = list(
        laureats.order_by()
        .values("departement_id", "departement__nom", "departement__region_id")
        .annotate(n=Count("pk", distinct=True))
        .order_by("departement_id")
    )
    statuts = dict(
        laureats.order_by().values_list("statut").annotate(n=Count("pk", distinct=True)).order_by()
    )
    par_statut = [
        {"statut": label, "code": code, "n": statuts.get(code, 0)} for code, label in Laureat.Statut.choices
    ]
    par_annee = list(
        jalons.filter(type__statut_atteint=Laureat.Statut.ADHESION_SIGNEE, date_realisation__isnull=False)
        .order_by()
        .annotate(annee=ExtractYear("date_realisation"))
        .values("annee")
        .annotate(n=Count("pk", distinct=True))
        .order_by("annee")
    )
    overdue = jalons.filter(echeances.overdue_q())
    en_retard = overdue.count()
    proches = jalons.filter(echeances.soon_q()).count()
    retards = list(
        overdue.select_related("type", "laureat", "laureat__programme", "laureat__departement").order_by(
            "date_echeance", "laureat__identifiant"
        )[:OVERDUE_SHOWN]
    )
    total = sum(r["n"] for r in par_region)
    return {
        "total": total,
        "par_region": par_region,
        "par_departement": par_departement,
        "par_statut": par_statut,
        "par_annee": par_annee,
        "jalons_en_retard": en_retard,
        "jalons_proches": proches,
        "retards": retards,
        "sans_adhesion": total - sum(a["n"] for a in par_annee),
    }
