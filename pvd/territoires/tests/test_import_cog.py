"""The referential loader, on the real package (loaded once per session by conftest.py).

Tests that load another vintage write a modified copy of the real package into ``tmp_path``;
each test runs in a transaction that is rolled back, so the session's referential is restored.
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from pvd.core.text import normalize_name
from pvd.territoires.models import CodeCommune, Commune, Departement, Epci, Millesime, Region, Zone
from pvd.territoires.services import import_cog as loader
from pvd.territoires.services.import_cog import FILES, CogError, import_cog, package_dir

pytestmark = [pytest.mark.django_db, pytest.mark.referentiel]

MODELS = (Region, Departement, Epci, Commune, CodeCommune, Millesime)


def read_real() -> dict[str, list]:
    return {name: json.loads((package_dir() / "data" / f"{name}.json").read_bytes()) for name in FILES}


def write_package(directory: Path, data: dict[str, list] | None = None, version: str = "7.0.0") -> Path:
    """A copy of the real package with ``version`` and the given data files replaced."""
    data = data or {}
    (directory / "data").mkdir(parents=True)
    meta = json.loads((package_dir() / "package.json").read_bytes())
    meta["version"] = version
    (directory / "package.json").write_text(json.dumps(meta), encoding="utf-8")
    for name in FILES:
        target = directory / "data" / f"{name}.json"
        if name in data:
            target.write_text(json.dumps(data[name], ensure_ascii=False), encoding="utf-8")
        else:
            target.symlink_to(package_dir() / "data" / f"{name}.json")
    return directory


def snapshot() -> dict:
    """Enough of the stored state to see that nothing was written."""
    return {
        **{model.__name__: model.objects.count() for model in MODELS},
        "obsolete": Commune.objects.filter(obsolete=True).count(),
        "montbard": tuple(
            Commune.objects.filter(code="21425").values_list("nom", "population", "millesime")[0]
        ),
        "first": tuple(Commune.objects.filter(code="01001").values_list("nom", "population")[0]),
    }


def find(items: list[dict], code: str, kind: str = "commune-actuelle") -> dict:
    return next(item for item in items if item["code"] == code and item.get("type", kind) == kind)


# --- The real package ------------------------------------------------------------------------


def test_counts_per_level_match_cog_2026():
    assert Commune.objects.current().count() == 34_969
    assert Epci.objects.current().count() == 1_255
    assert Departement.objects.current().exclude(zone=Zone.COM).count() == 101
    assert Departement.objects.current().filter(zone=Zone.COM).count() == 8
    assert Region.objects.current().exclude(zone=Zone.COM).count() == 18
    assert Region.objects.current().filter(zone=Zone.COM).count() == 8
    natures = dict(
        CodeCommune.objects.filter(obsolete=False).values_list("nature").annotate(n=Count("id")).order_by()
    )
    assert natures == {"deleguee": 2_105, "associee": 471, "arrondissement": 45, "ancien": 4_240}
    assert not Commune.objects.filter(obsolete=True).exists()
    millesime = Millesime.objects.latest()
    assert (millesime.package_version, millesime.annee) == ("6.0.0", 2026)
    assert millesime.summary["levels"]["communes"]["current"] == 34_969
    assert set(Commune.objects.values_list("millesime", flat=True).distinct()) == {2026}


def test_real_rows_are_stored_with_their_links():
    montbard = Commune.objects.select_related("departement", "region", "epci").get(code="21425")
    assert (montbard.nom, montbard.departement.nom, montbard.region.nom) == (
        "Montbard",
        "Côte-d'Or",
        "Bourgogne-Franche-Comté",
    )
    assert montbard.codes_postaux_list == ["21500"]
    assert montbard.population == 4639 and montbard.siren
    assert montbard.epci is not None and montbard.epci.communes.filter(code="21425").exists()
    assert Commune.objects.get(code="84054").nom_normalise == "l isle sur la sorgue"
    assert Commune.objects.get(code="75056").codes_postaux.split()[:2] == ["75001", "75002"]
    # The 94 communes of the collectivités d'outre-mer keep their COM département and région.
    com = Commune.objects.filter(zone=Zone.COM)
    assert com.count() == 94
    assert not com.exclude(departement__zone=Zone.COM).exists()
    # nom_normalise is exactly the shared normaliser's output, for every commune.
    wrong = [
        code
        for code, nom, normalise in Commune.objects.values_list("code", "nom", "nom_normalise")
        if normalize_name(nom) != normalise
    ]
    assert wrong == []


def test_summary_shows_the_cog_2026_counts_and_says_nothing_changed():
    out = StringIO()
    call_command("import_cog", stdout=out)
    text = out.getvalue()
    assert (
        "34 969 communes actuelles, 1 255 EPCI, 101 départements (+8 collectivités d'outre-mer), "
        "18 régions (+8 collectivités d'outre-mer)"
    ) in text
    assert "101 + 8" in text and "18 + 8" in text
    assert "Rien à changer" in text
    assert "Communes : 34969 dans le paquet" in text  # progress
    assert "2 105 communes déléguées" in text


def test_rerun_changes_nothing_and_records_no_vintage(django_assert_max_num_queries):
    before = snapshot()
    millesimes = Millesime.objects.count()
    # The no-change path costs a fixed number of queries, whatever the size of the referential.
    with django_assert_max_num_queries(20):
        summary = import_cog()
    assert not summary.changed and summary.millesime is None
    for name, level in summary.levels.items():
        assert (level.created, level.updated, level.obsolete) == (0, 0, 0), name
        assert level.unchanged == level.current > 0, name
    assert summary.levels["communes"].unchanged == 34_969
    assert Millesime.objects.count() == millesimes
    assert snapshot() == before


# --- A newer vintage ---------------------------------------------------------------------------


def newer_vintage(tmp_path: Path) -> tuple[Path, str]:
    """COG "2027": Agencourt (21001) vanishes; Agey (21002) merges into Ahuy (21003) as a
    commune déléguée; the commune déléguée Béon is renamed; Montbard is renamed and grows; a new
    commune 21999 appears; an EPCI disappears (its communes left without EPCI)."""
    data = read_real()
    communes = data["communes"]
    agey = find(communes, "21002")
    communes.remove(find(communes, "21001"))
    communes.remove(agey)
    communes.append(
        {
            **{k: agey[k] for k in ("code", "nom", "zone", "departement", "region")},
            "type": "commune-deleguee",
            "chefLieu": "21003",
        }
    )
    find(communes, "21003")["anciensCodes"] = ["21002"]
    find(communes, "01039", kind="commune-deleguee")["nom"] = "Béon-sur-Rhône"
    montbard = find(communes, "21425")
    montbard.update(nom="Montbard-en-Auxois", population=5000)
    communes.append(
        {
            "code": "21999",
            "nom": "Nouvelle-Commune-sur-Ouche",
            "type": "commune-actuelle",
            "zone": "metro",
            "departement": "21",
            "region": "27",
            "population": 123,
            "codesPostaux": ["21410"],
            "siren": "200099999",
        }
    )
    for epci in data["epci"]:
        epci["membres"] = [m for m in epci["membres"] if m["code"] not in ("21001", "21002")]
    gone = next(e for e in data["epci"] if e["code"] != Commune.objects.get(code="21425").epci_id)
    data["epci"].remove(gone)
    write_package(tmp_path, {"communes": communes, "epci": data["epci"]}, version="7.0.0")
    return tmp_path, gone["code"]


def test_newer_vintage_updates_flags_obsolete_and_keeps_everything_resolvable(tmp_path):
    directory, gone_epci = newer_vintage(tmp_path)
    gone_members = set(Commune.objects.filter(epci_id=gone_epci).values_list("code", flat=True))
    summary = import_cog(directory)

    communes, epci = summary.levels["communes"], summary.levels["epci"]
    assert communes.created == 1 and communes.obsolete == 2
    # Montbard renamed + the communes that lost their EPCI (+ Ahuy, unchanged fields: not counted)
    assert communes.updated == 1 + len(gone_members - {"21001", "21002"})
    assert communes.current == 34_969 - 2 + 1
    assert communes.unchanged == communes.current - communes.created - communes.updated
    assert (epci.obsolete, epci.current, epci.obsolete_total) == (1, 1_254, 1)
    codes = summary.levels["codes"]
    assert (codes.created, codes.updated) == (2, 1)  # Agey déléguée + ancien code of Ahuy; Béon renamed
    assert CodeCommune.objects.get(code="01039", nature="deleguee").nom == "Béon-sur-Rhône"

    millesime = Millesime.objects.latest()
    assert summary.millesime == millesime
    assert (millesime.package_version, millesime.annee) == ("7.0.0", 2027)
    assert millesime.summary["levels"]["communes"]["obsolete"] == 2

    montbard = Commune.objects.get(code="21425")
    assert (montbard.nom, montbard.nom_normalise, montbard.population) == (
        "Montbard-en-Auxois",
        "montbard en auxois",
        5000,
    )
    new = Commune.resolve("21999")
    assert new.nom == "Nouvelle-Commune-sur-Ouche" and new.millesime == 2027 and not new.obsolete
    # Nothing was deleted: vanished rows are obsolete and still resolvable.
    agencourt = Commune.objects.get(code="21001")
    assert agencourt.obsolete and agencourt.millesime == 2026
    assert Commune.resolve("21001") == agencourt
    assert Commune.resolve("21002").code == "21003"
    assert Epci.objects.get(code=gone_epci).obsolete
    # Unchanged rows belong to the new vintage too.
    assert Commune.objects.get(code="01001").millesime == 2027
    assert not Commune.objects.filter(obsolete=False).exclude(millesime=2027).exists()

    # Re-importing the real package restores the current state (and records that vintage).
    restored = import_cog()
    assert restored.levels["communes"].created == 0 and restored.levels["communes"].obsolete == 1  # 21999
    assert not Commune.objects.get(code="21001").obsolete
    assert Commune.objects.get(code="21425").nom == "Montbard"
    assert Commune.resolve("21002").code == "21002"
    assert Commune.objects.get(code="21999").obsolete
    assert Millesime.objects.latest().package_version == "6.0.0"
    assert not import_cog().changed


def test_dry_run_computes_the_summary_and_writes_nothing(tmp_path):
    directory, _gone = newer_vintage(tmp_path)
    before = snapshot()
    out = StringIO()
    call_command("import_cog", path=str(directory), dry_run=True, stdout=out)
    assert "Simulation (--dry-run) : rien n'a été écrit." in out.getvalue()
    assert snapshot() == before


def test_a_failure_while_writing_rolls_everything_back(tmp_path, monkeypatch):
    directory, _gone = newer_vintage(tmp_path)
    before = snapshot()

    def broken(*args, **kwargs):
        raise RuntimeError("disque plein")

    monkeypatch.setattr(Millesime.objects, "create", broken)  # the very last write
    with pytest.raises(RuntimeError):
        import_cog(directory)
    assert snapshot() == before


def test_a_changed_normaliser_recomputes_every_nom_normalise(monkeypatch):
    Commune.objects.filter(code="21425").update(nom_normalise="stale")
    millesimes = Millesime.objects.count()
    monkeypatch.setattr(loader, "normaliser_fingerprint", lambda: "another-normaliser")
    summary = import_cog()
    assert summary.levels["communes"].updated == 1
    assert Commune.objects.get(code="21425").nom_normalise == "montbard"
    assert Millesime.objects.count() == millesimes + 1
    assert Millesime.objects.latest().summary["normalisation"] == "another-normaliser"
    assert not import_cog().changed  # and the next run is back on the fast path
    assert Millesime.objects.count() == millesimes + 1


# --- Bad input: a clear error, nothing written --------------------------------------------------


def assert_rejected(directory: Path, *fragments: str) -> CogError:
    before = snapshot()
    with pytest.raises(CogError) as excinfo:
        import_cog(directory)
    message = str(excinfo.value)
    for fragment in fragments:
        assert fragment in message, message
    assert snapshot() == before
    return excinfo.value


def test_missing_package_file(tmp_path):
    write_package(tmp_path)
    (tmp_path / "data" / "epci.json").unlink()
    error = assert_rejected(tmp_path, "epci.json", "fichier introuvable", "npm ci")
    assert error.file.endswith("data/epci.json")


def test_invalid_json(tmp_path):
    write_package(tmp_path)
    target = tmp_path / "data" / "communes.json"
    target.unlink()
    target.write_text('[{"code": "01001", "nom": "A"},\n {"code": "01002", "nom": }]', encoding="utf-8")
    assert_rejected(tmp_path, "communes.json", "JSON invalide ligne 2, colonne 27")


def test_missing_field_names_file_element_and_field(tmp_path):
    data = read_real()
    del data["communes"][41]["nom"]  # element n° 42, a real commune
    code = data["communes"][41]["code"]
    find(data["communes"], "21425")["nom"] = "Renamed before the error"  # valid change, never applied
    write_package(tmp_path, {"communes": data["communes"]})
    error = assert_rejected(
        tmp_path, f"communes.json, élément n° 42 (code {code}), champ « nom » : champ obligatoire manquant"
    )
    assert (error.file, error.element, error.field) == ("communes.json", 42, "nom")


@pytest.mark.parametrize(
    ("name", "index", "change", "fragments"),
    [
        (
            "departements",
            3,
            {"region": "99"},
            ["departements.json, élément n° 4", "champ « region »", "région « 99 » inconnue"],
        ),
        (
            "communes",
            10,
            {"departement": "00"},
            ["communes.json, élément n° 11", "champ « departement »", "département « 00 » inconnu"],
        ),
        (
            "communes",
            7,
            {"population": "beaucoup"},
            ["élément n° 8", "champ « population »", "entier positif"],
        ),
        ("communes", 5, {"zone": "lune"}, ["élément n° 6", "champ « zone »", "zone « lune » inconnue"]),
        (
            "communes",
            3,
            {"type": "commune-fantome"},
            ["élément n° 4", "champ « type »", "type « commune-fantome » inconnu"],
        ),
        ("communes", 9, {"codesPostaux": "01400"}, ["élément n° 10", "champ « codesPostaux »", "liste"]),
        ("communes", 8, {"siren": "1234567890"}, ["élément n° 9", "champ « siren »", "au plus 9 caractères"]),
        ("epci", 4, {"modeFinancement": "INCONNU"}, ["epci.json, élément n° 5", "champ « modeFinancement »"]),
        ("regions", 0, {"code": ""}, ["regions.json, élément n° 1", "champ « code »", "chaîne non vide"]),
        ("epci", 2, {"populationTotale": -5}, ["epci.json, élément n° 3", "champ « populationTotale »"]),
    ],
)
def test_invalid_values_name_file_element_field_and_reason(tmp_path, name, index, change, fragments):
    data = read_real()
    data[name][index].update(change)
    write_package(tmp_path, {name: data[name]})
    assert_rejected(tmp_path, *fragments)


def test_unknown_parent_of_a_commune_deleguee(tmp_path):
    data = read_real()
    index = next(i for i, c in enumerate(data["communes"]) if c["type"] == "commune-deleguee")
    data["communes"][index]["chefLieu"] = "00000"
    write_package(tmp_path, {"communes": data["communes"]})
    assert_rejected(
        tmp_path,
        f"élément n° {index + 1}",
        "champ « chefLieu »",
        "commune de rattachement « 00000 » inconnue",
    )


def test_unknown_epci_member_and_duplicates(tmp_path):
    data = read_real()
    data["epci"][0]["membres"].append({"code": "00000"})
    write_package(tmp_path / "a", {"epci": data["epci"]})
    assert_rejected(
        tmp_path / "a", "epci.json, élément n° 1", "champ « membres »", "commune membre « 00000 » inconnue"
    )

    data = read_real()
    data["regions"].append(dict(data["regions"][3]))
    write_package(tmp_path / "b", {"regions": data["regions"]})
    assert_rejected(
        tmp_path / "b",
        f"regions.json, élément n° {len(data['regions'])}",
        "en double (déjà à l'élément n° 4)",
    )


def test_not_an_object(tmp_path):
    data = read_real()
    data["communes"][2] = ["01003", "Nom"]
    write_package(tmp_path, {"communes": data["communes"]})
    assert_rejected(tmp_path, "communes.json, élément n° 3", "objet JSON attendu")


def test_command_reports_the_error_and_that_nothing_was_written(tmp_path):
    write_package(tmp_path)
    (tmp_path / "data" / "regions.json").unlink()
    with pytest.raises(CommandError, match=r"rien n'a été écrit — .*regions\.json : fichier introuvable"):
        call_command("import_cog", path=str(tmp_path), stdout=StringIO())


def test_unreadable_package_version(tmp_path):
    write_package(tmp_path, version="latest")
    assert_rejected(tmp_path, "package.json", "champ « version »", "version « latest » illisible")


def test_quiet_command_prints_nothing():
    out = StringIO()
    call_command("import_cog", verbosity=0, stdout=out)
    assert out.getvalue() == ""
