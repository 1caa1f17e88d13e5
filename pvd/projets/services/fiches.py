"""Operations on projets and fiches actions that carry business rules (status moves, axes)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from pvd.core.locking import save_with_version

from ..models import Axe, FicheAction, Financement, ProjetDeTerritoire, Statut, TransitionStatut
from ..rules import verifier_transition, verifier_transition_financement


def changer_statut(
    fiche: FicheAction,
    vers: str,
    user=None,
    *,
    commentaire: str = "",
    expected_version: int | None = None,
    quand: dt.datetime | None = None,
) -> TransitionStatut:
    """Move ``fiche`` to ``vers`` if the transition table allows it, and record who and when.

    Raises ``TransitionRefusee`` (nothing written) for a move the table forbids and
    ``StaleEditError`` when the action changed since ``expected_version``.
    """
    de = fiche.statut
    verifier_transition(de, vers)
    quand = quand or timezone.now()
    today = timezone.localtime(quand).date()
    with transaction.atomic():
        fiche.statut = vers
        if vers == Statut.EN_COURS and fiche.date_debut_reelle is None:
            fiche.date_debut_reelle = today
        if vers == Statut.REALISEE and fiche.date_fin_reelle is None:
            fiche.date_fin_reelle = today
        fiche._history_user = user
        save_with_version(fiche, expected_version)
        return TransitionStatut.objects.create(
            fiche=fiche, de=de, vers=vers, date=quand, par=user, commentaire=commentaire[:500]
        )


def creer_fiche(fiche: FicheAction, user=None, themes=(), commentaire: str = "Création") -> FicheAction:
    """Save a new action (status ``fiche.statut``, idée by default) and record its first status."""
    with transaction.atomic():
        if not fiche.numero:
            fiche.numero = prochain_numero(fiche.projet)
        fiche._history_user = user
        fiche.save()
        if themes:
            fiche.themes.set(themes)
        TransitionStatut.objects.create(
            fiche=fiche, de="", vers=fiche.statut, date=timezone.now(), par=user, commentaire=commentaire
        )
    return fiche


def prochain_numero(projet: ProjetDeTerritoire) -> str:
    """The next free number ``FA-NNN`` in the project."""
    existing = set(projet.fiches.values_list("numero", flat=True))
    n = len(existing) + 1
    while f"FA-{n:03d}" in existing:
        n += 1
    return f"FA-{n:03d}"


def verifier_statut_financement(financement: Financement, ancien_statut: str | None) -> None:
    if ancien_statut is not None:
        verifier_transition_financement(ancien_statut, financement.statut)


class AxesError(ValueError):
    pass


def synchroniser_axes(projet: ProjetDeTerritoire, titres: list[str], user=None) -> None:
    """Make the project's ordered axes be ``titres``: renamed in place by position, added, or removed.

    An axis still used by an action cannot be removed (``AxesError``, nothing written).
    """
    titres = [t.strip() for t in titres if t.strip()]
    with transaction.atomic():
        axes = list(projet.axes.order_by("ordre", "id"))
        for axe in axes[len(titres) :]:
            if axe.fiches.exists():
                raise AxesError(
                    f"L'axe « {axe.titre} » porte encore des fiches actions : rattachez-les à un autre axe "
                    "avant de le supprimer."
                )
            axe.delete()
        for i, titre in enumerate(titres, start=1):
            if i <= len(axes):
                axe = axes[i - 1]
                if (axe.titre, axe.ordre) != (titre, i):
                    axe.titre, axe.ordre = titre, i
                    axe._history_user = user
                    save_with_version(axe)
            else:
                Axe.objects.create(projet=projet, ordre=i, titre=titre)
