"""The territory API (/api/v1/territoires/) on the real referential."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pvd.territoires.models import Commune, Departement, Epci, Region
from pvd.territoires.services.search import search_hits

pytestmark = pytest.mark.django_db

API = "/api/v1/territoires"

COMMUNE_FIELDS = {
    "code",
    "nom",
    "population",
    "codes_postaux",
    "zone",
    "departement",
    "region",
    "epci",
    "sous_plafond",
    "obsolete",
}


def test_search_returns_ranked_typed_hits(client):
    response = client.get(f"{API}/communes/recherche", {"q": "st etienne", "limit": 5})
    assert response.status_code == 200
    data = response.json()
    assert data["q"] == "st etienne" and data["count"] == len(data["items"]) == 5
    first = data["items"][0]
    assert set(first) == COMMUNE_FIELDS | {"rang", "correspondance"}
    assert first["code"] == "42218" and first["rang"] == 0 and first["correspondance"] == "nom"
    assert first["departement"] == {"code": "42", "nom": "Loire"}
    assert first["codes_postaux"] == ["42000", "42100", "42230"]
    assert first["sous_plafond"] is False
    ranks = [item["rang"] for item in data["items"]]
    assert ranks == sorted(ranks)


@pytest.mark.parametrize(
    ("q", "first", "match"),
    [
        ("chateau chinon", "58062", "nom"),
        ("L'Isle sur la Sorgue", "84054", "nom"),
        ("21425", "21425", "code INSEE"),
        ("21500", "21425", "code postal"),
    ],
)
def test_search_examples(client, q, first, match):
    item = client.get(f"{API}/communes/recherche", {"q": q}).json()["items"][0]
    assert (item["code"], item["correspondance"]) == (first, match)


def test_search_empty_and_no_result(client):
    assert client.get(f"{API}/communes/recherche", {"q": ""}).json() == {"q": "", "count": 0, "items": []}
    assert client.get(f"{API}/communes/recherche", {"q": "xyzzyq"}).json()["count"] == 0


def test_search_validates_its_parameters(client):
    assert client.get(f"{API}/communes/recherche").status_code == 422  # q is required
    response = client.get(f"{API}/communes/recherche", {"q": "saint", "limit": 1000})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]


def test_search_query_count_is_constant(client, django_assert_max_num_queries):
    search_hits("warm-up")  # the first search on a connection looks for the trigram table once
    with django_assert_max_num_queries(2):
        assert client.get(f"{API}/communes/recherche", {"q": "saint", "limit": 100}).json()["count"] == 100


def test_commune_detail(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = client.get(f"{API}/communes/21425")
    assert response.status_code == 200
    data = response.json()
    assert set(data) == COMMUNE_FIELDS | {"siren", "plafond", "autres_codes"}
    assert data["nom"] == "Montbard" and data["population"] == 4639
    assert data["epci"] == {"code": "242101491", "nom": "CC du Montbardois"}
    assert data["region"] == {"code": "27", "nom": "Bourgogne-Franche-Comté"}
    assert data["sous_plafond"] is True and data["plafond"] == 20_000


def test_commune_detail_lists_codes_of_communes_deleguees(client):
    commune = Commune.objects.filter(autres_codes__nature="deleguee").order_by("code").first()
    data = client.get(f"{API}/communes/{commune.code}").json()
    expected = set(commune.autres_codes.values_list("code", "nature"))
    assert {(c["code"], c["nature"]) for c in data["autres_codes"]} == expected


def test_unknown_commune_is_404(client):
    response = client.get(f"{API}/communes/99999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Aucune commune n'a le code INSEE « 99999 »."}


def test_communes_list_is_paginated_and_filtered(client):
    data = client.get(f"{API}/communes", {"departement": "21", "page_size": 10, "page": 2}).json()
    assert data["count"] == Commune.objects.filter(departement_id="21", obsolete=False).count()
    expected = list(
        Commune.objects.filter(departement_id="21", obsolete=False)
        .order_by("code")
        .values_list("code", flat=True)
    )[10:20]
    assert [item["code"] for item in data["items"]] == expected
    everything = client.get(f"{API}/communes", {"page_size": 1}).json()
    assert everything["count"] == Commune.objects.filter(obsolete=False).count() == 34969


def test_communes_list_query_count_does_not_grow_with_page_size(client):
    counts = []
    for size in (5, 500):
        with CaptureQueriesContext(connection) as ctx:
            data = client.get(f"{API}/communes", {"region": "27", "page_size": size}).json()
        assert len(data["items"]) == size
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] == 2  # count + page


def test_epci_list_and_detail_with_members(client, django_assert_max_num_queries):
    data = client.get(f"{API}/epci", {"page_size": 500}).json()
    assert data["count"] == Epci.objects.filter(obsolete=False).count() == 1255
    in_21 = client.get(f"{API}/epci", {"departement": "21", "page_size": 100}).json()
    assert "242101491" in {item["code"] for item in in_21["items"]}
    with django_assert_max_num_queries(2):
        detail = client.get(f"{API}/epci/200067106").json()
    assert detail["nom"] == "CA du Pays Basque"
    members = Commune.objects.filter(epci_id="200067106", obsolete=False)
    assert {m["code"] for m in detail["membres"]} == set(members.values_list("code", flat=True))
    assert len(detail["membres"]) == 158
    assert client.get(f"{API}/epci/000000000").status_code == 404


def test_departements_and_regions(client):
    deps = client.get(f"{API}/departements", {"page_size": 200}).json()
    assert deps["count"] == Departement.objects.filter(obsolete=False).count() == 109
    in_27 = client.get(f"{API}/departements", {"region": "27"}).json()
    assert {d["code"] for d in in_27["items"]} == {"21", "25", "39", "58", "70", "71", "89", "90"}
    corse = client.get(f"{API}/departements/2a").json()
    assert corse["nom"] == "Corse-du-Sud" and corse["region"]["code"] == "94"
    assert corse["nombre_communes"] == Commune.objects.filter(departement_id="2A", obsolete=False).count()
    regions = client.get(f"{API}/regions").json()
    assert regions["count"] == Region.objects.filter(obsolete=False).count() == 26
    assert client.get(f"{API}/regions/27").json()["nom"] == "Bourgogne-Franche-Comté"
    assert client.get(f"{API}/regions/00").status_code == 404
    assert client.get(f"{API}/departements/00").status_code == 404


def test_openapi_document_describes_the_territory_endpoints(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    paths = doc["paths"]
    for path in (
        "/api/v1/territoires/communes/recherche",
        "/api/v1/territoires/communes",
        "/api/v1/territoires/communes/{code}",
        "/api/v1/territoires/epci",
        "/api/v1/territoires/epci/{code}",
        "/api/v1/territoires/departements",
        "/api/v1/territoires/departements/{code}",
        "/api/v1/territoires/regions",
        "/api/v1/territoires/regions/{code}",
    ):
        assert "get" in paths[path], path
    params = {p["name"] for p in paths["/api/v1/territoires/communes/recherche"]["get"]["parameters"]}
    assert params == {"q", "limit"}
    assert "CommuneHit" in doc["components"]["schemas"]
    assert client.get("/api/v1/docs").status_code == 200
