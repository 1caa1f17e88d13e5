import pytest


@pytest.mark.django_db
def test_home_page_has_the_dsfr_header_in_french(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr"' in html
    assert "fr-header" in html and "République" in html
    assert "fr-footer" in html


@pytest.mark.django_db
def test_health_probe_answers(client):
    assert client.get("/sante/").json() == {"status": "ok"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/programmes/pvd/", "/programmes/laureats/", "/projets/", "/projets/agregats/", "/territoires/"]
)
def test_no_template_syntax_leaks_into_public_pages(client, path):
    """A multi-line ``{# … #}`` is not a comment for Django: it would be shown to users."""
    from pvd.programmes.factories import make_laureat

    make_laureat("21425")
    html = client.get(path).content.decode()
    assert "{#" not in html and "{%" not in html and "{{" not in html


@pytest.mark.django_db
def test_home_lists_the_programmes_with_their_laureates(client, django_assert_max_num_queries):
    from pvd.programmes.factories import make_laureat

    make_laureat("21425")
    make_laureat("58062")
    with django_assert_max_num_queries(4):
        html = client.get("/").content.decode()
    assert "Petites villes de demain" in html and "2 territoires lauréats" in html
    assert 'href="/programmes/pvd/"' in html
