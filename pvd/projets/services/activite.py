"""A laureate's activity feed and a record's readable history (from django-simple-history)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from ..models import Commentaire, FicheAction, Financement, Statut, TransitionStatut

KIND_LABELS = {"+": "Création", "~": "Modification", "-": "Suppression"}


@dataclass
class Evenement:
    date: object
    auteur: object
    genre: str  # transition, commentaire, modification
    fiche_id: int | None
    fiche_titre: str
    texte: str
    details: list[str] = field(default_factory=list)


def activite(projet, fiches_visibles: QuerySet, limit: int = 20) -> list[Evenement]:
    """Recent transitions, comments and edits of the visible actions of a project (5 queries)."""
    visible_ids = fiches_visibles.filter(projet=projet).values("pk")
    events: list[Evenement] = []
    for t in TransitionStatut.objects.filter(fiche__in=visible_ids).select_related("fiche", "par")[:limit]:
        de = dict(Statut.choices).get(t.de, "création")
        events.append(
            Evenement(
                t.date,
                t.par,
                "transition",
                t.fiche_id,
                t.fiche.titre,
                f"{de} → {t.get_vers_display()}",
                [t.commentaire] if t.commentaire else [],
            )
        )
    for c in (
        Commentaire.objects.filter(fiche__in=visible_ids)
        .select_related("fiche", "auteur")
        .order_by("-created_at")[:limit]
    ):
        events.append(
            Evenement(c.created_at, c.auteur, "commentaire", c.fiche_id, c.fiche.titre, c.texte[:300])
        )
    for h in (
        FicheAction.history.filter(id__in=visible_ids, history_type="~")
        .select_related("history_user")
        .order_by("-history_date")[:limit]
    ):
        events.append(
            Evenement(h.history_date, h.history_user, "modification", h.id, h.titre, "Fiche modifiée")
        )
    for h in (
        Financement.history.filter(fiche_id__in=visible_ids)
        .select_related("history_user", "financeur")
        .order_by("-history_date")[:limit]
    ):
        verb = KIND_LABELS.get(h.history_type, "")
        events.append(
            Evenement(
                h.history_date,
                h.history_user,
                "financement",
                h.fiche_id,
                "",
                f"{verb} d'un financement : {h.financeur} {h.montant} € ({h.get_statut_display()})",
            )
        )
    events.sort(key=lambda e: e.date, reverse=True)
    events = events[:limit]
    titres = dict(FicheAction.objects.filter(pk__in={e.fiche_id for e in events}).values_list("pk", "titre"))
    for e in events:
        e.fiche_titre = titres.get(e.fiche_id, e.fiche_titre)
    return events
