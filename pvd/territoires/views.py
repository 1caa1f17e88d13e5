"""Territory pages: search, commune, EPCI, département, région, and the list of régions.

Thin views: the records come through the access policy (``visible_to``; the referential is public
reference data), the search and the ceiling rule from ``services/``. Lists are paginated with a
fixed number of queries whatever the page size.
"""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, Prefetch, Q, Sum, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from pvd.comptes.policy import visible_to

from .models import Commune, Departement, Epci, Region, Zone
from .services.plafond import population_ceiling, situation_plafond
from .services.search import search_communes

PAGE_SIZE = 50
SEARCH_LIMIT = 30
# Métropole first, then the DROM, then the other collectivités d'outre-mer.
_ZONE_ORDER = Case(
    When(zone=Zone.METRO, then=Value(0)), When(zone=Zone.DROM, then=Value(1)), default=Value(2)
)


def _paginate(request, queryset, per_page: int = PAGE_SIZE) -> Page:
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get("page"))
    # django-dsfr's pagination template shows ``pages_list`` when present (1 … 4 5 6 … 20).
    page.pages_list = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


def _communes(request):
    """Current communes the user may see, with what the lists display."""
    return (
        visible_to(request.user, Commune)
        .filter(obsolete=False)
        .select_related("departement")
        .only("code", "nom", "population", "codes_postaux", "departement__code", "departement__nom")
    )


def _crumbs(*links, current: str) -> dict:
    """Breadcrumb data for django-dsfr: Accueil › Territoires › *links › current."""
    links = (("Territoires", reverse("territoires:index")), *links)
    return {"links": [{"url": url, "title": title} for title, url in links], "current": current}


def index(request):
    """Entry point: the régions and their départements."""
    departements = visible_to(request.user, Departement).filter(obsolete=False).order_by("code")
    regions = (
        visible_to(request.user, Region)
        .filter(obsolete=False)
        .prefetch_related(Prefetch("departements", queryset=departements))
        .order_by(_ZONE_ORDER, "nom")
    )
    return render(
        request,
        "territoires/index.html",
        {
            "title": "Territoires",
            "regions": regions,
            "breadcrumb_data": {"links": [], "current": "Territoires"},
        },
    )


def recherche(request):
    query = request.GET.get("q", "").strip()[:200]
    resultats = search_communes(query, limit=SEARCH_LIMIT, queryset=visible_to(request.user, Commune))
    context = {
        "title": f"Recherche « {query} »" if query else "Rechercher une commune",
        "query": query,
        "resultats": resultats,
        "limite": SEARCH_LIMIT,
        "breadcrumb_data": _crumbs(current="Rechercher une commune"),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "territoires/_resultats.html", context)
    return render(request, "territoires/recherche.html", context)


def commune(request, code: str):
    qs = visible_to(request.user, Commune).select_related("departement", "region", "epci")
    commune = qs.filter(code=code.upper()).first()
    if commune is None:
        # A commune déléguée/associée or a former code leads to the current commune.
        resolved = Commune.resolve(code)
        if resolved is not None and resolved.code != code.upper():
            return redirect(resolved)
        raise Http404("Aucune commune n'a ce code.")
    membres = []
    if commune.epci_id:
        membres = list(
            _communes(request).filter(epci_id=commune.epci_id).order_by("-population", "nom_normalise")
        )
    return render(
        request,
        "territoires/commune.html",
        {
            "title": f"{commune.nom} ({commune.code})",
            "commune": commune,
            "plafond": situation_plafond(commune),
            "membres": membres,
            "autres_codes": list(commune.autres_codes.order_by("nature", "code")),
            "breadcrumb_data": _crumbs(
                (commune.region.nom, commune.region.get_absolute_url()),
                (commune.departement.nom, commune.departement.get_absolute_url()),
                current=commune.nom,
            ),
        },
    )


def epci(request, code: str):
    epci = get_object_or_404(visible_to(request.user, Epci), code=code)
    membres = _communes(request).filter(epci=epci)
    totaux = membres.aggregate(
        nombre=Count("code"),
        habitants=Sum("population"),
        sous_plafond=Count("code", filter=Q(population__lt=population_ceiling())),
    )
    departements = (
        visible_to(request.user, Departement)
        .filter(communes__epci=epci, communes__obsolete=False)
        .distinct()
        .order_by("code")
    )
    return render(
        request,
        "territoires/epci.html",
        {
            "title": epci.nom,
            "epci": epci,
            "totaux": totaux,
            "departements": departements,
            "page": _paginate(request, membres.order_by("nom_normalise", "code")),
            "breadcrumb_data": _crumbs(current=epci.nom),
        },
    )


def departement(request, code: str):
    departement = get_object_or_404(
        visible_to(request.user, Departement).select_related("region"), code=code.upper()
    )
    communes = _communes(request).filter(departement=departement)
    epcis = (
        visible_to(request.user, Epci)
        .filter(communes__departement=departement, communes__obsolete=False, obsolete=False)
        .annotate(nombre=Count("communes"))
        .order_by("nom")
    )
    return render(
        request,
        "territoires/departement.html",
        {
            "title": f"{departement.nom} ({departement.code})",
            "departement": departement,
            "epcis": epcis,
            "page": _paginate(request, communes.order_by("nom_normalise", "code")),
            "breadcrumb_data": _crumbs(
                (departement.region.nom, departement.region.get_absolute_url()),
                current=departement.nom,
            ),
        },
    )


def region(request, code: str):
    region = get_object_or_404(visible_to(request.user, Region), code=code)
    departements = (
        visible_to(request.user, Departement)
        .filter(region=region, obsolete=False)
        .annotate(nombre=Count("communes", filter=Q(communes__obsolete=False)))
        .order_by("code")
    )
    communes = _communes(request).filter(region=region)
    return render(
        request,
        "territoires/region.html",
        {
            "title": region.nom,
            "region": region,
            "departements": departements,
            "page": _paginate(request, communes.order_by("nom_normalise", "code")),
            "breadcrumb_data": _crumbs(current=region.nom),
        },
    )
