"""Pages, search and API read the territories through the access policy, never around it.

The referential is public (everyone may read it), so to prove that every path asks the policy,
the rule of ``Commune`` is narrowed for the test to the communes of Côte-d'Or (21): what the policy
hides must vanish from the search, the pages and the API.
"""

import dataclasses

import pytest
from django.db.models import Q
from django.urls import reverse

from pvd.comptes import policy
from pvd.territoires.models import Commune

pytestmark = pytest.mark.django_db


@pytest.fixture
def only_cote_d_or(monkeypatch):
    rule = policy.rule_for(Commune)
    monkeypatch.setitem(
        policy._RULES, Commune, dataclasses.replace(rule, public_filter=Q(departement_id="21"))
    )


def test_search_page_shows_only_visible_communes(client, only_cote_d_or):
    html = client.get(reverse("territoires:recherche"), {"q": "saint"}).content.decode()
    assert reverse("territoires:commune", args=["42218"]) not in html  # Saint-Étienne (42)
    assert reverse("territoires:commune", args=["21568"]) in html  # Saint-Rémy (21)


def test_hidden_commune_page_is_404(client, only_cote_d_or):
    assert client.get(reverse("territoires:commune", args=["42218"])).status_code == 404
    assert client.get(reverse("territoires:commune", args=["21425"])).status_code == 200


def test_lists_show_only_visible_communes(client, only_cote_d_or):
    html = client.get(reverse("territoires:region", args=["27"]), {"page": 1}).content.decode()
    assert "/territoires/communes/25" not in html  # Doubs communes are hidden
    html = client.get(reverse("territoires:departement", args=["25"])).content.decode()
    assert "/territoires/communes/25" not in html


def test_api_shows_only_visible_communes(client, only_cote_d_or):
    api = "/api/v1/territoires"
    assert client.get(f"{api}/communes/42218").status_code == 404
    items = client.get(f"{api}/communes/recherche", {"q": "saint", "limit": 100}).json()["items"]
    assert items and all(item["departement"]["code"] == "21" for item in items)
    listed = client.get(f"{api}/communes", {"page_size": 1}).json()
    assert listed["count"] == Commune.objects.filter(departement_id="21", obsolete=False).count()
    members = client.get(f"{api}/epci/200067106").json()["membres"]  # CA du Pays Basque (64)
    assert members == []
