"""API of ingénierie (/api/v1/ingenierie/): posts, co-financing requests, envelopes, simulator.

Same policy as the pages: lists are ``visible_to`` the caller, actions ``require`` the right
(403 otherwise), a refused workflow step answers 400 with the reason, a stale edit 409 with what
changed meanwhile. Writes use the session (with CSRF) — API tokens plug in the same way.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from pvd.comptes.api_auth import api_auth
from pvd.comptes.policy import require, visible_to
from pvd.core.locking import StaleEditError, save_with_version

from .filters import CofinancementFilter, EnveloppeFilter, PosteFilter, annee_courante
from .models import Cofinancement, Enveloppe, PosteChefDeProjet
from .services import tableaux, workflow
from .services.calcul import cofinancements_annuels, simuler
from .services.cofinancement import ErreurCalcul, Resultat

router = Router(tags=["Ingénierie"])


class Erreur(Schema):
    detail: str


class LimiteOut(Schema):
    code: str
    libelle: str
    valeur: Decimal
    montant: Decimal


class PartOut(Schema):
    laureat_id: int
    laureat: str
    identifiant: str
    departement: str
    part: Decimal
    etat: Decimal
    anah: Decimal
    bdt: Decimal


class AideOut(Schema):
    annee: int
    jours: int
    jours_annee: int
    etat: Decimal
    anah: Decimal
    bdt: Decimal
    total: Decimal
    limites: list[LimiteOut]


class PosteOut(Schema):
    id: int
    version: int
    intitule: str
    programme: str
    employeur_type: str
    employeur_code: str
    employeur_nom: str
    etat: str
    etat_depuis: dt.date
    titulaire_nom: str
    titulaire_email: str
    date_prise_poste: dt.date | None
    type_contrat: str
    date_fin_contrat: dt.date | None
    cout_annuel: Decimal
    parts: list[PartOut]
    aide: AideOut


class PosteListe(Schema):
    count: int
    annee: int
    items: list[PosteOut]


class PostePatch(Schema):
    version: int = Field(..., description="Version lue ; une version périmée est refusée (409).")
    intitule: str | None = None
    cout_annuel: Decimal | None = Field(None, ge=0)
    titulaire_nom: str | None = None
    titulaire_email: str | None = None
    date_prise_poste: dt.date | None = None
    type_contrat: str | None = None
    date_fin_contrat: dt.date | None = None


class DemandeOut(Schema):
    id: int
    version: int
    poste_id: int
    annee: int
    departement: str
    region: str
    etat: str
    depose_le: dt.date
    cout_annuel: Decimal
    periode_debut: dt.date
    periode_fin: dt.date
    avec_anah: bool
    avec_bdt: bool
    montant_etat: Decimal
    montant_anah: Decimal
    montant_bdt: Decimal
    montant_total: Decimal
    limites: list[dict]
    instruit_le: dt.date | None
    accorde_le: dt.date | None
    arrete_reference: str
    montant_accorde: Decimal | None
    montant_verse: Decimal
    refuse_le: dt.date | None
    motif_refus: str


class DemandeIn(Schema):
    poste_id: int
    annee: int
    periode_debut: dt.date | None = None
    periode_fin: dt.date | None = None
    avec_bdt: bool = True
    avec_anah: bool | None = Field(None, description="Vide : selon les opérations Anah des territoires")


class InstructionIn(Schema):
    version: int
    avis: str = ""
    date: dt.date | None = None


class AccordIn(Schema):
    version: int
    arrete_reference: str
    montant: Decimal | None = None
    date: dt.date | None = None
    motif_depassement: str = ""


class RefusIn(Schema):
    version: int
    motif: str
    date: dt.date | None = None


class VersementIn(Schema):
    montant: Decimal
    date: dt.date | None = None
    libelle: str = ""


class EnveloppeOut(Schema):
    id: int
    version: int
    programme: str
    region: str
    region_nom: str
    annee: int
    montant: Decimal
    engage: Decimal
    verse: Decimal
    reste: Decimal


class DepartementOut(Schema):
    departement: str
    nom: str
    alloue: Decimal | None
    engage: Decimal
    verse: Decimal
    reste: Decimal | None
    a_instruire: int
    accordees: int


class EnveloppeDetail(EnveloppeOut):
    departements: list[DepartementOut]


class SimulationIn(Schema):
    cout_annuel: Decimal = Field(..., ge=0, description="Coût annuel chargé du poste (€)")
    annee: int = Field(..., ge=2020, le=2100)
    debut: dt.date | None = Field(None, description="Poste pourvu à partir de (vide : 1er janvier)")
    fin: dt.date | None = Field(None, description="jusqu'au (vide : 31 décembre)")
    avec_anah: bool = False
    avec_bdt: bool = True
    parts: list[Decimal] = Field(default_factory=list, description="Parts d'un poste partagé (somme 1)")
    programme: str = "pvd"


class SimulationOut(Schema):
    jours: int
    jours_annee: int
    etat: Decimal
    anah: Decimal
    bdt: Decimal
    total: Decimal
    limites: list[LimiteOut]
    parts: list[dict]


# ---------------------------------------------------------------- helpers
def _aide(r: Resultat, annee: int) -> dict:
    return {
        "annee": annee,
        "jours": r.jours,
        "jours_annee": r.jours_annee,
        "etat": r.etat,
        "anah": r.anah,
        "bdt": r.bdt,
        "total": r.total,
        "limites": [lim.as_dict() for lim in r.limites],
    }


def _poste(poste: PosteChefDeProjet, r: Resultat, annee: int) -> dict:
    employeur = poste.employeur
    return {
        "id": poste.pk,
        "version": poste.version,
        "intitule": poste.intitule,
        "programme": poste.programme.slug,
        "employeur_type": "commune" if poste.employeur_commune_id else "epci",
        "employeur_code": employeur.pk,
        "employeur_nom": employeur.nom,
        "etat": poste.etat,
        "etat_depuis": poste.etat_depuis,
        "titulaire_nom": poste.titulaire_nom,
        "titulaire_email": poste.titulaire_email,
        "date_prise_poste": poste.date_prise_poste,
        "type_contrat": poste.type_contrat,
        "date_fin_contrat": poste.date_fin_contrat,
        "cout_annuel": poste.cout_annuel,
        "parts": [
            {
                "laureat_id": p.laureat_id,
                "laureat": p.laureat.nom,
                "identifiant": p.laureat.identifiant,
                "departement": p.laureat.departement_id,
                "part": p.part,
                **r.parts.get(p.laureat_id, {"etat": 0, "anah": 0, "bdt": 0}),
            }
            for p in poste.parts_list()
        ],
        "aide": _aide(r, annee),
    }


def _demande(cof: Cofinancement) -> dict:
    return {
        **{
            name: getattr(cof, name)
            for name in (
                "version",
                "poste_id",
                "annee",
                "etat",
                "depose_le",
                "cout_annuel",
                "periode_debut",
                "periode_fin",
                "avec_anah",
                "avec_bdt",
                "montant_etat",
                "montant_anah",
                "montant_bdt",
                "montant_total",
                "limites",
                "instruit_le",
                "accorde_le",
                "arrete_reference",
                "montant_accorde",
                "refuse_le",
                "motif_refus",
            )
        },
        "id": cof.pk,
        "departement": cof.departement_id,
        "region": cof.region_id,
        "montant_verse": cof.total_verse(),
    }


def _action(fn):
    """Run a workflow step: 403 outside the policy, 400 when refused, 409 on a stale version."""
    try:
        with transaction.atomic():
            return Status(200, fn())
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "Accès refusé.") from exc
    except StaleEditError as exc:
        return Status(409, exc.as_dict())
    except ValidationError as exc:
        return Status(400, {"detail": " ".join(exc.messages)})


def _demande_visible(request, pk: int) -> Cofinancement:
    return get_object_or_404(visible_to(request.user, Cofinancement), pk=pk)


# ---------------------------------------------------------------- posts
class PosteFiltres(Schema):
    region: str | None = None
    departement: str | None = None
    laureat: int | None = None
    etat: str | None = None
    vacant: bool | None = None
    sans_cofinancement: bool | None = None
    fin_contrat: bool | None = None
    annee: int | None = None
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0)


@router.get(
    "/postes", response=PosteListe, summary="Postes de chef de projet visibles, avec l'aide de l'année"
)
def liste_postes(request, filtres: Query[PosteFiltres]):
    qs = visible_to(request.user, PosteChefDeProjet)
    if filtres.laureat:
        qs = qs.filter(laureats=filtres.laureat).distinct()
    data = {k: v for k, v in filtres.dict().items() if v is not None and k in PosteFilter.base_filters}
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    filtre = PosteFilter(data, queryset=qs)
    if not filtre.is_valid():
        raise HttpError(400, f"Filtres invalides : {dict(filtre.errors)}")
    annee = filtres.annee or annee_courante()
    total = filtre.qs.count()
    postes = list(filtre.qs.order_by("pk").avec_parts()[filtres.offset : filtres.offset + filtres.limit])
    resultats = cofinancements_annuels(postes, annee)
    return {"count": total, "annee": annee, "items": [_poste(p, resultats[p.pk], annee) for p in postes]}


@router.get("/postes/{pk}", response=PosteOut)
def detail_poste(request, pk: int, annee: int | None = None):
    poste = get_object_or_404(visible_to(request.user, PosteChefDeProjet).avec_parts(), pk=pk)
    annee = annee or annee_courante()
    return _poste(poste, cofinancements_annuels([poste], annee)[poste.pk], annee)


@router.patch("/postes/{pk}", response={200: PosteOut, 400: Erreur, 409: dict}, auth=api_auth)
def modifier_poste(request, pk: int, payload: PostePatch):
    poste = get_object_or_404(visible_to(request.user, PosteChefDeProjet).avec_parts(), pk=pk)

    def do():
        require(request.user, "edit", poste)
        for name, value in payload.dict(exclude_unset=True).items():
            if name != "version":
                setattr(
                    poste,
                    name,
                    value
                    if value is not None
                    else ("" if name in ("titulaire_nom", "titulaire_email", "type_contrat") else None),
                )
        poste.full_clean(exclude=["laureats"])
        save_with_version(poste, payload.version)
        annee = annee_courante()
        return _poste(poste, cofinancements_annuels([poste], annee)[poste.pk], annee)

    return _action(do)


# ---------------------------------------------------------------- requests
class DemandeFiltres(Schema):
    annee: int | None = None
    etat: str | None = None
    region: str | None = None
    departement: str | None = None
    a_instruire: bool = False
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0)


@router.get("/demandes", response=list[DemandeOut], summary="Demandes de cofinancement visibles")
def liste_demandes(request, filtres: Query[DemandeFiltres]):
    qs = visible_to(request.user, Cofinancement, "edit" if filtres.a_instruire else "view")
    if filtres.a_instruire:
        qs = qs.a_instruire()
    data = {
        k: v for k, v in filtres.dict().items() if v is not None and k in CofinancementFilter.base_filters
    }
    filtre = CofinancementFilter(data, queryset=qs)
    if not filtre.is_valid():
        raise HttpError(400, f"Filtres invalides : {dict(filtre.errors)}")
    qs = tableaux.demandes_avec_verse(filtre.qs).order_by("-annee", "pk")
    return [_demande(c) for c in qs[filtres.offset : filtres.offset + filtres.limit]]


@router.get("/demandes/{pk}", response=DemandeOut)
def detail_demande(request, pk: int):
    return _demande(_demande_visible(request, pk))


@router.post("/demandes", response={200: DemandeOut, 400: Erreur, 409: dict}, auth=api_auth)
def deposer_demande(request, payload: DemandeIn):
    poste = get_object_or_404(visible_to(request.user, PosteChefDeProjet).avec_parts(), pk=payload.poste_id)
    periode = (
        (payload.periode_debut, payload.periode_fin)
        if payload.periode_debut and payload.periode_fin
        else None
    )
    return _action(
        lambda: _demande(
            workflow.deposer(
                poste,
                payload.annee,
                request.user,
                avec_bdt=payload.avec_bdt,
                avec_anah=payload.avec_anah,
                periode=periode,
            )
        )
    )


@router.post("/demandes/{pk}/instruire", response={200: DemandeOut, 400: Erreur, 409: dict}, auth=api_auth)
def instruire_demande(request, pk: int, payload: InstructionIn):
    cof = _demande_visible(request, pk)
    return _action(
        lambda: _demande(
            workflow.instruire(
                cof, request.user, avis=payload.avis, date=payload.date, expected_version=payload.version
            )
        )
    )


@router.post("/demandes/{pk}/accorder", response={200: DemandeOut, 400: Erreur, 409: dict}, auth=api_auth)
def accorder_demande(request, pk: int, payload: AccordIn):
    cof = _demande_visible(request, pk)
    return _action(
        lambda: _demande(
            workflow.accorder(
                cof,
                request.user,
                arrete_reference=payload.arrete_reference,
                montant=payload.montant,
                date=payload.date,
                motif_depassement=payload.motif_depassement,
                expected_version=payload.version,
            )
        )
    )


@router.post("/demandes/{pk}/refuser", response={200: DemandeOut, 400: Erreur, 409: dict}, auth=api_auth)
def refuser_demande(request, pk: int, payload: RefusIn):
    cof = _demande_visible(request, pk)
    return _action(
        lambda: _demande(
            workflow.refuser(
                cof, request.user, motif=payload.motif, date=payload.date, expected_version=payload.version
            )
        )
    )


@router.post("/demandes/{pk}/versements", response={200: DemandeOut, 400: Erreur, 409: dict}, auth=api_auth)
def verser_demande(request, pk: int, payload: VersementIn):
    cof = _demande_visible(request, pk)

    def do():
        workflow.verser(
            cof, request.user, montant=payload.montant, date=payload.date, libelle=payload.libelle
        )
        return _demande(Cofinancement.objects.get(pk=cof.pk))

    return _action(do)


# ---------------------------------------------------------------- envelopes
class EnveloppeFiltres(Schema):
    annee: int | None = None
    region: str | None = None


def _enveloppe(e: Enveloppe) -> dict:
    return {
        "id": e.pk,
        "version": e.version,
        "programme": e.programme.slug,
        "region": e.region_id,
        "region_nom": e.region.nom,
        "annee": e.annee,
        "montant": e.montant,
        "engage": e.engage,
        "verse": e.verse,
        "reste": e.montant - e.engage,
    }


@router.get("/enveloppes", response=list[EnveloppeOut], summary="Enveloppes régionales et leur consommation")
def liste_enveloppes(request, filtres: Query[EnveloppeFiltres]):
    qs = visible_to(request.user, Enveloppe).select_related("programme", "region")
    filtre = EnveloppeFilter({k: v for k, v in filtres.dict().items() if v is not None}, queryset=qs)
    if not filtre.is_valid():
        raise HttpError(400, f"Filtres invalides : {dict(filtre.errors)}")
    return [_enveloppe(e) for e in filtre.qs.avec_consommation().order_by("-annee", "region_id")]


@router.get("/enveloppes/{pk}", response=EnveloppeDetail)
def detail_enveloppe(request, pk: int):
    env = get_object_or_404(
        visible_to(request.user, Enveloppe).select_related("programme", "region").avec_consommation(), pk=pk
    )
    return {
        **_enveloppe(env),
        "departements": [
            {
                "departement": ligne["departement"].code,
                "nom": ligne["departement"].nom,
                **{k: ligne[k] for k in ("alloue", "engage", "verse", "reste", "a_instruire", "accordees")},
            }
            for ligne in tableaux.consommation_par_departement(env)
        ],
    }


# ---------------------------------------------------------------- simulator (public)
@router.post(
    "/simuler", response={200: SimulationOut, 400: Erreur}, summary="Simuler le cofinancement d'un poste"
)
def simuler_cofinancement(request, payload: SimulationIn):
    """Computes the co-financing from the programme's published rules; no data is read or written."""
    try:
        r = simuler(
            payload.cout_annuel,
            payload.annee,
            debut=payload.debut,
            fin=payload.fin,
            avec_anah=payload.avec_anah,
            avec_bdt=payload.avec_bdt,
            parts=payload.parts,
            programme=payload.programme,
        )
    except ErreurCalcul as exc:
        return Status(400, {"detail": str(exc)})
    return Status(
        200,
        {
            **_aide(r, payload.annee),
            "parts": [{"territoire": k, **v, "total": sum(v.values())} for k, v in r.parts.items()],
        },
    )
