"""Stale edits of an action and of a financing line are refused (form and API), never overwritten."""

import json

from pvd.projets.models import Financement

from .conftest import make_fiche


def _fiche_form(fiche, **changes):
    data = {
        "numero": fiche.numero, "titre": fiche.titre, "description": "", "maitre_ouvrage_type": "commune",
        "maitre_ouvrage_nom": "", "version": fiche.version,
    }  # fmt: skip
    data.update(changes)
    return data


def test_stale_action_form_is_refused(client, montbard, admin_user):
    fiche = make_fiche(montbard)
    client.force_login(admin_user)
    stale = _fiche_form(fiche, titre="Version d'Alice")  # both opened version 1
    assert (
        client.post(
            f"/projets/fiches/{fiche.pk}/modifier/", _fiche_form(fiche, titre="Version de Bob")
        ).status_code
        == 302
    )
    response = client.post(f"/projets/fiches/{fiche.pk}/modifier/", stale)
    assert response.status_code == 409
    html = response.content.decode()
    assert "a été modifié" in html and "titre" in html
    fiche.refresh_from_db()
    assert fiche.titre == "Version de Bob" and fiche.version == 2


def test_stale_action_api_is_refused(client, montbard, admin_user):
    fiche = make_fiche(montbard)
    client.force_login(admin_user)
    url = f"/api/v1/projets/fiches/{fiche.pk}"
    first = client.patch(url, json.dumps({"version": 1, "titre": "Bob"}), content_type="application/json")
    assert first.status_code == 200 and first.json()["version"] == 2
    second = client.patch(url, json.dumps({"version": 1, "titre": "Alice"}), content_type="application/json")
    assert second.status_code == 409
    body = second.json()
    assert body["expected_version"] == 1 and body["current_version"] == 2
    assert [(c["field"], c["yours"], c["current"]) for c in body["changes"]] == [("titre", "Alice", "Bob")]
    fiche.refresh_from_db()
    assert fiche.titre == "Bob"
    # a status change based on a stale version is refused too
    stale_status = client.post(
        f"{url}/statut", json.dumps({"vers": "en_etude", "version": 1}), content_type="application/json"
    )
    assert stale_status.status_code == 409
    fiche.refresh_from_db()
    assert fiche.statut == "idee"


def test_stale_financing_line_form_and_api_are_refused(client, montbard, admin_user):
    fiche = make_fiche(montbard, financements=[("etat", "1000", "prevu")])
    line = Financement.objects.get(fiche=fiche)
    client.force_login(admin_user)
    form = {"financeur": line.financeur_id, "montant": "2000", "statut": "prevu", "version": 1}
    assert client.post(f"/projets/lignes/financements/{line.pk}/modifier/", form).status_code == 302
    form["montant"] = "3000"
    response = client.post(f"/projets/lignes/financements/{line.pk}/modifier/", form)
    assert response.status_code == 409
    assert "montant" in response.content.decode()
    line.refresh_from_db()
    assert line.montant == 2000 and line.version == 2

    url = f"/api/v1/projets/financements/{line.pk}"
    stale = client.patch(url, json.dumps({"version": 1, "montant": "4000"}), content_type="application/json")
    assert stale.status_code == 409
    assert stale.json()["changes"][0]["field"] == "montant"
    fresh = client.patch(
        url,
        json.dumps({"version": 2, "montant": "4000", "statut": "sollicite"}),
        content_type="application/json",
    )
    assert fresh.status_code == 200 and fresh.json()["version"] == 3
    line.refresh_from_db()
    assert line.montant == 4000 and line.statut == "sollicite"


def test_api_writes_accept_a_personal_token_within_the_holders_scope(client, montbard, autre):
    """Machine clients write with a token (no session, no CSRF), scoped by the holder's habilitation."""
    from pvd.comptes.models import ApiToken, Role

    from .conftest import make_user

    delegue = make_user("delegue21@test.fr", Role.DELEGUE_TERRITORIAL, departement_id="21")
    _, token = ApiToken.issue(delegue, "script de suivi")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    mine, other = make_fiche(montbard), make_fiche(autre)
    body = json.dumps({"version": 1, "titre": "Halles rénovées"})
    ok = client.patch(f"/api/v1/projets/fiches/{mine.pk}", body, content_type="application/json", **headers)
    assert ok.status_code == 200 and ok.json()["titre"] == "Halles rénovées"
    refused = client.patch(
        f"/api/v1/projets/fiches/{other.pk}", body, content_type="application/json", **headers
    )
    assert refused.status_code in (403, 404)
    other.refresh_from_db()
    assert other.titre == "Rénovation des halles"
    anonymous = client.patch(f"/api/v1/projets/fiches/{mine.pk}", body, content_type="application/json")
    assert anonymous.status_code == 401
