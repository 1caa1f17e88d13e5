"""Load the territorial referential from ``@etalab/decoupage-administratif``.

Idempotent and non-destructive: rows are compared with what is stored and only differences are
written (in one transaction); what vanished from the package is flagged ``obsolete`` and kept.
The package version gives the COG vintage (6.0.0 → 2026).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import models, transaction

from pvd.core.text import normalize_name

from ..models import CodeCommune, Commune, Departement, Epci, Millesime, Region

LEVELS = ("regions", "departements", "epci", "communes", "codes")
_BATCH = 2000


class CogError(Exception):
    """The package is missing or malformed; names the file and the reason."""


@dataclass
class LevelSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    obsolete: int = 0
    current: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class CogSummary:
    package_version: str
    annee: int
    levels: dict[str, LevelSummary] = field(default_factory=lambda: {k: LevelSummary() for k in LEVELS})
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(s.created or s.updated or s.obsolete for s in self.levels.values())

    def as_dict(self) -> dict:
        return {
            "package_version": self.package_version,
            "annee": self.annee,
            "levels": {k: v.as_dict() for k, v in self.levels.items()},
            **self.extra,
        }


def package_dir() -> Path:
    return Path(settings.COG_PACKAGE_DIR)


def _read_json(path: Path):
    try:
        with path.open("rb") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise CogError(f"{path}: fichier introuvable (lancez `npm ci` pour installer le paquet).") from None
    except json.JSONDecodeError as exc:
        raise CogError(
            f"{path}: ligne {exc.lineno}, colonne {exc.colno}: JSON invalide ({exc.msg})."
        ) from None


def read_package(directory: Path) -> tuple[str, int, dict[str, list[dict]]]:
    meta = _read_json(directory / "package.json")
    version = str(meta.get("version", ""))
    try:
        annee = 2020 + int(version.split(".")[0])
    except ValueError:
        raise CogError(f"{directory / 'package.json'}: champ version illisible ({version!r}).") from None
    data = {
        name: _read_json(directory / "data" / f"{name}.json")
        for name in ("regions", "departements", "epci", "communes")
    }
    return version, annee, data


def _require(row: dict, key: str, filename: str, index: int):
    try:
        return row[key]
    except KeyError:
        raise CogError(f"{filename}: élément n° {index + 1}: champ « {key} » manquant.") from None


def _sync(
    model: type[models.Model],
    wanted: dict,
    fields: list[str],
    summary: LevelSummary,
    annee: int,
    key: Callable | None = None,
) -> None:
    """Make the stored rows of ``model`` match ``wanted`` (key → dict of ``fields``).

    ``key`` builds the identity of a stored row (defaults to its primary key).
    """
    key_fields = ["pk"] if key is None else ["pk", *key.fields]
    stored = {}
    for row in model.objects.values_list(*key_fields, *fields, "obsolete", "millesime"):
        ident = row[0] if key is None else key(*row[1 : len(key_fields)])
        stored[ident] = row
    offset = len(key_fields)
    to_create, to_update = [], []
    for ident, values in wanted.items():
        row = stored.get(ident)
        if row is None:
            to_create.append(model(**values, obsolete=False, millesime=annee))
            summary.created += 1
            continue
        current = tuple(values[f] for f in fields)
        if current == row[offset : offset + len(fields)] and row[-2] is False:
            summary.unchanged += 1
            continue
        obj = model(pk=row[0], **values, obsolete=False, millesime=annee)
        to_update.append(obj)
        summary.updated += 1
    to_obsolete = [row[0] for ident, row in stored.items() if ident not in wanted and not row[-2]]
    summary.obsolete = len(to_obsolete)
    summary.current = len(wanted)
    if to_create:
        model.objects.bulk_create(to_create, batch_size=_BATCH)
    if to_update:
        model.objects.bulk_update(to_update, [*fields, "obsolete", "millesime"], batch_size=_BATCH)
    for start in range(0, len(to_obsolete), _BATCH):
        model.objects.filter(pk__in=to_obsolete[start : start + _BATCH]).update(obsolete=True)


def import_cog(directory: Path | None = None, progress: Callable[[str], None] | None = None) -> CogSummary:
    """Load (or update) the referential from the package in ``directory``."""
    directory = Path(directory or package_dir())
    say = progress or (lambda message: None)
    say(f"Lecture du paquet {directory}")
    version, annee, data = read_package(directory)
    summary = CogSummary(package_version=version, annee=annee)

    regions = {}
    for i, r in enumerate(data["regions"]):
        code = _require(r, "code", "regions.json", i)
        regions[code] = {
            "code": code,
            "nom": _require(r, "nom", "regions.json", i),
            "zone": r.get("zone", "metro"),
            "chef_lieu": r.get("chefLieu", ""),
        }
    departements = {}
    for i, d in enumerate(data["departements"]):
        code = _require(d, "code", "departements.json", i)
        departements[code] = {
            "code": code,
            "nom": _require(d, "nom", "departements.json", i),
            "region_id": _require(d, "region", "departements.json", i),
            "zone": d.get("zone", "metro"),
            "chef_lieu": d.get("chefLieu", ""),
        }
    epcis, epci_of = {}, {}
    for i, e in enumerate(data["epci"]):
        code = _require(e, "code", "epci.json", i)
        epcis[code] = {
            "code": code,
            "nom": _require(e, "nom", "epci.json", i),
            "nature": e.get("type", ""),
            "mode_financement": e.get("modeFinancement", ""),
            "population": e.get("populationTotale"),
        }
        for membre in _require(e, "membres", "epci.json", i):
            epci_of[membre["code"]] = code

    communes, codes = {}, {}
    for i, c in enumerate(data["communes"]):
        code = _require(c, "code", "communes.json", i)
        nature = _require(c, "type", "communes.json", i)
        nom = _require(c, "nom", "communes.json", i)
        if nature == "commune-actuelle":
            communes[code] = {
                "code": code,
                "nom": nom,
                "nom_normalise": normalize_name(nom),
                "siren": c.get("siren", ""),
                "departement_id": _require(c, "departement", "communes.json", i),
                "region_id": _require(c, "region", "communes.json", i),
                "epci_id": epci_of.get(code),
                "population": c.get("population"),
                "codes_postaux": " ".join(c.get("codesPostaux", [])),
                "zone": c.get("zone", "metro"),
            }
            for ancien in c.get("anciensCodes", []):
                codes[(ancien, CodeCommune.Nature.ANCIEN, code)] = {
                    "code": ancien,
                    "nature": CodeCommune.Nature.ANCIEN,
                    "nom": "",
                    "commune_id": code,
                }
        else:
            parent = c.get("chefLieu") or c.get("commune")
            kind = {
                "commune-deleguee": CodeCommune.Nature.DELEGUEE,
                "commune-associee": CodeCommune.Nature.ASSOCIEE,
                "arrondissement-municipal": CodeCommune.Nature.ARRONDISSEMENT,
            }.get(nature)
            if kind is None or not parent:
                raise CogError(
                    f"communes.json: élément n° {i + 1} ({code}): type « {nature} » ou rattachement inconnu."
                )
            codes[(code, kind, parent)] = {"code": code, "nature": kind, "nom": nom, "commune_id": parent}

    unknown = sorted({v["commune_id"] for v in codes.values()} - set(communes))
    if unknown:
        raise CogError(f"communes.json: codes rattachés à des communes absentes : {', '.join(unknown[:5])}")

    with transaction.atomic():
        say(f"Régions ({len(regions)})")
        _sync(Region, regions, ["nom", "zone", "chef_lieu"], summary.levels["regions"], annee)
        say(f"Départements ({len(departements)})")
        _sync(
            Departement,
            departements,
            ["nom", "region_id", "zone", "chef_lieu"],
            summary.levels["departements"],
            annee,
        )
        say(f"EPCI ({len(epcis)})")
        _sync(Epci, epcis, ["nom", "nature", "mode_financement", "population"], summary.levels["epci"], annee)
        say(f"Communes ({len(communes)})")
        _sync(
            Commune,
            communes,
            [
                "nom",
                "nom_normalise",
                "siren",
                "departement_id",
                "region_id",
                "epci_id",
                "population",
                "codes_postaux",
                "zone",
            ],
            summary.levels["communes"],
            annee,
        )
        say(f"Codes rattachés ({len(codes)})")

        def code_key(code, nature, commune_id):
            return (code, nature, commune_id)

        code_key.fields = ["code", "nature", "commune_id"]
        _sync(
            CodeCommune,
            codes,
            ["code", "nature", "nom", "commune_id"],
            summary.levels["codes"],
            annee,
            key=code_key,
        )
        summary.extra = {
            "regions_hors_com": sum(1 for r in regions.values() if r["zone"] != "com"),
            "departements_hors_com": sum(1 for d in departements.values() if d["zone"] != "com"),
        }
        if summary.changed or not Millesime.objects.filter(package_version=version).exists():
            Millesime.objects.create(package_version=version, annee=annee, summary=summary.as_dict())
    return summary
