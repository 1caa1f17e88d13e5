"""API of programmes, laureates and milestones (/api/v1/programmes/…), filtered by the access policy.

The laureate list takes the same filters as the page (``filters.LaureatFilter``); milestones can
be filtered by state. A délégué territorial (or an administrator) validates a milestone with
PATCH, sending the ``version`` read: a stale version answers 409 with what changed.
"""

import datetime as dt

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from pvd.comptes.api_auth import api_auth
from pvd.comptes.policy import can, visible_to
from pvd.core.locking import StaleEditError, save_with_version

from .filters import POPULATION_BANDS, LaureatFilter
from .models import Jalon, Laureat, LaureatCommune, Programme
from .services import echeances

router = Router(tags=["programmes"])


class TypeJalonOut(Schema):
    code: str
    libelle: str
    ordre: int
    reference: str | None = None
    delai_mois: int | None
    date_limite: dt.date | None
    regle: str


class ProgrammeOut(Schema):
    slug: str
    nom: str
    description: str
    date_lancement: dt.date
    date_fin: dt.date | None
    date_fin_effective: dt.date | None
    prolongeable: bool
    plafond_population: int | None
    types_jalons: list[TypeJalonOut]


class CommuneOut(Schema):
    code: str
    nom: str
    population: int | None
    principale: bool


class JalonOut(Schema):
    id: int
    laureat: str
    programme: str
    type: str
    libelle: str
    date_echeance: dt.date | None
    date_realisation: dt.date | None
    document: str
    etat: str
    version: int

    @staticmethod
    def resolve_laureat(obj):
        return obj.laureat.identifiant

    @staticmethod
    def resolve_programme(obj):
        return obj.laureat.programme.slug

    @staticmethod
    def resolve_type(obj):
        return obj.type.code

    @staticmethod
    def resolve_libelle(obj):
        return obj.type.libelle

    @staticmethod
    def resolve_etat(obj):
        return obj.etat.code


class LaureatOut(Schema):
    identifiant: str
    programme: str
    nom: str
    statut: str
    region: str
    departement: str
    epci: str | None
    date_admission: dt.date | None
    latitude: float | None
    longitude: float | None
    demo: bool
    communes: list[CommuneOut]
    jalons: list[JalonOut]

    @staticmethod
    def resolve_programme(obj):
        return obj.programme.slug

    @staticmethod
    def resolve_region(obj):
        return obj.region_id

    @staticmethod
    def resolve_departement(obj):
        return obj.departement_id

    @staticmethod
    def resolve_epci(obj):
        return obj.epci_id

    @staticmethod
    def resolve_communes(obj):
        return [
            {"code": lien.commune.code, "nom": lien.commune.nom, "population": lien.commune.population,
             "principale": lien.principale}
            for lien in obj.liens_communes.all()
        ]  # fmt: skip

    @staticmethod
    def resolve_jalons(obj):
        return list(obj.jalons.all())


class JalonPatch(Schema):
    version: int
    date_realisation: dt.date | None = None
    document: str | None = None


class LaureatFiltres(Schema):
    q: str | None = None
    programme: str | None = None
    region: str | None = None
    departement: str | None = None
    statut: Laureat.Statut | None = None
    jalon: str | None = Field(None, description="en_retard | proche")
    population: str | None = Field(None, description=" | ".join(POPULATION_BANDS))
    demo: bool | None = None


def _laureats_with_details(qs):
    from django.db.models import Prefetch

    return qs.select_related("programme").prefetch_related(
        Prefetch(
            "liens_communes",
            queryset=LaureatCommune.objects.select_related("commune").order_by("-principale"),
        ),
        Prefetch("jalons", queryset=Jalon.objects.select_related("type").order_by("type__ordre")),
    )


@router.get("/programmes", response=list[ProgrammeOut], summary="Programmes et leurs règles de jalons")
def list_programmes(request):
    programmes = visible_to(request.user, Programme).prefetch_related("types_jalons__reference")
    return [_programme_out(p) for p in programmes]


def _programme_out(p: Programme) -> ProgrammeOut:
    return ProgrammeOut(
        slug=p.slug,
        nom=p.nom,
        description=p.description,
        date_lancement=p.date_lancement,
        date_fin=p.date_fin,
        date_fin_effective=p.date_fin_effective,
        prolongeable=p.prolongeable,
        plafond_population=p.plafond_population,
        types_jalons=[
            TypeJalonOut(
                code=t.code,
                libelle=t.libelle,
                ordre=t.ordre,
                reference=t.reference.code if t.reference_id else None,
                delai_mois=t.delai_mois,
                date_limite=t.date_limite,
                regle=t.regle,
            )
            for t in p.types_jalons.all()
        ],
    )


@router.get("/programmes/{slug}", response=ProgrammeOut, summary="Un programme")
def get_programme(request, slug: str):
    programme = get_object_or_404(
        visible_to(request.user, Programme).prefetch_related("types_jalons__reference"), slug=slug
    )
    return _programme_out(programme)


@router.get("/laureats", response=list[LaureatOut], summary="Lauréats (mêmes filtres que la liste)")
@paginate(LimitOffsetPagination)
def list_laureats(request, filtres: Query[LaureatFiltres]):
    params = {k: v for k, v in filtres.dict().items() if v is not None}
    filterset = LaureatFilter(params, queryset=visible_to(request.user, Laureat).order_by("identifiant"))
    if not filterset.is_valid():
        raise HttpError(422, "; ".join(f"{k} : {' '.join(v)}" for k, v in filterset.errors.items()))
    return _laureats_with_details(filterset.qs)


@router.get("/laureats/{programme}/{identifiant}", response=LaureatOut, summary="Un lauréat")
def get_laureat(request, programme: str, identifiant: str):
    lau = get_object_or_404(
        _laureats_with_details(visible_to(request.user, Laureat)),
        programme__slug=programme,
        identifiant=identifiant,
    )
    return lau


class JalonFiltres(Schema):
    programme: str | None = None
    laureat: str | None = Field(None, description="identifiant du lauréat")
    type: str | None = Field(None, description="code du type de jalon")
    region: str | None = None
    departement: str | None = None
    etat: str | None = Field(None, description="en_retard | proche | realise")


@router.get("/jalons", response=list[JalonOut], summary="Jalons (état calculé : en retard, proche…)")
@paginate(LimitOffsetPagination)
def list_jalons(request, filtres: Query[JalonFiltres]):
    qs = visible_to(request.user, Jalon).select_related("type", "laureat", "laureat__programme")
    f = filtres
    if f.programme:
        qs = qs.filter(laureat__programme__slug=f.programme)
    if f.laureat:
        qs = qs.filter(laureat__identifiant=f.laureat)
    if f.type:
        qs = qs.filter(type__code=f.type)
    if f.region:
        qs = qs.filter(laureat__region_id=f.region)
    if f.departement:
        qs = qs.filter(laureat__departement_id=f.departement)
    if f.etat == "en_retard":
        qs = qs.filter(echeances.overdue_q())
    elif f.etat == "proche":
        qs = qs.filter(echeances.soon_q())
    elif f.etat == "realise":
        qs = qs.filter(date_realisation__isnull=False)
    elif f.etat:
        raise HttpError(422, "etat : en_retard, proche ou realise")
    return qs.order_by("laureat__identifiant", "type__ordre")


@router.patch(
    "/jalons/{jalon_id}",
    response={200: JalonOut, 409: dict},
    auth=api_auth,
    summary="Valider un jalon (délégué territorial) — verrouillage optimiste par « version »",
)
def patch_jalon(request, jalon_id: int, payload: JalonPatch):
    jalon = get_object_or_404(
        visible_to(request.user, Jalon).select_related("type", "laureat", "laureat__programme"), pk=jalon_id
    )
    if not can(request.user, "edit", jalon):
        raise HttpError(403, "Vous n'avez pas les droits nécessaires pour cette action.")
    data = payload.dict(exclude_unset=True)
    for name in ("date_realisation", "document"):
        if name in data:
            setattr(jalon, name, data[name] if data[name] is not None or name != "document" else "")
    jalon.valide_par = request.user
    jalon.valide_le = timezone.now()
    try:
        save_with_version(jalon, payload.version)
    except StaleEditError as exc:
        return Status(409, exc.as_dict())
    echeances.sync_jalons(jalon.laureat)
    jalon.refresh_from_db()
    return Status(200, jalon)
