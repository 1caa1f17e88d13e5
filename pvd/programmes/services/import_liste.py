"""Import of an official list of laureates (data.gouv.fr CSV or ANCT GeoJSON), from a file or a URL.

Formats:
- CSV (data.gouv.fr, « Programme Petites villes de demain »): columns
  ``insee_com, lib_com, id_pvd, date_signature``; UTF-8 with or without BOM; ``;`` or ``,``.
  Several rows with the same ``id_pvd`` are several communes of one laureate.
- GeoJSON (ANCT maps): Point features with properties
  ``id_territoire, lib_territoire, date_signature, liste_geo`` where ``liste_geo`` reads
  ``"Nom de la commune (INSEE)"``, several separated by commas or semicolons; a name may itself
  contain parentheses (« Château-Chinon (Ville) (58062) »). The point is the laureate's location.

Everything is validated first (``ImportReport``: line or feature number, field, reason); errors
abort the whole import, warnings don't; ``dry_run`` writes nothing. Writing is one transaction
(``atomic_import``). Re-importing the same file changes nothing; a newer file updates what
differs and the report lists the differences. Laureates absent from the file are kept (counted).

Decisions:
- the **main centrality** of a laureate with several communes is its most populous commune in
  the current referential (ties: the first listed) — the commune that carries the centrality;
- ``date_signature`` (convention d'adhésion) is the laureate's ``date_admission`` and the done
  date of the programme's milestone type that reaches the status « adhésion signée »; an empty
  date in the file never erases a date already known;
- codes from older COG vintages resolve through ``Commune.resolve`` (reported as a warning);
  names that disagree with the referential are reported (warning) and the referential's name
  is used.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from pvd.core.imports import ImportReport, atomic_import
from pvd.core.text import normalize_name
from pvd.territoires.models import CodeCommune, Commune

from ..models import Jalon, Laureat, LaureatCommune, Programme, TypeJalon
from . import echeances
from .bulk import bulk_create_with_fast_history

CSV_COLUMNS = ("insee_com", "lib_com", "id_pvd", "date_signature")
GEOJSON_PROPERTIES = ("id_territoire", "lib_territoire", "date_signature", "liste_geo")
URL_TIMEOUT = 30
MAX_BYTES = 50 * 1024 * 1024

# "Nom (INSEE)" items; the code is the LAST parenthesised 5-character INSEE code of each item.
_CODE = r"(?:\d{2}|2[AB])\d{3}"
_ITEM = re.compile(rf"\s*(?P<nom>[^,;]*?)\s*\(\s*(?P<code>{_CODE})\s*\)\s*(?:[,;]|$)", re.IGNORECASE)


class SourceError(Exception):
    """The source cannot be read at all (missing file, unreachable URL)."""


@dataclass
class Ligne:
    """One commune of one laureate as read from the source."""

    line: int
    identifiant: str
    code: str
    nom: str
    date: dt.date | None
    nom_territoire: str = ""
    latitude: float | None = None
    longitude: float | None = None
    commune: Commune | None = None


@dataclass
class Territoire:
    """One laureate as the source describes it (after validation)."""

    identifiant: str
    line: int
    nom: str
    date: dt.date | None
    latitude: float | None
    longitude: float | None
    communes: list[Commune] = field(default_factory=list)  # main centrality first

    @property
    def principale(self) -> Commune:
        return self.communes[0]


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def read_source(source: str | Path) -> tuple[str, bytes]:
    """(name, content) of a local file or an http(s) URL."""
    text = str(source)
    if re.match(r"^https?://", text, re.IGNORECASE):
        parsed = urllib.parse.urlsplit(text)
        if parsed.scheme not in {"http", "https"}:
            raise SourceError(f"{text} : seules les adresses http(s) sont acceptées")
        request = urllib.request.Request(text, headers={"User-Agent": "pvd-import-laureats"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=URL_TIMEOUT) as response:  # noqa: S310
                content = response.read(MAX_BYTES + 1)
        except OSError as exc:
            raise SourceError(f"{text} : téléchargement impossible ({exc})") from exc
        if len(content) > MAX_BYTES:
            raise SourceError(f"{text} : fichier trop volumineux (> {MAX_BYTES // 1024 // 1024} Mo)")
        name = Path(parsed.path).name or parsed.netloc
        return text if not name else f"{name} ({text})", content
    path = Path(text)
    try:
        return path.name, path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{text} : lecture impossible ({exc.strerror or exc})") from exc


def _decode(data: bytes, report: ImportReport) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.error(None, "fichier", f"le fichier n'est pas en UTF-8 (octet {exc.start})")
        return None


def is_geojson(name: str, text: str) -> bool:
    return name.lower().split(" (")[0].endswith((".geojson", ".json")) or text.lstrip().startswith("{")


def parse_date(value: str) -> dt.date:
    value = value.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value[:10], fmt).date()
        except ValueError:
            continue
    raise ValueError(f"date illisible « {value} » (attendu AAAA-MM-JJ)")


def _read_date(raw, line: int, field_name: str, report: ImportReport) -> dt.date | None:
    if raw is None or str(raw).strip() == "":
        return None
    try:
        return parse_date(str(raw))
    except ValueError as exc:
        report.error(line, field_name, str(exc))
        return None


def parse_csv(text: str, report: ImportReport) -> list[Ligne]:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        report.error(None, "fichier", "fichier vide")
        return []
    missing = [c for c in CSV_COLUMNS if c not in header]
    for column in missing:
        report.error(1, column, f"colonne absente (colonnes attendues : {', '.join(CSV_COLUMNS)})")
    if missing:
        return []
    index = {c: header.index(c) for c in CSV_COLUMNS}
    lignes = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            row = row + [""] * (len(header) - len(row))
        values = {c: row[i].strip() for c, i in index.items()}
        lignes.append(
            Ligne(
                line=line,
                identifiant=values["id_pvd"],
                code=values["insee_com"].upper(),
                nom=values["lib_com"],
                date=_read_date(values["date_signature"], line, "date_signature", report),
            )
        )
    return lignes


def parse_liste_geo(value: str) -> list[tuple[str, str]] | None:
    """``"Nom (INSEE), Nom (Ville) (INSEE); …"`` → [(nom, code), …]; None if unreadable."""
    items, pos, value = [], 0, value.strip()
    while pos < len(value):
        match = _ITEM.match(value, pos)
        if match is None or match.end() == pos:
            return None
        items.append((match["nom"].strip(), match["code"].upper()))
        pos = match.end()
    return items or None


def parse_geojson(text: str, report: ImportReport) -> list[Ligne]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        report.error(None, "fichier", f"JSON illisible (ligne {exc.lineno}, colonne {exc.colno}) : {exc.msg}")
        return []
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list):
        report.error(None, "features", "une FeatureCollection GeoJSON est attendue")
        return []
    lignes = []
    for number, feature in enumerate(features, start=1):
        props = (feature or {}).get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            report.error(number, "properties", "entité sans propriétés")
            continue
        identifiant = str(props.get("id_territoire") or "").strip()
        nom_territoire = str(props.get("lib_territoire") or "").strip()
        date = _read_date(props.get("date_signature"), number, "date_signature", report)
        latitude = longitude = None
        geometry = feature.get("geometry")
        if isinstance(geometry, dict) and geometry.get("type") == "Point":
            coords = geometry.get("coordinates")
            try:
                longitude, latitude = float(coords[0]), float(coords[1])
            except (TypeError, ValueError, IndexError):
                report.error(number, "geometry", f"coordonnées illisibles : {coords!r}")
            else:
                if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
                    report.error(number, "geometry", f"coordonnées hors limites : {coords!r}")
                    latitude = longitude = None
        elif geometry not in (None, {}):
            report.warning(number, "geometry", "géométrie autre qu'un point ignorée")
        liste = str(props.get("liste_geo") or "").strip()
        if not liste:
            report.error(number, "liste_geo", "liste des communes manquante")
            items = []
        else:
            items = parse_liste_geo(liste)
            if items is None:
                report.error(number, "liste_geo", f"liste illisible « {liste} » (attendu « Nom (INSEE), … »)")
                items = []
        if not identifiant:
            report.error(number, "id_territoire", "identifiant manquant")
        for nom, code in items:
            lignes.append(Ligne(number, identifiant, code, nom, date, nom_territoire, latitude, longitude))
    return lignes


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _resolve_all(lignes: list[Ligne]) -> None:
    """Attach the current commune to each line (bulk for current codes, ``Commune.resolve`` else)."""
    codes = {lg.code for lg in lignes if lg.code}
    current = {
        c.code: c
        for c in Commune.objects.filter(code__in=codes, obsolete=False).only(
            "code", "nom", "nom_normalise", "population", "departement_id", "region_id", "epci_id", "obsolete"
        )
    }
    resolved: dict[str, Commune | None] = {}
    for lg in lignes:
        if not lg.code:
            continue
        if lg.code in current:
            lg.commune = current[lg.code]
        else:
            if lg.code not in resolved:
                resolved[lg.code] = Commune.resolve(lg.code)
            lg.commune = resolved[lg.code]


def validate(
    lignes: list[Ligne], programme: Programme, report: ImportReport, geojson: bool, on: dt.date
) -> list[Territoire]:
    id_field, code_field, nom_field = (
        ("id_territoire", "liste_geo", "liste_geo") if geojson else ("id_pvd", "insee_com", "lib_com")
    )
    _resolve_all(lignes)
    alias_names: dict[str, set[str]] = {}
    other_codes = {lg.code for lg in lignes if lg.commune is not None and lg.commune.code != lg.code}
    if other_codes:
        for code, nom in CodeCommune.objects.filter(code__in=other_codes).values_list("code", "nom"):
            alias_names.setdefault(code, set()).add(normalize_name(nom))

    groups: dict[str, list[Ligne]] = {}
    first_line_of_id: dict[str, int] = {}
    commune_owner: dict[str, tuple[str, int]] = {}
    duplicate_features: set[int] = set()
    for lg in lignes:
        if not lg.identifiant:
            if not geojson:
                report.error(lg.line, id_field, "identifiant manquant")
            if lg.code and lg.commune is None:
                report.error(lg.line, code_field, f"code INSEE « {lg.code} » inconnu du référentiel")
            continue
        if programme.prefixe_identifiant and not lg.identifiant.startswith(programme.prefixe_identifiant):
            report.warning(
                lg.line,
                id_field,
                f"identifiant « {lg.identifiant} » sans le préfixe « {programme.prefixe_identifiant} »",
            )
        if geojson:
            seen = first_line_of_id.setdefault(lg.identifiant, lg.line)
            if seen != lg.line:
                if lg.line not in duplicate_features:
                    duplicate_features.add(lg.line)
                    report.error(
                        lg.line, id_field, f"identifiant « {lg.identifiant} » en double (déjà entité {seen})"
                    )
                continue
        if not lg.code:
            report.error(lg.line, code_field, "code INSEE manquant")
            continue
        if lg.commune is None:
            report.error(lg.line, code_field, f"code INSEE « {lg.code} » inconnu du référentiel")
            continue
        commune = lg.commune
        owner = commune_owner.get(commune.code)
        if owner is not None:
            other_id, other_line = owner
            if other_id == lg.identifiant:
                report.error(
                    lg.line,
                    code_field,
                    f"identifiant « {lg.identifiant} » en double pour la commune {commune.code} "
                    f"(déjà ligne {other_line})",
                )
            else:
                report.error(
                    lg.line,
                    code_field,
                    f"la commune {commune.nom} ({commune.code}) est déjà rattachée à « {other_id} » "
                    f"(ligne {other_line})",
                )
            continue
        commune_owner[commune.code] = (lg.identifiant, lg.line)
        if commune.code != lg.code:
            report.warning(
                lg.line,
                code_field,
                f"code {lg.code} (ancien code ou commune déléguée/associée) rattaché à la commune "
                f"actuelle {commune.nom} ({commune.code})",
            )
        if commune.obsolete:
            report.warning(lg.line, code_field, f"la commune {commune.code} a disparu du référentiel actuel")
        if lg.nom:
            given = normalize_name(lg.nom)
            if given != commune.nom_normalise and given not in alias_names.get(lg.code, ()):
                report.warning(
                    lg.line, nom_field, f"le nom « {lg.nom} » diffère du référentiel : « {commune.nom} »"
                )
        elif not geojson:
            report.warning(lg.line, nom_field, f"nom manquant (référentiel : « {commune.nom} »)")
        if programme.eligible(commune.population) is False:
            report.warning(
                lg.line,
                code_field,
                f"{commune.nom} compte aujourd'hui {commune.population} habitants, au-delà du plafond "
                f"du programme ({programme.plafond_population}) : éligible lors de la sélection ?",
            )
        groups.setdefault(lg.identifiant, []).append(lg)

    territoires = []
    reported_dates: set[int] = set()
    for identifiant, group in groups.items():
        first = group[0]
        dated = next((lg for lg in group if lg.date is not None), None)
        date = dated.date if dated is not None else None
        for lg in group:
            if lg.date is not None and lg.date != date:
                report.error(
                    lg.line,
                    "date_signature",
                    f"date {lg.date:%d/%m/%Y} différente de la ligne {dated.line} ({date:%d/%m/%Y}) "
                    f"pour le même identifiant « {identifiant} »",
                )
        if date is not None and dated.line not in reported_dates:
            reported_dates.add(dated.line)
            if date < programme.date_lancement:
                report.error(
                    dated.line,
                    "date_signature",
                    f"date {date:%d/%m/%Y} antérieure au lancement du programme "
                    f"({programme.date_lancement:%d/%m/%Y})",
                )
            elif date > on:
                report.error(dated.line, "date_signature", f"date {date:%d/%m/%Y} dans le futur")
        # Main centrality: the most populous commune (stable sort keeps the listed order on ties).
        communes = sorted((lg.commune for lg in group), key=lambda c: -(c.population or 0))
        nom = first.nom_territoire if geojson and first.nom_territoire else ", ".join(c.nom for c in communes)
        territoires.append(
            Territoire(identifiant, first.line, nom[:200], date, first.latitude, first.longitude, communes)
        )
    return territoires


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _fmt(value) -> str:
    if value is None or value == "":
        return "∅"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write(
    territoires: list[Territoire], programme: Programme, source_name: str, report: ImportReport, user=None
) -> None:
    types = list(TypeJalon.objects.filter(programme=programme).select_related("reference"))
    adhesion = next((t for t in types if t.statut_atteint == Laureat.Statut.ADHESION_SIGNEE), None)
    existing = {
        lau.identifiant: lau
        for lau in Laureat.objects.filter(programme=programme).prefetch_related("liens_communes", "jalons")
    }
    created, updated, unchanged = [], 0, 0
    for terr in territoires:
        principale = terr.principale
        wanted = {
            "nom": terr.nom,
            "epci_id": principale.epci_id,
            "departement_id": principale.departement_id,
            "region_id": principale.region_id,
        }
        if terr.date is not None:
            wanted["date_admission"] = terr.date
        if terr.latitude is not None:
            wanted["latitude"] = terr.latitude
            wanted["longitude"] = terr.longitude
        wanted_links = {c.code: i == 0 for i, c in enumerate(terr.communes)}
        laureat = existing.get(terr.identifiant)
        if laureat is None:
            laureat = Laureat(programme=programme, identifiant=terr.identifiant, source=source_name, **wanted)
            laureat._links = wanted_links
            laureat._date = terr.date
            created.append(laureat)
            continue
        diffs, wanted_changed = [], set()
        for name, value in wanted.items():
            if getattr(laureat, name) != value:
                wanted_changed.add(name)
                diffs.append(f"{name.removesuffix('_id')} {_fmt(getattr(laureat, name))} → {_fmt(value)}")
                setattr(laureat, name, value)
        links = {lien.commune_id: lien for lien in laureat.liens_communes.all()}
        current_links = {code: lien.principale for code, lien in links.items()}
        links_changed = current_links != wanted_links
        if links_changed:
            diffs.append(
                f"communes {', '.join(sorted(current_links))} → {', '.join(sorted(wanted_links))}"
                + (
                    f" (principale {principale.code})"
                    if current_links.get(principale.code) is not True
                    else ""
                )
            )
        jalon_adhesion = next(
            (j for j in laureat.jalons.all() if adhesion and j.type_id == adhesion.id), None
        )
        date_changed = (
            adhesion is not None
            and terr.date is not None
            and (jalon_adhesion is None or jalon_adhesion.date_realisation != terr.date)
        )
        if date_changed and "date_admission" not in wanted_changed:
            old = jalon_adhesion.date_realisation if jalon_adhesion else None
            diffs.append(f"date_signature {_fmt(old)} → {_fmt(terr.date)}")
        if not diffs:
            unchanged += 1
            continue
        updated += 1
        report.changes.append(f"{terr.identifiant} : " + " ; ".join(diffs))
        laureat.source = source_name
        laureat.version += 1
        if user is not None:
            laureat._history_user = user
        laureat.save()
        if links_changed:
            for code, lien in links.items():
                if code not in wanted_links:
                    lien.delete()
                elif lien.principale != wanted_links[code]:
                    lien.principale = wanted_links[code]
                    lien.save(update_fields=["principale"])
            LaureatCommune.objects.bulk_create(
                [
                    LaureatCommune(laureat=laureat, commune_id=code, principale=main)
                    for code, main in wanted_links.items()
                    if code not in links
                ]
            )
        if date_changed:
            if jalon_adhesion is None:
                jalon_adhesion = Jalon(laureat=laureat, type=adhesion)
            else:
                jalon_adhesion.version += 1
            jalon_adhesion.date_realisation = terr.date
            if user is not None:
                jalon_adhesion._history_user = user
            jalon_adhesion.save()
        echeances.sync_jalons(laureat, types)

    if created:
        for laureat in created:
            done = {adhesion.id: laureat._date} if adhesion is not None and laureat._date else {}
            laureat.statut = echeances.statut_from(
                laureat.statut, [t.statut_atteint for t in types if done.get(t.id) and t.statut_atteint]
            )
        bulk_create_with_fast_history(
            created, Laureat, lambda o: (o.programme_id, o.identifiant), ("programme_id", "identifiant"), user
        )
        if any(lau.pk is None for lau in created):  # backends that do not return primary keys
            ids = dict(
                Laureat.objects.filter(
                    programme=programme, identifiant__in=[lau.identifiant for lau in created]
                ).values_list("identifiant", "pk")
            )
            for lau in created:
                lau.pk = ids[lau.identifiant]
        LaureatCommune.objects.bulk_create(
            [
                LaureatCommune(laureat_id=lau.pk, commune_id=code, principale=main)
                for lau in created
                for code, main in lau._links.items()
            ],
            batch_size=1000,
        )
        jalons = []
        for lau in created:
            done = {adhesion.id: lau._date} if adhesion is not None and lau._date else {}
            for t in types:
                jalons.append(
                    Jalon(
                        laureat_id=lau.pk,
                        type=t,
                        date_realisation=done.get(t.id),
                        date_echeance=echeances.due_date(t, done),
                    )
                )
        bulk_create_with_fast_history(
            jalons, Jalon, lambda o: (o.laureat_id, o.type_id), ("laureat_id", "type_id"), user
        )
        report.changes.extend(f"{lau.identifiant} : créé ({lau.nom})" for lau in created[:50])
        if len(created) > 50:
            report.changes.append(f"… et {len(created) - 50} autres lauréats créés")

    in_file = {t.identifiant for t in territoires}
    absents = sorted(set(existing) - in_file)
    report.counts.update(
        {
            "créés": len(created),
            "modifiés": updated,
            "inchangés": unchanged,
            "absents du fichier": len(absents),
        }
    )
    if absents:
        shown = ", ".join(absents[:20]) + (" …" if len(absents) > 20 else "")
        report.changes.append(f"Lauréats déjà connus absents du fichier (conservés, non modifiés) : {shown}")


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def import_laureats(
    source: str | Path | None = None,
    *,
    content: bytes | None = None,
    name: str | None = None,
    programme: Programme | str = "pvd",
    dry_run: bool = False,
    user=None,
    on: dt.date | None = None,
) -> ImportReport:
    """Validate then (unless ``dry_run`` or an error) import a list; returns the report.

    Give either ``source`` (a path or an http(s) URL) or ``content`` (bytes, e.g. an upload) with
    its ``name``. Raises ``SourceError`` if the source cannot be read at all.
    """
    if content is None:
        if source is None:
            raise SourceError("aucun fichier ni URL indiqué")
        name, content = read_source(source)
    name = name or "import"
    if isinstance(programme, str):
        programme = Programme.objects.get(slug=programme)
    on = on or echeances.today()
    report = ImportReport(file=name)
    text = _decode(content, report)
    if text is None:
        return report
    geojson = is_geojson(name, text)
    lignes = parse_geojson(text, report) if geojson else parse_csv(text, report)
    if not lignes and report.ok:
        report.error(None, "fichier", "aucune ligne de données")
    territoires = validate(lignes, programme, report, geojson, on)
    report.counts["lauréats dans le fichier"] = len(territoires)
    report.counts["communes"] = sum(len(t.communes) for t in territoires)
    return atomic_import(
        report, lambda r: write(territoires, programme, name.split(" (")[0], r, user), dry_run=dry_run
    )
