from types import SimpleNamespace

from django.conf import settings

from .navigation import menu_for

# The DSFR templates read SITE_CONFIG; django-dsfr would fetch it from the database on every
# request, we keep it in code (it is not edited by users) so that pages cost no extra query.
SITE_CONFIG = SimpleNamespace(
    language="fr",
    site_title="Petites villes de demain",
    site_tagline="La plateforme du programme, de la sélection au bilan",
    header_brand="République française",
    header_brand_html="République<br>française",
    footer_brand="République française",
    footer_brand_html="République<br>française",
    footer_description=(
        "Plateforme ouverte de pilotage du programme Petites villes de demain : référentiel "
        "territorial, lauréats, projets de territoire, ingénierie et offre de services."
    ),
    beta_tag=True,
    mourning=False,
    notice_title="",
    notice_description="",
    notice_link="",
    notice_type="info",
    notice_icon_class="",
    notice_is_collapsible=False,
    operator_logo_file=None,
    operator_logo_alt="",
    operator_logo_width=0,
    newsletter_description="",
    newsletter_url="",
    accessibility_status="NON",
)


def site(request):
    """Values every page needs (kept free of database queries)."""
    return {
        "SITE_CONFIG": SITE_CONFIG,
        "PVD_NAV": menu_for(request),
        "PVD_DEMO": getattr(settings, "PVD_DEMO", False),
        "PVD_POPULATION_CEILING": settings.PVD_POPULATION_CEILING,
    }
