"""Pages of projets: project, action, forms, comments, activity feed, history, aggregates, exports."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from openpyxl import load_workbook

from pvd.comptes.models import Role
from pvd.projets.models import Axe, Commentaire, FicheAction, ParametresFinancement, ProjetDeTerritoire

from .conftest import make_fiche, make_user


def test_project_page_groups_actions_by_axis_and_sums_money(client, montbard, admin_user):
    make_fiche(
        montbard, titre="Halles", financements=[("etat", "50000", "accorde"), ("region", "10000", "prevu")]
    )
    other = make_fiche(montbard, titre="Voie verte", cout="20000")
    other.axe = montbard.axes.last()
    other.save()
    client.force_login(admin_user)
    response = client.get(f"/projets/laureat/{montbard.laureat_id}/")
    assert response.status_code == 200
    totals = response.context["totals"]
    assert (totals["cout"], totals["finance"], totals["acquis"], totals["reste"]) == (
        120000,
        60000,
        50000,
        60000,
    )
    assert totals["taux"] == Decimal("50.00")
    groups = {
        g["axe"].titre if g["axe"] else None: [f.titre for f in g["fiches"]]
        for g in response.context["groups"]
    }
    assert groups == {"Revitaliser le centre-bourg": ["Halles"], "Habiter le centre": ["Voie verte"]}


def test_project_without_project_offers_creation_and_axes_are_kept_in_order(client, autre, admin_user):
    laureat = autre.laureat
    autre.delete()
    client.force_login(admin_user)
    assert "Saisir le projet" in client.get(f"/projets/laureat/{laureat.pk}/").content.decode()
    data = {"titre": "Hazebrouck 2030", "axes_text": "Commerce\nHabitat\n\nMobilité", "perimetre": ["59295"]}
    assert client.post(f"/projets/laureat/{laureat.pk}/modifier/", data).status_code == 302
    projet = ProjetDeTerritoire.objects.get(laureat=laureat)
    assert [a.titre for a in projet.axes.all()] == ["Commerce", "Habitat", "Mobilité"]
    assert list(projet.perimetre.values_list("code", flat=True)) == ["59295"]
    # a commune outside the laureate cannot be in its perimeter
    bad = dict(data, perimetre=["21425"], version=projet.version)
    assert client.post(f"/projets/laureat/{laureat.pk}/modifier/", bad).status_code == 200
    # an axis that still carries actions cannot be removed
    make_fiche(projet, titre="Halle")  # on the first axis
    response = client.post(
        f"/projets/laureat/{laureat.pk}/modifier/", dict(data, axes_text="", version=projet.version)
    )
    assert "porte encore des fiches actions" in response.content.decode()
    assert Axe.objects.filter(projet=projet).count() == 3


def test_action_page_history_comments_and_ceiling(client, montbard, admin_user):
    fiche = make_fiche(montbard, financements=[("etat", "70000", "accorde")])
    client.force_login(admin_user)
    form = {
        "numero": fiche.numero,
        "titre": "Halles rénovées",
        "maitre_ouvrage_type": "commune",
        "version": 1,
    }
    client.post(f"/projets/fiches/{fiche.pk}/modifier/", form)
    client.post(f"/projets/fiches/{fiche.pk}/commentaires/", {"texte": "Permis déposé."})
    html = client.get(f"/projets/fiches/{fiche.pk}/").content.decode()
    assert "« Rénovation des halles » → « Halles rénovées »" in html  # the history shows what changed
    assert "Permis déposé." in html
    assert "au-delà du plafond" not in html  # 70 % < 80 %
    ParametresFinancement.objects.create(programme=montbard.laureat.programme, plafond_aides_publiques=60)
    html = client.get(f"/projets/fiches/{fiche.pk}/").content.decode()
    assert "au-delà du plafond de 60 %" in html
    assert Commentaire.objects.get().auteur == admin_user


def test_activity_feed_shows_transitions_comments_and_edits(client, montbard, admin_user):
    fiche = make_fiche(montbard)
    client.force_login(admin_user)
    client.post(
        f"/projets/fiches/{fiche.pk}/statut/", {"vers": "en_etude", "version": 1, "commentaire": "Lancé"}
    )
    client.post(f"/projets/fiches/{fiche.pk}/commentaires/", {"texte": "Premier comité"})
    client.post(
        f"/projets/fiches/{fiche.pk}/financements/nouveau/",
        {"financeur": 1, "montant": "1000", "statut": "prevu"},
    )
    events = client.get(f"/projets/laureat/{montbard.laureat_id}/activite/").context["activite"]
    kinds = [e.genre for e in events]
    assert {"transition", "commentaire", "modification", "financement"} <= set(kinds)
    assert events == sorted(events, key=lambda e: e.date, reverse=True)


def test_list_filters(client, montbard, autre, admin_user):
    late = make_fiche(montbard, titre="En retard", date_fin_prevue=dt.date(2020, 1, 1), themes=("habitat",))
    make_fiche(
        montbard,
        titre="À l'heure",
        date_debut_prevue=dt.date(2030, 1, 1),
        date_fin_prevue=dt.date(2031, 1, 1),
    )
    financed = make_fiche(
        autre,
        titre="Financée par l'Anah",
        financements=[("anah", "1000", "prevu"), ("anah", "2000", "prevu")],
    )
    client.force_login(admin_user)

    def titles(query):
        return sorted(f.titre for f in client.get(f"/projets/?{query}").context["rows"])

    assert titles("en_retard=true") == ["En retard"]
    assert titles("region=32") == ["Financée par l'Anah"]
    assert titles("departement=21") == ["En retard", "À l'heure"]
    assert titles(f"laureat={autre.laureat.identifiant}") == ["Financée par l'Anah"]
    assert titles("financeur=3") == ["Financée par l'Anah"]  # one row though two lines match
    assert titles("theme=2") == ["En retard"]
    assert titles("annee=2030") == ["À l'heure"]
    assert titles("q=heure") == ["À l'heure"]
    assert late.en_retard and not financed.en_retard


def test_exports_csv_and_xlsx(client, montbard, admin_user):
    make_fiche(montbard, titre="Halles", financements=[("etat", "25000", "accorde")])
    client.force_login(admin_user)
    csv = client.get("/projets/?format=csv").content.decode("utf-8-sig")
    header, row = csv.splitlines()[:2]
    assert header.startswith("Identifiant lauréat,Lauréat,Numéro,Titre")
    assert "Halles" in row and "100000" in row and "75000" in row and "25.00" in row
    xlsx = load_workbook(io.BytesIO(client.get("/projets/?format=xlsx").content))
    assert xlsx.active["D2"].value == "Halles"


def test_aggregates(client, montbard, autre):
    make_fiche(
        montbard,
        themes=("commerce", "habitat"),
        financements=[("etat", "1000", "accorde"), ("region", "500", "refuse")],
    )
    make_fiche(autre, themes=("commerce",), financements=[("etat", "2000", "prevu")])
    response = client.get("/projets/agregats/")
    national = response.context["a"]
    html = response.content.decode()
    assert "<bar-chart" in html and "vendor/dsfr-chart/dist/BarChart/BarChart.js" in html
    assert finders.find("vendor/dsfr-chart/dist/BarChart/BarChart.js") is not None
    assert national.nb_fiches == 2 and national.nb_projets == 2
    assert national.cout_ht == 200000 and national.finance == 3000 and national.acquis == 1000
    themes = {t["theme"]: t["n"] for t in national.par_theme}
    assert themes["commerce"] == 2 and themes["habitat"] == 1
    assert [f["financeur"] for f in national.par_financeur] == ["etat"]  # refused lines left out
    region = client.get("/projets/agregats/region/27/").context["a"]
    assert region.nb_fiches == 1 and region.finance == 1000
    assert client.get("/projets/agregats/departement/59/").context["a"].nb_fiches == 1
    assert client.get(f"/projets/agregats/laureat/{autre.laureat_id}/").context["a"].finance == 2000
    assert client.get("/projets/agregats/region/99/").status_code == 404


def test_delete_keeps_history(client, montbard):
    fiche = make_fiche(montbard)
    client.force_login(make_user("maire@montbard.fr", Role.COLLECTIVITE, laureat=montbard.laureat))
    assert client.post(f"/projets/fiches/{fiche.pk}/supprimer/").status_code == 302
    assert not FicheAction.objects.filter(pk=fiche.pk).exists()
    assert (
        FicheAction.history.filter(id=fiche.pk, history_type="-").get().history_user.email
        == "maire@montbard.fr"
    )


@pytest.mark.django_db
def test_managed_lists_are_seeded():
    from pvd.projets.models import Dispositif, Financeur, Theme

    assert {"commerce", "habitat", "patrimoine", "mobilite", "transition-ecologique", "numerique", "services-publics",
            "sante", "culture", "espaces-publics", "economie", "energie", "friches", "tiers-lieux"} <= set(
        Theme.objects.values_list("slug", flat=True))  # fmt: skip
    assert {
        "etat",
        "banque-des-territoires",
        "anah",
        "ademe",
        "region",
        "departement",
        "union-europeenne",
        "autofinancement",
    } <= set(Financeur.objects.values_list("slug", flat=True))
    assert {"DETR", "DSIL", "Fonds vert", "FNADT", "Anah OPAH-RU"} <= set(
        Dispositif.objects.values_list("sigle", flat=True)
    )
