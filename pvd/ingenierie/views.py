"""Pages of ingénierie: posts, co-financing requests, envelopes. Thin views: the policy decides
what a user sees and may do (``visible_to`` / ``require``), the services hold the rules."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from pvd.comptes.policy import can, require, visible_to
from pvd.core.exports import FORMATS, export_response
from pvd.core.locking import StaleEditError, save_with_version
from pvd.programmes.models import Laureat
from pvd.territoires.models import Departement, Region

from . import forms as f
from .filters import CofinancementFilter, EnveloppeFilter, PosteFilter, annee_courante
from .models import (
    Cofinancement,
    DerogationEnveloppe,
    Enveloppe,
    OperationHabitat,
    PosteChefDeProjet,
)
from .services import tableaux, workflow
from .services.calcul import laureats_avec_operation, parametres_programme, regles_affichees, simuler
from .services.cofinancement import ErreurCalcul
from .services.workflow import TransitionRefusee


def _annee(request) -> int:
    try:
        return int(request.GET.get("annee") or annee_courante())
    except ValueError:
        return annee_courante()


def _export_format(request) -> str | None:
    fmt = request.GET.get("format")
    return fmt if fmt in FORMATS else None


def _url_of(obj) -> str | None:
    """The page of a record of another app, when that app exposes one."""
    try:
        return obj.get_absolute_url()
    except NoReverseMatch:
        return None


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# ---------------------------------------------------------------- posts
@login_required
def postes(request, region=None, departement=None, laureat=None):
    """Posts of the nation, a région, a département or a laureate — filtered, paginated, exportable."""
    fmt = _export_format(request)
    qs = visible_to(request.user, PosteChefDeProjet, "export" if fmt else "view")
    titre, contexte = "Postes de chef de projet", {}
    if region:
        contexte["region"] = get_object_or_404(Region, pk=region)
        qs, titre = (
            qs.filter(laureats__region=region).distinct(),
            f"Postes de chef de projet — {contexte['region'].nom}",
        )
    if departement:
        contexte["departement"] = get_object_or_404(Departement, pk=departement)
        qs = qs.filter(laureats__departement=departement).distinct()
        titre = f"Postes de chef de projet — {contexte['departement'].nom}"
    if laureat:
        contexte["laureat"] = lau = get_object_or_404(visible_to(request.user, Laureat), pk=laureat)
        qs, titre = qs.filter(laureats=lau).distinct(), f"Postes de chef de projet — {lau.nom}"
        contexte["laureat_url"] = _url_of(lau)
        contexte["operations"] = visible_to(request.user, OperationHabitat).filter(laureat=lau)
        contexte["peut_creer"] = can(request.user, "create", PosteChefDeProjet, parent=lau)
        contexte["peut_ajouter_operation"] = can(request.user, "create", OperationHabitat, parent=lau)
    filtre = PosteFilter(request.GET or None, queryset=qs)
    annee = _annee(request)
    postes_qs = filtre.qs.order_by("pk")
    if fmt:
        rows = tableaux.export_postes(list(postes_qs.avec_parts()), annee)
        return export_response(tableaux.POSTE_HEADERS, rows, "postes-chef-de-projet", fmt)
    page = Paginator(postes_qs, 50).get_page(request.GET.get("page"))
    lignes = tableaux.lignes_postes(list(page.object_list.avec_parts()), annee)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "ingenierie/postes.html",
        {
            "title": titre,
            "filtre": filtre,
            "page": page,
            "lignes": lignes,
            "annee": annee,
            "query": query.urlencode(),
            "peut_creer_poste": can(request.user, "create", PosteChefDeProjet),
            **contexte,
        },
    )


@login_required
def poste(request, pk):
    poste = get_object_or_404(visible_to(request.user, PosteChefDeProjet).avec_parts(), pk=pk)
    annee = _annee(request)
    laureat_ids = [p.laureat_id for p in poste.parts_list()]
    peut_modifier = can(request.user, "edit", poste)
    resultat = tableaux.lignes_postes([poste], annee)[0][1]
    return render(
        request,
        "ingenierie/poste.html",
        {
            "title": str(poste),
            "poste": poste,
            "annee": annee,
            "resultat": resultat,
            "parts_resultat": [(p, resultat.parts.get(p.laureat_id, {})) for p in poste.parts_list()],
            "avec_operation": bool(laureats_avec_operation(laureat_ids, annee)),
            "demandes": visible_to(request.user, poste.cofinancements.all()).avec_verse(),
            "demande_annee": poste.cofinancements.filter(annee=annee)
            .exclude(etat=Cofinancement.Etat.REFUSEE)
            .exists(),
            "transitions": poste.transitions.select_related("par"),
            "peut_modifier": peut_modifier,
            "peut_deposer": can(request.user, "create", Cofinancement, parent=poste),
            "transition_form": f.TransitionPosteForm(poste=poste) if peut_modifier else None,
        },
    )


def _parts_initial(poste):
    return [{"laureat": p.laureat, "part": p.part} for p in poste.parts_list()]


@login_required
def poste_editer(request, pk=None):
    """Create a post (serving the laureate ``?laureat=``) or edit one, with its territories' shares."""
    laureats = f.laureats_modifiables(request.user)
    if pk:
        poste = get_object_or_404(visible_to(request.user, PosteChefDeProjet).avec_parts(), pk=pk)
        require(request.user, "edit", poste)
        laureats = (
            laureats | Laureat.objects.filter(pk__in=[p.laureat_id for p in poste.parts_list()])
        ).distinct()
        initial_parts = _parts_initial(poste)
    else:
        if not can(request.user, "create", PosteChefDeProjet):
            raise PermissionDenied("Vous ne pouvez pas créer de poste.")
        poste = PosteChefDeProjet()
        initial_parts = []
        if request.GET.get("laureat"):
            lau = get_object_or_404(laureats, pk=request.GET["laureat"])
            initial_parts = [{"laureat": lau, "part": Decimal("1")}]
    served = [p["laureat"] for p in initial_parts]
    data = request.POST if request.method == "POST" else None
    parts_fs = f.PartFormSet(data, initial=initial_parts, prefix="parts", form_kwargs={"laureats": laureats})
    if data is not None and parts_fs.is_valid():
        served = [lau for lau, _ in parts_fs.parts()]
    form = f.PosteForm(data, instance=poste, laureats=served)
    if data is not None and form.is_valid() and parts_fs.is_valid():
        try:
            with transaction.atomic():
                if pk:
                    saved = form.save()
                    if saved is not None:
                        workflow.definir_parts(saved, parts_fs.parts())
                else:
                    instance = form.save(commit=False)
                    instance.programme = parts_fs.parts()[0][0].programme
                    saved = workflow.creer_poste(request.user, instance, parts_fs.parts())
        except StaleEditError as exc:
            form.add_error(None, str(exc))
            saved = None
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
            saved = None
        if saved is not None:
            messages.success(request, "Le poste a été enregistré.")
            return redirect(saved)
    return render(
        request,
        "ingenierie/poste_form.html",
        {
            "title": "Modifier le poste" if pk else "Nouveau poste de chef de projet",
            "form": form,
            "parts": parts_fs,
            "poste": poste,
        },
    )


@login_required
@require_POST
def poste_etat(request, pk):
    poste = get_object_or_404(visible_to(request.user, PosteChefDeProjet), pk=pk)
    form = f.TransitionPosteForm(request.POST, poste=poste)
    if form.is_valid():
        try:
            workflow.changer_etat_poste(
                poste,
                form.cleaned_data["vers"],
                request.user,
                date=form.cleaned_data["date"],
                commentaire=form.cleaned_data["commentaire"],
                expected_version=form.cleaned_data["version"],
                **form.titulaire(),
            )
            messages.success(request, f"Le poste est désormais « {poste.get_etat_display()} ».")
        except (TransitionRefusee, StaleEditError) as exc:
            messages.error(request, _errors(exc) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.error(
            request,
            "Changement d'état incomplet : " + " ".join(e for errs in form.errors.values() for e in errs),
        )
    return redirect(poste)


# ---------------------------------------------------------------- habitat operations
@login_required
def operation_creer(request, laureat):
    lau = get_object_or_404(visible_to(request.user, Laureat), pk=laureat)
    require(request.user, "create", OperationHabitat, parent=lau)
    form = f.OperationHabitatForm(request.POST or None, instance=OperationHabitat(laureat=lau))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "L'opération programmée de l'habitat a été enregistrée.")
        return redirect("ingenierie:postes_laureat", laureat=lau.pk)
    return render(request, "ingenierie/form.html", {"title": f"Opération Anah — {lau.nom}", "form": form})


@login_required
def operation_modifier(request, pk):
    operation = get_object_or_404(visible_to(request.user, OperationHabitat), pk=pk)
    require(request.user, "edit", operation)
    form = f.OperationHabitatForm(request.POST or None, instance=operation)
    if request.method == "POST" and form.is_valid() and form.save_or_conflict() is not None:
        messages.success(request, "L'opération programmée de l'habitat a été enregistrée.")
        return redirect("ingenierie:postes_laureat", laureat=operation.laureat_id)
    return render(
        request,
        "ingenierie/form.html",
        {
            "title": f"Opération Anah — {operation.laureat.nom}",
            "form": form,
            "retour": reverse("ingenierie:postes_laureat", args=[operation.laureat_id]),
        },
    )


# ---------------------------------------------------------------- requests
@login_required
def demande_deposer(request, pk):
    poste = get_object_or_404(visible_to(request.user, PosteChefDeProjet).avec_parts(), pk=pk)
    require(request.user, "create", Cofinancement, parent=poste)
    annee = _annee(request)
    eligible = bool(laureats_avec_operation([p.laureat_id for p in poste.parts_list()], annee))
    form = f.DemandeForm(
        request.POST or None, initial={"annee": annee, "avec_anah": eligible, "avec_bdt": True}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        periode = (d["periode_debut"], d["periode_fin"]) if d["periode_debut"] else None
        try:
            cof = workflow.deposer(
                poste,
                d["annee"],
                request.user,
                avec_bdt=d["avec_bdt"],
                avec_anah=d["avec_anah"],
                periode=periode,
            )
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, f"Demande de cofinancement {cof.annee} déposée.")
            return redirect(cof)
    return render(
        request,
        "ingenierie/form.html",
        {"title": f"Demande de cofinancement — {poste}", "form": form, "retour": poste.get_absolute_url()},
    )


@login_required
def demandes(request, a_instruire=False):
    fmt = _export_format(request)
    qs = visible_to(request.user, Cofinancement, "export" if fmt else ("edit" if a_instruire else "view"))
    if a_instruire:
        qs = qs.a_instruire()
    filtre = CofinancementFilter(request.GET or None, queryset=qs)
    demandes_qs = tableaux.demandes_avec_verse(filtre.qs).order_by("-annee", "departement", "pk")
    if fmt:
        return export_response(
            tableaux.DEMANDE_HEADERS, tableaux.export_demandes(demandes_qs), "demandes-cofinancement", fmt
        )
    page = Paginator(demandes_qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "ingenierie/demandes.html",
        {
            "title": "Demandes à instruire" if a_instruire else "Demandes de cofinancement",
            "filtre": filtre,
            "page": page,
            "a_instruire": a_instruire,
            "query": query.urlencode(),
        },
    )


@login_required
def demande(request, pk):
    cof = get_object_or_404(
        visible_to(request.user, Cofinancement).select_related("poste", "departement", "region").avec_verse(),
        pk=pk,
    )
    user = request.user
    peut_instruire = can(user, "edit", cof)
    peut_deroger = cof.etat in (Cofinancement.Etat.DEPOSEE, Cofinancement.Etat.INSTRUITE) and can(
        user, "create", DerogationEnveloppe, parent=cof
    )
    reste, explication, _ = workflow.disponible(cof)
    initial = {"version": cof.version}
    ctx = {
        "title": str(cof),
        "cof": cof,
        "parts": workflow.repartition_demande(cof),
        "versements": cof.versements.select_related("par"),
        "transitions": cof.transitions.select_related("par"),
        "derogations": cof.derogations.select_related("autorise_par"),
        "reste_enveloppe": reste,
        "explication_enveloppe": explication,
        "peut_instruire": peut_instruire,
        "peut_deroger": peut_deroger,
    }
    if peut_instruire and cof.etat == Cofinancement.Etat.DEPOSEE:
        ctx["instruction_form"] = f.InstructionForm(initial=initial)
    if peut_instruire and cof.etat == Cofinancement.Etat.INSTRUITE:
        ctx["accord_form"] = f.AccordForm(initial={**initial, "montant": cof.montant_etat})
    if peut_instruire and cof.etat in (Cofinancement.Etat.DEPOSEE, Cofinancement.Etat.INSTRUITE):
        ctx["refus_form"] = f.RefusForm(initial=initial)
    if peut_instruire and cof.etat == Cofinancement.Etat.ACCORDEE:
        premier = workflow.premiere_tranche(cof) if not cof.montant_verse else cof.reste_a_verser()
        ctx["versement_form"] = f.VersementForm(initial={"montant": min(premier, cof.reste_a_verser())})
    if peut_deroger:
        ctx["derogation_form"] = f.DerogationForm(initial={"montant": cof.montant_etat})
    return render(request, "ingenierie/demande.html", ctx)


ACTIONS = {
    "instruire": (
        f.InstructionForm,
        lambda cof, u, d: workflow.instruire(
            cof, u, avis=d["avis"], date=d["date"], expected_version=d["version"]
        ),
        "Demande instruite.",
    ),
    "accorder": (
        f.AccordForm,
        lambda cof, u, d: workflow.accorder(
            cof,
            u,
            arrete_reference=d["arrete_reference"],
            montant=d["montant"],
            date=d["date"],
            motif_depassement=d["motif_depassement"],
            expected_version=d["version"],
        ),
        "Cofinancement accordé.",
    ),
    "refuser": (
        f.RefusForm,
        lambda cof, u, d: workflow.refuser(
            cof, u, motif=d["motif"], date=d["date"], expected_version=d["version"]
        ),
        "Demande refusée.",
    ),
    "verser": (
        f.VersementForm,
        lambda cof, u, d: workflow.verser(cof, u, montant=d["montant"], date=d["date"], libelle=d["libelle"]),
        "Versement enregistré.",
    ),
    "deroger": (
        f.DerogationForm,
        lambda cof, u, d: workflow.autoriser_depassement(cof, u, motif=d["motif"], montant=d["montant"]),
        "Dépassement de l'enveloppe autorisé.",
    ),
}


@login_required
@require_POST
def demande_action(request, pk, action):
    if action not in ACTIONS:
        raise Http404
    cof = get_object_or_404(visible_to(request.user, Cofinancement), pk=pk)
    form_class, do, succes = ACTIONS[action]
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Formulaire incomplet : " + " ".join(e for errs in form.errors.values() for e in errs)
        )
        return redirect(cof)
    try:
        do(cof, request.user, form.cleaned_data)
    except StaleEditError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, succes)
    return redirect(cof)


# ---------------------------------------------------------------- envelopes
@login_required
def enveloppes(request):
    fmt = _export_format(request)
    qs = visible_to(request.user, Enveloppe, "export" if fmt else "view").select_related(
        "programme", "region"
    )
    filtre = EnveloppeFilter(request.GET or None, queryset=qs)
    rows = filtre.qs.avec_consommation().order_by("-annee", "region__nom")
    if fmt:
        return export_response(
            tableaux.ENVELOPPE_HEADERS, tableaux.export_enveloppes(rows), "enveloppes", fmt
        )
    return render(
        request,
        "ingenierie/enveloppes.html",
        {
            "title": "Enveloppes régionales",
            "filtre": filtre,
            "enveloppes": rows,
            "peut_creer": can(request.user, "create", Enveloppe),
            "query": request.GET.urlencode(),
        },
    )


@login_required
def enveloppe(request, pk):
    env = get_object_or_404(
        visible_to(request.user, Enveloppe).select_related("programme", "region").avec_consommation(), pk=pk
    )
    return render(
        request,
        "ingenierie/enveloppe.html",
        {
            "title": str(env),
            "env": env,
            "lignes": tableaux.consommation_par_departement(env),
            "derogations": visible_to(request.user, DerogationEnveloppe)
            .filter(enveloppe=env)
            .select_related("autorise_par", "cofinancement"),
            "peut_modifier": can(request.user, "edit", env),
        },
    )


@login_required
def enveloppe_editer(request, pk=None):
    if pk:
        env = get_object_or_404(visible_to(request.user, Enveloppe), pk=pk)
        require(request.user, "edit", env)
    else:
        if not can(request.user, "create", Enveloppe):
            raise PermissionDenied("Vous ne pouvez pas créer d'enveloppe.")
        env = Enveloppe()
    data = request.POST if request.method == "POST" else None
    form = f.EnveloppeForm(data, instance=env, user=request.user)
    region = env.region if pk else None
    if data is not None and not pk and form.is_valid():
        region = form.cleaned_data["region"]
    parts = f.EnveloppeDepartementFormSet(data, instance=env, prefix="deps", form_kwargs={"region": region})
    if data is not None and form.is_valid() and parts.is_valid():
        if not pk:
            require(request.user, "create", Enveloppe, parent=form.cleaned_data["region"])
        try:
            with transaction.atomic():
                saved = form.save()
                if saved is not None:
                    parts.instance = saved
                    for part in parts.save(commit=False):
                        part.full_clean()
                        if part.pk:
                            save_with_version(part)
                        else:
                            part.save()
                    for part in parts.deleted_objects:
                        part.delete()
                    workflow.verifier_repartition(saved)
        except StaleEditError as exc:
            form.add_error(None, str(exc))
            saved = None
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
            saved = None
        if saved is not None:
            messages.success(request, "L'enveloppe a été enregistrée.")
            return redirect(saved)
    return render(
        request,
        "ingenierie/enveloppe_form.html",
        {
            "title": "Modifier l'enveloppe" if pk else "Nouvelle enveloppe régionale",
            "form": form,
            "parts": parts,
            "env": env,
        },
    )


# ---------------------------------------------------------------- history
# ---------------------------------------------------------------- simulator (public)
def simulateur(request):
    """Compute a co-financing from the programme's published rules for given inputs (no private data)."""
    form = f.SimulationForm(request.GET or None, initial={"annee": annee_courante(), "avec_bdt": True})
    resultat, erreur = None, ""
    if request.GET and form.is_valid():
        d = form.cleaned_data
        try:
            resultat = simuler(
                d["cout_annuel"],
                d["annee"],
                debut=d["debut"],
                fin=d["fin"],
                avec_anah=d["avec_anah"],
                avec_bdt=d["avec_bdt"],
                parts=d["parts"],
            )
        except ErreurCalcul as exc:
            erreur = str(exc)
    return render(
        request,
        "ingenierie/simulateur.html",
        {
            "title": "Simulateur de cofinancement",
            "form": form,
            "resultat": resultat,
            "erreur": erreur,
            "regles_affichees": regles_affichees(parametres_programme()),
        },
    )
