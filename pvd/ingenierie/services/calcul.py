"""Co-financing of posts read from the database, without per-post queries.

``cofinancements_annuels(postes, annee)`` loads what the computation needs for any number of posts
in a fixed number of queries (posts with their shares, the habitat operations of their
territories for the year, the programmes' rules) then applies the pure rules
(``services.cofinancement.calculer``) post by post in memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q

from ..models import OperationHabitat, PosteChefDeProjet, RegleCofinancement
from .cofinancement import PVD, Parametres, Resultat, affiche_valeur, calculer, jours_pourvus


def periode_pourvue(poste: PosteChefDeProjet, annee: int) -> tuple[dt.date, dt.date] | None:
    """The part of ``annee`` during which the post was filled (None if it never was)."""
    if poste.date_prise_poste is None or poste.etat not in (
        PosteChefDeProjet.Etat.POURVU,
        PosteChefDeProjet.Etat.VACANT,
        PosteChefDeProjet.Etat.SUPPRIME,
    ):
        return None
    fin = poste.date_fin_contrat
    if poste.etat != PosteChefDeProjet.Etat.POURVU:  # left: filled until the change of state at most
        fin = min(d for d in (fin, poste.etat_depuis) if d is not None)
    debut = max(poste.date_prise_poste, dt.date(annee, 1, 1))
    fin = min(fin or dt.date(annee, 12, 31), dt.date(annee, 12, 31))
    if fin < debut:
        return None
    return debut, fin


def laureats_avec_operation(laureat_ids: Iterable[int], annee: int) -> set[int]:
    """The laureates among ``laureat_ids`` running an Anah habitat operation during ``annee``."""
    return set(
        OperationHabitat.objects.filter(
            laureat_id__in=list(laureat_ids), date_debut__lte=dt.date(annee, 12, 31)
        )
        .filter(Q(date_fin__isnull=True) | Q(date_fin__gte=dt.date(annee, 1, 1)))
        .values_list("laureat_id", flat=True)
    )


def parametres_des_programmes(programme_ids: Iterable[int]) -> dict[int, Parametres]:
    ids = set(programme_ids)
    regles = list(RegleCofinancement.objects.filter(programme_id__in=ids))
    return {pid: RegleCofinancement.parametres(pid, regles) for pid in ids}


def calculer_poste(
    poste: PosteChefDeProjet,
    annee: int,
    *,
    parametres: Parametres,
    avec_anah: bool,
    avec_bdt: bool = True,
    periode: tuple[dt.date, dt.date] | None = None,
    cout_annuel=None,
) -> Resultat:
    """The co-financing of one post (its shares already loaded) for ``annee``."""
    if periode is None:
        periode = periode_pourvue(poste, annee)
    jours = 0 if periode is None else jours_pourvus(annee, *periode)
    parts = [(p.laureat_id, p.part) for p in poste.parts_list()]
    return calculer(
        poste.cout_annuel if cout_annuel is None else cout_annuel,
        annee=annee,
        jours=jours,
        avec_anah=avec_anah,
        avec_bdt=avec_bdt,
        parts=parts,
        parametres=parametres,
    )


def cofinancements_annuels(postes, annee: int) -> dict[int, Resultat]:
    """{post id: co-financing of ``annee``} for a queryset (or an already loaded list) of posts.

    A queryset is loaded with ``pour_calcul()`` (posts, then their shares); with the habitat
    operations and the rules, that is 4 queries whatever the number of posts.
    """
    postes = list(postes.pour_calcul()) if hasattr(postes, "pour_calcul") else list(postes)
    laureat_ids = {p.laureat_id for poste in postes for p in poste.parts_list()}
    operations = laureats_avec_operation(laureat_ids, annee)
    parametres = parametres_des_programmes({p.programme_id for p in postes})
    resultats = {}
    for poste in postes:
        avec_anah = any(p.laureat_id in operations for p in poste.parts_list())
        resultats[poste.pk] = calculer_poste(
            poste, annee, parametres=parametres[poste.programme_id], avec_anah=avec_anah
        )
    return resultats


def parametres_programme(slug: str = "pvd") -> Parametres:
    """The co-financing rules of the programme ``slug`` (PVD defaults if it sets none)."""
    regles = list(RegleCofinancement.objects.filter(programme__slug=slug))
    if not regles:
        return PVD
    return RegleCofinancement.parametres(regles[0].programme_id, regles)


def regles_affichees(parametres: Parametres) -> dict[str, str]:
    return {code: affiche_valeur(code, getattr(parametres, code)) for code in Parametres.CODES}


def simuler(
    cout_annuel,
    annee: int,
    *,
    debut: dt.date | None = None,
    fin: dt.date | None = None,
    avec_anah: bool = False,
    avec_bdt: bool = True,
    parts=(),
    programme: str = "pvd",
) -> Resultat:
    """The co-financing for given inputs (simulator page and API); ``parts`` are shares (sum 1)."""
    jours = jours_pourvus(annee, debut, fin) if debut or fin else None
    return calculer(
        cout_annuel,
        annee=annee,
        jours=jours,
        avec_anah=avec_anah,
        avec_bdt=avec_bdt,
        parts=[(i + 1, share) for i, share in enumerate(parts)],
        parametres=parametres_programme(programme),
    )
