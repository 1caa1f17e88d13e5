"""ProConnect login: the real OIDC authorization-code flow against a local provider."""

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.urls import reverse

from pvd.comptes.models import Habilitation, User
from pvd.comptes.policy import habilitations_of

from .oidc_provider import LocalOIDCProvider


@pytest.fixture
def provider(settings):
    with LocalOIDCProvider() as op:
        settings.PROCONNECT_ENABLED = True
        settings.PROCONNECT_ISSUER = op.issuer
        settings.OIDC_RP_CLIENT_ID = op.client_id
        settings.OIDC_RP_CLIENT_SECRET = op.client_secret
        settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{op.issuer}/authorize"
        settings.OIDC_OP_TOKEN_ENDPOINT = f"{op.issuer}/token"
        settings.OIDC_OP_USER_ENDPOINT = f"{op.issuer}/userinfo"
        settings.OIDC_OP_JWKS_ENDPOINT = f"{op.issuer}/jwks"
        settings.PROCONNECT_LOGOUT_ENDPOINT = f"{op.issuer}/session/end"
        yield op


def _login_through(client, provider, next_url="/comptes/mon-compte/"):
    """Browser steps: our login link → provider → back to our callback."""
    start = client.get(reverse("oidc_authentication_init"), {"next": next_url})
    assert start.status_code == 302
    authorize_url = start["Location"]
    assert authorize_url.startswith(provider.issuer + "/authorize?")
    query = parse_qs(urlparse(authorize_url).query)
    assert query["scope"] == ["openid email given_name usual_name"] and query["acr_values"] == ["eidas1"]
    # The user agent visits the provider, which authenticates them and redirects back with a code.
    at_provider = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert at_provider.status_code == 302
    callback = urlparse(at_provider.headers["Location"])
    assert callback.path == reverse("oidc_authentication_callback")
    # Our callback exchanges the code (server-to-server HTTP to the provider) and signs in.
    return client.get(callback.path, parse_qs(callback.query))


@pytest.mark.django_db
def test_proconnect_login_creates_the_user_without_any_right(client, provider):
    provider.user_claims = {
        "sub": "agent-123",
        "email": "Camille.Dupont@Cote-dor.gouv.fr",
        "given_name": "Camille",
        "usual_name": "Dupont",
    }
    done = _login_through(client, provider)
    assert done.status_code == 302 and done["Location"] == "/comptes/mon-compte/"
    assert provider.requests == [
        "GET /api/v2/authorize",
        "POST /api/v2/token",
        "GET /api/v2/jwks",
        "GET /api/v2/userinfo",
        "GET /api/v2/jwks",
    ]
    user = User.objects.get(email="camille.dupont@cote-dor.gouv.fr")
    assert (user.first_name, user.last_name) == ("Camille", "Dupont")
    assert not user.has_usable_password()
    assert habilitations_of(user) == []
    page = client.get("/comptes/mon-compte/").content.decode()
    assert "Vous n'avez encore aucune habilitation" in page
    assert int(client.session["_auth_user_id"]) == user.pk


@pytest.mark.django_db
def test_proconnect_login_matches_an_existing_account_by_email(client, provider):
    existing = User.objects.create_user("c.martin@anct.gouv.fr", first_name="Claire")
    Habilitation.grant(existing, "admin_national")
    provider.user_claims = {
        "sub": "x",
        "email": "C.Martin@ANCT.gouv.fr",
        "given_name": "C",
        "usual_name": "Martin",
    }
    assert _login_through(client, provider).status_code == 302
    assert User.objects.filter(email__iexact="c.martin@anct.gouv.fr").count() == 1
    assert int(client.session["_auth_user_id"]) == existing.pk
    existing.refresh_from_db()
    assert existing.first_name == "Claire" and existing.last_name == "Martin"  # filled, not overwritten
    # Logout goes through ProConnect's end-session endpoint with the ID token as hint.
    out = client.post(reverse("comptes:logout"))
    assert out["Location"].startswith(provider.issuer + "/session/end?id_token_hint=")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_replayed_or_forged_callback_does_not_sign_in(client, provider):
    provider.user_claims = {
        "sub": "y",
        "email": "agent@example.gouv.fr",
        "given_name": "A",
        "usual_name": "B",
    }
    start = client.get(reverse("oidc_authentication_init"))
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=5)
    callback = urlparse(at_provider.headers["Location"])
    params = parse_qs(callback.query)
    forged = client.get(callback.path, {"code": params["code"], "state": "etat-forge"})
    assert "_auth_user_id" not in client.session
    assert forged.status_code in (302, 400)
    # The real callback works once; the code cannot be used again.
    assert client.get(callback.path, params).status_code == 302
    assert "_auth_user_id" in client.session
    client.logout()
    replay = client.get(callback.path, params)
    assert replay["Location"].startswith("/comptes/connexion/?echec=proconnect") or replay.status_code == 400
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_page_offers_proconnect_only_when_configured(client, provider, settings):
    assert "ProConnect" in client.get(reverse("comptes:login")).content.decode()
    settings.PROCONNECT_ENABLED = False
    assert "fr-connect" not in client.get(reverse("comptes:login")).content.decode()


@pytest.mark.django_db
def test_proconnect_endpoints_are_off_when_not_configured(client, settings):
    settings.PROCONNECT_ENABLED = False
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback"), {"code": "x", "state": "y"}).status_code == 404
