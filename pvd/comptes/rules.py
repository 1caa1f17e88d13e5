"""Access rules of accounts: users, habilitations, partner organisations and API tokens.

Only the administrateur national manages accounts and habilitations; everyone signed in sees
their own account, habilitations and tokens (and may create and revoke their own tokens).
"""

from .models import ApiToken, Habilitation, Organisation, Role, User
from .policy import ALL, READ, Scope, register

register(
    User,
    scope=Scope(),
    rights={Role.ADMIN_NATIONAL: {"view", "edit", "export"}},
    owner="pk",
    owner_rights={"view", "edit"},
)
register(
    Habilitation,
    scope=Scope(),
    rights={Role.ADMIN_NATIONAL: ALL},
    owner="user",
    owner_rights={"view"},
)
register(
    Organisation,
    scope=Scope(organisation="pk"),
    rights={Role.ADMIN_NATIONAL: ALL, Role.PARTENAIRE: READ},
    public={"view"},
)
register(
    ApiToken,
    scope=Scope(),
    rights={Role.ADMIN_NATIONAL: {"view", "delete"}},
    owner="user",
    owner_rights={"view", "create", "delete"},
)
