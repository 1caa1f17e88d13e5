"""Access through the policy: who reaches which project, action and financing line (pages, API, exports)."""

import json

import pytest

from pvd.comptes.models import Organisation, Role
from pvd.projets.models import FicheAction

from .conftest import make_fiche, make_user


@pytest.fixture
def fiche(montbard, organisation_bdt):
    """An action of Montbard (Côte-d'Or, BFC) financed by the Banque des Territoires."""
    return make_fiche(
        montbard, financements=[("banque-des-territoires", "20000", "accorde"), ("etat", "30000", "prevu")]
    )


@pytest.fixture
def autre_fiche(autre):
    return make_fiche(autre, titre="Maison de santé", themes=("sante",))


def _users(montbard, autre, organisation_bdt):
    anah = Organisation.objects.create(nom="Anah (test)")
    return {
        "collectivite": make_user("maire@montbard.fr", Role.COLLECTIVITE, laureat=montbard.laureat),
        "collectivite_autre": make_user("maire@hazebrouck.fr", Role.COLLECTIVITE, laureat=autre.laureat),
        "delegue": make_user("ddt@cote-dor.fr", Role.DELEGUE_TERRITORIAL, departement_id="21"),
        "delegue_autre": make_user("ddt@nord.fr", Role.DELEGUE_TERRITORIAL, departement_id="59"),
        "referent": make_user("sgar@bfc.fr", Role.REFERENT_REGIONAL, region_id="27"),
        "referent_autre": make_user("sgar@hdf.fr", Role.REFERENT_REGIONAL, region_id="32"),
        "partenaire": make_user("dr@bdt.fr", Role.PARTENAIRE, organisation=organisation_bdt),
        "partenaire_autre": make_user("dr@anah.fr", Role.PARTENAIRE, organisation=anah),
    }


# who may view / edit Montbard's action
VIEW = {"collectivite", "delegue", "referent", "partenaire"}
EDIT = {"collectivite", "delegue"}


@pytest.mark.parametrize(
    "who",
    [
        "anonymous",
        "collectivite",
        "collectivite_autre",
        "delegue",
        "delegue_autre",
        "referent",
        "referent_autre",
        "partenaire",
        "partenaire_autre",
    ],
)
def test_matrix(client, montbard, autre, organisation_bdt, fiche, autre_fiche, who):
    users = _users(montbard, autre, organisation_bdt)
    if who != "anonymous":
        client.force_login(users[who])
    line = fiche.financements.get(financeur__slug="etat")
    pages = {
        "fiche": client.get(f"/projets/fiches/{fiche.pk}/").status_code,
        "projet": client.get(f"/projets/laureat/{montbard.laureat_id}/").status_code,
        "api_fiche": client.get(f"/api/v1/projets/fiches/{fiche.pk}").status_code,
    }
    expected = 200 if who in VIEW else 403
    assert pages == {"fiche": expected, "projet": expected, "api_fiche": expected}

    listed = client.get("/projets/").context["rows"]
    assert (fiche in listed) == (who in VIEW)
    api_ids = [item["id"] for item in client.get("/api/v1/projets/fiches").json()["items"]]
    assert (fiche.pk in api_ids) == (who in VIEW)
    assert (line.pk in [i["id"] for i in client.get("/api/v1/projets/financements").json()["items"]]) == (
        who in VIEW
    )
    export = client.get("/projets/?format=csv").content.decode()
    assert (fiche.titre in export) == (who in VIEW)
    # never someone else's territory
    if who in {"collectivite", "delegue", "referent", "partenaire"}:
        assert autre_fiche not in listed
        assert client.get(f"/projets/fiches/{autre_fiche.pk}/").status_code == 403

    # writes
    edit_page = client.get(f"/projets/fiches/{fiche.pk}/modifier/").status_code
    api_patch = client.patch(
        f"/api/v1/projets/fiches/{fiche.pk}",
        json.dumps({"version": 1, "titre": "Piraté"}),
        content_type="application/json",
    ).status_code
    line_edit = client.post(
        f"/projets/lignes/financements/{line.pk}/modifier/",
        {"financeur": line.financeur_id, "montant": "1", "statut": "prevu", "version": 1},
    ).status_code
    if who == "anonymous":
        assert edit_page == 302 and line_edit == 302  # to the login page
        assert api_patch == 401
    elif who in EDIT:
        assert edit_page == 200 and api_patch == 200 and line_edit == 302
    else:
        assert edit_page == 403 and api_patch == 403 and line_edit == 403
    fiche.refresh_from_db()
    assert (fiche.titre == "Piraté") == (who in EDIT)


def test_partner_reads_only_the_actions_it_finances(client, montbard, organisation_bdt, fiche):
    other = make_fiche(montbard, titre="Voie verte", financements=[("etat", "10000", "prevu")])
    client.force_login(make_user("dr@bdt.fr", Role.PARTENAIRE, organisation=organisation_bdt))
    rows = client.get("/projets/").context["rows"]
    assert rows == [fiche]
    assert client.get(f"/projets/fiches/{other.pk}/").status_code == 403
    # the project page lists only what the partner may see
    page = client.get(f"/projets/laureat/{montbard.laureat_id}/").content.decode()
    assert fiche.titre in page and "Voie verte" not in page
    # partners may comment the actions they finance
    client.post(f"/projets/fiches/{fiche.pk}/commentaires/", {"texte": "Dossier complet, passage en comité."})
    assert fiche.commentaires.get().auteur.email == "dr@bdt.fr"


def test_collectivite_creates_actions_only_in_its_own_project(client, montbard, autre):
    client.force_login(make_user("maire@montbard.fr", Role.COLLECTIVITE, laureat=montbard.laureat))
    ok = client.post(
        f"/projets/laureat/{montbard.laureat_id}/fiches/nouvelle/",
        {"titre": "Halle couverte", "maitre_ouvrage_type": "commune", "themes": []},
    )
    assert ok.status_code == 302
    assert FicheAction.objects.get(titre="Halle couverte").numero == "FA-001"
    assert client.get(f"/projets/laureat/{autre.laureat_id}/fiches/nouvelle/").status_code == 403
    assert client.get(f"/projets/laureat/{autre.laureat_id}/import/").status_code == 403
    assert client.get(f"/projets/laureat/{autre.laureat_id}/export.xlsx").status_code == 403


def test_referent_reads_but_cannot_write(client, montbard, fiche):
    client.force_login(make_user("sgar@bfc.fr", Role.REFERENT_REGIONAL, region_id="27"))
    assert client.get(f"/projets/fiches/{fiche.pk}/").status_code == 200
    assert (
        client.post(f"/projets/fiches/{fiche.pk}/statut/", {"vers": "en_etude", "version": 1}).status_code
        == 403
    )
    assert client.get(f"/projets/laureat/{montbard.laureat_id}/modifier/").status_code == 403


def test_aggregates_are_public_but_never_list_records(client, montbard, fiche):
    response = client.get("/projets/agregats/")
    assert response.status_code == 200
    assert response.context["a"].nb_fiches == 1
    assert fiche.titre not in response.content.decode()
    assert client.get("/api/v1/projets/agregats").json()["nb_fiches"] == 1
