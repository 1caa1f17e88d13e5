"""Tables shown and exported by the views: rows of posts and requests, envelope consumption.

Everything is computed with a fixed number of queries (prefetch and aggregates), whatever the
number of rows.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Sum

from ..models import Cofinancement, Enveloppe, EnveloppeDepartement, PosteChefDeProjet, Versement
from .calcul import cofinancements_annuels

ZERO = Decimal("0.00")

POSTE_HEADERS = [
    "id",
    "intitulé",
    "territoires (part)",
    "départements",
    "employeur",
    "état",
    "depuis le",
    "chef de projet",
    "e-mail",
    "prise de poste",
    "contrat",
    "fin du contrat",
    "coût annuel chargé (€)",
    "aide prévisionnelle de l'année (€)",
    "dont État (€)",
    "dont Anah (€)",
    "dont Banque des Territoires (€)",
]


def lignes_postes(postes: list[PosteChefDeProjet], annee: int):
    """(post, computed co-financing of ``annee``) for posts loaded with ``avec_parts()``."""
    resultats = cofinancements_annuels(postes, annee)
    return [(poste, resultats[poste.pk]) for poste in postes]


def export_postes(postes: list[PosteChefDeProjet], annee: int) -> list[list]:
    rows = []
    for poste, r in lignes_postes(postes, annee):
        parts = poste.parts_list()
        rows.append(
            [
                poste.pk,
                poste.intitule,
                " ; ".join(f"{p.laureat.nom} ({p.laureat.identifiant}) {p.part}" for p in parts),
                " ".join(sorted({p.laureat.departement_id for p in parts})),
                str(poste.employeur),
                poste.get_etat_display(),
                poste.etat_depuis,
                poste.titulaire_nom,
                poste.titulaire_email,
                poste.date_prise_poste,
                poste.get_type_contrat_display(),
                poste.date_fin_contrat,
                poste.cout_annuel,
                r.total,
                r.etat,
                r.anah,
                r.bdt,
            ]
        )
    return rows


DEMANDE_HEADERS = [
    "id",
    "année",
    "poste",
    "département",
    "état",
    "déposée le",
    "coût retenu (€)",
    "période",
    "État (€)",
    "Anah (€)",
    "Banque des Territoires (€)",
    "total (€)",
    "plafonds atteints",
    "arrêté",
    "accordé (€)",
    "versé (€)",
]


def export_demandes(demandes) -> list[list]:
    return [
        [
            c.pk,
            c.annee,
            str(c.poste),
            c.departement_id,
            c.get_etat_display(),
            c.depose_le,
            c.cout_annuel,
            f"{c.periode_debut:%d/%m/%Y} – {c.periode_fin:%d/%m/%Y}",
            c.montant_etat,
            c.montant_anah,
            c.montant_bdt,
            c.montant_total,
            " ; ".join(lim["libelle"] for lim in c.limites),
            c.arrete_reference,
            c.montant_accorde,
            c.total_verse(),
        ]
        for c in demandes
    ]


ENVELOPPE_HEADERS = [
    "programme",
    "région",
    "année",
    "alloué (€)",
    "engagé (€)",
    "versé (€)",
    "reste (€)",
    "taux d'engagement",
]


def export_enveloppes(enveloppes) -> list[list]:
    return [
        [
            e.programme.nom,
            e.region.nom,
            e.annee,
            e.montant,
            e.engage,
            e.verse,
            e.montant - e.engage,
            f"{(e.engage / e.montant * 100):.1f} %" if e.montant else "",
        ]
        for e in enveloppes
    ]


def consommation_par_departement(enveloppe: Enveloppe) -> list[dict]:
    """Per département of the envelope's région: allotted part (if split), requests, committed, paid."""
    demandes = enveloppe.cofinancements()
    engages = {
        row["departement"]: row
        for row in demandes.engages()
        .order_by()
        .values("departement")
        .annotate(engage=Sum("montant_accorde"), n=Count("pk"))
    }
    en_cours = {
        row["departement"]: row["n"]
        for row in demandes.a_instruire().order_by().values("departement").annotate(n=Count("pk"))
    }
    verses = {
        row["cofinancement__departement"]: row["verse"]
        for row in Versement.objects.filter(cofinancement__in=demandes)
        .order_by()
        .values("cofinancement__departement")
        .annotate(verse=Sum("montant"))
    }
    parts = {p.departement_id: p.montant for p in EnveloppeDepartement.objects.filter(enveloppe=enveloppe)}
    lignes = []
    for dep in enveloppe.region.departements.current().order_by("code"):
        engage = engages.get(dep.code, {}).get("engage") or ZERO
        part = parts.get(dep.code)
        lignes.append(
            {
                "departement": dep,
                "alloue": part,
                "engage": engage,
                "accordees": engages.get(dep.code, {}).get("n", 0),
                "a_instruire": en_cours.get(dep.code, 0),
                "verse": verses.get(dep.code) or ZERO,
                "reste": None if part is None else part - engage,
            }
        )
    return lignes


def demandes_avec_verse(qs):
    return qs.select_related(
        "poste", "poste__employeur_commune", "poste__employeur_epci", "departement"
    ).avec_verse()


__all__ = [
    "Cofinancement",
    "consommation_par_departement",
    "demandes_avec_verse",
    "export_demandes",
    "export_enveloppes",
    "export_postes",
    "lignes_postes",
]
