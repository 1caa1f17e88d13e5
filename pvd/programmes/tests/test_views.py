"""Pages, filters, exports and edits of laureates, with access checks through the policy."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse

from pvd.comptes.models import Habilitation, Role, User
from pvd.programmes.factories import make_laureat, programme_pvd
from pvd.programmes.models import Jalon, Laureat
from pvd.programmes.services.echeances import add_months, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def laureats():
    """Three laureates: Montbard (21, ORT overdue), Semur (21, ORT soon due), Cosne (58, no adhésion)."""
    pvd = programme_pvd()
    on = today()
    montbard = make_laureat("21425", identifiant="pvd-27-21-1", adhesion=dt.date(2021, 3, 15))
    semur_adhesion = add_months(on, -18) + dt.timedelta(days=20)
    semur = make_laureat("21603", identifiant="pvd-27-21-2", adhesion=semur_adhesion)
    cosne = make_laureat("58086", identifiant="pvd-27-58-1", date_admission=None)
    return {"pvd": pvd, "montbard": montbard, "semur": semur, "cosne": cosne}


def user_with(role=None, **scope) -> User:
    user = User.objects.create_user(
        f"{role or 'x'}-{User.objects.count()}@example.fr", "mot-de-passe-long-123"
    )
    if role:
        Habilitation.objects.create(user=user, role=role, **scope)
    return user


@pytest.fixture
def admin_user():
    return user_with(Role.ADMIN_NATIONAL)


def ids(response) -> list[str]:
    html = response.content.decode()
    return sorted({i for i in ("pvd-27-21-1", "pvd-27-21-2", "pvd-27-58-1") if f">{i}<" in html})


def test_milestone_states_are_computed_from_the_rules(laureats):
    ort = laureats["montbard"].jalons.get(type__code="ort")
    assert ort.date_echeance == dt.date(2022, 9, 15) and ort.etat.code == "en_retard"
    assert laureats["semur"].jalons.get(type__code="ort").etat.code == "proche"
    assert laureats["cosne"].jalons.count() == 0
    assert laureats["montbard"].statut == Laureat.Statut.ADHESION_SIGNEE


def test_public_overview_table_map_years_and_overdue(client, laureats):
    response = client.get(reverse("programmes:programme", args=["pvd"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="total-laureats">3<' in html
    assert "Bourgogne-Franche-Comté" in html
    assert 'id="dep-21"' in html and 'data-count="2"' in html and "Côte-d&#x27;Or (21) : 2 lauréats" in html
    assert "2021" in html  # year of adhésion
    assert 'id="jalons-en-retard">1<' in html
    assert "Montbard" in html.split('id="retards"')[1]


@pytest.mark.parametrize("n", [3, 25])
def test_overview_queries_do_not_grow_with_laureates(client, django_assert_max_num_queries, n):
    programme_pvd()
    codes = ["21425", "21603", "58086", "89025", "89418", "71014", "21038", "39300", "25388", "70550"]
    from pvd.territoires.models import Commune

    communes = list(
        Commune.objects.current().filter(population__lt=20_000, population__gt=2_000).order_by("code")[:n]
    )
    for i, commune in enumerate(communes):
        make_laureat(commune.code, identifiant=f"pvd-q-{i}", adhesion=dt.date(2021 + i % 3, 1 + i % 12, 1))
    assert Laureat.objects.count() == n and codes
    with django_assert_max_num_queries(10):
        response = client.get(reverse("programmes:programme", args=["pvd"]))
    assert f'id="total-laureats">{n}<' in response.content.decode()


def test_region_and_departement_pages(client, laureats):
    response = client.get(reverse("programmes:region", args=["pvd", "27"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="total-laureats">3<' in html and "Nièvre (58)" in html and "Côte-d&#x27;Or (21)" in html
    assert ids(response) == ["pvd-27-21-1", "pvd-27-21-2", "pvd-27-58-1"]
    response = client.get(reverse("programmes:departement", args=["pvd", "21"]))
    assert ids(response) == ["pvd-27-21-1", "pvd-27-21-2"]
    assert "En retard" in response.content.decode()


def test_laureate_page_shows_communes_epci_milestones_and_point(client, laureats):
    montbard = laureats["montbard"]
    montbard.latitude, montbard.longitude = 47.6236, 4.3378
    montbard.save()
    response = client.get(montbard.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "Montbard" in html and "21425" in html and "4" in html
    assert montbard.epci.nom in html
    assert "Convention-cadre valant ORT" in html and "15/09/2022" in html and "En retard" in html
    assert "<circle" in html
    assert "Modifier" not in html and "Historique" not in html  # anonymous


def test_list_filters(client, laureats):
    url = reverse("programmes:laureats")
    assert ids(client.get(url)) == ["pvd-27-21-1", "pvd-27-21-2", "pvd-27-58-1"]
    assert ids(client.get(url, {"departement": "58"})) == ["pvd-27-58-1"]
    assert ids(client.get(url, {"region": "27", "statut": "adhesion"})) == ["pvd-27-21-1", "pvd-27-21-2"]
    assert ids(client.get(url, {"jalon": "en_retard"})) == ["pvd-27-21-1"]
    assert ids(client.get(url, {"jalon": "proche"})) == ["pvd-27-21-2"]
    # Montbard 4,639 and Semur 3,986 inhabitants; Cosne 9,733.
    assert ids(client.get(url, {"population": "3500-10000"})) == ["pvd-27-21-1", "pvd-27-21-2", "pvd-27-58-1"]
    assert ids(client.get(url, {"population": "moins-3500"})) == []
    assert ids(client.get(url, {"q": "semur"})) == ["pvd-27-21-2"]


def test_csv_and_xlsx_exports_follow_the_filter(client, laureats):
    response = client.get(reverse("programmes:laureats_export", args=["csv"]), {"jalon": "en_retard"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["identifiant"] for r in rows] == ["pvd-27-21-1"]
    assert rows[0]["jalons en retard"] == "1" and rows[0]["commune principale (INSEE)"] == "21425"
    response = client.get(reverse("programmes:laureats_export", args=["xlsx"]), {"departement": "21"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["pvd-27-21-1", "pvd-27-21-2"]
    assert client.get(reverse("programmes:laureats_export", args=["pdf"])).status_code == 404


def test_anonymous_cannot_edit_import_or_see_history(client, laureats):
    lau = laureats["montbard"]
    jalon = lau.jalons.get(type__code="ort")
    for url in [
        reverse("programmes:laureat_modifier", args=["pvd", lau.identifiant]),
        reverse("programmes:jalon_modifier", args=["pvd", lau.identifiant, jalon.pk]),
        reverse("programmes:laureat_historique", args=["pvd", lau.identifiant]),
        reverse("programmes:import"),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/comptes/" in response["Location"]


def test_collectivite_edits_its_own_laureate_only_and_reads_milestones(client, laureats):
    montbard, cosne = laureats["montbard"], laureats["cosne"]
    client.force_login(user_with(Role.COLLECTIVITE, laureat=montbard))
    assert (
        client.get(reverse("programmes:laureat_modifier", args=["pvd", montbard.identifiant])).status_code
        == 200
    )
    assert (
        client.get(reverse("programmes:laureat_modifier", args=["pvd", cosne.identifiant])).status_code == 403
    )
    jalon = montbard.jalons.get(type__code="ort")
    url = reverse("programmes:jalon_modifier", args=["pvd", montbard.identifiant, jalon.pk])
    assert client.get(url).status_code == 403  # milestones are validated by the délégué territorial
    html = client.get(montbard.get_absolute_url()).content.decode()
    assert "Modifier" in html and "Valider / modifier" not in html
    assert "Modifier" not in client.get(cosne.get_absolute_url()).content.decode()


def test_delegue_validates_milestones_of_its_departement_only(client, laureats):
    montbard, cosne = laureats["montbard"], laureats["cosne"]
    delegue = user_with(Role.DELEGUE_TERRITORIAL, departement_id="21")
    client.force_login(delegue)
    jalon = montbard.jalons.get(type__code="ort")
    url = reverse("programmes:jalon_modifier", args=["pvd", montbard.identifiant, jalon.pk])
    response = client.post(
        url, {"date_realisation": "2023-01-10", "document": "Délibération 2023-04", "version": jalon.version}
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    jalon.refresh_from_db()
    montbard.refresh_from_db()
    assert jalon.date_realisation == dt.date(2023, 1, 10) and jalon.valide_par == delegue
    assert jalon.etat.code == "realise" and montbard.statut == Laureat.Statut.ORT_SIGNEE
    assert jalon.history.first().history_user == delegue
    history = client.get(reverse("programmes:laureat_historique", args=["pvd", montbard.identifiant]))
    assert history.status_code == 200 and "2023-01-10" in history.content.decode()
    # Another département: no edit, no history.
    other = user_with(Role.DELEGUE_TERRITORIAL, departement_id="58")
    client.force_login(other)
    assert client.get(url).status_code == 403
    assert client.post(url, {"date_realisation": "2020-01-01", "version": jalon.version}).status_code == 403
    assert (
        client.get(reverse("programmes:laureat_historique", args=["pvd", montbard.identifiant])).status_code
        == 403
    )
    assert (
        client.get(reverse("programmes:laureat_modifier", args=["pvd", cosne.identifiant])).status_code == 200
    )


def test_stale_edit_is_refused_with_what_changed(client, laureats):
    montbard = laureats["montbard"]
    client.force_login(user_with(Role.DELEGUE_TERRITORIAL, departement_id="21"))
    url = reverse("programmes:laureat_modifier", args=["pvd", montbard.identifiant])
    version = montbard.version
    data = {
        "nom": "Montbard (ville)",
        "statut": "adhesion",
        "date_admission": "2021-03-15",
        "version": version,
    }
    assert client.post(url, data).status_code == 302
    stale = client.post(url, {**data, "nom": "Autre nom"})
    assert stale.status_code == 200
    assert "modifié" in stale.content.decode() and "« nom »" in stale.content.decode()
    montbard.refresh_from_db()
    assert montbard.nom == "Montbard (ville)" and montbard.version == version + 1


def test_import_page_is_for_administrators_and_shows_the_report(client, laureats, admin_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(user_with(Role.DELEGUE_TERRITORIAL, departement_id="21"))
    assert client.get(reverse("programmes:import")).status_code == 403
    client.force_login(admin_user)
    assert client.get(reverse("programmes:import")).status_code == 200
    bad = (
        "insee_com;lib_com;id_pvd;date_signature\n99999;X;pvd-27-99-1;2021-01-01\n21054;Beaune;pvd-27-21-9;\n"
    )
    response = client.post(
        reverse("programmes:import"),
        {"programme": "pvd", "fichier": SimpleUploadedFile("liste.csv", bad.encode()), "dry_run": ""},
    )
    html = response.content.decode()
    assert "rien n'a été importé" in html and "inconnu du référentiel" in html and "plafond" in html
    assert not Laureat.objects.filter(identifiant="pvd-27-21-9").exists()
    good = "insee_com;lib_com;id_pvd;date_signature\n21054;Beaune;pvd-27-21-9;2021-05-05\n"
    response = client.post(
        reverse("programmes:import"),
        {"programme": "pvd", "fichier": SimpleUploadedFile("liste.csv", good.encode()), "dry_run": ""},
    )
    assert "Import effectué" in response.content.decode()
    lau = Laureat.objects.get(identifiant="pvd-27-21-9")
    assert lau.history.first().history_user == admin_user
    assert Jalon.objects.filter(laureat=lau).count() == 2


def test_demo_laureates_are_labelled(client, laureats):
    lau = laureats["cosne"]
    lau.demo = True
    lau.save()
    html = client.get(lau.get_absolute_url()).content.decode()
    assert "Lauréat de démonstration" in html and ">Démo<" in html


def test_logged_in_users_see_at_least_the_public_list(client, laureats):
    """A habilitation adds rights, it never hides what the public sees (policy: Q() | scope)."""
    url = reverse("programmes:laureats")
    client.force_login(user_with(Role.DELEGUE_TERRITORIAL, departement_id="58"))
    assert ids(client.get(url)) == ["pvd-27-21-1", "pvd-27-21-2", "pvd-27-58-1"]
    client.force_login(user_with(Role.PARTENAIRE))
    assert ids(client.get(url)) == ["pvd-27-21-1", "pvd-27-21-2", "pvd-27-58-1"]


def test_import_page_from_a_url(client, admin_user, http_dir):
    folder, base = http_dir
    (folder / "liste.csv").write_text(
        "\ufeffinsee_com,lib_com,id_pvd,date_signature\n21425,Montbard,pvd-27-21-1,2021-03-15\n",
        encoding="utf-8",
    )
    client.force_login(admin_user)
    response = client.post(
        reverse("programmes:import"), {"programme": "pvd", "url": f"{base}/liste.csv", "dry_run": "on"}
    )
    html = response.content.decode()
    assert "Validation seulement" in html and "lauréats dans le fichier : <strong>1</strong>" in html
    assert not Laureat.objects.filter(identifiant="pvd-27-21-1").exists()
    response = client.post(reverse("programmes:import"), {"programme": "pvd", "url": f"{base}/absent.csv"})
    assert "téléchargement impossible" in response.content.decode()
