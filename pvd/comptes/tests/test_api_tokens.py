"""API tokens: hashed at rest, shown once, revocable, scoped by the user's habilitations."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from pvd.comptes.models import ApiToken, Habilitation, Role, User


@pytest.fixture
def admin(db):
    user = User.objects.create_user("admin@example.org", first_name="Ada")
    Habilitation.grant(user, Role.ADMIN_NATIONAL)
    return user


@pytest.fixture
def delegue(db, admin):
    user = User.objects.create_user("delegue@cote-dor.gouv.fr", first_name="Denis")
    Habilitation.grant(user, Role.DELEGUE_TERRITORIAL, granted_by=admin, departement_id="21")
    return user


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_token_is_stored_hashed_and_shown_once(client, delegue):
    client.force_login(delegue)
    page = client.post(reverse("comptes:api_tokens"), {"name": "Script SIG", "validite": "90"})
    record = ApiToken.objects.get(user=delegue)
    html = page.content.decode()
    token = html.split('<code id="nouveau-jeton">')[1].split("</code>")[0]
    assert token.startswith("pvd_") and len(token) > 40
    assert page["Cache-Control"] == "no-store"
    assert token not in (record.digest, record.key_prefix) and record.digest == ApiToken.hash(token)
    assert not ApiToken.objects.filter(digest=token).exists()
    assert record.expires_at.date() == (timezone.now() + dt.timedelta(days=90)).date()
    assert token not in client.get(reverse("comptes:api_tokens")).content.decode()  # never again
    assert record.key_prefix in client.get(reverse("comptes:api_tokens")).content.decode()


def test_token_authenticates_with_the_users_habilitations(client, delegue, admin):
    _, token = ApiToken.issue(delegue, "t")
    me = client.get("/api/v1/comptes/moi", **bearer(token))
    assert me.status_code == 200
    body = me.json()
    assert body["email"] == "delegue@cote-dor.gouv.fr"
    assert [(h["role"], h["perimetre"]) for h in body["habilitations"]] == [
        ("delegue_territorial", "Département : Côte-d'Or (21)")
    ]
    # Scoped like the user: the délégué sees only their own habilitation, the admin all of them.
    assert client.get("/api/v1/comptes/habilitations", **bearer(token)).json()["count"] == 1
    _, admin_token = ApiToken.issue(admin, "t")
    page = client.get("/api/v1/comptes/habilitations", **bearer(admin_token)).json()
    assert page["count"] == 2 and {h["user_email"] for h in page["items"]} == {admin.email, delegue.email}
    assert ApiToken.objects.get(user=delegue).last_used_at is not None


def test_refusals_are_json(client, delegue, admin):
    _, token = ApiToken.issue(delegue, "t")
    own = Habilitation.objects.get(user=delegue)
    admins = Habilitation.objects.get(user=admin)
    # visible (their own) but not allowed → 403 JSON
    response = client.delete(f"/api/v1/comptes/habilitations/{own.pk}", **bearer(token))
    assert response.status_code == 403
    assert response.json() == {"detail": "Vous n'avez pas les droits nécessaires pour cette action."}
    # not visible at all → 404 (existence not disclosed)
    assert client.get(f"/api/v1/comptes/habilitations/{admins.pk}", **bearer(token)).status_code == 404
    # the administrator may revoke it, through their own token
    _, admin_token = ApiToken.issue(admin, "t")
    response = client.delete(f"/api/v1/comptes/habilitations/{own.pk}", **bearer(admin_token))
    assert response.status_code == 200 and response.json()["revoked_at"]
    own.refresh_from_db()
    assert own.revoked_by == admin


@pytest.mark.parametrize("header", ["Bearer pvd_inconnu", "Bearer nimportequoi", "Bearer "])
def test_invalid_tokens_are_refused_not_treated_as_anonymous(client, db, header):
    response = client.get("/api/v1/comptes/moi", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401


def test_revoked_and_expired_tokens_stop_working(client, delegue):
    record, token = ApiToken.issue(delegue, "t")
    assert client.get("/api/v1/comptes/moi", **bearer(token)).status_code == 200
    client.force_login(delegue)
    client.post(reverse("comptes:revoke_api_token", args=[record.pk]))
    client.logout()
    assert client.get("/api/v1/comptes/moi", **bearer(token)).status_code == 401
    _, old = ApiToken.issue(delegue, "t", expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/api/v1/comptes/moi", **bearer(old)).status_code == 401
    delegue.is_active = False
    delegue.save()
    _, inactive = ApiToken.issue(delegue, "t")
    assert client.get("/api/v1/comptes/moi", **bearer(inactive)).status_code == 401


def test_someone_elses_token_cannot_be_revoked(client, delegue, admin):
    record, _ = ApiToken.issue(admin, "t")
    client.force_login(delegue)
    assert client.post(reverse("comptes:revoke_api_token", args=[record.pk])).status_code == 404
    assert ApiToken.objects.get(pk=record.pk).revoked_at is None


def test_anonymous_and_session_access(client, delegue):
    response = client.get("/api/v1/comptes/moi")
    assert response.status_code == 401
    client.force_login(delegue)
    assert client.get("/api/v1/comptes/moi").json()["email"] == delegue.email


def test_session_writes_need_csrf(delegue, admin):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin)
    hab = Habilitation.objects.get(user=delegue)
    response = browser.delete(f"/api/v1/comptes/habilitations/{hab.pk}")
    assert response.status_code == 403
    assert Habilitation.objects.get(pk=hab.pk).revoked_at is None
    # a token client has no cookie and needs no CSRF token
    _, token = ApiToken.issue(admin, "t")
    assert (
        Client(enforce_csrf_checks=True)
        .delete(f"/api/v1/comptes/habilitations/{hab.pk}", **bearer(token))
        .status_code
        == 200
    )


def test_openapi_documents_the_security_schemes(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["ApiTokenAuth"]["type"] == "http" and schemes["ApiTokenAuth"]["scheme"] == "bearer"
    assert (
        schemes["ApiTokenAuth"]["bearerFormat"] == "pvd_…"
        and "habilitations" in schemes["ApiTokenAuth"]["description"]
    )
    assert schemes["SessionAuth"]["in"] == "cookie"
    assert {"ApiTokenAuth": []} in schema["paths"]["/api/v1/comptes/moi"]["get"]["security"]


def test_habilitations_list_query_count_does_not_grow(client, admin, django_assert_max_num_queries):
    for i in range(40):
        Habilitation.grant(
            User.objects.create_user(f"u{i}@example.org"), Role.DELEGUE_TERRITORIAL, departement_id="21"
        )
    _, token = ApiToken.issue(admin, "t")
    with django_assert_max_num_queries(8):  # token, last use, user's habilitations, count, page…
        page = client.get("/api/v1/comptes/habilitations", **bearer(token)).json()
    assert page["count"] == 41
