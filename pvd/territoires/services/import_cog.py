"""Load the territorial referential from ``@etalab/decoupage-administratif``.

* **Idempotent**: stored rows are compared (as tuples) with the package; only differences are
  written, and a re-run of the same package changes nothing and records no new vintage.
* **Never deletes**: what vanished from the package is flagged ``obsolete`` and kept, so that
  ``Commune.resolve`` still finds it; a row that comes back is un-flagged.
* **Validated before anything is written**: a missing file, invalid JSON, a missing or ill-typed
  field, an unknown parent or a duplicated code raises :class:`CogError` naming the file, the
  element number, the field and the reason. Writes happen in one transaction.
* **Records the vintage** (:class:`~pvd.territoires.models.Millesime`) with its summary.

Performance (see ``bench/bench_cog.py``): ``bulk_create`` spent ~6 s of an ~8.7 s load preparing
470,000 values one by one, so rows are written with plain SQL built from the models' own table
and column names: ``executemany`` of one prepared statement on SQLite; ``COPY … FROM STDIN`` on
PostgreSQL (where ``executemany`` pays a round trip per row), updates there going through a
temporary table and one ``UPDATE … FROM``. Reads, obsolescence and bookkeeping stay in the ORM.
Rows are compared as plain tuples; ``nom_normalise`` is computed only for new or renamed communes,
unless the normaliser itself changed (its fingerprint is stored with the vintage).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import time
import unicodedata
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, models, transaction

from pvd.core import text
from pvd.core.text import normalize_name

from ..models import CodeCommune, Commune, Departement, Epci, Millesime, Region, Zone
from . import search_index

FILES = ("regions", "departements", "epci", "communes")
LEVELS = ("regions", "departements", "epci", "communes", "codes")
LABELS = {
    "regions": "Régions",
    "departements": "Départements",
    "epci": "EPCI",
    "communes": "Communes",
    "codes": "Codes rattachés",
}
ZONES = frozenset(Zone.values)
_BATCH = 2000  # primary keys per ``pk__in`` (SQLite's bound-parameter limit)
_BULK_INDEX_FROM = 500  # communes inserted at once from which the search index is filled in bulk

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
    return CogError(
        file, reason, element=index + 1, field=field, code=code if isinstance(code, str) else None
    )


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
#
# Every level becomes a dict: identity → the row as it is stored, in the order of the level's
# ``key`` + ``fields`` + ``obsolete`` (always False for what the package contains), so that a
# stored row and a wanted row compare as plain tuples.


@dataclass
class Parsed:
    regions: dict[str, tuple]
    departements: dict[str, tuple]
    epci: dict[str, tuple]
    communes: dict[str, tuple]
    codes: dict[tuple[str, str, str], tuple]


def _str(value: object, file: str, index: int, element: object, name: str, max_length: int) -> str:
    if type(value) is not str or not value:
        raise _element_error(file, index, element, name, f"chaîne non vide attendue, reçu {value!r}")
    if len(value) > max_length:
        raise _element_error(file, index, element, name, f"plus de {max_length} caractères")
    return value


def _optional_str(value: object, file: str, index: int, element: object, name: str, max_length: int) -> str:
    if value is None or value == "":
        return ""
    if type(value) is not str or len(value) > max_length:
        raise _element_error(
            file, index, element, name, f"chaîne d'au plus {max_length} caractères attendue, reçu {value!r}"
        )
    return value


def _optional_int(value: object, file: str, index: int, element: object, name: str) -> int | None:
    if value is None or (type(value) is int and value >= 0):
        return value
    raise _element_error(file, index, element, name, f"entier positif ou absent attendu, reçu {value!r}")


def _zone(value: object, file: str, index: int, element: object) -> str:
    if value is None:
        return Zone.METRO.value
    if value not in ZONES:
        raise _element_error(
            file, index, element, "zone", f"zone « {value} » inconnue ({', '.join(sorted(ZONES))})"
        )
    return value


def _duplicate(file: str, index: int, element: dict, items: list, same: Callable[[dict], bool]) -> CogError:
    first = next(i for i, other in enumerate(items) if isinstance(other, dict) and same(other))
    return _element_error(
        file,
        index,
        element,
        "code",
        f"code « {element['code']} » en double (déjà à l'élément n° {first + 1})",
    )


def _same_code(code: str) -> Callable[[dict], bool]:
    return lambda other: other.get("code") == code


def parse_package(package: Package) -> Parsed:
    """Validate the whole package and build the rows to store; raises :class:`CogError`.

    The loops are written for speed (one ``try`` per element; the slow paths only run to
    describe an error).
    """
    data = package.data
    zones = ZONES

    file, items = "regions.json", data["regions"]
    regions: dict[str, tuple] = {}
    for i, r in enumerate(items):
        try:
            code = _str(r["code"], file, i, r, "code", 9)
            zone = r.get("zone")
            if zone not in zones:
                zone = _zone(zone, file, i, r)
            chef_lieu = _optional_str(r.get("chefLieu"), file, i, r, "chefLieu", 5)
            row = (code, _str(r["nom"], file, i, r, "nom", 200), zone, chef_lieu, False)
        except KeyError as exc:
            raise _element_error(file, i, r, exc.args[0], "champ obligatoire manquant") from None
        except (TypeError, AttributeError):
            raise _element_error(file, i, r, None, "objet JSON attendu") from None
        if code in regions:
            raise _duplicate(file, i, r, items, _same_code(code))
        regions[code] = row

    file, items = "departements.json", data["departements"]
    departements: dict[str, tuple] = {}
    for i, d in enumerate(items):
        try:
            code = _str(d["code"], file, i, d, "code", 9)
            nom = _str(d["nom"], file, i, d, "nom", 200)
            region = d["region"]
            if region not in regions:
                raise _element_error(
                    file, i, d, "region", f"région « {region} » inconnue (absente de regions.json)"
                )
            zone = d.get("zone")
            if zone not in zones:
                zone = _zone(zone, file, i, d)
            row = (
                code,
                nom,
                region,
                zone,
                _optional_str(d.get("chefLieu"), file, i, d, "chefLieu", 5),
                False,
            )
        except KeyError as exc:
            raise _element_error(file, i, d, exc.args[0], "champ obligatoire manquant") from None
        except (TypeError, AttributeError):
            raise _element_error(file, i, d, None, "objet JSON attendu") from None
        if code in departements:
            raise _duplicate(file, i, d, items, _same_code(code))
        departements[code] = row

    file, items = "epci.json", data["epci"]
    epcis: dict[str, tuple] = {}
    epci_of: dict[str, str] = {}  # commune → EPCI
    epci_index: dict[str, int] = {}
    for i, e in enumerate(items):
        try:
            code = _str(e["code"], file, i, e, "code", 9)
            row = (
                code,
                _str(e["nom"], file, i, e, "nom", 200),
                _str(e["type"], file, i, e, "type", 6),
                _optional_str(e.get("modeFinancement"), file, i, e, "modeFinancement", 6),
                _optional_int(e.get("populationTotale"), file, i, e, "populationTotale"),
                False,
            )
            membres = e["membres"]
            if type(membres) is not list:
                raise _element_error(file, i, e, "membres", "liste attendue")
        except KeyError as exc:
            raise _element_error(file, i, e, exc.args[0], "champ obligatoire manquant") from None
        except (TypeError, AttributeError):
            raise _element_error(file, i, e, None, "objet JSON attendu") from None
        if code in epcis:
            raise _duplicate(file, i, e, items, _same_code(code))
        epcis[code] = row
        epci_index[code] = i
        for m, membre in enumerate(membres):
            try:
                commune = membre["code"]
                previous = epci_of.setdefault(commune, code)
            except (KeyError, TypeError):
                raise _element_error(
                    file, i, e, "membres", f"membre n° {m + 1} sans champ « code »"
                ) from None
            if previous != code:
                raise _element_error(
                    file, i, e, "membres", f"la commune « {commune} » est déjà membre de l'EPCI {previous}"
                )

    file, items = "communes.json", data["communes"]
    communes: dict[str, tuple] = {}
    codes: dict[tuple[str, str, str], tuple] = {}
    attached: list[tuple[int, str, str, str, str]] = []  # (index, code, nature, parent field, parent)
    epci_get = epci_of.get
    for i, c in enumerate(items):
        try:
            code = c["code"]
            kind = c["type"]
            nom = c["nom"]
            if type(code) is not str or not 0 < len(code) <= 5:
                raise _element_error(file, i, c, "code", f"code INSEE attendu, reçu {code!r}")
            if type(nom) is not str or not 0 < len(nom) <= 200:
                raise _element_error(
                    file, i, c, "nom", f"chaîne de 1 à 200 caractères attendue, reçu {nom!r}"
                )
            if kind == ACTUELLE:
                departement = c["departement"]
                region = c["region"]
                if departement not in departements:
                    raise _element_error(
                        file,
                        i,
                        c,
                        "departement",
                        f"département « {departement} » inconnu (absent de departements.json)",
                    )
                if region not in regions:
                    raise _element_error(
                        file, i, c, "region", f"région « {region} » inconnue (absente de regions.json)"
                    )
                population = c.get("population")
                if population is not None and (type(population) is not int or population < 0):
                    _optional_int(population, file, i, c, "population")
                codes_postaux = c.get("codesPostaux")
                try:
                    if codes_postaux and type(codes_postaux) is not list:
                        raise TypeError
                    codes_postaux = " ".join(codes_postaux) if codes_postaux else ""
                except TypeError:
                    raise _element_error(
                        file, i, c, "codesPostaux", "liste de codes postaux attendue"
                    ) from None
                if len(codes_postaux) > 200:
                    raise _element_error(file, i, c, "codesPostaux", "plus de 200 caractères une fois joints")
                siren = c.get("siren")
                if siren is None or type(siren) is not str or len(siren) > 9:
                    siren = _optional_str(siren, file, i, c, "siren", 9)
                zone = c.get("zone")
                if zone not in zones:
                    zone = _zone(zone, file, i, c)
                if code in communes:
                    raise _duplicate(
                        file,
                        i,
                        c,
                        items,
                        lambda o, c_=code: o.get("code") == c_ and o.get("type") == ACTUELLE,
                    )
                communes[code] = (
                    code,
                    nom,
                    siren,
                    departement,
                    region,
                    epci_get(code),
                    population,
                    codes_postaux,
                    zone,
                    False,
                )
                anciens = c.get("anciensCodes")
                if anciens:
                    for ancien in anciens:
                        if type(ancien) is not str or not 0 < len(ancien) <= 5:
                            raise _element_error(
                                file, i, c, "anciensCodes", f"code INSEE attendu, reçu {ancien!r}"
                            )
                        codes[(ancien, ANCIEN, code)] = (ancien, ANCIEN, code, "", False)
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
                file,
                i,
                items[i],
                parent_field,
                f"commune de rattachement « {parent} » inconnue (aucune commune actuelle)",
            )
        key = (code, nature, parent)
        if key in codes:
            raise _element_error(
                file, i, items[i], "code", f"code « {code} » rattaché deux fois à la commune {parent}"
            )
        codes[key] = (code, nature, parent, items[i]["nom"], False)

    unknown = epci_of.keys() - communes.keys()
    if unknown:
        commune = min(unknown)
        i = epci_index[epci_of[commune]]
        raise _element_error(
            "epci.json",
            i,
            data["epci"][i],
            "membres",
            f"commune membre « {commune} » inconnue (absente de communes.json)",
        )
    return Parsed(regions, departements, epcis, communes, codes)


# --- Synchronisation -------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    name: str
    model: type[models.Model]
    key: tuple[str, ...]  # attnames forming a row's identity
    fields: tuple[str, ...]  # attnames compared and written, after the key
    derived: tuple[str, ...] = ()  # attnames computed from the fields (written, not compared)


REGIONS = Level("regions", Region, ("code",), ("nom", "zone", "chef_lieu"))
DEPARTEMENTS = Level("departements", Departement, ("code",), ("nom", "region_id", "zone", "chef_lieu"))
EPCI = Level("epci", Epci, ("code",), ("nom", "nature", "mode_financement", "population"))
COMMUNES = Level(
    "communes",
    Commune,
    ("code",),
    ("nom", "siren", "departement_id", "region_id", "epci_id", "population", "codes_postaux", "zone"),
    derived=("nom_normalise",),
)
CODES = Level("codes", CodeCommune, ("code", "nature", "commune_id"), ("nom",))


def _columns(level: Level, attnames: Iterable[str]) -> list[str]:
    meta, quote = level.model._meta, connection.ops.quote_name
    return [quote(meta.get_field(name).column) for name in attnames]


def _insert(cursor, table: str, columns: list[str], rows: list[tuple]) -> None:
    """Insert ``rows``. ``executemany`` of one prepared statement is the fastest way on SQLite;
    on PostgreSQL it pays a round trip per row (4.7 s for the referential) and multi-row
    ``INSERT`` statements are slower still (psycopg splits each big query in Python: 8.9 s),
    so PostgreSQL gets ``COPY … FROM STDIN`` (well under a second)."""
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608 (model names)
    cursor.executemany(sql, rows)


def _update(cursor, table: str, columns: list[str], pk_column: str, rows: list[tuple]) -> None:
    """Update ``rows`` (values of ``columns`` then the primary key) by primary key.

    SQLite: ``executemany`` of one prepared ``UPDATE``. PostgreSQL: a round trip per row would
    cost ~7 s for a vintage where every population changed, so the rows are copied into a
    temporary table and applied by one ``UPDATE … FROM`` (~1 s)."""
    if connection.vendor != "postgresql":
        assignments = ", ".join(f"{column} = %s" for column in columns)
        sql = f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s"  # noqa: S608 (model names)
        cursor.executemany(sql, rows)
        return
    names = ", ".join([*columns, pk_column])
    # Created inside the loader's transaction: a rollback removes it as well.
    cursor.execute(
        f"CREATE TEMPORARY TABLE pvd_cog_update ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA"  # noqa: S608
    )
    with cursor.cursor.copy(f"COPY pvd_cog_update ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    assignments = ", ".join(f"{column} = u.{column}" for column in columns)
    cursor.execute(
        f"UPDATE {table} AS t SET {assignments} FROM pvd_cog_update AS u WHERE t.{pk_column} = u.{pk_column}"  # noqa: S608
    )
    cursor.execute("DROP TABLE pvd_cog_update")


def _stored(level: Level) -> dict:
    """Identity → stored row: ``[pk,] *key, *fields, obsolete, *derived`` (pk only if not the key)."""
    pk = level.model._meta.pk.attname
    single = level.key == (pk,)
    columns = (*level.key, *level.fields, "obsolete", *level.derived)
    if single:
        rows = level.model.objects.order_by().values_list(*columns)
        return {row[0]: row for row in rows}
    rows = level.model.objects.order_by().values_list(pk, *columns)
    end = 1 + len(level.key)
    return {row[1:end]: row for row in rows}


def _sync(
    level: Level,
    wanted: dict,
    summary: LevelSummary,
    annee: int,
    derive: Callable[[tuple, tuple | None], tuple] | None = None,
    check_derived: bool = False,
) -> None:
    """Make the stored rows of ``level`` match ``wanted`` (identity → row, see :func:`parse_package`).

    ``derive(wanted_row, stored_row_or_None)`` gives the derived values of a row to write; with
    ``check_derived``, they are also compared for rows whose fields did not change.
    """
    stored = _stored(level)
    single = len(level.key) == 1
    offset = 0 if single else 1  # the stored row starts with its pk when the key is not the pk
    width = len(level.key) + len(level.fields) + 1
    end, nkey = offset + width, len(level.key)
    to_create, to_update = [], []
    get = stored.get
    if derive is None and single:  # fast path: stored and wanted rows have the same shape
        for ident, row in wanted.items():
            old = get(ident)
            if old is None:
                to_create.append(row + (annee,))
            elif old != row:
                to_update.append(row[nkey:] + (annee, old[0]))
    else:
        for ident, row in wanted.items():
            old = get(ident)
            if old is None:
                to_create.append(row + (annee,) + (derive(row, None) if derive else ()))
                continue
            same = old[offset:end] == row
            if same and not check_derived:
                continue
            values = derive(row, old) if derive else ()
            if same and old[end:] == values:
                continue
            to_update.append(row[nkey:] + (annee,) + values + (old[0],))
    to_obsolete = [old[0] for ident, old in stored.items() if not old[end - 1] and ident not in wanted]
    summary.current = len(wanted)
    summary.created, summary.updated, summary.obsolete = len(to_create), len(to_update), len(to_obsolete)
    summary.unchanged = summary.current - summary.created - summary.updated
    summary.obsolete_total = len(stored) - (summary.current - summary.created)

    table = connection.ops.quote_name(level.model._meta.db_table)
    written = (*level.fields, "obsolete", "millesime", *level.derived)
    with connection.cursor() as cursor:
        if to_create:
            bulk = level is COMMUNES and len(to_create) > _BULK_INDEX_FROM
            with search_index.bulk_inserts(connection) if bulk else nullcontext():
                _insert(cursor, table, _columns(level, (*level.key, *written)), to_create)
        if to_update:
            _update(
                cursor,
                table,
                _columns(level, written),
                _columns(level, [level.model._meta.pk.attname])[0],
                to_update,
            )
    for start in range(0, len(to_obsolete), _BATCH):
        level.model.objects.filter(pk__in=to_obsolete[start : start + _BATCH]).update(obsolete=True)
    # Rows unchanged since an earlier vintage are part of this one too.
    level.model.objects.filter(obsolete=False).exclude(millesime=annee).update(millesime=annee)


def normaliser_fingerprint() -> str | None:
    """Identifies the code of ``normalize_name`` (and the Unicode tables it relies on).

    Every ``nom_normalise`` is recomputed and checked when it differs from the last vintage's
    (otherwise only the names that changed are normalised). ``None`` (source unavailable)
    means "always recompute".
    """
    try:
        source = Path(inspect.getsourcefile(text) or "").read_bytes()
    except (TypeError, OSError):
        return None
    return hashlib.sha256(source + unicodedata.unidata_version.encode()).hexdigest()[:16]


_LOCK_KEY = 0x50564420434F47  # "PVD COG"


def _lock_against_concurrent_loads() -> None:
    """Two loads at once (e.g. several containers running ``migrate && import_cog`` at start-up)
    must not both insert: the second waits for the first, then finds nothing to change. SQLite's
    immediate transactions already serialise writers; PostgreSQL takes a transaction-level
    advisory lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def import_cog(
    directory: Path | str | None = None,
    progress: Callable[[str], None] | None = None,
    dry_run: bool = False,
) -> CogSummary:
    """Load (or update) the referential from the package in ``directory``; returns what it did.

    Raises :class:`CogError` (and writes nothing) when the package is missing or malformed.
    With ``dry_run`` everything is computed, then rolled back.
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
    for _code, nature, _commune in parsed.codes:
        summary.codes_by_nature[nature] = summary.codes_by_nature.get(nature, 0) + 1
    annee, levels = package.annee, summary.levels

    with transaction.atomic():
        _lock_against_concurrent_loads()
        latest = Millesime.objects.order_by("-loaded_at", "-pk").first()
        renormalise = (
            summary.normalisation is None
            or latest is None
            or latest.summary.get("normalisation") != summary.normalisation
        )

        def nom_normalise(row: tuple, old: tuple | None) -> tuple[str]:
            if old is not None and not renormalise and old[1] == row[1]:
                return (old[-1],)
            return (normalize_name(row[1]),)

        for level, rows in (
            (REGIONS, parsed.regions),
            (DEPARTEMENTS, parsed.departements),
            (EPCI, parsed.epci),
            (COMMUNES, parsed.communes),
            (CODES, parsed.codes),
        ):
            say(f"{LABELS[level.name]} : {len(rows)} dans le paquet, comparaison et écriture")
            if level is COMMUNES:
                _sync(level, rows, levels[level.name], annee, derive=nom_normalise, check_derived=renormalise)
            else:
                _sync(level, rows, levels[level.name], annee)

        levels["regions"].current_com = sum(1 for r in parsed.regions.values() if r[2] == Zone.COM)
        levels["departements"].current_com = sum(1 for d in parsed.departements.values() if d[3] == Zone.COM)
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
