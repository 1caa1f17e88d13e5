"""Pages, exports and API: what each user sees and may do (through the policy), stale edits, query
counts that do not grow with the number of posts."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pvd.core.history import history_url
from pvd.ingenierie.models import Cofinancement, Enveloppe, PosteChefDeProjet
from pvd.ingenierie.services import workflow
from pvd.ingenierie.services.calcul import cofinancements_annuels
from pvd.programmes.factories import make_laureat
from pvd.territoires.models import Region

from .conftest import make_poste

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def postes(admin, montbard, lamballe):
    return make_poste(admin, montbard, cout="60000"), make_poste(admin, lamballe, cout="50000")


def login(client, user):
    client.force_login(user)
    return client


# ------------------------------------------------------------------ pages
def test_anonyme_ne_voit_rien_de_prive(client, postes):
    montbard_poste, _ = postes
    for url in (
        reverse("ingenierie:postes"),
        reverse("ingenierie:poste", args=[montbard_poste.pk]),
        reverse("ingenierie:demandes"),
        reverse("ingenierie:enveloppes"),
        reverse("ingenierie:postes") + "?format=csv",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/connexion/" in response["Location"], url
    # the API answers with nothing private
    assert client.get("/api/v1/ingenierie/postes").json()["count"] == 0
    assert client.get(f"/api/v1/ingenierie/postes/{montbard_poste.pk}").status_code == 404
    assert client.get("/api/v1/ingenierie/demandes").json() == []
    assert client.get("/api/v1/ingenierie/enveloppes").json() == []
    # the simulator is public (published rules, no data)
    assert (
        client.get(reverse("ingenierie:simulateur") + "?cout_annuel=60000&annee=2026&avec_bdt=on").status_code
        == 200
    )


def test_collectivite_ne_voit_que_ses_postes(client, postes, collectivite_lamballe):
    montbard_poste, lamballe_poste = postes
    login(client, collectivite_lamballe)
    page = client.get(reverse("ingenierie:postes")).content.decode()
    assert "Lamballe" in page and "Montbard" not in page
    assert client.get(reverse("ingenierie:poste", args=[montbard_poste.pk])).status_code == 404
    assert client.get(reverse("ingenierie:poste_modifier", args=[montbard_poste.pk])).status_code == 404
    assert client.get(reverse("ingenierie:poste", args=[lamballe_poste.pk])).status_code == 200
    export = client.get(reverse("ingenierie:postes") + "?format=csv").content.decode("utf-8-sig")
    assert "Lamballe" in export and "Montbard" not in export
    api = client.get("/api/v1/ingenierie/postes").json()
    assert [p["id"] for p in api["items"]] == [lamballe_poste.pk]
    assert client.get(f"/api/v1/ingenierie/postes/{montbard_poste.pk}").status_code == 404


def test_referent_regional_lit_sa_region(client, postes, referent_bfc):
    montbard_poste, lamballe_poste = postes
    login(client, referent_bfc)
    assert client.get(reverse("ingenierie:poste", args=[montbard_poste.pk])).status_code == 200
    assert client.get(reverse("ingenierie:poste", args=[lamballe_poste.pk])).status_code == 404
    assert client.get(reverse("ingenierie:poste_modifier", args=[montbard_poste.pk])).status_code == 403


def test_delegue_n_instruit_pas_hors_departement(client, admin, postes, delegue71, delegue21):
    cof = workflow.deposer(postes[0], 2026, admin)
    login(client, delegue71)
    url = reverse("ingenierie:demande_action", args=[cof.pk, "instruire"])
    assert client.post(url, {"version": cof.version, "date": "2026-02-01"}).status_code == 404
    assert (
        client.post(
            f"/api/v1/ingenierie/demandes/{cof.pk}/instruire",
            json.dumps({"version": 1}),
            content_type="application/json",
        ).status_code
        == 404
    )
    assert Cofinancement.objects.get(pk=cof.pk).etat == Cofinancement.Etat.DEPOSEE
    assert (
        reverse("ingenierie:demande_action", args=[cof.pk, "instruire"])
        not in client.get(reverse("ingenierie:a_instruire")).content.decode()
    )
    # the délégué of Côte-d'Or instructs it from the page
    login(client, delegue21)
    page = client.get(reverse("ingenierie:a_instruire")).content.decode()
    assert cof.get_absolute_url() in page
    response = client.post(url, {"version": cof.version, "date": "2026-02-01", "avis": "Favorable"})
    assert response.status_code == 302
    cof.refresh_from_db()
    assert (cof.etat, cof.instruit_par, cof.instruit_le) == (
        Cofinancement.Etat.INSTRUITE,
        delegue21,
        dt.date(2026, 2, 1),
    )


def test_collectivite_ne_peut_pas_instruire(client, admin, postes, collectivite_montbard):
    cof = workflow.deposer(postes[0], 2026, collectivite_montbard)
    login(client, collectivite_montbard)
    assert client.get(cof.get_absolute_url()).status_code == 200
    client.post(
        reverse("ingenierie:demande_action", args=[cof.pk, "instruire"]),
        {"version": cof.version, "date": "2026-02-01"},
    )
    assert Cofinancement.objects.get(pk=cof.pk).etat == Cofinancement.Etat.DEPOSEE


def test_deposer_depuis_la_page(client, postes, collectivite_montbard):
    login(client, collectivite_montbard)
    url = reverse("ingenierie:demande_deposer", args=[postes[0].pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"annee": 2026, "avec_bdt": "on"})
    cof = Cofinancement.objects.get(poste=postes[0])
    assert response.status_code == 302 and response["Location"] == cof.get_absolute_url()
    assert cof.montant_total == D("45000.00")
    # a refused request shows a clear message, nothing written
    response = client.post(url, {"annee": 2026, "avec_bdt": "on", "avec_anah": "on"})
    assert "existe déjà" in response.content.decode()
    assert Cofinancement.objects.count() == 1


def test_modification_perimee_refusee_dans_le_formulaire(client, admin, postes):
    poste = postes[0]
    login(client, admin)
    url = reverse("ingenierie:poste_modifier", args=[poste.pk])
    form = client.get(url)
    assert form.status_code == 200
    data = {
        "parts-TOTAL_FORMS": "1",
        "parts-INITIAL_FORMS": "1",
        "parts-0-laureat": poste.parts_list()[0].laureat_id,
        "parts-0-part": "1",
        "employeur": f"epci:{poste.employeur_epci_id}",
        "intitule": "Cheffe de projet PVD",
        "cout_annuel": "62000",
        "titulaire_nom": "Camille Martin",
        "titulaire_email": "camille.martin@example.org",
        "date_prise_poste": "2025-01-01",
        "type_contrat": "projet",
        "version": poste.version,
    }
    # someone else saves first
    other = PosteChefDeProjet.objects.get(pk=poste.pk)
    other.cout_annuel = D("70000")
    from pvd.core.locking import save_with_version

    save_with_version(other)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "a été modifié" in response.content.decode()
    assert PosteChefDeProjet.objects.get(pk=poste.pk).cout_annuel == D("70000")
    # with the current version, it saves
    data["version"] = other.version
    assert client.post(url, data).status_code == 302
    assert PosteChefDeProjet.objects.get(pk=poste.pk).cout_annuel == D("62000")


def test_creer_un_poste_partage(client, collectivite_montbard, montbard, semur, lamballe):
    from pvd.comptes.models import Habilitation, Role

    Habilitation.objects.create(user=collectivite_montbard, role=Role.COLLECTIVITE, laureat=semur)
    login(client, collectivite_montbard)
    url = reverse("ingenierie:poste_creer") + f"?laureat={montbard.pk}"
    assert client.get(url).status_code == 200
    data = {
        "parts-TOTAL_FORMS": "2",
        "parts-INITIAL_FORMS": "0",
        "parts-0-laureat": montbard.pk,
        "parts-0-part": "0.5",
        "parts-1-laureat": semur.pk,
        "parts-1-part": "0.4",
        "employeur": f"epci:{montbard.epci_id}",
        "intitule": "Chef de projet PVD mutualisé",
        "cout_annuel": "58000",
    }
    response = client.post(url, data)
    assert "totaliser 1" in response.content.decode() or "totalisent 1" in response.content.decode()
    data["parts-1-part"] = "0.5"
    response = client.post(url, data)
    poste = PosteChefDeProjet.objects.get()
    assert response.status_code == 302
    assert sorted((p.laureat_id, p.part) for p in poste.parts.all()) == sorted(
        [(montbard.pk, D("0.5")), (semur.pk, D("0.5"))]
    )
    # not for a laureate outside its scope
    data["parts-1-laureat"] = lamballe.pk
    response = client.post(url, data)
    assert response.status_code == 200 and PosteChefDeProjet.objects.count() == 1


def test_filtres_et_exports(client, admin, montbard, semur, lamballe):
    today = dt.date.today()
    vacant = make_poste(admin, montbard, etat=PosteChefDeProjet.Etat.VACANT)
    finissant = make_poste(admin, semur, date_fin_contrat=today + dt.timedelta(days=40))
    autre = make_poste(admin, lamballe, date_fin_contrat=today + dt.timedelta(days=400))
    workflow.deposer(autre, today.year, admin)
    login(client, admin)

    def ids(query):
        export = client.get(reverse("ingenierie:postes") + "?format=csv&" + query).content.decode("utf-8-sig")
        return {int(line.split(",")[0]) for line in export.splitlines()[1:]}

    assert ids("") == {vacant.pk, finissant.pk, autre.pk}
    assert ids("vacant=on") == {vacant.pk}
    assert ids("fin_contrat=on") == {finissant.pk}
    assert ids("sans_cofinancement=on") == {vacant.pk, finissant.pk}
    assert ids("departement=21") == {vacant.pk, finissant.pk}
    assert ids("region=53") == {autre.pk}
    xlsx = client.get(reverse("ingenierie:postes") + "?format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get(reverse("ingenierie:postes_departement", args=["21"])).status_code == 200
    assert client.get(reverse("ingenierie:postes_region", args=["27"])).status_code == 200
    assert client.get(reverse("ingenierie:postes_laureat", args=[montbard.pk])).status_code == 200
    assert client.get(reverse("ingenierie:demandes") + "?format=xlsx").status_code == 200


def test_pages_de_detail_et_historique(client, admin, delegue21, montbard, pvd):
    env = Enveloppe.objects.create(
        programme=pvd, region=Region.objects.get(code="27"), annee=2026, montant=D("100000")
    )
    poste = make_poste(admin, montbard)
    cof = workflow.deposer(poste, 2026, admin)
    workflow.instruire(cof, delegue21)
    workflow.accorder(cof, delegue21, arrete_reference="AP-21-1")
    workflow.verser(cof, delegue21, montant=D("22500"))
    login(client, admin)
    for url in (
        poste.get_absolute_url(),
        cof.get_absolute_url(),
        env.get_absolute_url(),
        reverse("ingenierie:enveloppes"),
        reverse("ingenierie:enveloppes") + "?format=csv",
        history_url(poste),
        history_url(cof),
        history_url(env),
        reverse("ingenierie:enveloppe_modifier", args=[env.pk]),
    ):
        assert client.get(url).status_code == 200, url
    page = client.get(env.get_absolute_url()).content.decode()
    flat = page.replace("\xa0", " ").replace("\u202f", " ")
    assert "Côte-d&#x27;Or (21)" in flat and "22 500,00 €" in flat and "30 000,00 €" in flat


def test_enveloppe_geree_par_le_referent_regional(client, referent_bfc, referent_bretagne, delegue21, pvd):
    login(client, referent_bfc)
    url = reverse("ingenierie:enveloppe_creer")
    data = {
        "programme": pvd.pk,
        "region": "27",
        "annee": 2026,
        "montant": "2000000",
        "commentaire": "",
        "deps-TOTAL_FORMS": "1",
        "deps-INITIAL_FORMS": "0",
        "deps-0-departement": "21",
        "deps-0-montant": "400000",
    }
    assert client.post(url, data).status_code == 302
    env = Enveloppe.objects.get()
    assert env.departements.get().montant == D("400000")
    # a référent of another région cannot create one for BFC nor edit it
    login(client, referent_bretagne)
    data["annee"] = 2027
    response = client.post(url, data)
    assert response.status_code == 200 and Enveloppe.objects.count() == 1
    assert client.get(reverse("ingenierie:enveloppe_modifier", args=[env.pk])).status_code == 404
    # a délégué reads but does not manage
    login(client, delegue21)
    assert client.get(env.get_absolute_url()).status_code == 200
    assert client.get(reverse("ingenierie:enveloppe_modifier", args=[env.pk])).status_code == 403
    assert client.get(url).status_code == 403


# ------------------------------------------------------------------ API
def test_api_simuler(client):
    response = client.post(
        "/api/v1/ingenierie/simuler",
        json.dumps({"cout_annuel": "80000", "annee": 2026, "avec_anah": True, "parts": ["0.5", "0.5"]}),
        content_type="application/json",
    )
    data = response.json()
    assert response.status_code == 200
    assert (D(data["total"]), D(data["anah"]), D(data["bdt"]), D(data["etat"])) == (
        D("55000"),
        D("40000"),
        D("15000"),
        D("0"),
    )
    assert {lim["code"] for lim in data["limites"]} >= {"plafond_total_anah"}
    assert [D(str(p["total"])) for p in data["parts"]] == [D("27500"), D("27500")]
    bad = client.post(
        "/api/v1/ingenierie/simuler",
        json.dumps({"cout_annuel": "1", "annee": 2026, "parts": ["0.5"]}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and "totaliser 1" in bad.json()["detail"]


def test_api_workflow_et_conflit(client, admin, delegue21, montbard):
    poste = make_poste(admin, montbard)
    login(client, delegue21)
    r = client.post(
        "/api/v1/ingenierie/demandes",
        json.dumps({"poste_id": poste.pk, "annee": 2026}),
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    cof = r.json()
    assert D(cof["montant_total"]) == D("45000")
    r = client.post(
        f"/api/v1/ingenierie/demandes/{cof['id']}/instruire",
        json.dumps({"version": cof["version"]}),
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["etat"] == "instruite"
    # stale version → 409 with what changed
    r = client.post(
        f"/api/v1/ingenierie/demandes/{cof['id']}/accorder",
        json.dumps({"version": cof["version"], "arrete_reference": "AP-1", "motif_depassement": ""}),
        content_type="application/json",
    )
    assert r.status_code == 409 and "modifié" in r.json()["detail"]
    # refused transition → 400 with the reason
    r = client.post(
        f"/api/v1/ingenierie/demandes/{cof['id']}/versements",
        json.dumps({"montant": "10"}),
        content_type="application/json",
    )
    assert r.status_code == 400 and "demande accordée" in r.json()["detail"]
    # PATCH a post with a stale version
    r = client.patch(
        f"/api/v1/ingenierie/postes/{poste.pk}",
        json.dumps({"version": 0, "cout_annuel": "1"}),
        content_type="application/json",
    )
    assert r.status_code == 409
    r = client.patch(
        f"/api/v1/ingenierie/postes/{poste.pk}",
        json.dumps({"version": poste.version, "cout_annuel": "61000"}),
        content_type="application/json",
    )
    assert r.status_code == 200 and D(r.json()["cout_annuel"]) == D("61000")
    assert client.get("/api/v1/ingenierie/demandes?a_instruire=true").json()[0]["etat"] == "instruite"


def test_api_refuse_hors_perimetre(client, admin, collectivite_lamballe, montbard):
    poste = make_poste(admin, montbard)
    login(client, collectivite_lamballe)
    r = client.post(
        "/api/v1/ingenierie/demandes",
        json.dumps({"poste_id": poste.pk, "annee": 2026}),
        content_type="application/json",
    )
    assert r.status_code == 404
    r = client.patch(
        f"/api/v1/ingenierie/postes/{poste.pk}",
        json.dumps({"version": 1, "cout_annuel": "1"}),
        content_type="application/json",
    )
    assert r.status_code == 404
    assert not Cofinancement.objects.exists()


# ------------------------------------------------------------------ query counts
def test_calcul_annuel_sans_requete_par_poste(admin, pvd, django_assert_num_queries):
    for code in ("21425", "21603", "21154", "71014"):
        make_poste(admin, make_laureat(code))
    with django_assert_num_queries(4):  # posts+employers, shares+laureates, habitat operations, rules
        resultats = cofinancements_annuels(PosteChefDeProjet.objects.all(), 2026)
    assert len(resultats) == 4


def test_liste_des_postes_requetes_constantes(client, admin, pvd):
    login(client, admin)
    url = reverse("ingenierie:postes")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    for code in ("21425", "21603"):
        make_poste(admin, make_laureat(code))
    few = count()
    for code in ("21154", "71014", "22093", "35236", "58194"):
        make_poste(admin, make_laureat(code))
    assert count() == few


def test_changer_l_etat_depuis_la_page(client, admin, collectivite_montbard, montbard):
    poste = make_poste(admin, montbard, etat=PosteChefDeProjet.Etat.EN_RECRUTEMENT)
    login(client, collectivite_montbard)
    url = reverse("ingenierie:poste_etat", args=[poste.pk])
    data = {
        "vers": "pourvu",
        "date": "2026-05-01",
        "titulaire_nom": "Léa Dupont",
        "type_contrat": "cdd",
        "date_fin_contrat": "2028-04-30",
        "version": poste.version,
    }
    assert client.post(url, data).status_code == 302
    poste.refresh_from_db()
    assert (poste.etat, poste.titulaire_nom, poste.date_prise_poste) == (
        "pourvu",
        "Léa Dupont",
        dt.date(2026, 5, 1),
    )
    # the same form again, on the stale version: refused with a message, nothing changed
    response = client.post(url, {**data, "vers": "vacant"}, follow=True)
    assert "a été modifié" in response.content.decode()
    assert PosteChefDeProjet.objects.get(pk=poste.pk).etat == "pourvu"


def test_simulateur_page(client):
    response = client.get(
        reverse("ingenierie:simulateur") + "?cout_annuel=80000&annee=2026&avec_anah=on&avec_bdt=on"
    )
    flat = response.content.decode().replace("\xa0", " ").replace("\u202f", " ")
    assert "55 000,00 €" in flat and "40 000,00 €" in flat
    response = client.get(reverse("ingenierie:simulateur") + "?cout_annuel=80000&annee=2026&parts=0,5+0,4")
    assert "totaliser 1" in response.content.decode()


def test_montant_verse_juste_pour_un_poste_partage_vu_deux_fois(
    client, admin, delegue21, montbard, semur, pvd
):
    """A user holding both territories of a shared post: the policy's filter joins the shares
    twice, the paid amount must still be counted once."""
    from pvd.comptes.models import Habilitation, Role

    from .conftest import make_user

    Enveloppe.objects.create(
        programme=pvd, region=Region.objects.get(code="27"), annee=2026, montant=D("100000")
    )
    poste = make_poste(admin, [(montbard, D("0.5")), (semur, D("0.5"))])
    cof = workflow.deposer(poste, 2026, admin)
    workflow.instruire(cof, delegue21)
    workflow.accorder(cof, delegue21, arrete_reference="AP-X")
    workflow.verser(cof, delegue21, montant=D("22500"))
    user = make_user("cdp@montbard-semur.test", Role.COLLECTIVITE, laureat=montbard)
    Habilitation.objects.create(user=user, role=Role.COLLECTIVITE, laureat=semur)
    login(client, user)
    [row] = client.get("/api/v1/ingenierie/demandes").json()
    assert D(row["montant_verse"]) == D("22500")
    export = (
        client.get(reverse("ingenierie:demandes") + "?format=csv").content.decode("utf-8-sig").splitlines()
    )
    assert len(export) == 2 and export[1].endswith(",30000.00,22500.00")


def test_parts_departementales_ne_depassent_pas_l_enveloppe(client, referent_bfc, pvd):
    login(client, referent_bfc)
    data = {
        "programme": pvd.pk,
        "region": "27",
        "annee": 2026,
        "montant": "100000",
        "commentaire": "",
        "deps-TOTAL_FORMS": "2",
        "deps-INITIAL_FORMS": "0",
        "deps-0-departement": "21",
        "deps-0-montant": "60000",
        "deps-1-departement": "71",
        "deps-1-montant": "50000",
    }
    response = client.post(reverse("ingenierie:enveloppe_creer"), data)
    assert response.status_code == 200 and "dépassent le montant" in response.content.decode()
    assert not Enveloppe.objects.exists()  # nothing half-written


def test_operation_habitat_creee_puis_modifiee_avec_verrou(
    client, collectivite_montbard, collectivite_lamballe, montbard
):
    from pvd.ingenierie.models import OperationHabitat

    login(client, collectivite_lamballe)
    # the laureate is public (visible), but another collectivité may not act on it
    assert client.get(reverse("ingenierie:operation_creer", args=[montbard.pk])).status_code == 403
    login(client, collectivite_montbard)
    url = reverse("ingenierie:operation_creer", args=[montbard.pk])
    data = {
        "type": "opah_ru",
        "intitule": "OPAH-RU centre-bourg",
        "date_debut": "2025-01-01",
        "date_fin": "2024-12-31",
    }
    assert "précède son début" in client.post(url, data).content.decode()
    data["date_fin"] = "2029-12-31"
    assert client.post(url, data).status_code == 302
    op = OperationHabitat.objects.get()
    edit = reverse("ingenierie:operation_modifier", args=[op.pk])
    assert client.post(edit, {**data, "intitule": "A", "version": op.version}).status_code == 302
    response = client.post(edit, {**data, "intitule": "B", "version": op.version})  # stale
    assert "a été modifié" in response.content.decode()
    assert OperationHabitat.objects.get().intitule == "A"


def test_openapi_documente_l_api_ingenierie(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/ingenierie/postes",
        "/api/v1/ingenierie/demandes",
        "/api/v1/ingenierie/enveloppes",
        "/api/v1/ingenierie/simuler",
    ):
        assert path in paths
