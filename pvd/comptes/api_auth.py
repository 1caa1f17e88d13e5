"""Authentication of the API (django-ninja): personal tokens or the browser's session.

Three ready-made settings for a router or an operation (``Router(auth=...)``,
``@router.get(..., auth=...)``):

- ``optional_auth`` — **the API's default** (set in ``pvd.api.api``): a valid token or session
  identifies the user, otherwise the request goes on as anonymous and the access policy
  decides (public records stay readable, anything else is refused with 401/403). Use it for
  endpoints that serve public data as well as more to signed-in users.
- ``api_auth`` — sign-in required (token or session): anonymous requests get 401.
- ``public_auth`` — no authentication at all (``None``).

In every case the operation reads the user from ``request.user`` (also ``request.auth``) and
asks the policy: ``visible_to(request.user, Model)``, ``get_object_for(request.user, "edit", …)``.

Tokens: ``Authorization: Bearer pvd_…``, created on the "Jetons d'API" page, stored hashed
(``ApiToken``), revocable; a token acts as its user, with exactly their habilitations. A
malformed, unknown, expired or revoked token is refused (401), never treated as anonymous.
The session scheme checks CSRF on unsafe methods, like the rest of the site.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from .models import ApiToken

__all__ = ["ApiTokenAuth", "SessionAuth", "AnonymousAuth", "api_auth", "optional_auth", "public_auth"]


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` with a personal API token."""

    openapi_bearerFormat = "pvd_…"  # the OpenAPI key, spelt as such
    openapi_description = (
        "Jeton personnel créé sur la page « Jetons d'API » de votre compte ; il donne exactement "
        "les droits de vos habilitations. Révocable à tout moment."
    )

    def __call__(self, request: HttpRequest) -> Any | None:
        value = request.headers.get(self.header)
        if not value:
            return None
        scheme, _, token = value.partition(" ")
        if scheme.lower() != self.openapi_scheme:
            return None  # another scheme (never logged: it may hold a secret)
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        record = ApiToken.authenticate(token)
        if record is None:
            raise AuthenticationError(401, "Jeton d'API invalide, expiré ou révoqué.")
        request.user = record.user
        request.api_token = record
        return record.user


class SessionAuth(APIKeyCookie):
    """The browser's Django session (CSRF checked on unsafe methods)."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None  # no session: let the next scheme (or anonymous access) decide
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, "Vérification CSRF échouée : rechargez la page.")
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any | None:  # pragma: no cover
        return None


class AnonymousAuth:
    """Lets the request go on as anonymous (last of ``optional_auth``): the policy decides.

    Not an OpenAPI security scheme: anonymous access simply means "no requirement".
    """

    is_async = False

    def __call__(self, request: HttpRequest) -> Any:
        if not getattr(request, "user", None):
            request.user = AnonymousUser()
        return request.user


_token = ApiTokenAuth()
_session = SessionAuth()

api_auth = [_token, _session]
optional_auth = [_token, _session, AnonymousAuth()]
public_auth = None
