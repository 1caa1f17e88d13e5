"""API of accounts: who am I, habilitations (read, revoke), API tokens (list, revoke)."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from .api_auth import api_auth
from .models import ApiToken, Habilitation
from .policy import get_object_for, visible_to

router = Router(tags=["Comptes"], auth=api_auth)


class HabilitationOut(Schema):
    id: int
    user_email: str
    role: str
    role_label: str
    perimetre: str
    granted_at: datetime
    revoked_at: datetime | None

    @staticmethod
    def resolve_user_email(obj: Habilitation) -> str:
        return obj.user.email

    @staticmethod
    def resolve_role_label(obj: Habilitation) -> str:
        return obj.get_role_display()

    @staticmethod
    def resolve_perimetre(obj: Habilitation) -> str:
        return obj.scope_label


class MeOut(Schema):
    email: str
    nom: str
    habilitations: list[HabilitationOut]


class TokenOut(Schema):
    id: int
    name: str
    key_prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


_HAB_RELATED = ("user", "region", "departement", "commune", "epci", "laureat", "organisation")


@router.get("/moi", response=MeOut, summary="Mon compte et mes habilitations actives")
def me(request):
    habs = (
        visible_to(request.user, Habilitation)
        .filter(user=request.user)
        .active()
        .select_related(*_HAB_RELATED)
    )
    return {
        "email": request.user.email,
        "nom": request.user.get_full_name(),
        "habilitations": list(habs),
    }


@router.get("/habilitations", response=list[HabilitationOut], summary="Habilitations visibles")
@paginate(PageNumberPagination, page_size=100)
def habilitations(request, actives: bool = True):
    qs = visible_to(request.user, Habilitation).select_related(*_HAB_RELATED).order_by("pk")
    if actives:
        qs = qs.active()
    return qs


@router.get("/habilitations/{hab_id}", response=HabilitationOut, summary="Une habilitation")
def habilitation(request, hab_id: int):
    return get_object_for(request.user, "view", Habilitation.objects.select_related(*_HAB_RELATED), pk=hab_id)


@router.delete("/habilitations/{hab_id}", response=HabilitationOut, summary="Révoquer une habilitation")
def revoke_habilitation(request, hab_id: int):
    hab = get_object_for(
        request.user, "delete", Habilitation.objects.select_related(*_HAB_RELATED), pk=hab_id
    )
    hab.revoke(revoked_by=request.user)
    return hab


@router.get("/jetons", response=list[TokenOut], summary="Mes jetons d'API")
def tokens(request):
    return list(visible_to(request.user, ApiToken).filter(user=request.user))


@router.delete("/jetons/{token_id}", response=TokenOut, summary="Révoquer un jeton d'API")
def revoke_token(request, token_id: int):
    token = get_object_for(request.user, "delete", ApiToken, pk=token_id)
    token.revoke(revoked_by=request.user)
    return token
