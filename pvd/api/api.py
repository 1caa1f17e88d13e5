"""The public API, /api/v1/ (django-ninja). Each app contributes a router from its ``api.py``."""

from django.utils.module_loading import import_string
from ninja import NinjaAPI

api = NinjaAPI(
    title="API Petites villes de demain",
    version="1",
    description="Référentiel territorial, lauréats, projets et ingénierie du programme PVD.",
    urls_namespace="api-1",
)

# (prefix, router) — one line per app that exposes an API.
ROUTERS: list[tuple[str, str]] = [
    ("projets/", "pvd.projets.api.router"),
]

for prefix, dotted in ROUTERS:
    api.add_router(prefix, import_string(dotted))
