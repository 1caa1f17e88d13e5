"""Load the territorial referential from ``@etalab/decoupage-administratif``.

* **Idempotent**: stored rows are compared (as tuples) with the package; only differences are
  written, and a re-run of the same package changes nothing and records no new vintage.
* **Never deletes**: what vanished from the package is flagged ``obsolete`` and kept, so that
  ``Commune.resolve`` still finds it; a row that comes back is un-flagged.
* **Validated before anything is written**: a missing file, invalid JSON, a missing or ill-typed
  field, an unknown parent or a duplicated code raises :class:`CogError` naming the file, the
  element number, the field and the reason. Writes happen in one transaction.
* **Records the vintage** (:class:`~pvd.territoires.models.Millesime`) with its summary.

Performance (see ``bench/bench_cog.py``): the insert and update paths use ``executemany`` on
the Django connection (portable SQL, ``%s`` placeholders, quoted names taken from the models),
because ``bulk_create`` spent ~6 s of an ~8.7 s load preparing 470,000 values one by one.
Reads, obsolescence and bookkeeping stay in the ORM. ``nom_normalise`` is recomputed only for
names that changed, unless the normaliser itself changed (fingerprint stored in the vintage).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, models, transaction

from pvd.core import text
from pvd.core.text import normalize_name

from ..models import CodeCommune, Commune, Departement, Epci, Millesime, Region, Zone

FILES = ("regions", "departements", "epci", "communes")
LEVELS = ("regions", "departements", "epci", "communes", "codes")
ZONES = frozenset(Zone.values)
_BATCH = 2000  # primary keys per ``pk__in`` (SQLite's bound-parameter limit)

ACTUELLE = "commune-actuelle"
# type in communes.json → (nature of the attached code, field naming the current commune)
ATTACHED = {
    "commune-deleguee": (CodeCommune.Nature.DELEGUEE.value, "chefLieu"),
    "commune-associee": (CodeCommune.Nature.ASSOCIEE.value, "chefLieu"),
    "arrondissement-municipal": (CodeCommune.Nature.ARRONDISSEMENT.value, "commune"),
}
ANCIEN = CodeCommune.Nature.ANCIEN.value


class CogError(Exception):
    """The package is missing or malformed. Names the file, the element, the field and the reason."""

    def __init__(
        self,
        file: str,
        reason: str,
        element: int | None = None,
        field: str | None = None,
        code: str | None = None,
    ):
        self.file, self.reason, self.element, self.field, self.code = file, reason, element, field, code
        where = [file]
        if element is not None:
            where.append(f"élément n° {element}" + (f" (code {code})" if code else ""))
        if field is not None:
            where.append(f"champ « {field} »")
        super().__init__(f"{', '.join(where)} : {reason}")


def _element_error(file: str, index: int, element: object, field: str | None, reason: str) -> CogError:
    code = element.get("code") if isinstance(element, dict) else None
    return CogError(file, reason, element=index + 1, field=field, code=code if isinstance(code, str) else None)


# --- Summary ---------------------------------------------------------------------------------


@dataclass
class LevelSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    obsolete: int = 0  # flagged obsolete by this run
    current: int = 0  # rows in the package
    obsolete_total: int = 0  # obsolete rows kept after this run
    current_com: int = 0  # of ``current``, in collectivités d'outre-mer (régions, départements)

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class CogSummary:
    package_version: str
    annee: int
    levels: dict[str, LevelSummary] = field(default_factory=lambda: {k: LevelSummary() for k in LEVELS})
    codes_by_nature: dict[str, int] = field(default_factory=dict)
    normalisation: str | None = None
    dry_run: bool = False
    millesime: Millesime | None = None  # the vintage recorded by this run (None: nothing new)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return any(s.created or s.updated or s.obsolete for s in self.levels.values())

    def as_dict(self) -> dict:
        return {
            "package_version": self.package_version,
            "annee": self.annee,
            "levels": {k: v.as_dict() for k, v in self.levels.items()},
            "codes_by_nature": self.codes_by_nature,
            "normalisation": self.normalisation,
        }


# --- Reading the package -----------------------------------------------------------------------


def package_dir() -> Path:
    return Path(settings.COG_PACKAGE_DIR)


def vintage_of(version: str) -> int:
    """COG year of a package version: the package README maps 1.x → 2021 … 6.x → 2026."""
    major = version.split(".", 1)[0]
    if not major.isdigit() or int(major) < 1:
        raise CogError("package.json", f"version « {version} » illisible (attendu : X.Y.Z)", field="version")
    return 2020 + int(major)


def _read_json(path: Path):
    try:
        with path.open("rb") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise CogError(str(path), "fichier introuvable (installez le paquet : `npm ci`)") from None
    except json.JSONDecodeError as exc:
        raise CogError(
            str(path), f"JSON invalide ligne {exc.lineno}, colonne {exc.colno} ({exc.msg})"
        ) from None
    except UnicodeDecodeError as exc:
        raise CogError(str(path), f"encodage invalide ({exc.reason}), UTF-8 attendu") from None


@dataclass
class Package:
    directory: Path
    version: str
    annee: int
    data: dict[str, list]


def read_package(directory: Path | str) -> Package:
    directory = Path(directory)
    meta = _read_json(directory / "package.json")
    if not isinstance(meta, dict) or "version" not in meta:
        raise CogError(str(directory / "package.json"), "champ manquant", field="version")
    version = str(meta["version"])
    data = {}
    for name in FILES:
        path = directory / "data" / f"{name}.json"
        content = _read_json(path)
        if not isinstance(content, list):
            raise CogError(str(path), "une liste JSON d'objets est attendue")
        data[name] = content
    return Package(directory, version, vintage_of(version), data)


# --- Parsing and validation ------------------------------------------------------------------


@dataclass
class Parsed:
    """Rows keyed by identity; values are tuples in the order of the level's ``fields``."""

    regions: dict[str, tuple]
    departements: dict[str, tuple]
    epci: dict[str, tuple]
    communes: dict[str, tuple]  # without nom_normalise nor epci (added when synchronising)
    epci_of: dict[str, str]
    codes: dict[tuple[str, str, str], tuple]


def _str(value: object, file: str, index: int, element: object, name: str, max_length: int) -> str:
    if type(value) is not str or not value:
        raise _element_error(file, index, element, name, f"chaîne non vide attendue, reçu {value!r}")
    if len(value) > max_length:
        raise _element_error(file, index, element, name, f"plus de {max_length} caractères")
    return value


def _optional_int(value: object, file: str, index: int, element: object, name: str) -> int | None:
    if value is None or (type(value) is int and value >= 0):
        return value
    raise _element_error(file, index, element, name, f"entier positif attendu, reçu {value!r}")


def _zone(element: dict, file: str, index: int) -> str:
    zone = element.get("zone") or Zone.METRO.value
    if zone not in ZONES:
        raise _element_error(file, index, element, "zone", f"zone « {zone} » inconnue ({', '.join(sorted(ZONES))})")
    return zone


def _duplicate(file: str, index: int, element: dict, items: list, code: str, same: Callable[[dict], bool]):
    first = next(i for i, other in enumerate(items) if isinstance(other, dict) and same(other))
    return _element_error(file, index, element, "code", f"code « {code} » en double (déjà à l'élément n° {first + 1})")


def parse_package(package: Package) -> Parsed:
    """Validate the whole package and build the rows to store; raises :class:`CogError`."""
    data = package.data

    file = "regions.json"
    regions: dict[str, tuple] = {}
    for i, r in enumerate(data["regions"]):
        try:
            code = _str(r["code"], file, i, r, "code", 9)
            row = (_str(r["nom"], file, i, r, "nom", 200), _zone(r, file, i), r.get("chefLieu") or "")
        except KeyError as exc:
            raise _element_error(file, i, r, exc.args[0], "champ obligatoire manquant") from None
        except (TypeError, AttributeError):
            raise _element_error(file, i, r, None, "objet JSON attendu") from None
        if code in regions:
            raise _duplicate(file, i, r, data["regions"], code, lambda o, c=code: o.get("code") == c)
        regions[code] = row

    file = "departements.json"
    departements: dict[str, tuple] = {}
    for i, d in enumerate(data["departements"]):
        try:
            code = _str(d["code"], file, i, d, "code", 9)
            nom = _str(d["nom"], file, i, d, "nom", 200)
            region = d["region"]
            row = (nom, region, _zone(d, file, i), d.get("chefLieu") or "")
            if region not in regions:
                raise _element_error(file, i, d, "region", f"région « {region} » inconnue (absente de regions.json)")
        except KeyError as exc:
            raise _element_error(file, i, d, exc.args[0], "champ obligatoire manquant") from None
        except (TypeError, AttributeError):
            raise _element_error(file, i, d, None, "objet JSON attendu") from None
        if code in departements:
            raise _duplicate(file, i, d, data["departements"], code, lambda o, c=code: o.get("code") == c)
        departements[code] = row

    file = "epci.json"
    epcis: dict[str, tuple] = {}
    members: list[tuple[int, str, list]] = []
    for i, e in enumerate(data["epci"]):
        try:
            code = _str(e["code"], file, i, e, "code", 9)
            row = (
                _str(e["nom"], file, i, e, "nom", 200),
                _str(e["type"], file, i, e, "type", 6),
                e.get("modeFinancement") or "",
                _optional_int(e.get("populationTotale"), file, i, e, "populationTotale"),
            )
            membres = e["membres"]
            if type(membres) is not list:
                raise _element_error(file, i, e, "membres", "liste attendue")
        except KeyError as exc:
            raise _element_error(file, i, e, exc.args[0], "champ obligatoire manquant") from None
        except (TypeError, AttributeError):
            raise _element_error(file, i, e, None, "objet JSON attendu") from None
        if code in epcis:
            raise _duplicate(file, i, e, data["epci"], code, lambda o, c=code: o.get("code") == c)
        epcis[code] = row
        members.append((i, code, membres))

    file = "communes.json"
    items = data["communes"]
    communes: dict[str, tuple] = {}
    codes: dict[tuple[str, str, str], tuple] = {}
    attached: list[tuple[int, str, str, str, str]] = []  # (index, code, nature, parent field, parent)
    for i, c in enumerate(items):
        try:
            code = c["code"]
            kind = c["type"]
            nom = c["nom"]
            if type(code) is not str or not 0 < len(code) <= 5:
                raise _element_error(file, i, c, "code", f"code INSEE attendu, reçu {code!r}")
            if type(nom) is not str or not 0 < len(nom) <= 200:
                raise _element_error(file, i, c, "nom", f"chaîne de 1 à 200 caractères attendue, reçu {nom!r}")
            if kind == ACTUELLE:
                departement = c["departement"]
                region = c["region"]
                population = c.get("population")
                if population is not None and (type(population) is not int or population < 0):
                    _optional_int(population, file, i, c, "population")
                codes_postaux = " ".join(c.get("codesPostaux") or ())
                anciens = c.get("anciensCodes") or ()
                if departement not in departements:
                    raise _element_error(
                        file, i, c, "departement", f"département « {departement} » inconnu (absent de departements.json)"
                    )
                if region not in regions:
                    raise _element_error(file, i, c, "region", f"région « {region} » inconnue (absente de regions.json)")
                if len(codes_postaux) > 200:
                    raise _element_error(file, i, c, "codesPostaux", "plus de 200 caractères une fois joints")
                if code in communes:
                    raise _duplicate(
                        file, i, c, items, code, lambda o, c_=code: o.get("code") == c_ and o.get("type") == ACTUELLE
                    )
                communes[code] = (nom, c.get("siren") or "", departement, region, population, codes_postaux, _zone(c, file, i))
                for ancien in anciens:
                    if type(ancien) is not str or not 0 < len(ancien) <= 5:
                        raise _element_error(file, i, c, "anciensCodes", f"code INSEE attendu, reçu {ancien!r}")
                    codes[(ancien, ANCIEN, code)] = ("",)
            else:
                try:
                    nature, parent_field = ATTACHED[kind]
                except (KeyError, TypeError):
                    raise _element_error(
                        file, i, c, "type", f"type « {kind} » inconnu ({ACTUELLE}, {', '.join(ATTACHED)})"
                    ) from None
                attached.append((i, code, nature, parent_field, c[parent_field]))
        except KeyError as exc:
            raise _element_error(file, i, c, exc.args[0], "champ obligatoire manquant") from None
        except (TypeError, AttributeError):
            raise _element_error(file, i, c, None, "objet JSON attendu, aux champs du bon type") from None

    for i, code, nature, parent_field, parent in attached:
        if parent not in communes:
            raise _element_error(
                file, i, items[i], parent_field, f"commune de rattachement « {parent} » inconnue (aucune commune actuelle)"
            )
        key = (code, nature, parent)
        if key in codes:
            raise _element_error(file, i, items[i], "code", f"code « {code} » rattaché deux fois à {parent}")
        codes[key] = (items[i]["nom"],)

    file = "epci.json"
    epci_of: dict[str, str] = {}
    for i, code, membres in members:
        for m, membre in enumerate(membres):
            try:
                commune = membre["code"]
            except (KeyError, TypeError):
                raise _element_error(
                    file, i, data["epci"][i], "membres", f"membre n° {m + 1} sans champ « code »"
                ) from None
            if commune not in communes:
                raise _element_error(
                    file, i, data["epci"][i], "membres", f"commune membre « {commune} » inconnue (absente de communes.json)"
                )
            if epci_of.setdefault(commune, code) != code:
                raise _element_error(
                    file, i, data["epci"][i], "membres", f"la commune « {commune} » est déjà membre de l'EPCI {epci_of[commune]}"
                )

    return Parsed(regions, departements, epcis, communes, epci_of, codes)


# --- Synchronisation -------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    name: str
    model: type[models.Model]
    key: tuple[str, ...]  # attnames forming a row's identity (the package's side of the key)
    fields: tuple[str, ...]  # attnames compared and written


REGIONS = Level("regions", Region, ("code",), ("nom", "zone", "chef_lieu"))
DEPARTEMENTS = Level("departements", Departement, ("code",), ("nom", "region_id", "zone", "chef_lieu"))
EPCI = Level("epci", Epci, ("code",), ("nom", "nature", "mode_financement", "population"))
COMMUNES = Level(
    "communes",
    Commune,
    ("code",),
    ("nom", "nom_normalise", "siren", "departement_id", "region_id", "epci_id", "population", "codes_postaux", "zone"),
)
CODES = Level("codes", CodeCommune, ("code", "nature", "commune_id"), ("nom",))


@dataclass
class Stored:
    pk: object
    values: tuple
    obsolete: bool


def _stored(level: Level) -> dict:
    """What is in the database for ``level``: identity → :class:`Stored`."""
    pk = level.model._meta.pk.attname
    single = level.key == (pk,)
    head = level.key if single else (pk, *level.key)
    n, k = len(head), len(level.fields)
    rows = level.model.objects.order_by().values_list(*head, *level.fields, "obsolete")
    if single:
        return {row[0]: Stored(row[0], row[1 : 1 + k], row[-1]) for row in rows}
    return {row[1:n]: Stored(row[0], row[n : n + k], row[-1]) for row in rows}


def _columns(level: Level, attnames: Iterable[str]) -> list[str]:
    meta, quote = level.model._meta, connection.ops.quote_name
    return [quote(meta.get_field(name).column) for name in attnames]


def _sync(level: Level, wanted: dict, stored: dict, summary: LevelSummary, annee: int) -> None:
    """Make the stored rows of ``level`` match ``wanted`` (identity → tuple of ``fields``)."""
    single = len(level.key) == 1
    to_create, to_update = [], []
    for ident, values in wanted.items():
        row = stored.get(ident)
        if row is None:
            to_create.append(((ident,) if single else ident) + values + (False, annee))
        elif row.obsolete or row.values != values:
            to_update.append((*values, False, annee, row.pk))
    to_obsolete = [row.pk for ident, row in stored.items() if not row.obsolete and ident not in wanted]
    summary.current = len(wanted)
    summary.created, summary.updated, summary.obsolete = len(to_create), len(to_update), len(to_obsolete)
    summary.unchanged = summary.current - summary.created - summary.updated
    summary.obsolete_total = sum(1 for ident, row in stored.items() if ident not in wanted)

    table = connection.ops.quote_name(level.model._meta.db_table)
    written = (*level.fields, "obsolete", "millesime")
    with connection.cursor() as cursor:
        if to_create:
            columns = _columns(level, (*level.key, *written))
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})",  # noqa: S608 — names from the models
                to_create,
            )
        if to_update:
            assignments = ", ".join(f"{column} = %s" for column in _columns(level, written))
            (pk_column,) = _columns(level, [level.model._meta.pk.attname])
            cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s", to_update)  # noqa: S608
    for start in range(0, len(to_obsolete), _BATCH):
        level.model.objects.filter(pk__in=to_obsolete[start : start + _BATCH]).update(obsolete=True)
    # Rows unchanged since an earlier vintage are still part of this one.
    level.model.objects.filter(obsolete=False).exclude(millesime=annee).update(millesime=annee)


def normaliser_fingerprint() -> str | None:
    """Identifies the code of ``normalize_name`` (and the Unicode tables it relies on).

    ``nom_normalise`` is recomputed for every commune when it differs from the last vintage's.
    ``None`` (source unavailable) means "always recompute".
    """
    try:
        source = Path(inspect.getsourcefile(text) or "").read_bytes()
    except (TypeError, OSError):
        return None
    return hashlib.sha256(source + unicodedata.unidata_version.encode()).hexdigest()[:16]


def _communes_wanted(parsed: Parsed, stored: dict, reuse_normalised: bool) -> dict[str, tuple]:
    """Complete commune rows with their EPCI and ``nom_normalise`` (reused when ``nom`` is unchanged)."""
    epci_of = parsed.epci_of.get
    wanted = {}
    for code, (nom, siren, departement, region, population, codes_postaux, zone) in parsed.communes.items():
        row = stored.get(code) if reuse_normalised else None
        normalise = row.values[1] if row is not None and row.values[0] == nom else normalize_name(nom)
        wanted[code] = (nom, normalise, siren, departement, region, epci_of(code), population, codes_postaux, zone)
    return wanted


def import_cog(
    directory: Path | str | None = None,
    progress: Callable[[str], None] | None = None,
    dry_run: bool = False,
) -> CogSummary:
    """Load (or update) the referential from the package in ``directory``; returns what it did.

    Raises :class:`CogError` (and writes nothing) when the package is missing or malformed.
    With ``dry_run`` everything is computed and then rolled back.
    """
    started = time.perf_counter()
    directory = Path(directory or package_dir())
    say = progress or (lambda message: None)
    say(f"Lecture du paquet {directory}")
    package = read_package(directory)
    say(f"Vérification du paquet {package.version} (COG {package.annee})")
    parsed = parse_package(package)
    summary = CogSummary(package_version=package.version, annee=package.annee, dry_run=dry_run)
    summary.normalisation = normaliser_fingerprint()
    nature_counts: dict[str, int] = {}
    for _code, nature, _commune in parsed.codes:
        nature_counts[nature] = nature_counts.get(nature, 0) + 1
    summary.codes_by_nature = nature_counts
    annee, levels = package.annee, summary.levels

    with transaction.atomic():
        latest = Millesime.objects.order_by("-loaded_at", "-pk").first()
        renormalise = summary.normalisation is None or latest is None or latest.summary.get("normalisation") != summary.normalisation

        say(f"Régions : {len(parsed.regions)}")
        _sync(REGIONS, parsed.regions, _stored(REGIONS), levels["regions"], annee)
        say(f"Départements : {len(parsed.departements)}")
        _sync(DEPARTEMENTS, parsed.departements, _stored(DEPARTEMENTS), levels["departements"], annee)
        say(f"EPCI : {len(parsed.epci)}")
        _sync(EPCI, parsed.epci, _stored(EPCI), levels["epci"], annee)
        say(f"Communes : {len(parsed.communes)}")
        stored = _stored(COMMUNES)
        _sync(COMMUNES, _communes_wanted(parsed, stored, not renormalise), stored, levels["communes"], annee)
        say(f"Codes rattachés : {len(parsed.codes)}")
        _sync(CODES, parsed.codes, _stored(CODES), levels["codes"], annee)

        levels["regions"].current_com = sum(1 for r in parsed.regions.values() if r[1] == Zone.COM)
        levels["departements"].current_com = sum(1 for d in parsed.departements.values() if d[2] == Zone.COM)
        new_vintage = latest is None or latest.package_version != package.version
        if summary.changed or renormalise or new_vintage:
            summary.millesime = Millesime.objects.create(
                package_version=package.version, annee=annee, summary=summary.as_dict()
            )
        if dry_run:
            transaction.set_rollback(True)
            summary.millesime = None
    summary.seconds = time.perf_counter() - started
    return summary
