"""Import of the official list (CSV data.gouv.fr, GeoJSON ANCT) on the real referential."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command

from pvd.programmes.models import Jalon, Laureat, LaureatCommune, Programme
from pvd.programmes.services.import_liste import import_laureats, parse_liste_geo

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 11, 27)

GOOD_CSV = """insee_com;lib_com;id_pvd;date_signature
21425;Montbard;pvd-27-21-1;2021-03-15
58061;Chasnay;pvd-27-58-2;2021-06-30
58086;Cosne-Cours-sur-Loire;pvd-27-58-2;2021-06-30
58062;Château-Chinon (Ville);pvd-27-58-1;
21507;Premières;pvd-27-21-2;2021-08-31
21054;Beaune;pvd-27-21-3;2022-01-10
21603;Semur;pvd-27-21-4;2021-02-01
"""

# Every defect the issue lists, one per line (line numbers: header = 1).
BAD_CSV = """insee_com,lib_com,id_pvd,date_signature
21425,Montbard,pvd-27-21-1,2021-03-15
99999,Nulle-Part,pvd-27-21-5,2021-03-15
89025,Avallon,pvd-27-89-1,2019-05-01
89418,Tonnerre,pvd-27-89-2,2099-01-01
71014,Autun,,2021-03-15
,Auxonne,pvd-27-21-6,2021-03-15
21425,Montbard,pvd-27-21-1,2021-03-15
21054,Beaune,pvd-27-21-3,2022-01-10
21603,Semur,pvd-27-21-4,2021-02-01
58086,Cosne-Cours-sur-Loire,pvd-27-58-2,31/02/2021
"""


def _geojson(features):
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": None if point is None else {"type": "Point", "coordinates": list(point)},
                    "properties": props,
                }
                for props, point in features
            ],
        },
        ensure_ascii=False,
    ).encode()


GOOD_GEOJSON = _geojson(
    [
        (
            {
                "id_territoire": "pvd-27-58-1",
                "lib_territoire": "Château-Chinon",
                "date_signature": "2021-05-20",
                "liste_geo": "Château-Chinon (Ville) (58062)",
            },
            (3.9333, 47.0642),
        ),
        (
            {
                "id_territoire": "pvd-27-58-2",
                "lib_territoire": "Cosne-Cours-sur-Loire et Chasnay",
                "date_signature": "2021-06-30",
                "liste_geo": "Chasnay (58061); Cosne-Cours-sur-Loire (58086)",
            },
            (2.9261, 47.4111),
        ),
        (
            {
                "id_territoire": "pvd-27-21-1",
                "lib_territoire": "Montbard",
                "date_signature": None,
                "liste_geo": "Montbard (21425)",
            },
            None,
        ),
    ]
)


def report_of(content: bytes, name: str, **kw):
    return import_laureats(content=content, name=name, on=ON, **kw)


def problems(report):
    return {(p.level, p.line, p.field) for p in report.problems}


def test_csv_import_creates_laureates_communes_and_milestones():
    report = report_of(("\ufeff" + GOOD_CSV).encode(), "pvd.csv")
    assert report.ok and report.written, report.lines()
    assert report.counts["créés"] == 6
    montbard = Laureat.objects.get(identifiant="pvd-27-21-1")
    assert (montbard.region_id, montbard.departement_id, montbard.epci_id) == ("27", "21", "242101491")
    assert montbard.date_admission == dt.date(2021, 3, 15)
    assert montbard.statut == Laureat.Statut.ADHESION_SIGNEE
    jalons = {j.type.code: j for j in montbard.jalons.select_related("type")}
    assert jalons["adhesion"].date_realisation == dt.date(2021, 3, 15)
    assert jalons["ort"].date_echeance == dt.date(2022, 9, 15)  # 18 months after
    assert jalons["ort"].etat.code == "en_retard"
    # End of month: 31 Aug 2021 + 18 months = 28 Feb 2023.
    premieres = Laureat.objects.get(identifiant="pvd-27-21-2")
    assert premieres.jalons.get(type__code="ort").date_echeance == dt.date(2023, 2, 28)
    # A delegated commune's code resolves to its current commune.
    assert list(premieres.communes.values_list("code", flat=True)) == ["21183"]
    # Several rows with one id: one laureate; the most populous commune is the main centrality.
    cosne = Laureat.objects.get(identifiant="pvd-27-58-2")
    assert set(cosne.communes.values_list("code", flat=True)) == {"58061", "58086"}
    assert LaureatCommune.objects.get(laureat=cosne, principale=True).commune_id == "58086"
    # No date: still a laureate, ORT clock not started.
    chinon = Laureat.objects.get(identifiant="pvd-27-58-1")
    assert chinon.statut == Laureat.Statut.LAUREAT
    assert chinon.jalons.get(type__code="ort").date_echeance is None
    assert chinon.history.count() == 1
    # Warnings: delegated code, name disagreement, ceiling — but imported.
    assert ("avertissement", 6, "insee_com") in problems(report)  # 21507 → 21183
    assert ("avertissement", 6, "lib_com") not in problems(report)  # "Premières" is the delegated name
    assert ("avertissement", 7, "insee_com") in problems(report)  # Beaune ≥ 20,000
    assert ("avertissement", 8, "lib_com") in problems(report)  # "Semur" ≠ "Semur-en-Auxois"
    assert not any(p.line == 2 for p in report.problems)
    assert any("Beaune" in str(p) and "20000" in str(p) for p in report.warnings)


def test_csv_with_every_defect_is_reported_by_line_and_nothing_is_written():
    before = (Laureat.objects.count(), Jalon.objects.count(), LaureatCommune.objects.count())
    report = report_of(BAD_CSV.encode(), "pvd.csv")
    assert not report.ok and not report.written
    got = {(p.line, p.field): p.reason for p in report.errors}
    assert "inconnu" in got[(3, "insee_com")]
    assert "antérieure au lancement" in got[(4, "date_signature")]
    assert "futur" in got[(5, "date_signature")]
    assert "identifiant manquant" in got[(6, "id_pvd")]
    assert "code INSEE manquant" in got[(7, "insee_com")]
    assert "en double" in got[(8, "insee_com")] and "ligne 2" in got[(8, "insee_com")]
    assert "illisible" in got[(11, "date_signature")]
    assert ("avertissement", 9, "insee_com") in problems(report)  # Beaune at/above the ceiling
    assert ("avertissement", 10, "lib_com") in problems(report)  # "Semur"
    assert all(str(p).startswith("erreur — pvd.csv, ligne ") for p in report.errors)
    assert (Laureat.objects.count(), Jalon.objects.count(), LaureatCommune.objects.count()) == before


def test_missing_columns_and_bad_encoding_are_errors():
    report = report_of(b"insee_com;nom;id\n21425;Montbard;x\n", "liste.csv")
    assert {(p.line, p.field) for p in report.errors} == {
        (1, "lib_com"),
        (1, "id_pvd"),
        (1, "date_signature"),
    }
    report = report_of(
        "insee_com;lib_com;id_pvd;date_signature\n21425;Montbard;é;\n".encode("latin-1"), "l.csv"
    )
    assert not report.ok and "UTF-8" in report.errors[0].reason


def test_reimport_changes_nothing_and_newer_file_updates_with_differences():
    first = report_of(GOOD_CSV.encode(), "pvd.csv")
    assert first.written
    versions = dict(Laureat.objects.values_list("identifiant", "version"))
    history = Laureat.history.count(), Jalon.history.count()
    again = report_of(GOOD_CSV.replace(";", ",").encode(), "pvd-bis.csv")  # other delimiter
    assert again.ok
    assert again.counts["inchangés"] == 6 and again.counts["créés"] == 0 and again.counts["modifiés"] == 0
    assert dict(Laureat.objects.values_list("identifiant", "version")) == versions
    assert (Laureat.history.count(), Jalon.history.count()) == history

    newer = (
        GOOD_CSV.replace("21425;Montbard;pvd-27-21-1;2021-03-15", "21425;Montbard;pvd-27-21-1;2021-04-01")
        .replace(
            "58062;Château-Chinon (Ville);pvd-27-58-1;", "58062;Château-Chinon (Ville);pvd-27-58-1;2022-02-02"
        )
        .replace("58061;Chasnay;pvd-27-58-2;2021-06-30\n", "")
        + "21038;Auxonne;pvd-27-21-7;2021-09-09\n"
    )
    report = report_of(newer.encode(), "pvd-2026.csv")
    assert report.written, report.lines()
    assert report.counts["créés"] == 1 and report.counts["modifiés"] == 3 and report.counts["inchangés"] == 3
    changes = "\n".join(report.changes)
    assert "pvd-27-21-1 : date_admission 2021-03-15 → 2021-04-01" in changes
    assert "pvd-27-58-2 : " in changes and "58061, 58086 → 58086" in changes
    montbard = Laureat.objects.get(identifiant="pvd-27-21-1")
    assert montbard.jalons.get(type__code="ort").date_echeance == dt.date(2022, 10, 1)
    assert montbard.version == versions["pvd-27-21-1"] + 1
    chinon = Laureat.objects.get(identifiant="pvd-27-58-1")
    assert chinon.statut == Laureat.Statut.ADHESION_SIGNEE
    assert chinon.jalons.get(type__code="ort").date_echeance == dt.date(2023, 8, 2)
    assert list(Laureat.objects.get(identifiant="pvd-27-58-2").communes.values_list("code", flat=True)) == [
        "58086"
    ]


def test_dry_run_writes_nothing():
    report = report_of(GOOD_CSV.encode(), "pvd.csv", dry_run=True)
    assert report.ok and not report.written
    assert not Laureat.objects.filter(identifiant__startswith="pvd-27-").exists()


def test_geojson_import_keeps_the_point_and_parses_names_with_parentheses():
    report = report_of(GOOD_GEOJSON, "pvd.geojson")
    assert report.ok and report.written, report.lines()
    chinon = Laureat.objects.get(identifiant="pvd-27-58-1")
    assert chinon.nom == "Château-Chinon"
    assert (chinon.latitude, chinon.longitude) == (47.0642, 3.9333)
    assert list(chinon.communes.values_list("code", flat=True)) == ["58062"]
    assert not any(p.line == 1 for p in report.problems)  # the name matches the referential
    cosne = Laureat.objects.get(identifiant="pvd-27-58-2")
    assert LaureatCommune.objects.get(laureat=cosne, principale=True).commune_id == "58086"
    assert Laureat.objects.get(identifiant="pvd-27-21-1").latitude is None
    again = report_of(GOOD_GEOJSON, "pvd.geojson")
    assert again.counts["inchangés"] == 3 and again.counts["modifiés"] == 0 and not again.changes
    # A CSV of the same list (no coordinates) does not erase the known location.
    report_of(b"insee_com;lib_com;id_pvd;date_signature\n58062;X;pvd-27-58-1;2021-05-20\n", "l.csv")
    assert Laureat.objects.get(identifiant="pvd-27-58-1").latitude == 47.0642


def test_rows_of_one_laureate_with_different_dates_are_an_error():
    content = (
        "insee_com;lib_com;id_pvd;date_signature\n"
        "58061;Chasnay;pvd-27-58-2;2021-06-30\n"
        "58086;Cosne-Cours-sur-Loire;pvd-27-58-2;2021-07-01\n"
    )
    report = report_of(content.encode(), "pvd.csv")
    assert [(p.line, p.field) for p in report.errors] == [(3, "date_signature")]
    assert "ligne 2" in report.errors[0].reason and not report.written


def test_geojson_defects_are_reported_by_feature_number():
    features = [
        ({"id_territoire": "pvd-27-58-1", "lib_territoire": "A", "date_signature": "2021-05-20",
          "liste_geo": "Château-Chinon (Ville) (58062)"}, (3.93, 47.06)),
        ({"id_territoire": "pvd-27-58-1", "lib_territoire": "B", "date_signature": "2021-05-20",
          "liste_geo": "Montbard (21425)"}, (4.33, 47.62)),
        ({"id_territoire": "pvd-27-21-9", "lib_territoire": "C", "date_signature": "2030-01-01",
          "liste_geo": "Semur (21603)"}, (4.33, 47.49)),
        ({"id_territoire": "pvd-27-89-9", "lib_territoire": "D", "date_signature": "2021-01-01",
          "liste_geo": "Avallon 89025"}, (3.9, 47.5)),
        ({"id_territoire": "", "lib_territoire": "E", "date_signature": "2020-01-01",
          "liste_geo": "Nulle part (00000)"}, (3.9, 47.5)),
        ({"id_territoire": "pvd-27-89-8", "lib_territoire": "F", "date_signature": "2021-01-01",
          "liste_geo": "Tonnerre (89418)"}, (300, 47.5)),
        ({"id_territoire": "pvd-27-89-7", "lib_territoire": "G", "date_signature": "2021-01-01",
          "liste_geo": ""}, None),
    ]  # fmt: skip
    report = report_of(_geojson(features), "anct.geojson")
    assert not report.ok and not report.written
    got = {(p.level, p.line, p.field) for p in report.problems}
    assert ("erreur", 2, "id_territoire") in got  # duplicate identifier
    assert ("erreur", 3, "date_signature") in got  # future
    assert ("avertissement", 3, "liste_geo") in got  # name disagreement
    assert ("erreur", 4, "liste_geo") in got  # unreadable list
    assert ("erreur", 5, "id_territoire") in got  # missing id
    assert ("erreur", 5, "liste_geo") in got  # unknown code 00000
    assert ("erreur", 5, "date_signature") not in got  # no group: the line is already rejected
    assert ("erreur", 6, "geometry") in got
    assert ("erreur", 7, "liste_geo") in got  # missing field
    assert not Laureat.objects.filter(identifiant__startswith="pvd-27-").exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Château-Chinon (Ville) (58062)", [("Château-Chinon (Ville)", "58062")]),
        (
            "Château-Chinon (Ville) (58062), Chasnay (58061);Ajaccio (2A004)",
            [("Château-Chinon (Ville)", "58062"), ("Chasnay", "58061"), ("Ajaccio", "2A004")],
        ),
        ("Montbard 21425", None),
        ("Montbard (21425) garbage", None),
    ],
)
def test_parse_liste_geo(value, expected):
    assert parse_liste_geo(value) == expected


def test_import_from_url_with_the_management_command(http_dir, capsys):
    folder, base = http_dir
    (folder / "pvd.csv").write_text(GOOD_CSV, encoding="utf-8")
    call_command("import_laureats", f"{base}/pvd.csv", "--dry-run")
    assert "rien n'a été écrit" in capsys.readouterr().out
    assert not Laureat.objects.filter(identifiant="pvd-27-21-1").exists()
    call_command("import_laureats", f"{base}/pvd.csv")
    out = capsys.readouterr().out
    assert "créés : 6" in out
    assert Laureat.objects.get(identifiant="pvd-27-21-1").source == "pvd.csv"
    with pytest.raises(CommandError, match="téléchargement impossible"):
        call_command("import_laureats", f"{base}/absent.csv")


def test_command_refuses_a_file_with_errors(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    with pytest.raises(CommandError, match="rien n'a été importé"):
        call_command("import_laureats", str(path))
    assert not Laureat.objects.filter(identifiant__startswith="pvd-27-").exists()


def test_pvd_is_created_by_the_data_migration():
    pvd = Programme.objects.get(slug="pvd")
    assert (pvd.date_lancement, pvd.date_fin, pvd.plafond_population) == (
        dt.date(2020, 10, 1),
        dt.date(2026, 12, 31),
        20_000,
    )
    types = {t.code: t for t in pvd.types_jalons.all()}
    assert types["ort"].reference == types["adhesion"] and types["ort"].delai_mois == 18
    assert types["ort"].regle == "18 mois après « Convention d'adhésion »"
