"""Pages of projets de territoire and fiches actions. Thin: the policy decides, services compute."""

from __future__ import annotations

import json
from collections import OrderedDict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from pvd.comptes.policy import can, require, visible_to
from pvd.core.exports import export_response
from pvd.core.locking import StaleEditError
from pvd.programmes.models import Laureat
from pvd.territoires.models import Departement, Region

from .filters import FicheActionFilter
from .forms import (
    CommentaireForm,
    EtapeForm,
    FicheActionForm,
    FinancementForm,
    ImportForm,
    IndicateurForm,
    LigneCoutForm,
    ProjetForm,
    TransitionForm,
)
from .models import (
    Commentaire,
    Etape,
    FicheAction,
    Financement,
    Indicateur,
    LigneCout,
    ParametresFinancement,
    ProjetDeTerritoire,
    Statut,
    Theme,
)
from .rules import FINANCEMENT_RETENUS, TransitionRefusee, transitions_possibles
from .services import activite as activite_service
from .services import modele
from .services.agregats import calculer_agregats
from .services.fiches import AxesError, changer_statut, creer_fiche, synchroniser_axes
from .services.financement import ZERO, Ligne, calculer_plan, plan_de, reste_a_financer, taux

PAGE_SIZE = 50


def laureat_url(laureat: Laureat) -> str | None:
    """The laureate's page (programmes app) when it exists in this deployment."""
    try:
        return laureat.get_absolute_url()
    except NoReverseMatch:
        return None


# --- Projet de territoire -------------------------------------------------------------------
def projet(request, laureat_id: int):
    laureat = get_object_or_404(
        Laureat.objects.select_related("region", "departement", "epci", "programme"), pk=laureat_id
    )
    projet = ProjetDeTerritoire.objects.filter(laureat=laureat).first()
    if projet is None:
        require(request.user, "view", laureat)
        return render(
            request,
            "projets/projet_absent.html",
            {
                "laureat": laureat,
                "laureat_url": laureat_url(laureat),
                "can_create": can(request.user, "create", ProjetDeTerritoire, parent=laureat),
            },
        )
    require(request.user, "view", projet)
    fiches = list(
        visible_to(request.user, FicheAction)
        .filter(projet=projet)
        .select_related("axe", "commune", "pilote")
        .prefetch_related(
            "themes", "couts", Prefetch("financements", Financement.objects.select_related("financeur"))
        )
    )
    plafond = ParametresFinancement.plafond_for(laureat.programme_id)
    axes = list(projet.axes.all())
    groups: OrderedDict = OrderedDict((axe.pk, {"axe": axe, "fiches": []}) for axe in axes)
    groups[None] = {"axe": None, "fiches": []}
    totals = {"cout": ZERO, "finance": ZERO, "acquis": ZERO, "reste": ZERO, "alertes": 0}
    statuts = dict.fromkeys(Statut.values, 0)
    for fiche in fiches:
        fiche.projet = projet
        fiche.plan = plan_de(fiche, plafond)
        groups[fiche.axe_id if fiche.axe_id in groups else None]["fiches"].append(fiche)
        statuts[fiche.statut] += 1
        totals["cout"] += fiche.plan.cout
        totals["finance"] += fiche.plan.finance
        totals["acquis"] += fiche.plan.acquis
        totals["reste"] += fiche.plan.reste_a_financer
        totals["alertes"] += bool(fiche.plan.alertes)
    totals["taux"] = taux(totals["finance"], totals["cout"])
    labels = dict(Statut.choices)
    return render(
        request,
        "projets/projet.html",
        {
            "laureat": laureat,
            "laureat_url": laureat_url(laureat),
            "projet": projet,
            "groups": [g for g in groups.values() if g["fiches"] or g["axe"] is not None],
            "statuts": [(labels[s], n) for s, n in statuts.items()],
            "totals": totals,
            "nb_fiches": len(fiches),
            "perimetre": projet.perimetre.all(),
            "activite": activite_service.activite(projet, visible_to(request.user, FicheAction)),
            "can_edit": can(request.user, "edit", projet),
            "can_create_fiche": can(request.user, "create", FicheAction, parent=projet),
            "can_export": can(request.user, "export", projet),
        },
    )


@login_required
def projet_edit(request, laureat_id: int):
    laureat = get_object_or_404(Laureat, pk=laureat_id)
    instance = ProjetDeTerritoire.objects.filter(laureat=laureat).first()
    if instance is None:
        require(request.user, "create", ProjetDeTerritoire, parent=laureat)
        instance = ProjetDeTerritoire(laureat=laureat)
    else:
        require(request.user, "edit", instance)
    form = ProjetForm(request.POST or None, instance=instance, laureat=laureat)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = form.save_or_conflict()
                if saved is not None:
                    synchroniser_axes(saved, form.axes(), request.user)
        except AxesError as exc:
            form.add_error("axes_text", str(exc))
            saved = None
        if saved is not None:
            messages.success(request, "Projet de territoire enregistré.")
            return redirect("projets:projet", laureat.pk)
    return render(
        request,
        "projets/form.html",
        {
            "form": form,
            "title": f"Projet de territoire — {laureat.nom}",
            "back": reverse("projets:projet", args=[laureat.pk]),
        },
    )


# --- Fiche action ---------------------------------------------------------------------------
def _fiche_for(request, pk: int, action: str = "view") -> FicheAction:
    fiche = get_object_or_404(
        FicheAction.objects.select_related("projet__laureat__programme", "axe", "commune", "pilote"), pk=pk
    )
    require(request.user, action, fiche)
    return fiche


def fiche(request, pk: int):
    fiche = _fiche_for(request, pk)
    financements = list(fiche.financements.select_related("financeur", "dispositif"))
    couts = list(fiche.couts.all())
    plafond = ParametresFinancement.plafond_for(fiche.projet.laureat.programme_id)
    plan = calculer_plan(
        sum((c.montant_ht for c in couts), ZERO),
        [Ligne(f.montant, f.statut, f.financeur.est_public, f.financeur.est_porteur) for f in financements],
        plafond,
    )
    can_edit = can(request.user, "edit", fiche)
    return render(
        request,
        "projets/fiche.html",
        {
            "fiche": fiche,
            "projet": fiche.projet,
            "laureat": fiche.projet.laureat,
            "themes": fiche.themes.all(),
            "couts": couts,
            "financements": financements,
            "etapes": fiche.etapes.all(),
            "indicateurs": fiche.indicateurs.all(),
            "transitions": fiche.transitions.select_related("par"),
            "commentaires": fiche.commentaires.select_related("auteur"),
            "plan": plan,
            "can_edit": can_edit,
            "can_comment": can(request.user, "create", Commentaire, parent=fiche),
            "transition_form": TransitionForm(fiche=fiche)
            if can_edit and transitions_possibles(fiche.statut)
            else None,
            "commentaire_form": CommentaireForm(),
        },
    )


@login_required
def fiche_create(request, laureat_id: int):
    projet = get_object_or_404(ProjetDeTerritoire.objects.select_related("laureat"), laureat_id=laureat_id)
    require(request.user, "create", FicheAction, parent=projet)
    form = FicheActionForm(request.POST or None, instance=FicheAction(projet=projet), projet=projet)
    if request.method == "POST" and form.is_valid():
        fiche = form.save(commit=False)
        creer_fiche(fiche, request.user, themes=form.cleaned_data["themes"])
        messages.success(request, f"Fiche action {fiche.numero} créée.")
        return redirect(fiche)
    return render(
        request,
        "projets/form.html",
        {
            "form": form,
            "title": f"Nouvelle fiche action — {projet.laureat.nom}",
            "back": projet.get_absolute_url(),
        },
    )


@login_required
def fiche_edit(request, pk: int):
    fiche = _fiche_for(request, pk, "edit")
    form = FicheActionForm(request.POST or None, instance=fiche, projet=fiche.projet)
    if request.method == "POST" and form.is_valid():
        fiche._history_user = request.user
        if form.save_or_conflict() is not None:
            messages.success(request, "Fiche action enregistrée.")
            return redirect(fiche)
    return render(
        request,
        "projets/form.html",
        {"form": form, "title": f"Modifier la fiche {fiche.numero}", "back": fiche.get_absolute_url()},
        status=409 if getattr(form, "stale_error", None) else 200,
    )


@login_required
@require_POST
def fiche_statut(request, pk: int):
    fiche = _fiche_for(request, pk, "edit")
    vers = request.POST.get("vers", "")
    try:
        version = int(request.POST.get("version") or fiche.version)
        changer_statut(
            fiche,
            vers,
            request.user,
            commentaire=request.POST.get("commentaire", ""),
            expected_version=version,
        )
    except TransitionRefusee as exc:
        messages.error(request, str(exc))
    except StaleEditError as exc:
        messages.error(request, str(exc))
    except ValueError:
        messages.error(request, "Version invalide.")
    else:
        messages.success(request, f"Statut : {fiche.get_statut_display()}.")
    return redirect(fiche)


@login_required
@require_POST
def fiche_commentaire(request, pk: int):
    fiche = _fiche_for(request, pk)
    require(request.user, "create", Commentaire, parent=fiche)
    form = CommentaireForm(request.POST)
    if form.is_valid():
        commentaire = form.save(commit=False)
        commentaire.fiche, commentaire.auteur = fiche, request.user
        commentaire.save()
        messages.success(request, "Commentaire ajouté.")
    else:
        messages.error(request, "Le commentaire est vide.")
    return redirect(reverse("projets:fiche", args=[fiche.pk]) + "#commentaires")


@login_required
def fiche_delete(request, pk: int):
    fiche = _fiche_for(request, pk, "delete")
    if request.method == "POST":
        laureat_id = fiche.projet.laureat_id
        fiche._history_user = request.user
        fiche.delete()
        messages.success(request, f"Fiche action {fiche.numero} supprimée.")
        return redirect("projets:projet", laureat_id)
    return render(request, "projets/confirm_delete.html", {"object": fiche, "back": fiche.get_absolute_url()})


# Lines of an action (costs, financing, steps, indicators): one generic create/edit/delete.
CHILDREN = {
    "couts": (LigneCout, LigneCoutForm, "ligne de coût"),
    "financements": (Financement, FinancementForm, "financement"),
    "etapes": (Etape, EtapeForm, "étape"),
    "indicateurs": (Indicateur, IndicateurForm, "indicateur"),
}


def _child_model(kind: str):
    if kind not in CHILDREN:
        raise Http404
    return CHILDREN[kind]


@login_required
def ligne_create(request, pk: int, kind: str):
    model, form_class, label = _child_model(kind)
    fiche = _fiche_for(request, pk)
    require(request.user, "create", model, parent=fiche)
    form = form_class(request.POST or None, instance=model(fiche=fiche))
    if request.method == "POST" and form.is_valid():
        obj = form.save(commit=False)
        obj._history_user = request.user
        obj.save()
        messages.success(request, f"{label.capitalize()} ajouté(e).")
        return redirect(fiche)
    return render(
        request,
        "projets/form.html",
        {"form": form, "title": f"Ajouter : {label} — {fiche}", "back": fiche.get_absolute_url()},
    )


@login_required
def ligne_edit(request, kind: str, line_pk: int):
    model, form_class, label = _child_model(kind)
    obj = get_object_or_404(model.objects.select_related("fiche"), pk=line_pk)
    require(request.user, "edit", obj)
    form = form_class(request.POST or None, instance=obj)
    stale = False
    if request.method == "POST" and form.is_valid():
        obj._history_user = request.user
        if form.save_or_conflict() is not None:
            messages.success(request, f"{label.capitalize()} enregistré(e).")
            return redirect(obj.fiche)
        stale = True
    return render(
        request,
        "projets/form.html",
        {"form": form, "title": f"Modifier : {label} — {obj.fiche}", "back": obj.fiche.get_absolute_url()},
        status=409 if stale else 200,
    )


@login_required
def ligne_delete(request, kind: str, line_pk: int):
    model, _, label = _child_model(kind)
    obj = get_object_or_404(model.objects.select_related("fiche"), pk=line_pk)
    require(request.user, "delete", obj)
    if request.method == "POST":
        obj._history_user = request.user
        obj.delete()
        messages.success(request, f"{label.capitalize()} supprimé(e).")
        return redirect(obj.fiche)
    return render(
        request, "projets/confirm_delete.html", {"object": obj, "back": obj.fiche.get_absolute_url()}
    )


# --- Lists, exports, aggregates -------------------------------------------------------------
def _money_by_fiche(ids) -> tuple[dict, dict]:
    couts = dict(
        LigneCout.objects.filter(fiche_id__in=ids)
        .order_by()
        .values_list("fiche_id")
        .annotate(s=Sum("montant_ht"))
    )
    finances = dict(
        Financement.objects.filter(fiche_id__in=ids, statut__in=FINANCEMENT_RETENUS)
        .order_by()
        .values_list("fiche_id")
        .annotate(s=Sum("montant"))
    )
    return couts, finances


LIST_FIELDS = (
    "id", "numero", "titre", "statut", "date_debut_prevue", "date_fin_prevue", "projet__id",
    "projet__laureat__id", "projet__laureat__nom", "projet__laureat__identifiant",
)  # fmt: skip
THEMES_LIGHT = Prefetch("themes", Theme.objects.only("id", "nom"))


def fiches(request):
    """Actions across laureates, filtered; what the user's scope allows (anonymous: nothing)."""
    base = visible_to(request.user, FicheAction)
    filterset = FicheActionFilter(request.GET or None, queryset=base)
    qs = filterset.qs if filterset.is_bound else base
    qs = qs.order_by("projet_id", "numero")
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        return _export(request, filterset, fmt)
    # Only what the list shows: at national scale, building fewer and lighter objects is most of the time.
    rows_qs = qs.select_related("projet__laureat").only(*LIST_FIELDS).prefetch_related(THEMES_LIGHT)
    paginator = Paginator(rows_qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    couts, finances = _money_by_fiche([f.pk for f in rows])
    for f in rows:
        f.cout = couts.get(f.pk) or ZERO
        f.finance = finances.get(f.pk) or ZERO
        f.reste = reste_a_financer(f.cout, f.finance)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "projets/fiches.html",
        {
            "filter": filterset,
            "page": page,
            "rows": rows,
            "querystring": query.urlencode(),
            "anonymous": not request.user.is_authenticated,
        },
    )


def _export(request, filterset, fmt: str):
    base = visible_to(request.user, FicheAction, "export")
    qs = FicheActionFilter(request.GET, queryset=base).qs.order_by("projet_id", "numero")
    qs = qs.select_related("projet__laureat", "axe", "commune").prefetch_related("themes")
    couts, finances = _money_by_fiche(qs.values("pk"))
    headers = [
        "Identifiant lauréat",
        "Lauréat",
        "Numéro",
        "Titre",
        "Axe",
        "Thèmes",
        "Statut",
        "En retard",
        "Maître d'ouvrage",
        "Commune",
        "Début prévu",
        "Fin prévue",
        "Coût HT (€)",
        "Financé (€)",
        "Reste à financer (€)",
        "Taux de financement (%)",
    ]
    rows = []
    for f in qs:
        cout, finance = couts.get(f.pk) or ZERO, finances.get(f.pk) or ZERO
        rows.append(
            [
                f.projet.laureat.identifiant,
                f.projet.laureat.nom,
                f.numero,
                f.titre,
                f.axe.titre if f.axe else "",
                " ; ".join(t.nom for t in f.themes.all()),
                f.get_statut_display(),
                "oui" if f.en_retard else "non",
                f"{f.get_maitre_ouvrage_type_display()} {f.maitre_ouvrage_nom}".strip(),
                f.commune.nom if f.commune else "",
                f.date_debut_prevue,
                f.date_fin_prevue,
                cout,
                finance,
                reste_a_financer(cout, finance),
                taux(finance, cout),
            ]
        )
    return export_response(headers, rows, "fiches-actions", fmt)


def agregats(request, niveau: str = "national", code: str | None = None):
    """Figures by theme, status and financeur for a territory (public: aggregated figures only)."""
    context = {"niveau": niveau}
    if niveau == "region":
        territoire = get_object_or_404(Region, pk=code)
    elif niveau == "departement":
        territoire = get_object_or_404(Departement.objects.select_related("region"), pk=code)
    elif niveau == "laureat":
        territoire = get_object_or_404(Laureat, pk=code)
    else:
        territoire = None
    context["territoire"] = territoire
    context["a"] = a = calculer_agregats(niveau, territoire.pk if territoire else None)
    # Series for the DSFR charts (@gouvfr/dsfr-chart web components); the tables stay the reference.
    context["chart_statuts"] = {
        "x": json.dumps([[s["libelle"] for s in a.par_statut]]),
        "y": json.dumps([[s["n"] for s in a.par_statut]]),
    }
    context["chart_financeurs"] = {
        "x": json.dumps([[f["libelle"] for f in a.par_financeur]]),
        "y": json.dumps([[round(float(f["montant"])) for f in a.par_financeur]]),
    }
    context["regions"] = Region.objects.current().order_by("nom") if niveau == "national" else None
    if niveau == "region":
        context["departements"] = territoire.departements.order_by("code")
    return render(request, "projets/agregats.html", context)


def activite(request, laureat_id: int):
    projet = get_object_or_404(ProjetDeTerritoire.objects.select_related("laureat"), laureat_id=laureat_id)
    require(request.user, "view", projet)
    return render(
        request,
        "projets/activite.html",
        {
            "projet": projet,
            "laureat": projet.laureat,
            "activite": activite_service.activite(projet, visible_to(request.user, FicheAction), limit=100),
        },
    )


# --- XLSX template: download, export, import ------------------------------------------------
def modele_import(request):
    response = HttpResponse(modele.modele_vide(), content_type=modele.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="modele-fiches-actions.xlsx"'
    return response


@login_required
def projet_export(request, laureat_id: int):
    projet = get_object_or_404(ProjetDeTerritoire.objects.select_related("laureat"), laureat_id=laureat_id)
    require(request.user, "export", projet)
    content = modele.exporter_projet(projet, visible_to(request.user, FicheAction, "export"))
    response = HttpResponse(content, content_type=modele.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="fiches-actions-{projet.laureat.identifiant}.xlsx"'
    )
    return response


@login_required
def projet_import(request, laureat_id: int):
    projet = get_object_or_404(ProjetDeTerritoire.objects.select_related("laureat"), laureat_id=laureat_id)
    require(request.user, "create", FicheAction, parent=projet)
    require(request.user, "edit", projet)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["fichier"]
        report = modele.importer_fiches(
            projet, upload, upload.name, request.user, dry_run=form.cleaned_data["dry_run"]
        )
        if report.written:
            messages.success(
                request, "Import réalisé : " + ", ".join(f"{k} : {v}" for k, v in report.counts.items())
            )
            return redirect("projets:projet", laureat_id)
    return render(
        request,
        "projets/import.html",
        {"form": form, "report": report, "projet": projet, "laureat": projet.laureat},
        status=400 if report and not report.ok else 200,
    )
