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
