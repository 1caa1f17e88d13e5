"""API of projets: filters, financing lines, aggregates, errors."""

import json

from pvd.comptes.models import Role
from pvd.projets.models import Financement

from .conftest import make_fiche, make_user


def test_action_filters_and_detail(client, montbard, autre, admin_user):
    a = make_fiche(montbard, titre="Halles", financements=[("etat", "90000", "accorde")])
    make_fiche(autre, titre="Maison de santé", themes=("sante",))
    client.force_login(admin_user)
    items = client.get("/api/v1/projets/fiches?region=27").json()["items"]
    assert [i["titre"] for i in items] == ["Halles"]
    assert [i["titre"] for i in client.get("/api/v1/projets/fiches?financeur=1").json()["items"]] == [
        "Halles"
    ]
    assert client.get("/api/v1/projets/fiches?region=zz").status_code == 400
    detail = client.get(f"/api/v1/projets/fiches/{a.pk}").json()
    assert detail["plan"]["reste_a_financer"] == "10000.00"
    assert detail["plan"]["taux_financement"] == "90.00"
    assert detail["plan"]["alertes"] == [
        "Les aides publiques (90 000,00 €) représentent 90,00 % du coût HT, au-delà du plafond de 80 %."
    ]
    assert detail["themes"] == ["commerce"]


def test_financing_lines_are_created_with_checks(client, montbard):
    fiche = make_fiche(montbard)
    url = f"/api/v1/projets/fiches/{fiche.pk}/financements"
    body = {"financeur": "anah", "dispositif": "anah-opah-ru", "montant": "1000.50"}
    assert client.post(url, json.dumps(body), content_type="application/json").status_code == 401
    client.force_login(make_user("maire@montbard.fr", Role.COLLECTIVITE, laureat=montbard.laureat))
    created = client.post(url, json.dumps(body), content_type="application/json")
    assert created.status_code == 201 and created.json()["montant"] == "1000.50"
    wrong = dict(body, financeur="etat")
    response = client.post(url, json.dumps(wrong), content_type="application/json")
    assert response.status_code == 400 and "relève de" in response.json()["detail"]
    unknown = client.post(url, json.dumps(dict(body, financeur="papa")), content_type="application/json")
    assert unknown.status_code == 400 and "Financeur inconnu" in unknown.json()["detail"]
    assert (
        client.post(url, json.dumps(dict(body, montant="-1")), content_type="application/json").status_code
        == 422
    )
    assert Financement.objects.filter(fiche=fiche).count() == 1


def test_refused_transition_in_the_api(client, montbard, admin_user):
    fiche = make_fiche(montbard)
    client.force_login(admin_user)
    url = f"/api/v1/projets/fiches/{fiche.pk}/statut"
    refused = client.post(
        url, json.dumps({"vers": "realisee", "version": 1}), content_type="application/json"
    )
    assert refused.status_code == 400 and "Transition refusée" in refused.json()["detail"]
    ok = client.post(url, json.dumps({"vers": "en_etude", "version": 1}), content_type="application/json")
    assert ok.status_code == 200 and ok.json()["statut"] == "en_etude" and ok.json()["version"] == 2


def test_aggregates_levels_and_errors(client, montbard):
    make_fiche(montbard)
    assert client.get("/api/v1/projets/agregats?niveau=departement&code=21").json()["nb_fiches"] == 1
    assert client.get("/api/v1/projets/agregats?niveau=departement&code=59").json()["nb_fiches"] == 0
    assert client.get("/api/v1/projets/agregats?niveau=commune&code=21425").status_code == 400
    assert client.get("/api/v1/projets/agregats?niveau=region").status_code == 400


def test_filter_form_keeps_the_selection(client, admin_user, montbard):
    client.force_login(admin_user)
    html = client.get("/projets/?statut=en_cours&en_retard=true&region=27").content.decode()
    assert '<option value="en_cours" selected>En cours</option>' in html
    assert '<option value="true" selected>Oui</option>' in html
    assert '<option value="27" selected>' in html
