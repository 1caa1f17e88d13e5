"""The public API, /api/v1/ (django-ninja). Each app contributes a router from its ``api.py``.

Authentication (``pvd.comptes.api_auth``): by default a request is identified by a personal
token (``Authorization: Bearer pvd_…``) or the browser session, and otherwise goes on as
anonymous — the access policy then decides (public data stays open). A router that requires
sign-in uses ``Router(auth=api_auth)``.

Errors: a refusal of the policy (``PermissionDenied``) answers 403 ``{"detail": …}`` (401 with
``WWW-Authenticate: Bearer`` for an anonymous client); a stale edit (``StaleEditError``) answers
409 with what changed meanwhile; an unknown or invisible record 404.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.module_loading import import_string
from ninja import NinjaAPI

from pvd.comptes.api_auth import optional_auth
from pvd.comptes.policy import DENIED_MESSAGE
from pvd.core.locking import StaleEditError

api = NinjaAPI(
    title="API Petites villes de demain",
    version="1",
    description=(
        "Référentiel territorial, lauréats, projets et ingénierie du programme PVD.\n\n"
        "Authentification : jeton personnel (`Authorization: Bearer pvd_…`, à créer sur la page "
        "« Jetons d'API » de votre compte) ou session du navigateur. Sans authentification, seules "
        "les données publiques sont accessibles. Les droits sont ceux des habilitations de "
        "l'utilisateur."
    ),
    urls_namespace="api-1",
    auth=optional_auth,
)


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc):
    user = getattr(request, "user", None)
    message = str(exc) or DENIED_MESSAGE
    if user is None or not user.is_authenticated:
        response = api.create_response(request, {"detail": "Authentification requise."}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    return api.create_response(request, {"detail": message}, status=403)


@api.exception_handler(StaleEditError)
def stale_edit(request, exc):
    return api.create_response(request, exc.as_dict(), status=409)


@api.exception_handler(DjangoValidationError)
def validation_error(request, exc):
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": detail}, status=422)


# (prefix, router) — one line per app that exposes an API.
ROUTERS: list[tuple[str, str]] = [
    ("/programmes/", "pvd.programmes.api.router"),
    ("/comptes", "pvd.comptes.api.router"),
    ("/territoires/", "pvd.territoires.api.router"),
    ("/ingenierie/", "pvd.ingenierie.api.router"),
    ("projets/", "pvd.projets.api.router"),
]

for prefix, dotted in ROUTERS:
    api.add_router(prefix, import_string(dotted))
