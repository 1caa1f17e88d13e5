"""Business rules of ingénierie: access rules (the one policy), state transition tables.

Access (DESIGN §3), registered with ``pvd.comptes.policy``:
- collectivité: reads and writes the posts of its laureate territory, deposits their co-financing
  requests and reads them (it never instructs);
- délégué territorial: reads/writes the posts of its département, instructs, grants, refuses and
  pays the requests of its département (``edit`` on ``Cofinancement`` = instruct);
- référent régional: reads everything in its région, manages the regional envelopes and may
  authorise a grant beyond an envelope (``create`` on ``DerogationEnveloppe``);
- administrateur national: everything. Nothing here is public except the programmes' rules
  (the simulator is public: it only uses published rules).
"""

from __future__ import annotations

from pvd.comptes.models import Role
from pvd.comptes.policy import ALL, READ, Scope, register

from .models import (
    Cofinancement,
    DerogationEnveloppe,
    Enveloppe,
    EnveloppeDepartement,
    OperationHabitat,
    PartPoste,
    PosteChefDeProjet,
    RegleCofinancement,
    TransitionCofinancement,
    TransitionPoste,
    Versement,
)

Etat = PosteChefDeProjet.Etat
EtatDemande = Cofinancement.Etat

# ---------------------------------------------------------------- state transitions
#: Allowed changes of state of a post (each one is dated and logged in ``TransitionPoste``).
TRANSITIONS_POSTE: dict[str, frozenset[str]] = {
    Etat.A_POURVOIR: frozenset({Etat.EN_RECRUTEMENT, Etat.POURVU, Etat.SUPPRIME}),
    Etat.EN_RECRUTEMENT: frozenset({Etat.POURVU, Etat.A_POURVOIR, Etat.SUPPRIME}),
    Etat.POURVU: frozenset({Etat.VACANT, Etat.SUPPRIME}),
    Etat.VACANT: frozenset({Etat.EN_RECRUTEMENT, Etat.POURVU, Etat.SUPPRIME}),
    Etat.SUPPRIME: frozenset(),
}

#: The workflow of a co-financing request (``versee`` is reached when the instalments reach the
#: granted amount).
TRANSITIONS_COFINANCEMENT: dict[str, frozenset[str]] = {
    EtatDemande.DEPOSEE: frozenset({EtatDemande.INSTRUITE, EtatDemande.REFUSEE}),
    EtatDemande.INSTRUITE: frozenset({EtatDemande.ACCORDEE, EtatDemande.REFUSEE}),
    EtatDemande.ACCORDEE: frozenset({EtatDemande.VERSEE}),
    EtatDemande.VERSEE: frozenset(),
    EtatDemande.REFUSEE: frozenset(),
}


def transition_poste_permise(de: str, vers: str) -> bool:
    return vers in TRANSITIONS_POSTE.get(de, frozenset())


def transition_cofinancement_permise(de: str, vers: str) -> bool:
    return vers in TRANSITIONS_COFINANCEMENT.get(de, frozenset())


# ---------------------------------------------------------------- access policy
def _via(prefix: str) -> Scope:
    """The scope of a record reached through its post's laureates (``prefix`` ends with ``__``)."""
    return Scope(
        region=f"{prefix}laureats__region",
        departement=f"{prefix}laureats__departement",
        epci=f"{prefix}laureats__epci",
        commune=f"{prefix}laureats__communes",
        laureat=f"{prefix}laureats",
        distinct=True,
    )


_SCOPED_READ = {
    Role.ADMIN_NATIONAL: ALL,
    Role.REFERENT_REGIONAL: READ,
    Role.DELEGUE_TERRITORIAL: READ,
    Role.COLLECTIVITE: READ,
}

register(
    OperationHabitat,
    scope=Scope(
        region="laureat__region",
        departement="laureat__departement",
        epci="laureat__epci",
        commune="laureat__communes",
        laureat="laureat",
        distinct=True,
    ),
    rights={
        Role.ADMIN_NATIONAL: ALL,
        Role.REFERENT_REGIONAL: READ,
        Role.DELEGUE_TERRITORIAL: ALL,
        Role.COLLECTIVITE: {"view", "create", "edit", "export"},
    },
)
register(
    PosteChefDeProjet,
    scope=_via(""),
    rights={
        Role.ADMIN_NATIONAL: ALL,
        Role.REFERENT_REGIONAL: READ,
        Role.DELEGUE_TERRITORIAL: {"view", "create", "edit", "export"},
        Role.COLLECTIVITE: {"view", "create", "edit", "export"},
    },
)
register(PartPoste, scope=_via("poste__"), rights=_SCOPED_READ)
register(TransitionPoste, scope=_via("poste__"), rights=_SCOPED_READ)
register(RegleCofinancement, scope=Scope(), rights={Role.ADMIN_NATIONAL: ALL}, public={"view"})
register(
    Cofinancement,
    scope=Scope(
        region="region",
        departement="departement",
        epci="poste__laureats__epci",
        commune="poste__laureats__communes",
        laureat="poste__laureats",
        distinct=True,
    ),
    rights={
        Role.ADMIN_NATIONAL: ALL,
        Role.REFERENT_REGIONAL: READ,
        Role.DELEGUE_TERRITORIAL: {"view", "create", "edit", "export"},
        Role.COLLECTIVITE: {"view", "create", "export"},
    },
)
_VIA_DEMANDE = Scope(
    region="cofinancement__region",
    departement="cofinancement__departement",
    epci="cofinancement__poste__laureats__epci",
    commune="cofinancement__poste__laureats__communes",
    laureat="cofinancement__poste__laureats",
    distinct=True,
)
register(TransitionCofinancement, scope=_VIA_DEMANDE, rights=_SCOPED_READ)
register(
    Versement,
    scope=_VIA_DEMANDE,
    rights={
        Role.ADMIN_NATIONAL: ALL,
        Role.REFERENT_REGIONAL: READ,
        Role.DELEGUE_TERRITORIAL: {"view", "create", "export"},
        Role.COLLECTIVITE: READ,
    },
)
register(
    Enveloppe,
    scope=Scope(region="region", departement="region__departements", distinct=True),
    rights={
        Role.ADMIN_NATIONAL: ALL,
        Role.REFERENT_REGIONAL: {"view", "create", "edit", "export"},
        Role.DELEGUE_TERRITORIAL: READ,
    },
)
register(
    EnveloppeDepartement,
    scope=Scope(region="enveloppe__region", departement="departement"),
    rights={
        Role.ADMIN_NATIONAL: ALL,
        Role.REFERENT_REGIONAL: ALL,
        Role.DELEGUE_TERRITORIAL: READ,
    },
)
register(
    DerogationEnveloppe,
    scope=Scope(region="cofinancement__region", departement="cofinancement__departement"),
    rights={
        Role.ADMIN_NATIONAL: ALL,
        Role.REFERENT_REGIONAL: {"view", "create", "export"},
        Role.DELEGUE_TERRITORIAL: READ,
    },
)
