"""XLSX template: download, export → import round-trip, validation report (all or nothing)."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from pvd.projets.models import (
    Etape,
    FicheAction,
    Financement,
    Indicateur,
    LigneCout,
    Statut,
    TransitionStatut,
)
from pvd.projets.services.fiches import changer_statut
from pvd.projets.services.modele import (
    COLUMNS,
    FICHES,
    FINANCEMENTS,
    exporter_projet,
    importer_fiches,
    modele_vide,
)

from .conftest import make_fiche, make_user

pytestmark = pytest.mark.django_db


def _snapshot(projet) -> list[dict]:
    """Everything that makes an action, without database ids."""
    out = []
    for f in projet.fiches.order_by("numero").prefetch_related(
        "themes", "couts", "financements", "etapes", "indicateurs"
    ):
        out.append({
            "numero": f.numero, "titre": f.titre, "description": f.description, "axe": f.axe.titre if f.axe else None,
            "themes": sorted(t.slug for t in f.themes.all()), "statut": f.statut,
            "mo": (f.maitre_ouvrage_type, f.maitre_ouvrage_nom), "pilote": f.pilote_id, "commune": f.commune_id,
            "dates": (f.date_debut_prevue, f.date_fin_prevue, f.date_debut_reelle, f.date_fin_reelle),
            "couts": sorted((c.nature, c.annee, c.libelle, c.montant_ht, c.montant_ttc) for c in f.couts.all()),
            "financements": sorted(
                (x.financeur_id, x.dispositif_id, x.montant, x.statut, x.annee, x.date_demande, x.date_decision, x.date_versement)
                for x in f.financements.all()
            ),
            "etapes": [(e.ordre, e.libelle, e.date_prevue, e.faite) for e in f.etapes.all()],
            "indicateurs": [(i.nom, i.unite, i.valeur_initiale, i.cible, i.valeur_actuelle) for i in f.indicateurs.all()],
        })  # fmt: skip
    return out


@pytest.fixture
def rich(montbard):
    pilote = make_user("cheffe.projet@montbard.fr")
    a = make_fiche(
        montbard, titre="Rénovation des halles", cout=None, themes=("commerce", "patrimoine"),
        description="Halles de 1903 ; toiture et façades.\nDeux tranches.", pilote=pilote, commune_id="21425",
        date_debut_prevue=dt.date(2024, 3, 1), date_fin_prevue=dt.date(2026, 6, 30), maitre_ouvrage_nom="Ville de Montbard",
        financements=[("etat", "150000.50", "accorde"), ("region", "80000", "sollicite"), ("autofinancement", "69999.50", "prevu")],
    )  # fmt: skip
    Financement.objects.filter(fiche=a, financeur__slug="etat").update(
        dispositif_id=1, annee=2024, date_demande=dt.date(2024, 1, 15)
    )
    LigneCout.objects.create(
        fiche=a,
        nature="investissement",
        annee=2024,
        montant_ht=Decimal("120000"),
        montant_ttc=Decimal("144000"),
    )
    LigneCout.objects.create(
        fiche=a, nature="investissement", annee=2025, libelle="Tranche 2", montant_ht=Decimal("180000")
    )
    Etape.objects.create(fiche=a, ordre=1, libelle="Diagnostic", faite=True, date_prevue=dt.date(2024, 2, 1))
    Etape.objects.create(fiche=a, ordre=2, libelle="Travaux")
    Indicateur.objects.create(
        fiche=a,
        nom="Commerces ouverts",
        unite="nb",
        valeur_initiale=Decimal("3"),
        cible=Decimal("8"),
        valeur_actuelle=Decimal("5.5"),
    )
    changer_statut(a, Statut.EN_ETUDE)
    b = make_fiche(
        montbard, titre="Voie verte", themes=("mobilite",), cout="45000.99", maitre_ouvrage_type="epci"
    )
    b.axe = None
    b.save()
    return montbard


def test_template_has_every_sheet_and_header():
    wb = load_workbook(io.BytesIO(modele_vide()))
    assert wb.sheetnames == [*COLUMNS, "Aide"]
    for sheet, columns in COLUMNS.items():
        assert [c.value for c in wb[sheet][1]] == [header for _, header, _ in columns]
    assert "Fonds vert" in wb["Aide"]["B8"].value


def test_template_download(client):
    response = client.get("/projets/modele-import.xlsx")
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.content)).sheetnames[0] == FICHES


def test_round_trip_into_another_laureate(rich, autre, admin_user):
    content = exporter_projet(rich)
    report = importer_fiches(autre, io.BytesIO(content), "export.xlsx", admin_user)
    assert report.ok and report.written, report.lines()
    assert report.counts["actions créées"] == 2
    assert _snapshot(autre) == _snapshot(rich)
    # the commune of Montbard lies outside Hazebrouck: imported, with a warning
    assert any("hors du territoire" in p.reason for p in report.warnings)
    assert TransitionStatut.objects.filter(fiche__projet=autre, commentaire="Import").count() == 2
    # re-importing the same file updates in place and changes nothing
    again = importer_fiches(autre, io.BytesIO(content), "export.xlsx", admin_user)
    assert again.written and again.counts["actions mises à jour"] == 2
    assert _snapshot(autre) == _snapshot(rich)


def test_round_trip_through_the_pages(client, rich, autre, admin_user):
    client.force_login(admin_user)
    exported = client.get(f"/projets/laureat/{rich.laureat_id}/export.xlsx")
    assert exported.status_code == 200
    upload = SimpleUploadedFile("fiches.xlsx", exported.content)
    response = client.post(f"/projets/laureat/{autre.laureat_id}/import/", {"fichier": upload})
    assert response.status_code == 302
    assert _snapshot(autre) == _snapshot(rich)


def _workbook(fiches: list[list], financements: list[list] | None = None) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.title = FICHES
    ws.append([h for _, h, _ in COLUMNS[FICHES]])
    for row in fiches:
        ws.append(row)
    if financements is not None:
        fs = wb.create_sheet(FINANCEMENTS)
        fs.append([h for _, h, _ in COLUMNS[FINANCEMENTS]])
        for row in financements:
            fs.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return buffer


def test_every_defect_is_reported_and_nothing_is_written(autre, admin_user):
    fiches = [
        [
            "1.1",
            "Halle",
            "",
            "Axe 1",
            "commerce ; astrologie",
            "Idée",
            "Commune",
            "",
            "",
            "",
            "2025-01-01",
            "2024-01-01",
        ],
        ["1.1", "", "", "", "", "terminé", "Syndicat", "", "inconnu@x.fr", "99999", "32/13/2024"],
        ["1.3", "Voie verte", "", "", "Mobilité", "", "", "", "", "59295", "01/02/2025", "2026-12-31"],
    ]
    financements = [
        ["1.3", "Banque de France", "", "1000", "Prévu"],
        ["1.3", "etat", "anah-opah-ru", "-5", "Accordé"],
        ["9.9", "etat", "", "abc", "peut-être"],
    ]
    report = importer_fiches(autre, _workbook(fiches, financements), "fiches.xlsx", admin_user)
    assert not report.ok and not report.written
    found = {(p.line, p.field) for p in report.errors}
    assert {
        (2, "Fiches actions / Thèmes"),  # unknown theme
        (2, "Fiches actions / Fin prévue"),  # end before start
        (3, "Fiches actions / Numéro"),  # duplicate
        (3, "Fiches actions / Titre"),  # missing
        (3, "Fiches actions / Statut"),  # unknown status
        (3, "Fiches actions / Type de maître d'ouvrage"),
        (3, "Fiches actions / Commune (code INSEE)"),  # unknown code
        (3, "Fiches actions / Début prévu"),  # bad date
        (2, "Financements / Financeur"),
        (3, "Financements / Dispositif"),  # scheme of another funder
        (3, "Financements / Montant (€)"),  # negative
        (4, "Financements / Numéro de l'action"),  # unknown action
        (4, "Financements / Montant (€)"),
        (4, "Financements / Statut"),
    } <= found
    assert any(p.field == "Fiches actions / Pilote (e-mail)" for p in report.warnings)
    text = "\n".join(report.lines())
    assert "fiches.xlsx, ligne 3, champ « Fiches actions / Numéro »" in text
    assert FicheAction.objects.filter(projet=autre).count() == 0
    assert Financement.objects.filter(fiche__projet=autre).count() == 0


def test_not_a_workbook_and_missing_sheet(autre, admin_user):
    report = importer_fiches(autre, io.BytesIO(b"insee;nom\n21425;Montbard"), "liste.csv", admin_user)
    assert not report.ok and "XLSX" in report.errors[0].reason
    wb = Workbook()
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    report = importer_fiches(autre, buffer, "vide.xlsx", admin_user)
    assert not report.ok and "Fiches actions" in report.errors[0].reason


def test_dry_run_and_refused_transition_on_update(montbard, admin_user):
    fiche = make_fiche(montbard, titre="Halle")
    fiche.numero = "1.1"
    fiche.save()
    ok = _workbook([["1.1", "Halle rénovée", "", "", "", "En étude"]])
    dry = importer_fiches(montbard, ok, "f.xlsx", admin_user, dry_run=True)
    assert dry.ok and not dry.written
    fiche.refresh_from_db()
    assert fiche.titre == "Halle"
    refused = importer_fiches(
        montbard, _workbook([["1.1", "Halle", "", "", "", "Réalisée"]]), "f.xlsx", admin_user
    )
    assert not refused.ok and "Transition refusée" in refused.errors[0].reason
    ok.seek(0)
    done = importer_fiches(montbard, ok, "f.xlsx", admin_user)
    assert done.written
    fiche.refresh_from_db()
    assert (fiche.titre, fiche.statut, fiche.version) == ("Halle rénovée", "en_etude", 2)
    assert fiche.transitions.first().de == "idee"


def test_import_page_shows_the_report(client, autre, admin_user):
    client.force_login(admin_user)
    upload = SimpleUploadedFile("bad.xlsx", _workbook([["", "Sans numéro"]]).getvalue())
    response = client.post(f"/projets/laureat/{autre.laureat_id}/import/", {"fichier": upload})
    assert response.status_code == 400
    html = response.content.decode()
    assert "rien n&#x27;a été enregistré" in html or "rien n'a été enregistré" in html
    assert "ligne 2" in html and "Numéro" in html
