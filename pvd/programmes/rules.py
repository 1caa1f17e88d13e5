"""Access rules of programmes and laureates."""

from pvd.comptes.models import Role
from pvd.comptes.policy import ALL, READ, Scope, register

from .models import Laureat, Programme

register(Programme, scope=Scope(), rights={Role.ADMIN_NATIONAL: ALL}, public={"view"})
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
