"""Aggregated figures of actions and money by theme, status and financeur, for a territory.

A handful of GROUP BY queries whatever the number of actions (constant query count). Aggregated
figures are public (DESIGN §3: "public: aggregated figures only"): they never expose a record, so
they are computed over the whole territory asked for, for every visitor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from ..models import FicheAction, Financement, Financeur, LigneCout, Statut, Theme
from ..rules import FINANCEMENT_ACQUIS, FINANCEMENT_RETENUS, en_retard_q
from .financement import ZERO, money, taux

NIVEAUX = ("national", "region", "departement", "laureat")


def territoire_filter(niveau: str, code: str | int | None = None) -> dict:
    """ORM lookups (from a FicheAction) selecting the actions of a territory."""
    if niveau == "national":
        return {}
    if niveau == "region":
        return {"projet__laureat__region_id": code}
    if niveau == "departement":
        return {"projet__laureat__departement_id": code}
    if niveau == "laureat":
        return {"projet__laureat_id": code}
    raise ValueError(f"Niveau d'agrégation inconnu : {niveau!r}")


def _prefixed(lookups: dict, prefix: str) -> dict:
    return {f"{prefix}{k}": v for k, v in lookups.items()}


@dataclass
class Agregats:
    nb_fiches: int = 0
    nb_projets: int = 0
    nb_en_retard: int = 0
    cout_ht: Decimal = ZERO
    finance: Decimal = ZERO
    acquis: Decimal = ZERO
    par_statut: list[dict] = field(default_factory=list)
    par_theme: list[dict] = field(default_factory=list)
    par_financeur: list[dict] = field(default_factory=list)

    @property
    def taux_financement(self) -> Decimal | None:
        return taux(self.finance, self.cout_ht)

    @property
    def taux_realisation(self) -> Decimal | None:
        realisees = next((s["n"] for s in self.par_statut if s["statut"] == Statut.REALISEE), 0)
        return taux(Decimal(realisees), Decimal(self.nb_fiches))

    def as_dict(self) -> dict:
        return {
            "nb_fiches": self.nb_fiches,
            "nb_projets": self.nb_projets,
            "nb_en_retard": self.nb_en_retard,
            "cout_ht": self.cout_ht,
            "finance": self.finance,
            "acquis": self.acquis,
            "taux_financement": self.taux_financement,
            "taux_realisation": self.taux_realisation,
            "par_statut": self.par_statut,
            "par_theme": self.par_theme,
            "par_financeur": self.par_financeur,
        }


def calculer_agregats(niveau: str = "national", code: str | int | None = None) -> Agregats:
    """Counts and sums of the actions of a territory (7 queries, whatever the volume)."""
    f = territoire_filter(niveau, code)
    fiches = FicheAction.objects.filter(**f)
    result = Agregats()

    # 1. by status (+ late ones, in the same GROUP BY)
    statuts = {
        row["statut"]: row
        for row in fiches.order_by()
        .values("statut")
        .annotate(n=Count("id"), retard=Count("id", filter=en_retard_q()))
    }
    for value, label in Statut.choices:
        row = statuts.get(value, {"n": 0, "retard": 0})
        result.par_statut.append({"statut": value, "libelle": label, "n": row["n"]})
        result.nb_fiches += row["n"]
        result.nb_en_retard += row["retard"]
    # 2. number of projects that have actions
    result.nb_projets = fiches.order_by().values("projet_id").distinct().count()

    # 3. count by theme (an action with two themes counts in both). Cost by theme is left out on
    # purpose: it needs a join of every theme link with the cost lines, 5–10× the time of all
    # the other queries together at national scale (measured, bench/bench_projets.py).
    through = FicheAction.themes.through.objects.filter(**_prefixed(f, "ficheaction__"))
    counts = dict(through.order_by().values_list("theme_id").annotate(n=Count("id")))
    # 4. the themes (names)
    for theme in Theme.objects.all():
        result.par_theme.append({"theme": theme.slug, "libelle": theme.nom, "n": counts.get(theme.pk, 0)})
    result.par_theme.sort(key=lambda t: (-t["n"], t["libelle"]))

    # 5. total cost
    result.cout_ht = money(
        LigneCout.objects.filter(**_prefixed(f, "fiche__")).aggregate(s=Sum("montant_ht"))["s"]
    )

    # 6. by financeur (retained lines; secured ones apart)
    rows = (
        Financement.objects.filter(**_prefixed(f, "fiche__"), statut__in=FINANCEMENT_RETENUS)
        .order_by()
        .values("financeur_id")
        .annotate(
            n=Count("id"),
            total=Sum("montant"),
            total_acquis=Sum("montant", filter=Q(statut__in=FINANCEMENT_ACQUIS)),
        )
    )
    by_financeur = {r["financeur_id"]: r for r in rows}
    # 7. the financeurs (names)
    for financeur in Financeur.objects.all():
        r = by_financeur.get(financeur.pk)
        if r is None:
            continue
        montant, acquis = money(r["total"]), money(r["total_acquis"])
        result.finance += montant
        result.acquis += acquis
        result.par_financeur.append(
            {
                "financeur": financeur.slug,
                "libelle": financeur.nom,
                "n": r["n"],
                "montant": montant,
                "acquis": acquis,
            }
        )
    result.par_financeur.sort(key=lambda r: -r["montant"])
    return result
