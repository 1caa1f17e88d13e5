"""ProConnect login (OpenID Connect, through mozilla-django-oidc).

The user is matched by e-mail (case-insensitive) or created with no habilitation: they can sign
in but see only public data until an administrator grants them a habilitation. Names come from
the ``given_name`` / ``usual_name`` claims. Configuration: settings ``PROCONNECT_*``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import get_random_string
from mozilla_django_oidc.auth import OIDCAuthenticationBackend


class ProConnectBackend(OIDCAuthenticationBackend):
    def authenticate(self, request, **kwargs):
        if not getattr(settings, "PROCONNECT_ENABLED", False):
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        """Signature and nonce (library), plus issuer, audience and expiry (not checked by it)."""
        from django.core.exceptions import SuspiciousOperation

        payload = super().verify_token(token, **kwargs)
        is_id_token = "nonce" in kwargs
        issuer = getattr(settings, "PROCONNECT_ISSUER", "")
        if issuer and (is_id_token or "iss" in payload) and payload.get("iss") != issuer:
            raise SuspiciousOperation("OIDC: unexpected issuer")
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if (is_id_token or audience) and self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("OIDC: token not issued for this client")
        return payload

    def describe_user_by_claims(self, claims):
        return "utilisateur ProConnect"  # never the e-mail address (logs)

    def verify_claims(self, claims) -> bool:
        email = claims.get("email") or ""
        return "@" in email

    def filter_users_by_claims(self, claims):
        email = (claims.get("email") or "").strip()
        if not email:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(email__iexact=email)

    def create_user(self, claims):
        return self.UserModel.objects.create_user(
            email=claims["email"].strip().lower(),
            first_name=(claims.get("given_name") or "")[:150],
            last_name=(claims.get("usual_name") or claims.get("family_name") or "")[:150],
        )

    def update_user(self, user, claims):
        if not user.is_active:
            return None
        changed = []
        for field, claim in (("first_name", "given_name"), ("last_name", "usual_name")):
            value = (claims.get(claim) or "")[:150]
            if value and not getattr(user, field):
                setattr(user, field, value)
                changed.append(field)
        if changed:
            user.save(update_fields=changed)
        return user


def provider_logout_url(request) -> str:
    """Where to send the user on logout: ProConnect's end-session endpoint when signed in
    through it (with ``id_token_hint``), otherwise our own logout redirect."""
    id_token = request.session.get("oidc_id_token")
    endpoint = getattr(settings, "PROCONNECT_LOGOUT_ENDPOINT", "")
    if not id_token or not endpoint:
        return reverse(settings.LOGOUT_REDIRECT_URL)
    params = {
        "id_token_hint": id_token,
        "state": get_random_string(32),
        "post_logout_redirect_uri": request.build_absolute_uri(reverse(settings.LOGOUT_REDIRECT_URL)),
    }
    return f"{endpoint}?{urlencode(params)}"
