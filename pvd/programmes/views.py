"""Pages of programmes and laureates. Thin: the access policy decides what shows, services compute."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from pvd.comptes.policy import can, require, visible_to
from pvd.core.exports import FORMATS, export_response
from pvd.territoires.models import Departement, Region

from .filters import LaureatFilter
from .forms import ImportForm, JalonForm, LaureatForm
from .models import Jalon, Laureat, LaureatCommune, Programme, TypeJalon
from .services import carte, echeances
from .services.import_liste import SourceError, import_laureats
from .services.synthese import synthese

PAGE_SIZE = 50


def _programme(request, slug: str) -> Programme:
    return get_object_or_404(visible_to(request.user, Programme), slug=slug)


def _with_details(qs):
    """Laureates with what lists show (communes, milestones), in a fixed number of queries."""
    return qs.select_related("programme", "region", "departement", "epci").prefetch_related(
        Prefetch(
            "liens_communes",
            queryset=LaureatCommune.objects.select_related("commune").order_by("-principale"),
        ),
        Prefetch(
            "jalons", queryset=Jalon.objects.select_related("type", "type__reference").order_by("type__ordre")
        ),
    )


def index(request):
    programmes = visible_to(request.user, Programme)
    if programmes.count() == 1:
        return redirect(programmes.get())
    return render(request, "programmes/index.html", {"title": "Programmes", "programmes": programmes})


def programme(request, slug: str):
    prog = _programme(request, slug)
    laureats = visible_to(request.user, Laureat).filter(programme=prog)
    stats = synthese(laureats, visible_to(request.user, Jalon))
    counts = {row["departement_id"]: row["n"] for row in stats["par_departement"]}
    regions = {r.code: r for r in Region.objects.all()}
    for row in stats["par_region"]:
        row["url"] = reverse("programmes:region", args=[prog.slug, row["region_id"]])
    context = {
        "title": prog.nom,
        "programme": prog,
        "stats": stats,
        "carte": carte.build_map(
            counts, lambda code: reverse("programmes:departement", args=[prog.slug, code])
        ),
        "outre_mer": [
            row for row in stats["par_departement"] if regions[row["departement__region_id"]].zone != "metro"
        ],
        "types_jalons": TypeJalon.objects.filter(programme=prog).select_related("reference"),
        "can_import": can(request.user, "create", Laureat),
    }
    return render(request, "programmes/programme.html", context)


def region(request, slug: str, code: str):
    prog = _programme(request, slug)
    reg = get_object_or_404(Region, code=code)
    laureats = visible_to(request.user, Laureat).filter(programme=prog, region=reg)
    stats = synthese(laureats, visible_to(request.user, Jalon))
    departements = list(Departement.objects.filter(region=reg).order_by("code"))
    counts = {row["departement_id"]: row["n"] for row in stats["par_departement"]}
    for d in departements:
        d.n = counts.get(d.code, 0)
    context = {
        "title": f"{prog.nom} — {reg.nom}",
        "programme": prog,
        "region": reg,
        "stats": stats,
        "departements": departements,
        "carte": carte.build_map(
            counts,
            lambda c: reverse("programmes:departement", args=[prog.slug, c]),
            only={d.code for d in departements},
        ),
        "page": Paginator(_with_details(laureats.order_by("departement_id", "nom")), PAGE_SIZE).get_page(
            request.GET.get("page")
        ),
    }
    return render(request, "programmes/region.html", context)


def departement(request, slug: str, code: str):
    prog = _programme(request, slug)
    dep = get_object_or_404(Departement.objects.select_related("region"), code=code)
    laureats = visible_to(request.user, Laureat).filter(programme=prog, departement=dep)
    stats = synthese(laureats, visible_to(request.user, Jalon))
    context = {
        "title": f"{prog.nom} — {dep.nom}",
        "programme": prog,
        "departement": dep,
        "stats": stats,
        "page": Paginator(_with_details(laureats.order_by("nom")), PAGE_SIZE).get_page(
            request.GET.get("page")
        ),
    }
    return render(request, "programmes/departement.html", context)


def _filtered(request, action: str = "view"):
    qs = visible_to(request.user, Laureat, action)
    return LaureatFilter(request.GET or None, queryset=qs.order_by("identifiant"), request=request)


def laureats(request):
    filterset = _filtered(request)
    page = Paginator(_with_details(filterset.qs), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "title": "Territoires lauréats",
        "filter": filterset,
        "page": page,
        "query": query.urlencode(),
        "formats": list(FORMATS),
    }
    return render(request, "programmes/laureats.html", context)


EXPORT_HEADERS = [
    "identifiant",
    "nom",
    "programme",
    "région",
    "département",
    "EPCI (SIREN)",
    "EPCI",
    "commune principale (INSEE)",
    "population commune principale",
    "communes (INSEE)",
    "statut",
    "admis le",
    "jalons",
    "jalons en retard",
    "latitude",
    "longitude",
    "démonstration",
]


def _export_rows(laureats):
    for lau in laureats:
        liens = list(lau.liens_communes.all())
        principale = next((lien.commune for lien in liens if lien.principale), None)
        jalons = list(lau.jalons.all())
        yield [
            lau.identifiant,
            lau.nom,
            lau.programme.nom,
            lau.region.nom,
            lau.departement.nom,
            lau.epci_id,
            lau.epci.nom if lau.epci else "",
            principale.code if principale else "",
            principale.population if principale else "",
            " ".join(lien.commune_id for lien in liens),
            lau.get_statut_display(),
            lau.date_admission.isoformat() if lau.date_admission else "",
            " ; ".join(
                f"{j.type.libelle} : "
                + (
                    f"réalisé le {j.date_realisation.isoformat()}"
                    if j.date_realisation
                    else (
                        f"échéance {j.date_echeance.isoformat()} ({j.etat.label})"
                        if j.date_echeance
                        else "sans échéance"
                    )
                )
                for j in jalons
            ),
            sum(1 for j in jalons if j.etat is echeances.Etat.EN_RETARD),
            lau.latitude,
            lau.longitude,
            "oui" if lau.demo else "non",
        ]


def laureats_export(request, fmt: str):
    if fmt not in FORMATS:
        raise Http404("Format inconnu")
    filterset = _filtered(request, "export")
    rows = _export_rows(_with_details(filterset.qs).iterator(chunk_size=500))
    return export_response(EXPORT_HEADERS, rows, "laureats", fmt)


def laureat(request, slug: str, identifiant: str):
    lau = get_object_or_404(
        _with_details(visible_to(request.user, Laureat)), programme__slug=slug, identifiant=identifiant
    )
    point = carte.project(lau.latitude, lau.longitude) if lau.latitude is not None else None
    context = {
        "title": lau.nom,
        "laureat": lau,
        "liens": list(lau.liens_communes.all()),
        "jalons": list(lau.jalons.all()),
        "carte": carte.build_map({lau.departement_id: 1}, only={lau.departement_id}) if point else None,
        "point": point,
        "can_edit": can(request.user, "edit", lau),
        "can_edit_jalons": can(request.user, "edit", Jalon, parent=lau),
    }
    return render(request, "programmes/laureat.html", context)


@login_required
def laureat_historique(request, slug: str, identifiant: str):
    lau = get_object_or_404(Laureat, programme__slug=slug, identifiant=identifiant)
    require(request.user, "edit", lau)  # the history names who changed what: for those who manage it
    entries = []
    for records in (
        lau.history.select_related("history_user").order_by("-history_date"),
        Jalon.history.filter(laureat_id=lau.pk).select_related("history_user").order_by("-history_date"),
    ):
        previous = {}
        for record in reversed(list(records)):
            before = previous.get(record.id)
            changes = [
                f"{c.field} : {c.old if c.old not in (None, '') else '∅'} → {c.new if c.new not in (None, '') else '∅'}"
                for c in (record.diff_against(before).changes if before is not None else [])
                if c.field not in {"version", "updated_at"}
            ]
            entries.append(
                {"record": record, "changes": changes, "kind": record.instance_type._meta.verbose_name}
            )
            previous[record.id] = record
    entries.sort(key=lambda e: e["record"].history_date, reverse=True)
    return render(
        request,
        "programmes/historique.html",
        {"title": f"Historique — {lau.nom}", "laureat": lau, "entries": entries},
    )


@login_required
@require_http_methods(["GET", "POST"])
def laureat_modifier(request, slug: str, identifiant: str):
    lau = get_object_or_404(Laureat, programme__slug=slug, identifiant=identifiant)
    require(request.user, "edit", lau)
    form = LaureatForm(request.POST or None, instance=lau)
    if request.method == "POST" and form.is_valid() and form.save_or_conflict():
        messages.success(request, "Lauréat enregistré.")
        return redirect(lau)
    return render(
        request,
        "programmes/form.html",
        {"title": f"Modifier — {lau.nom}", "form": form, "laureat": lau, "cancel": lau.get_absolute_url()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def jalon_modifier(request, slug: str, identifiant: str, pk: int):
    jalon = get_object_or_404(
        Jalon.objects.select_related("laureat", "laureat__programme", "type"),
        pk=pk,
        laureat__programme__slug=slug,
        laureat__identifiant=identifiant,
    )
    require(request.user, "edit", jalon)
    form = JalonForm(request.POST or None, instance=jalon)
    if request.method == "POST" and form.is_valid():
        form.instance.valide_par = request.user
        form.instance.valide_le = timezone.now()
        if form.save_or_conflict():
            echeances.sync_jalons(jalon.laureat)
            messages.success(request, f"Jalon « {jalon.type.libelle} » validé.")
            return redirect(jalon.laureat)
    return render(
        request,
        "programmes/form.html",
        {
            "title": f"{jalon.type.libelle} — {jalon.laureat.nom}",
            "form": form,
            "laureat": jalon.laureat,
            "jalon": jalon,
            "cancel": jalon.laureat.get_absolute_url(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def importer(request):
    require(request.user, "create", Laureat)
    form = ImportForm(request.POST or None, request.FILES or None, initial={"programme": "pvd"})
    report = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data.get("fichier")
        try:
            if upload:
                report = import_laureats(
                    content=upload.read(),
                    name=upload.name,
                    programme=data["programme"],
                    dry_run=data["dry_run"],
                    user=request.user,
                )
            else:
                report = import_laureats(
                    data["url"], programme=data["programme"], dry_run=data["dry_run"], user=request.user
                )
        except SourceError as exc:
            form.add_error(None, str(exc))
    return render(
        request,
        "programmes/import.html",
        {"title": "Importer la liste des lauréats", "form": form, "report": report},
    )
