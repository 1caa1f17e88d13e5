"""API /api/v1/programmes/: same filters as the list, policy-filtered, optimistic locking on PATCH."""

import datetime as dt
import json

import pytest

from pvd.comptes.models import Habilitation, Role, User
from pvd.programmes.factories import make_laureat, programme_pvd

pytestmark = pytest.mark.django_db
BASE = "/api/v1/programmes"


@pytest.fixture
def laureats():
    programme_pvd()
    return {
        "montbard": make_laureat("21425", identifiant="pvd-27-21-1", adhesion=dt.date(2021, 3, 15)),
        "cosne": make_laureat("58086", identifiant="pvd-27-58-1", adhesion=dt.date(2022, 5, 31)),
    }


def user_with(role, **scope):
    user = User.objects.create_user(f"api-{User.objects.count()}@example.fr", "mot-de-passe-long-123")
    Habilitation.objects.create(user=user, role=role, **scope)
    return user


def test_programmes_with_their_rules(client):
    data = client.get(f"{BASE}/programmes").json()
    pvd = next(p for p in data if p["slug"] == "pvd")
    assert pvd["plafond_population"] == 20000 and pvd["date_lancement"] == "2020-10-01"
    ort = next(t for t in pvd["types_jalons"] if t["code"] == "ort")
    assert ort["reference"] == "adhesion" and ort["delai_mois"] == 18


def test_laureates_public_with_the_list_filters(client, laureats):
    data = client.get(f"{BASE}/laureats").json()
    assert data["count"] == 2
    data = client.get(f"{BASE}/laureats", {"departement": "21"}).json()
    assert [item["identifiant"] for item in data["items"]] == ["pvd-27-21-1"]
    item = data["items"][0]
    assert item["communes"] == [{"code": "21425", "nom": "Montbard", "population": 4639, "principale": True}]
    assert {j["type"]: j["etat"] for j in item["jalons"]} == {"adhesion": "realise", "ort": "en_retard"}
    assert client.get(f"{BASE}/laureats", {"population": "moins-3500"}).json()["count"] == 0
    assert client.get(f"{BASE}/laureats", {"jalon": "en_retard"}).json()["count"] == 2
    assert client.get(f"{BASE}/laureats", {"population": "nimporte"}).status_code == 422
    one = client.get(f"{BASE}/laureats/pvd/pvd-27-58-1").json()
    assert one["departement"] == "58" and one["epci"] == laureats["cosne"].epci_id
    assert client.get(f"{BASE}/laureats/pvd/inconnu").status_code == 404


def test_milestones_filtered_by_state(client, laureats):
    data = client.get(f"{BASE}/jalons", {"etat": "en_retard", "departement": "58"}).json()
    assert [(j["laureat"], j["type"], j["date_echeance"]) for j in data["items"]] == [
        ("pvd-27-58-1", "ort", "2023-11-30")
    ]
    assert client.get(f"{BASE}/jalons", {"etat": "realise"}).json()["count"] == 2


def test_patch_milestone_access_and_optimistic_locking(client, laureats):
    jalon = laureats["montbard"].jalons.get(type__code="ort")
    url = f"{BASE}/jalons/{jalon.pk}"
    body = json.dumps({"version": jalon.version, "date_realisation": "2022-12-01"})
    assert client.patch(url, body, content_type="application/json").status_code == 401
    client.force_login(user_with(Role.DELEGUE_TERRITORIAL, departement_id="58"))
    assert client.patch(url, body, content_type="application/json").status_code == 403
    client.force_login(user_with(Role.COLLECTIVITE, laureat=laureats["montbard"]))
    assert client.patch(url, body, content_type="application/json").status_code == 403
    client.force_login(user_with(Role.DELEGUE_TERRITORIAL, departement_id="21"))
    response = client.patch(url, body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["etat"] == "realise" and response.json()["version"] == jalon.version + 1
    laureats["montbard"].refresh_from_db()
    assert laureats["montbard"].statut == "ort"
    stale = client.patch(url, body, content_type="application/json")
    assert stale.status_code == 409
    assert stale.json()["current_version"] == jalon.version + 1
