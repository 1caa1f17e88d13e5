"""API of the territorial referential, mounted at ``/api/v1/territoires/``.

- ``GET communes/recherche?q=…&limit=20``: commune search (name, INSEE code, postal code), ranked;
- ``GET communes?departement=&region=&epci=&page=``: communes, paginated;
- ``GET communes/{code}``: one commune, with its EPCI, département, région and the ceiling;
- ``GET epci``, ``GET epci/{siren}`` (with its member communes);
- ``GET departements``, ``GET departements/{code}``, ``GET regions``, ``GET regions/{code}``.

Lists are paginated (``{"items": [...], "count": n}``, ``page`` from 1). Every queryset comes
through the access policy (``visible_to``); the referential is public reference data.
"""

from django.db.models import Count, Q
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from pvd.comptes.policy import visible_to

from .models import Commune, Departement, Epci, Region
from .services.plafond import population_ceiling, sous_plafond
from .services.search import MAX_LIMIT, search_hits

router = Router(tags=["Territoires"])


# --- Schemas --------------------------------------------------------------------------------
class RegionRef(Schema):
    code: str
    nom: str


class DepartementRef(Schema):
    code: str
    nom: str


class EpciRef(Schema):
    code: str = Field(description="SIREN de l'EPCI")
    nom: str


class CommuneRef(Schema):
    code: str
    nom: str
    population: int | None


class RegionOut(Schema):
    code: str
    nom: str
    zone: str = Field(description="metro, drom ou com")
    chef_lieu: str = Field(description="code INSEE de la commune chef-lieu")
    obsolete: bool


class DepartementOut(Schema):
    code: str
    nom: str
    zone: str
    chef_lieu: str
    region: RegionRef
    obsolete: bool


class DepartementDetail(DepartementOut):
    nombre_communes: int


class EpciOut(Schema):
    code: str = Field(description="SIREN de l'EPCI")
    nom: str
    nature: str = Field(description="CC, CA, CU, METRO, MET69")
    mode_financement: str
    population: int | None = Field(description="population totale (Insee)")
    obsolete: bool


class EpciDetail(EpciOut):
    membres: list[CommuneRef]


class CommuneOut(Schema):
    code: str = Field(description="code INSEE")
    nom: str
    population: int | None = Field(description="population municipale")
    codes_postaux: list[str]
    zone: str
    departement: DepartementRef
    region: RegionRef
    epci: EpciRef | None
    sous_plafond: bool | None = Field(
        description="population sous le plafond du programme (null si population inconnue)"
    )
    obsolete: bool

    @staticmethod
    def resolve_codes_postaux(obj: Commune) -> list[str]:
        return obj.codes_postaux_list

    @staticmethod
    def resolve_sous_plafond(obj: Commune) -> bool | None:
        return sous_plafond(obj.population)


class CodeRattacheOut(Schema):
    code: str
    nature: str
    nom: str
    obsolete: bool


class CommuneDetail(CommuneOut):
    siren: str
    plafond: int = Field(description="plafond de population du programme")
    autres_codes: list[CodeRattacheOut]

    @staticmethod
    def resolve_plafond(obj: Commune) -> int:
        return population_ceiling()

    @staticmethod
    def resolve_autres_codes(obj: Commune) -> list:
        return list(obj.autres_codes.order_by("nature", "code"))


class CommuneHit(CommuneOut):
    rang: int = Field(
        description="0 nom ou code exact, 1 début du nom ou code rattaché, 2 début d'un mot, 3 mots"
    )
    correspondance: str = Field(
        description="ce qui a été trouvé : nom, code INSEE, code postal, code rattaché"
    )


class RechercheOut(Schema):
    q: str
    count: int
    items: list[CommuneHit]


class CommuneFilters(Schema):
    departement: str | None = Field(None, description="code du département")
    region: str | None = Field(None, description="code de la région")
    epci: str | None = Field(None, description="SIREN de l'EPCI")
    actuelles: bool = Field(True, description="seulement les communes actuelles")


class EpciFilters(Schema):
    departement: str | None = Field(None, description="EPCI ayant au moins une commune dans ce département")
    actuels: bool = Field(True, description="seulement les EPCI actuels")


PAGINATION = {"page_size": 50, "max_page_size": 500}


def _get(queryset, code: str, message: str):
    """The record with this code, or a 404 saying what was not found."""
    obj = queryset.filter(code=code).first()
    if obj is None:
        raise HttpError(404, message.format(code=code))
    return obj


def _communes(request):
    return visible_to(request.user, Commune).select_related("departement", "region", "epci")


# --- Communes -------------------------------------------------------------------------------
@router.get("/communes/recherche", response=RechercheOut, summary="Rechercher une commune")
def rechercher_communes(request, q: str, limit: int = Query(20, ge=1, le=MAX_LIMIT)):
    """Par nom, code INSEE ou code postal, sans tenir compte de la casse, des accents, des tirets
    ni de « Saint »/« St »/« Ste ». Classement : exact, début du nom, début d'un mot, autres ; à
    rang égal, les communes les plus peuplées d'abord. Seules les communes actuelles sont
    renvoyées."""
    hits = search_hits(q, limit=limit, queryset=_communes(request))
    items = []
    for hit in hits:
        hit.commune.rang = hit.rank
        hit.commune.correspondance = hit.match
        items.append(hit.commune)
    return {"q": q, "count": len(items), "items": items}


@router.get("/communes", response=list[CommuneOut], summary="Lister les communes")
@paginate(PageNumberPagination, **PAGINATION)
def lister_communes(request, filters: Query[CommuneFilters]):
    qs = _communes(request)
    if filters.actuelles:
        qs = qs.filter(obsolete=False)
    if filters.departement:
        qs = qs.filter(departement_id=filters.departement.upper())
    if filters.region:
        qs = qs.filter(region_id=filters.region)
    if filters.epci:
        qs = qs.filter(epci_id=filters.epci)
    return qs.order_by("code")


@router.get("/communes/{code}", response=CommuneDetail, summary="Une commune")
def commune(request, code: str):
    return _get(_communes(request), code.upper(), "Aucune commune n'a le code INSEE « {code} ».")


# --- EPCI -----------------------------------------------------------------------------------
@router.get("/epci", response=list[EpciOut], summary="Lister les EPCI à fiscalité propre")
@paginate(PageNumberPagination, **PAGINATION)
def lister_epci(request, filters: Query[EpciFilters]):
    qs = visible_to(request.user, Epci)
    if filters.actuels:
        qs = qs.filter(obsolete=False)
    if filters.departement:
        departement = filters.departement.upper()
        qs = qs.filter(pk__in=Commune.objects.filter(departement_id=departement).values("epci_id"))
    return qs.order_by("code")


@router.get("/epci/{code}", response=EpciDetail, summary="Un EPCI et ses communes membres")
def epci(request, code: str):
    obj = _get(visible_to(request.user, Epci), code, "Aucun EPCI n'a le SIREN « {code} ».")
    obj.membres = list(
        visible_to(request.user, Commune)
        .filter(epci=obj, obsolete=False)
        .only("code", "nom", "population")
        .order_by("nom_normalise", "code")
    )
    return obj


# --- Départements and régions ---------------------------------------------------------------
@router.get("/departements", response=list[DepartementOut], summary="Lister les départements")
@paginate(PageNumberPagination, **PAGINATION)
def lister_departements(request, region: str | None = None):
    qs = visible_to(request.user, Departement).select_related("region").filter(obsolete=False)
    if region:
        qs = qs.filter(region_id=region)
    return qs.order_by("code")


@router.get("/departements/{code}", response=DepartementDetail, summary="Un département")
def departement(request, code: str):
    qs = (
        visible_to(request.user, Departement)
        .select_related("region")
        .annotate(nombre_communes=Count("communes", filter=Q(communes__obsolete=False)))
    )
    return _get(qs, code.upper(), "Aucun département n'a le code « {code} ».")


@router.get("/regions", response=list[RegionOut], summary="Lister les régions")
@paginate(PageNumberPagination, **PAGINATION)
def lister_regions(request):
    return visible_to(request.user, Region).filter(obsolete=False).order_by("code")


@router.get("/regions/{code}", response=RegionOut, summary="Une région")
def region(request, code: str):
    return _get(visible_to(request.user, Region), code, "Aucune région n'a le code « {code} ».")
