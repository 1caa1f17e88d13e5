"""Access rules of the referential: public reference data, read by everyone."""

from pvd.comptes.models import Role
from pvd.comptes.policy import READ, Scope, register

from .models import Commune, Departement, Epci, Region

_ADMIN = {Role.ADMIN_NATIONAL: READ}

register(Region, scope=Scope(region="pk"), rights=_ADMIN, public=READ)
register(Departement, scope=Scope(region="region", departement="pk"), rights=_ADMIN, public=READ)
register(Epci, scope=Scope(epci="pk"), rights=_ADMIN, public=READ)
register(
    Commune,
    scope=Scope(region="region", departement="departement", epci="epci", commune="pk"),
    rights=_ADMIN,
    public=READ,
)
