"""Access rules of programmes, milestone types, laureates and milestones (DESIGN §3).

- Programmes and their milestone types: public; configured by national administrators only.
- Laureates: the official list is public (view, export); a délégué territorial reads and edits
  the laureates of their département, a collectivité its own laureate, a référent régional reads
  those of the région.
- Milestones: public facts (dates of signature); the délégué territorial validates them (edit)
  in their département; the collectivité reads its own.
"""

from pvd.comptes.models import Role
from pvd.comptes.policy import ALL, READ, Scope, register

from .models import Jalon, Laureat, Programme, TypeJalon

register(Programme, scope=Scope(), rights={Role.ADMIN_NATIONAL: ALL}, public={"view"})
register(TypeJalon, scope=Scope(), rights={Role.ADMIN_NATIONAL: ALL}, public={"view"})
register(
    Laureat,
    scope=Scope(
        region="region",
        departement="departement",
        epci="epci",
        commune="communes",
        laureat="pk",
        distinct=True,
    ),
    rights={
        Role.ADMIN_NATIONAL: ALL,
        Role.REFERENT_REGIONAL: READ,
        Role.DELEGUE_TERRITORIAL: {"view", "edit", "export"},
        Role.COLLECTIVITE: {"view", "edit", "export"},
        Role.PARTENAIRE: set(),
    },
    public={"view", "export"},
)
register(
    Jalon,
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
        Role.DELEGUE_TERRITORIAL: {"view", "edit", "export"},
        Role.COLLECTIVITE: READ,
        Role.PARTENAIRE: set(),
    },
    public={"view", "export"},
)
