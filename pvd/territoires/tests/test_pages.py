"""Territory pages on the real referential: content, pagination, 404s, query counts."""

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pvd.territoires import views
from pvd.territoires.models import CodeCommune, Commune, Departement, Epci, Region
from pvd.territoires.services.search import search_communes

pytestmark = pytest.mark.django_db


def text(response) -> str:
    """The page's visible text in <main>, whitespace (incl. narrow no-break spaces) collapsed."""
    html = response.content.decode()
    main = html[html.index("<main") : html.index("</main>")] if "<main" in html else html
    return re.sub(r"[\s\u202f\u00a0]+", " ", unescape(re.sub(r"<[^>]+>", " ", main)))


def test_index_lists_regions_and_their_departements(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = client.get(reverse("territoires:index"))
    assert response.status_code == 200
    html = response.content.decode()
    for region in Region.objects.filter(obsolete=False):
        assert region.get_absolute_url() in html
    assert reverse("territoires:departement", args=["2A"]) in html
    assert "Bourgogne-Franche-Comté" in text(response)


def test_search_page_without_query(client):
    response = client.get(reverse("territoires:recherche"))
    assert response.status_code == 200
    assert 'name="q"' in response.content.decode()
    assert "Aucune commune" not in text(response)


def test_search_page_lists_ranked_results(client, django_assert_max_num_queries):
    search_communes("warm-up")  # the first search on a connection looks for the trigram table once
    with django_assert_max_num_queries(2):
        response = client.get(reverse("territoires:recherche"), {"q": "st etienne"})
    assert response.status_code == 200
    html = response.content.decode()
    first = html.index(reverse("territoires:commune", args=["42218"]))
    assert first < html.index(reverse("territoires:commune", args=["76575"]))  # Saint-Étienne-du-Rouvray
    assert "Saint-Étienne" in text(response)
    assert "« st etienne »" in text(response)


def test_search_by_postal_code_on_the_page(client):
    response = client.get(reverse("territoires:recherche"), {"q": "21500"})
    body = text(response)
    assert "Montbard" in body and "code postal" in body and "Pouillenay" in body


def test_search_without_result_says_so(client):
    response = client.get(reverse("territoires:recherche"), {"q": "xyzzyq"})
    assert response.status_code == 200
    assert "Aucune commune ne correspond à « xyzzyq »" in text(response)


def test_htmx_search_returns_only_the_results(client):
    response = client.get(reverse("territoires:recherche"), {"q": "montbard"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "Montbard" in html
    # The status line read by screen readers is updated out of band.
    assert 'id="resultats-statut" hx-swap-oob="innerHTML"' in html
    count = len(search_communes("montbard", limit=views.SEARCH_LIMIT))
    assert f"{count} communes trouvées pour « montbard »" in html


def test_search_page_has_a_status_for_screen_readers(client):
    html = client.get(reverse("territoires:recherche"), {"q": "xyzzyq"}).content.decode()
    assert re.search(r'id="resultats-statut"[^>]*role="status"[^>]*>Aucune commune ne correspond', html)


def test_commune_page(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = client.get(reverse("territoires:commune", args=["21425"]))
    assert response.status_code == 200
    body = text(response)
    assert "Montbard" in body
    assert "4 639 habitants" in body
    assert "Sous le plafond du programme (20 000 habitants)" in body
    assert "CC du Montbardois" in body
    assert "Côte-d'Or (21)" in body and "Bourgogne-Franche-Comté" in body
    html = response.content.decode()
    members = Commune.objects.filter(epci_id="242101491", obsolete=False)
    assert f"Communes membres de CC du Montbardois ({members.count()})" in body
    for member in members.exclude(code="21425"):
        assert member.get_absolute_url() in html
    # Breadcrumb: Accueil › Territoires › région › département › commune
    assert 'class="fr-breadcrumb"' in html
    assert reverse("territoires:departement", args=["21"]) in html


def test_commune_above_the_ceiling(client):
    body = text(client.get(reverse("territoires:commune", args=["42218"])))
    assert "Au-dessus du plafond du programme (20 000 habitants)" in body
    assert "153 136 habitants au-dessus" in body  # 173,136 − 20,000


def test_commune_without_epci(client):
    response = client.get(reverse("territoires:commune", args=["29155"]))  # Ouessant
    assert response.status_code == 200
    assert "aucune (commune isolée)" in text(response)


def test_commune_page_query_count_does_not_grow_with_the_epci(client, django_assert_max_num_queries):
    # CA du Pays Basque: 158 member communes.
    big = Commune.objects.filter(epci_id="200067106").first()
    with django_assert_max_num_queries(3):
        response = client.get(big.get_absolute_url())
    assert text(response).count("Pays Basque") >= 1


def test_unknown_commune_is_404(client):
    assert client.get(reverse("territoires:commune", args=["99999"])).status_code == 404


def test_code_of_a_commune_deleguee_redirects_to_the_current_commune(client):
    alias = (
        CodeCommune.objects.filter(nature=CodeCommune.Nature.DELEGUEE, commune__obsolete=False)
        .exclude(code__in=Commune.objects.values("code"))
        .order_by("code")
        .first()
    )
    response = client.get(reverse("territoires:commune", args=[alias.code]))
    assert response.status_code == 302
    assert response["Location"] == reverse("territoires:commune", args=[alias.commune_id])


def test_departement_page_is_paginated(client):
    total = Commune.objects.filter(departement_id="21", obsolete=False).count()
    first = client.get(reverse("territoires:departement", args=["21"]))
    second = client.get(reverse("territoires:departement", args=["21"]), {"page": 2})
    assert first.status_code == second.status_code == 200
    assert f"Communes {total}" in text(first)
    html1, html2 = first.content.decode(), second.content.decode()
    assert 'class="fr-pagination__list"' in html1
    assert 'fr-pagination__link--prev fr-pagination__link--lg-label" aria-disabled="true"' in html1
    assert 'aria-current="page"' in html2 and "?page=3" in html2
    # Alphabetical order: the first commune of page 1 is not on page 2.
    first_commune = (
        Commune.objects.filter(departement_id="21", obsolete=False).order_by("nom_normalise", "code").first()
    )
    assert first_commune.get_absolute_url() in html1
    assert first_commune.get_absolute_url() not in html2
    assert "page 2 sur" in text(second)


def test_out_of_range_or_bad_page_falls_back(client):
    last = client.get(reverse("territoires:departement", args=["21"]), {"page": 9999})
    bad = client.get(reverse("territoires:departement", args=["21"]), {"page": "abc"})
    assert last.status_code == bad.status_code == 200
    assert "page 1 sur" in text(bad)
    pages = -(-Commune.objects.filter(departement_id="21", obsolete=False).count() // views.PAGE_SIZE)
    assert f"page {pages} sur {pages}" in text(last)


def test_communes_are_in_alphabetical_order_whatever_their_accents(client):
    html = client.get(reverse("territoires:epci", args=["242101491"])).content.decode()  # CC du Montbardois
    positions = [
        html.index(reverse("territoires:commune", args=[code]))
        for code in ("21212", "21248", "21252", "21259")
    ]
    assert positions == sorted(positions)  # Crépand, Éringes, Étais, Fain-lès-Montbard


def test_departement_page_lists_its_epci(client):
    body = text(client.get(reverse("territoires:departement", args=["21"])))
    assert "CC du Montbardois" in body


def test_lowercase_corsican_departement(client):
    assert client.get(reverse("territoires:departement", args=["2a"])).status_code == 200


def test_region_page(client):
    response = client.get(reverse("territoires:region", args=["27"]))
    assert response.status_code == 200
    body = text(response)
    for departement in Departement.objects.filter(region_id="27"):
        assert departement.nom in body
    total = Commune.objects.filter(region_id="27", obsolete=False).count()
    assert f"Communes ({total:,})".replace(",", " ") in body


def test_epci_page(client):
    epci = Epci.objects.get(code="200067106")  # CA du Pays Basque, 158 communes
    response = client.get(epci.get_absolute_url())
    assert response.status_code == 200
    body = text(response)
    assert "CA du Pays Basque" in body and "Pyrénées-Atlantiques (64)" in body
    assert "158, dont" in body
    assert 'class="fr-pagination__list"' in response.content.decode()


@pytest.mark.parametrize(
    ("name", "code"), [("epci", "000000000"), ("departement", "00"), ("region", "00"), ("commune", "ABCDE")]
)
def test_unknown_codes_are_404(client, name, code):
    assert client.get(reverse(f"territoires:{name}", args=[code])).status_code == 404


@pytest.mark.parametrize(("name", "code"), [("departement", "59"), ("region", "84"), ("epci", "200067106")])
def test_list_query_count_does_not_grow_with_page_size(client, monkeypatch, name, code):
    url = reverse(f"territoires:{name}", args=[code])
    counts = []
    for size in (5, 200):
        monkeypatch.setattr(views, "PAGE_SIZE", size)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 5


def test_logged_in_user_without_habilitation_sees_the_public_referential(client):
    user = get_user_model().objects.create_user(email="agent@example.fr", password="un mot de passe long")
    client.force_login(user)
    assert client.get(reverse("territoires:commune", args=["21425"])).status_code == 200
    assert "Montbard" in text(client.get(reverse("territoires:recherche"), {"q": "montbard"}))
