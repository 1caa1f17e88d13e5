"""Business and access rules of projets de territoire and fiches actions.

- ``TRANSITIONS``: the status transition table of a fiche action (DESIGN §4, issue 5);
- ``FINANCEMENT_TRANSITIONS``: the status table of a financing line;
- ``en_retard_q``: what "late" means;
- the access policy registrations (DESIGN §3): collectivité read/write its own laureate,
  délégué territorial read/write in its département, référent régional read in its région,
  partner read the actions it finances, administrator everything. Aggregated figures are public
  (they are computed over a whole territory, never expose a record: see ``services/agregats.py``).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from pvd.comptes.models import Role
from pvd.comptes.policy import ALL, READ, Scope, register

from .models import (
    Axe,
    Commentaire,
    Dispositif,
    Etape,
    FicheAction,
    Financement,
    Financeur,
    Indicateur,
    LigneCout,
    ParametresFinancement,
    ProjetDeTerritoire,
    Statut,
    StatutFinancement,
    Theme,
    TransitionStatut,
)

# --- Status transitions of a fiche action ---------------------------------------------------
TRANSITIONS: dict[str, frozenset[str]] = {
    Statut.IDEE: frozenset({Statut.EN_ETUDE, Statut.ABANDONNEE}),
    Statut.EN_ETUDE: frozenset({Statut.PROGRAMMEE, Statut.IDEE, Statut.SUSPENDUE, Statut.ABANDONNEE}),
    Statut.PROGRAMMEE: frozenset({Statut.EN_COURS, Statut.EN_ETUDE, Statut.SUSPENDUE, Statut.ABANDONNEE}),
    Statut.EN_COURS: frozenset({Statut.REALISEE, Statut.SUSPENDUE, Statut.ABANDONNEE}),
    Statut.SUSPENDUE: frozenset({Statut.EN_ETUDE, Statut.PROGRAMMEE, Statut.EN_COURS, Statut.ABANDONNEE}),
    Statut.REALISEE: frozenset(),  # delivered: final
    Statut.ABANDONNEE: frozenset({Statut.IDEE}),  # an abandoned idea may be taken up again
}

# Statuses under which an action is still to be delivered.
OUVERTS = frozenset({Statut.IDEE, Statut.EN_ETUDE, Statut.PROGRAMMEE, Statut.EN_COURS, Statut.SUSPENDUE})
NON_DEMARRES = frozenset({Statut.IDEE, Statut.EN_ETUDE, Statut.PROGRAMMEE})


class TransitionRefusee(ValueError):
    """A status change the transition table does not allow."""

    def __init__(self, de: str, vers: str, possibles: frozenset[str], what: str = "l'action"):
        labels = dict(Statut.choices) | dict(StatutFinancement.choices)
        self.de, self.vers = de, vers
        allowed = ", ".join(sorted(labels[s] for s in possibles)) or "aucun (statut final)"
        super().__init__(
            f"Transition refusée pour {what} : « {labels.get(de, de)} » → « {labels.get(vers, vers)} ». "
            f"Depuis « {labels.get(de, de)} », statuts possibles : {allowed}."
        )


def transitions_possibles(statut: str) -> list[str]:
    """The statuses an action in ``statut`` may move to, in the order of ``Statut``."""
    allowed = TRANSITIONS.get(statut, frozenset())
    return [s for s in Statut.values if s in allowed]


def verifier_transition(de: str, vers: str) -> None:
    if vers not in Statut.values:
        raise TransitionRefusee(de, vers, TRANSITIONS.get(de, frozenset()))
    if vers not in TRANSITIONS.get(de, frozenset()):
        raise TransitionRefusee(de, vers, TRANSITIONS.get(de, frozenset()))


# --- Status of a financing line -------------------------------------------------------------
FINANCEMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    StatutFinancement.PREVU: frozenset({StatutFinancement.SOLLICITE}),
    StatutFinancement.SOLLICITE: frozenset({StatutFinancement.ACCORDE, StatutFinancement.REFUSE}),
    StatutFinancement.ACCORDE: frozenset({StatutFinancement.VERSE}),
    StatutFinancement.VERSE: frozenset(),
    StatutFinancement.REFUSE: frozenset({StatutFinancement.SOLLICITE}),  # a new request
}
# Financing that counts in the plan (a refused line does not finance anything).
FINANCEMENT_RETENUS = frozenset(
    {StatutFinancement.PREVU, StatutFinancement.SOLLICITE, StatutFinancement.ACCORDE, StatutFinancement.VERSE}
)
FINANCEMENT_ACQUIS = frozenset({StatutFinancement.ACCORDE, StatutFinancement.VERSE})


def verifier_transition_financement(de: str, vers: str) -> None:
    """Keeping the same status is always allowed (editing the amount, the dates…)."""
    if de == vers:
        return
    if vers not in FINANCEMENT_TRANSITIONS.get(de, frozenset()):
        raise TransitionRefusee(de, vers, FINANCEMENT_TRANSITIONS.get(de, frozenset()), "le financement")


# --- Late actions ----------------------------------------------------------------------------
def en_retard_q(today: dt.date | None = None, prefix: str = "") -> Q:
    """Late: planned end passed and not delivered, or planned start passed and not started."""
    today = today or timezone.localdate()
    p = prefix
    return Q(**{f"{p}date_fin_prevue__lt": today, f"{p}statut__in": OUVERTS}) | Q(
        **{f"{p}date_debut_prevue__lt": today, f"{p}statut__in": NON_DEMARRES}
    )


def est_en_retard(fiche: FicheAction, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    if fiche.date_fin_prevue and fiche.date_fin_prevue < today and fiche.statut in OUVERTS:
        return True
    return bool(fiche.date_debut_prevue and fiche.date_debut_prevue < today and fiche.statut in NON_DEMARRES)


# --- Access policy ---------------------------------------------------------------------------
WRITE = ALL
RIGHTS = {
    Role.ADMIN_NATIONAL: ALL,
    Role.REFERENT_REGIONAL: READ,
    Role.DELEGUE_TERRITORIAL: WRITE,
    Role.COLLECTIVITE: WRITE,
    Role.PARTENAIRE: READ,
}


def _scope(to_laureat: str, to_fiche: str | None) -> Scope:
    """Scope of a record reached from its laureate by ``to_laureat`` (and from its action by ``to_fiche``)."""
    org = f"{to_fiche}financements__financeur__organisation" if to_fiche is not None else None
    return Scope(
        region=f"{to_laureat}region",
        departement=f"{to_laureat}departement",
        epci=f"{to_laureat}epci",
        commune=f"{to_laureat}communes",
        laureat=to_laureat.removesuffix("__") or "pk",
        organisation=org,
        distinct=True,  # communes and financing lines are to-many
    )


register(ProjetDeTerritoire, scope=_scope("laureat__", "fiches__"), rights=RIGHTS)
register(Axe, scope=_scope("projet__laureat__", "projet__fiches__"), rights=RIGHTS)
register(FicheAction, scope=_scope("projet__laureat__", ""), rights=RIGHTS)
for _child in (Etape, Indicateur, LigneCout, Financement, TransitionStatut):
    register(_child, scope=_scope("fiche__projet__laureat__", "fiche__"), rights=RIGHTS)
register(
    Commentaire,
    scope=_scope("fiche__projet__laureat__", "fiche__"),
    rights=RIGHTS | {Role.REFERENT_REGIONAL: READ | {"create"}, Role.PARTENAIRE: READ | {"create"}},
)
# Managed lists: read by everyone, administered nationally.
for _ref in (Theme, Financeur, Dispositif, ParametresFinancement):
    register(_ref, scope=Scope(), rights={Role.ADMIN_NATIONAL: ALL}, public={"view"})
