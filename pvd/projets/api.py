"""API of projets, fiches actions, financing lines and aggregates (/api/v1/projets/…).

Same policy as the pages (``visible_to`` / ``can``); writes need an authenticated user and carry
the ``version`` they were based on: a stale one answers 409 with what changed meanwhile.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from pvd.comptes.api_auth import api_auth
from pvd.comptes.policy import can, visible_to
from pvd.core.locking import StaleEditError, save_with_version

from .filters import FicheActionFilter
from .models import Dispositif, FicheAction, Financement, Financeur, ParametresFinancement, ProjetDeTerritoire
from .rules import TransitionRefusee, verifier_transition_financement
from .services.agregats import NIVEAUX, calculer_agregats
from .services.fiches import changer_statut
from .services.financement import plan_de

router = Router(tags=["projets"])


def _require(request, action: str, obj, parent=None) -> None:
    if not can(request.user, action, obj, parent=parent):
        raise HttpError(403, "Vous n'avez pas les droits nécessaires pour cette action.")


def _conflict(exc: StaleEditError):
    return Status(409, exc.as_dict())


# --- Schemas --------------------------------------------------------------------------------
class AxeOut(Schema):
    id: int
    ordre: int
    titre: str


class ProjetOut(Schema):
    id: int
    laureat_id: int
    laureat_identifiant: str = Field(alias="laureat.identifiant")
    laureat_nom: str = Field(alias="laureat.nom")
    titre: str
    resume: str
    reference_convention: str
    date_convention: dt.date | None
    version: int


class ProjetDetailOut(ProjetOut):
    axes: list[AxeOut]
    perimetre: list[str]

    @staticmethod
    def resolve_perimetre(obj) -> list[str]:
        return [c.code for c in obj.perimetre.all()]


class FicheOut(Schema):
    id: int
    projet_id: int
    laureat_identifiant: str = Field(alias="projet.laureat.identifiant")
    numero: str
    titre: str
    axe_id: int | None
    themes: list[str]
    statut: str
    en_retard: bool
    maitre_ouvrage_type: str
    maitre_ouvrage_nom: str
    pilote_id: int | None
    commune_id: str | None
    date_debut_prevue: dt.date | None
    date_fin_prevue: dt.date | None
    date_debut_reelle: dt.date | None
    date_fin_reelle: dt.date | None
    version: int

    @staticmethod
    def resolve_themes(obj) -> list[str]:
        return [t.slug for t in obj.themes.all()]


class PlanOut(Schema):
    cout: Decimal
    finance: Decimal
    acquis: Decimal
    aides_publiques: Decimal
    reste_a_financer: Decimal
    autofinancement: Decimal
    taux_financement: Decimal | None
    taux_aides_publiques: Decimal | None
    plafond_aides_publiques: Decimal
    alertes: list[str]


class FinancementOut(Schema):
    id: int
    fiche_id: int
    financeur: str = Field(alias="financeur.slug")
    dispositif: str | None = Field(None, alias="dispositif.slug")
    montant: Decimal
    statut: str
    annee: int | None
    date_demande: dt.date | None
    date_decision: dt.date | None
    date_versement: dt.date | None
    version: int


class FicheDetailOut(FicheOut):
    description: str
    financements: list[FinancementOut]
    plan: PlanOut


class FichePatch(Schema):
    version: int
    titre: str | None = None
    description: str | None = None
    maitre_ouvrage_nom: str | None = None
    date_debut_prevue: dt.date | None = None
    date_fin_prevue: dt.date | None = None
    date_debut_reelle: dt.date | None = None
    date_fin_reelle: dt.date | None = None


class StatutIn(Schema):
    vers: str
    version: int
    commentaire: str = ""


class FinancementIn(Schema):
    financeur: str
    dispositif: str | None = None
    montant: Decimal = Field(..., ge=0, max_digits=14, decimal_places=2)
    statut: str = "prevu"
    annee: int | None = Field(None, ge=2000, le=2100)
    date_demande: dt.date | None = None
    date_decision: dt.date | None = None
    date_versement: dt.date | None = None


class FinancementPatch(Schema):
    version: int
    montant: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    statut: str | None = None
    annee: int | None = Field(None, ge=2000, le=2100)
    date_demande: dt.date | None = None
    date_decision: dt.date | None = None
    date_versement: dt.date | None = None


class Error(Schema):
    detail: str


class Conflict(Schema):
    detail: str
    expected_version: int
    current_version: int | None
    changed_by: str
    changes: list[dict]


class FicheFilters(Schema):
    q: str | None = None
    region: str | None = None
    departement: str | None = None
    laureat: str | None = None
    theme: int | None = None
    statut: str | None = None
    financeur: int | None = None
    dispositif: int | None = None
    annee: int | None = None
    en_retard: bool | None = None


# --- Projects -------------------------------------------------------------------------------
@router.get("/projets", response=list[ProjetOut])
@paginate(PageNumberPagination, page_size=50)
def list_projets(request):
    return (
        visible_to(request.user, ProjetDeTerritoire)
        .select_related("laureat")
        .order_by("laureat__identifiant")
    )


@router.get("/projets/{laureat_id}", response=ProjetDetailOut)
def get_projet(request, laureat_id: int):
    projet = get_object_or_404(ProjetDeTerritoire.objects.select_related("laureat"), laureat_id=laureat_id)
    _require(request, "view", projet)
    return projet


# --- Actions --------------------------------------------------------------------------------
def _fiche(request, pk: int, action: str = "view") -> FicheAction:
    fiche = get_object_or_404(FicheAction.objects.select_related("projet__laureat"), pk=pk)
    _require(request, action, fiche)
    return fiche


@router.get("/fiches", response=list[FicheOut])
@paginate(PageNumberPagination, page_size=50)
def list_fiches(request, filters: Query[FicheFilters]):
    data = {k: v for k, v in filters.dict().items() if v is not None}
    if "en_retard" in data:
        data["en_retard"] = "true" if data["en_retard"] else "false"
    filterset = FicheActionFilter(data, queryset=visible_to(request.user, FicheAction))
    if not filterset.is_valid():
        raise HttpError(
            400,
            "Filtres invalides : " + "; ".join(f"{k} : {' '.join(v)}" for k, v in filterset.errors.items()),
        )
    return (
        filterset.qs.select_related("projet__laureat")
        .prefetch_related("themes")
        .order_by("projet_id", "numero")
    )


def _detail(fiche: FicheAction) -> FicheAction:
    fiche = (
        FicheAction.objects.select_related("projet__laureat")
        .prefetch_related("themes", "couts", "financements__financeur", "financements__dispositif")
        .get(pk=fiche.pk)
    )
    fiche.plan = plan_de(fiche, ParametresFinancement.plafond_for(fiche.projet.laureat.programme_id))
    return fiche


@router.get("/fiches/{pk}", response=FicheDetailOut)
def get_fiche(request, pk: int):
    return _detail(_fiche(request, pk))


@router.patch("/fiches/{pk}", response={200: FicheDetailOut, 400: Error, 409: Conflict}, auth=api_auth)
def patch_fiche(request, pk: int, payload: FichePatch):
    fiche = _fiche(request, pk, "edit")
    for name, value in payload.dict(exclude_unset=True).items():
        if name != "version":
            setattr(fiche, name, value)
    for start, end in (("date_debut_prevue", "date_fin_prevue"), ("date_debut_reelle", "date_fin_reelle")):
        a, b = getattr(fiche, start), getattr(fiche, end)
        if a and b and b < a:
            return Status(400, {"detail": f"{end} précède {start}."})
    if not fiche.titre:
        return Status(400, {"detail": "Le titre est obligatoire."})
    fiche._history_user = request.user
    try:
        save_with_version(fiche, payload.version)
    except StaleEditError as exc:
        return _conflict(exc)
    return Status(200, _detail(fiche))


@router.post("/fiches/{pk}/statut", response={200: FicheDetailOut, 400: Error, 409: Conflict}, auth=api_auth)
def post_statut(request, pk: int, payload: StatutIn):
    fiche = _fiche(request, pk, "edit")
    try:
        changer_statut(
            fiche,
            payload.vers,
            request.user,
            commentaire=payload.commentaire,
            expected_version=payload.version,
        )
    except TransitionRefusee as exc:
        return Status(400, {"detail": str(exc)})
    except StaleEditError as exc:
        return _conflict(exc)
    return Status(200, _detail(fiche))


# --- Financing lines ------------------------------------------------------------------------
@router.get("/financements", response=list[FinancementOut])
@paginate(PageNumberPagination, page_size=100)
def list_financements(
    request, fiche: int | None = None, financeur: str | None = None, statut: str | None = None
):
    qs = (
        visible_to(request.user, Financement)
        .select_related("financeur", "dispositif")
        .order_by("fiche_id", "id")
    )
    if fiche is not None:
        qs = qs.filter(fiche_id=fiche)
    if financeur:
        qs = qs.filter(financeur__slug=financeur)
    if statut:
        qs = qs.filter(statut=statut)
    return qs


def _ref(model, slug: str | None, label: str):
    if slug is None:
        return None
    obj = model.objects.filter(slug=slug).first()
    if obj is None:
        raise HttpError(400, f"{label} inconnu : « {slug} ».")
    return obj


@router.post("/fiches/{pk}/financements", response={201: FinancementOut, 400: Error}, auth=api_auth)
def post_financement(request, pk: int, payload: FinancementIn):
    fiche = _fiche(request, pk)
    _require(request, "create", Financement, parent=fiche)
    financeur = _ref(Financeur, payload.financeur, "Financeur")
    dispositif = _ref(Dispositif, payload.dispositif, "Dispositif")
    if dispositif and dispositif.financeur_id and dispositif.financeur_id != financeur.pk:
        return Status(
            400,
            {"detail": f"Le dispositif {dispositif} relève de {dispositif.financeur}, pas de {financeur}."},
        )
    if payload.statut not in dict(Financement._meta.get_field("statut").choices):
        return Status(400, {"detail": f"Statut inconnu : « {payload.statut} »."})
    data = payload.dict(exclude={"financeur", "dispositif"})
    line = Financement(fiche=fiche, financeur=financeur, dispositif=dispositif, **data)
    line._history_user = request.user
    line.save()
    return Status(201, line)


@router.patch("/financements/{pk}", response={200: FinancementOut, 400: Error, 409: Conflict}, auth=api_auth)
def patch_financement(request, pk: int, payload: FinancementPatch):
    line = get_object_or_404(Financement.objects.select_related("financeur", "dispositif"), pk=pk)
    _require(request, "edit", line)
    old_statut = line.statut
    for name, value in payload.dict(exclude_unset=True).items():
        if name != "version":
            setattr(line, name, value)
    try:
        verifier_transition_financement(old_statut, line.statut)
    except TransitionRefusee as exc:
        return Status(400, {"detail": str(exc)})
    line._history_user = request.user
    try:
        with transaction.atomic():
            save_with_version(line, payload.version)
    except StaleEditError as exc:
        return _conflict(exc)
    return Status(200, line)


# --- Aggregates (public: aggregated figures only) -------------------------------------------
class AgregatsOut(Schema):
    niveau: str
    code: str | None
    nb_fiches: int
    nb_projets: int
    nb_en_retard: int
    cout_ht: Decimal
    finance: Decimal
    acquis: Decimal
    taux_financement: Decimal | None
    taux_realisation: Decimal | None
    par_statut: list[dict]
    par_theme: list[dict]
    par_financeur: list[dict]


@router.get("/agregats", response={200: AgregatsOut, 400: Error}, auth=None)
def get_agregats(request, niveau: str = "national", code: str | None = None):
    if niveau not in NIVEAUX:
        return Status(400, {"detail": f"Niveau inconnu : « {niveau} » ({', '.join(NIVEAUX)})."})
    if niveau != "national" and not code:
        return Status(400, {"detail": f"Le niveau {niveau} demande un code."})
    return Status(200, {"niveau": niveau, "code": code, **calculer_agregats(niveau, code).as_dict()})
