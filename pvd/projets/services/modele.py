"""The XLSX template of a laureate's actions: download it empty, export a project in it, import it.

One workbook, one sheet per kind of row, each row naming its action by its number:
"Fiches actions", "Coûts", "Financements", "Étapes", "Indicateurs" (plus a read-only "Aide"
sheet listing the accepted values). Export then import into another laureate gives the same
actions. The import validates everything first and reports each problem with its sheet, line,
column and reason; any error aborts it and nothing is written (``pvd.core.imports``).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from pvd.core.imports import ImportReport, atomic_import
from pvd.core.locking import save_with_version
from pvd.core.text import normalize_name
from pvd.territoires.models import Commune

from ..models import (
    Axe,
    Dispositif,
    Etape,
    FicheAction,
    Financement,
    Financeur,
    Indicateur,
    LigneCout,
    MaitreOuvrage,
    Nature,
    ProjetDeTerritoire,
    Statut,
    StatutFinancement,
    Theme,
    TransitionStatut,
)
from ..rules import TransitionRefusee, verifier_transition

FICHES = "Fiches actions"
COUTS = "Coûts"
FINANCEMENTS = "Financements"
ETAPES = "Étapes"
INDICATEURS = "Indicateurs"
AIDE = "Aide"

# sheet -> [(key, header, required)]
COLUMNS: dict[str, list[tuple[str, str, bool]]] = {
    FICHES: [
        ("numero", "Numéro", True),
        ("titre", "Titre", True),
        ("description", "Description", False),
        ("axe", "Axe stratégique", False),
        ("themes", "Thèmes (séparés par ;)", False),
        ("statut", "Statut", False),
        ("maitre_ouvrage_type", "Type de maître d'ouvrage", False),
        ("maitre_ouvrage_nom", "Nom du maître d'ouvrage", False),
        ("pilote", "Pilote (e-mail)", False),
        ("commune", "Commune (code INSEE)", False),
        ("date_debut_prevue", "Début prévu", False),
        ("date_fin_prevue", "Fin prévue", False),
        ("date_debut_reelle", "Début réel", False),
        ("date_fin_reelle", "Fin réelle", False),
    ],
    COUTS: [
        ("numero", "Numéro de l'action", True),
        ("nature", "Nature", True),
        ("annee", "Année", False),
        ("libelle", "Libellé", False),
        ("montant_ht", "Montant HT (€)", True),
        ("montant_ttc", "Montant TTC (€)", False),
    ],
    FINANCEMENTS: [
        ("numero", "Numéro de l'action", True),
        ("financeur", "Financeur", True),
        ("dispositif", "Dispositif", False),
        ("montant", "Montant (€)", True),
        ("statut", "Statut", True),
        ("annee", "Année", False),
        ("date_demande", "Sollicité le", False),
        ("date_decision", "Décision le", False),
        ("date_versement", "Versé le", False),
    ],
    ETAPES: [
        ("numero", "Numéro de l'action", True),
        ("ordre", "Ordre", False),
        ("libelle", "Libellé", True),
        ("date_prevue", "Prévue le", False),
        ("faite", "Faite (oui/non)", False),
    ],
    INDICATEURS: [
        ("numero", "Numéro de l'action", True),
        ("nom", "Nom", True),
        ("unite", "Unité", False),
        ("valeur_initiale", "Valeur initiale", False),
        ("cible", "Cible", False),
        ("valeur_actuelle", "Valeur actuelle", False),
    ],
}
CHILD_SHEETS = (COUTS, FINANCEMENTS, ETAPES, INDICATEURS)
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- Writing -------------------------------------------------------------------------------
def _workbook(rows_by_sheet: dict[str, list[list]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for sheet, columns in COLUMNS.items():
        ws = wb.create_sheet(sheet)
        ws.append([header for _, header, _ in columns])
        for c in ws[1]:
            c.font = Font(bold=True)
        for row in rows_by_sheet.get(sheet, []):
            ws.append(["" if v is None else v for v in row])
        for i, (_, header, _) in enumerate(columns):
            ws.column_dimensions[ws.cell(1, i + 1).column_letter].width = max(14, len(header) + 2)
    aide = wb.create_sheet(AIDE)
    aide.append(["Liste", "Valeurs acceptées"])
    aide.append(["Statut (fiche)", " ; ".join(label for _, label in Statut.choices)])
    aide.append(["Type de maître d'ouvrage", " ; ".join(label for _, label in MaitreOuvrage.choices)])
    aide.append(["Nature (coût)", " ; ".join(label for _, label in Nature.choices)])
    aide.append(["Statut (financement)", " ; ".join(label for _, label in StatutFinancement.choices)])
    aide.append(["Thèmes", " ; ".join(Theme.objects.values_list("nom", flat=True))])
    aide.append(["Financeurs", " ; ".join(str(f) for f in Financeur.objects.filter(actif=True))])
    aide.append(["Dispositifs", " ; ".join(str(d) for d in Dispositif.objects.filter(actif=True))])
    aide.append(["Dates", "AAAA-MM-JJ ou JJ/MM/AAAA ; montants en euros (12000 ou 12 000,50)"])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def modele_vide() -> bytes:
    return _workbook({})


def exporter_projet(projet: ProjetDeTerritoire, fiches=None) -> bytes:
    """The project's actions (or ``fiches``, a queryset already filtered by the policy) in the template."""
    fiches = (fiches if fiches is not None else projet.fiches.all()).filter(projet=projet)
    fiches = (
        fiches.select_related("axe", "pilote", "commune")
        .prefetch_related(
            "themes", "couts", "financements__financeur", "financements__dispositif", "etapes", "indicateurs"
        )
        .order_by("numero")
    )
    rows: dict[str, list[list]] = {s: [] for s in COLUMNS}
    for f in fiches:
        rows[FICHES].append(
            [
                f.numero,
                f.titre,
                f.description,
                f.axe.titre if f.axe else "",
                " ; ".join(t.nom for t in f.themes.all()),
                f.get_statut_display(),
                f.get_maitre_ouvrage_type_display(),
                f.maitre_ouvrage_nom,
                f.pilote.email if f.pilote else "",
                f.commune_id or "",
                f.date_debut_prevue,
                f.date_fin_prevue,
                f.date_debut_reelle,
                f.date_fin_reelle,
            ]
        )
        for c in f.couts.all():
            rows[COUTS].append(
                [f.numero, c.get_nature_display(), c.annee, c.libelle, c.montant_ht, c.montant_ttc]
            )
        for fi in f.financements.all():
            rows[FINANCEMENTS].append(
                [
                    f.numero,
                    fi.financeur.slug,
                    fi.dispositif.slug if fi.dispositif else "",
                    fi.montant,
                    fi.get_statut_display(),
                    fi.annee,
                    fi.date_demande,
                    fi.date_decision,
                    fi.date_versement,
                ]
            )
        for e in f.etapes.all():
            rows[ETAPES].append([f.numero, e.ordre, e.libelle, e.date_prevue, "oui" if e.faite else "non"])
        for i in f.indicateurs.all():
            rows[INDICATEURS].append(
                [f.numero, i.nom, i.unite, i.valeur_initiale, i.cible, i.valeur_actuelle]
            )
    return _workbook(rows)


# --- Reading -------------------------------------------------------------------------------
def _key(text) -> str:
    return normalize_name(str(text or "")).replace("'", " ").strip()


class _Lookup:
    """Resolve a free-text value (code, label, slug, sigle…) among choices, accent/case-insensitive."""

    def __init__(self, pairs):
        self.map: dict[str, object] = {}
        for keys, value in pairs:
            for k in keys:
                if k:
                    self.map.setdefault(_key(k), value)

    def get(self, text):
        return self.map.get(_key(text))


def _choices_lookup(choices) -> _Lookup:
    return _Lookup(((value, label), value) for value, label in choices)


@dataclass
class _Row:
    line: int
    data: dict


@dataclass
class _Parsed:
    fiches: list[_Row] = field(default_factory=list)
    children: dict[str, list[_Row]] = field(default_factory=dict)
    sheets_present: set[str] = field(default_factory=set)


_NUMBER_RE = re.compile(r"[\s\u00a0\u202f€]")


def _decimal(value) -> Decimal:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    text = _NUMBER_RE.sub("", str(value)).replace(",", ".")
    return Decimal(text)


def _date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError


class _Reader:
    """Reads and validates one workbook against the project it is imported into."""

    def __init__(self, projet: ProjetDeTerritoire, report: ImportReport):
        self.projet = projet
        self.report = report
        self.themes = _Lookup(((t.slug, t.nom), t) for t in Theme.objects.all())
        self.financeurs = _Lookup(((f.slug, f.nom, f.sigle), f) for f in Financeur.objects.all())
        self.dispositifs = _Lookup(
            ((d.slug, d.nom, d.sigle), d) for d in Dispositif.objects.select_related("financeur")
        )
        self.statuts = _choices_lookup(Statut.choices)
        self.statuts_fin = _choices_lookup(StatutFinancement.choices)
        self.natures = _choices_lookup(Nature.choices)
        self.mo_types = _choices_lookup(MaitreOuvrage.choices)
        self.laureat_communes = set(projet.laureat.communes.values_list("code", flat=True))

    def error(self, sheet: str, line: int | None, column: str, reason: str) -> None:
        self.report.error(line, f"{sheet} / {column}", reason)

    def warning(self, sheet: str, line: int | None, column: str, reason: str) -> None:
        self.report.warning(line, f"{sheet} / {column}", reason)

    def read(self, fileobj) -> _Parsed:
        parsed = _Parsed()
        try:
            wb = load_workbook(fileobj, read_only=True, data_only=True)
        except (InvalidFileException, KeyError, OSError, ValueError, Exception) as exc:  # noqa: BLE001
            self.report.error(
                None, "fichier", f"ce n'est pas un classeur XLSX lisible ({exc.__class__.__name__})."
            )
            return parsed
        if FICHES not in wb.sheetnames:
            self.report.error(
                None, "feuille", f"la feuille « {FICHES} » est absente (utilisez le modèle fourni)."
            )
            return parsed
        for sheet in (FICHES, *CHILD_SHEETS):
            if sheet not in wb.sheetnames:
                continue
            parsed.sheets_present.add(sheet)
            rows = self._rows(wb[sheet], sheet)
            if sheet == FICHES:
                parsed.fiches = rows
            else:
                parsed.children[sheet] = rows
        wb.close()
        self._validate(parsed)
        return parsed

    def _rows(self, ws, sheet: str) -> list[_Row]:
        columns = COLUMNS[sheet]
        by_header = {_key(header): key for key, header, _ in columns} | {
            _key(key): key for key, _, _ in columns
        }
        iterator = ws.iter_rows(values_only=True)
        header = next(iterator, None)
        if header is None:
            return []
        positions: dict[str, int] = {}
        for i, h in enumerate(header):
            key = by_header.get(_key(h))
            if key:
                positions[key] = i
            elif h not in (None, ""):
                self.warning(sheet, 1, str(h), "colonne inconnue, ignorée.")
        for key, header_label, required in columns:
            if required and key not in positions:
                self.error(sheet, 1, header_label, "colonne obligatoire absente.")
        rows = []
        for n, values in enumerate(iterator, start=2):
            if values is None or all(v in (None, "") for v in values):
                continue
            data = {}
            for key, i in positions.items():
                v = values[i] if i < len(values) else None
                data[key] = v.strip() if isinstance(v, str) else v
            rows.append(_Row(n, data))
        return rows

    # Field converters: return the value, or record an error and return None.
    def _text(self, sheet, row, key, label, required=False, max_length=250):
        v = row.data.get(key)
        v = "" if v is None else str(v).strip()
        if required and not v:
            self.error(sheet, row.line, label, "valeur obligatoire manquante.")
        if len(v) > max_length:
            self.error(
                sheet, row.line, label, f"texte trop long ({len(v)} caractères, {max_length} au plus)."
            )
        return v

    def _opt(self, sheet, row, key, label, convert, what):
        v = row.data.get(key)
        if v in (None, ""):
            return None
        try:
            return convert(v)
        except (ValueError, InvalidOperation, TypeError):
            self.error(sheet, row.line, label, f"{what} invalide : « {v} ».")
            return None

    def _money(self, sheet, row, key, label, required=False):
        if required and row.data.get(key) in (None, ""):
            self.error(sheet, row.line, label, "montant obligatoire manquant.")
            return None
        value = self._opt(sheet, row, key, label, _decimal, "montant")
        if value is not None:
            if value < 0:
                self.error(sheet, row.line, label, f"montant négatif : {value}.")
            elif value >= Decimal("1e12"):
                self.error(sheet, row.line, label, f"montant hors limites : {value}.")
            value = value.quantize(Decimal("0.01"))
        return value

    def _year(self, sheet, row, key, label):
        value = self._opt(sheet, row, key, label, lambda v: int(_decimal(v)), "année")
        if value is not None and not 2000 <= value <= 2100:
            self.error(sheet, row.line, label, f"année hors de 2000–2100 : {value}.")
        return value

    def _choice(self, sheet, row, key, label, lookup, default=None, required=False):
        v = row.data.get(key)
        if v in (None, ""):
            if required:
                self.error(sheet, row.line, label, "valeur obligatoire manquante.")
            return default
        found = lookup.get(v)
        if found is None:
            self.error(sheet, row.line, label, f"valeur inconnue : « {v} » (voir la feuille « {AIDE} »).")
        return found

    def _validate(self, parsed: _Parsed) -> None:
        seen: dict[str, int] = {}
        users = {}
        emails = {str(r.data.get("pilote")).strip().lower() for r in parsed.fiches if r.data.get("pilote")}
        if emails:
            users = {u.email.lower(): u for u in get_user_model().objects.filter(email__in=emails)}
        codes = {str(r.data.get("commune")).strip() for r in parsed.fiches if r.data.get("commune")}
        communes = {c.code: c for c in Commune.objects.filter(code__in=codes)}
        existing = {f.numero.lower(): f for f in self.projet.fiches.all()}
        S = FICHES
        for row in parsed.fiches:
            d = {}
            numero = self._text(S, row, "numero", "Numéro", required=True, max_length=20)
            if numero and numero.lower() in seen:
                self.error(
                    S, row.line, "Numéro", f"numéro {numero} en double (déjà ligne {seen[numero.lower()]})."
                )
            seen[numero.lower()] = row.line
            d["numero"] = numero
            d["titre"] = self._text(S, row, "titre", "Titre", required=True)
            d["description"] = self._text(S, row, "description", "Description", max_length=20000)
            d["axe"] = self._text(S, row, "axe", "Axe stratégique")
            themes = []
            for name in re.split(r"[;\n]", str(row.data.get("themes") or "")):
                if name.strip():
                    theme = self.themes.get(name)
                    if theme is None:
                        self.error(
                            S,
                            row.line,
                            "Thèmes",
                            f"thème inconnu : « {name.strip()} » (voir la feuille « {AIDE} »).",
                        )
                    else:
                        themes.append(theme)
            d["themes"] = themes
            d["statut"] = self._choice(S, row, "statut", "Statut", self.statuts, default=Statut.IDEE)
            d["maitre_ouvrage_type"] = self._choice(
                S,
                row,
                "maitre_ouvrage_type",
                "Type de maître d'ouvrage",
                self.mo_types,
                default=MaitreOuvrage.COMMUNE,
            )
            d["maitre_ouvrage_nom"] = self._text(
                S, row, "maitre_ouvrage_nom", "Nom du maître d'ouvrage", max_length=200
            )
            email = str(row.data.get("pilote") or "").strip().lower()
            d["pilote"] = users.get(email)
            if email and d["pilote"] is None:
                self.warning(
                    S,
                    row.line,
                    "Pilote (e-mail)",
                    f"aucun utilisateur {email} : action importée sans pilote.",
                )
            code = str(row.data.get("commune") or "").strip()
            d["commune"] = None
            if code:
                if re.fullmatch(r"\d{4}", code):
                    code = "0" + code  # a spreadsheet dropped the leading zero
                commune = communes.get(code) or Commune.resolve(code)
                if commune is None:
                    self.error(S, row.line, "Commune (code INSEE)", f"code commune inconnu : « {code} ».")
                else:
                    d["commune"] = commune
                    if (
                        commune.code not in self.laureat_communes
                        and commune.epci_id != self.projet.laureat.epci_id
                    ):
                        self.warning(
                            S,
                            row.line,
                            "Commune (code INSEE)",
                            f"{commune} est hors du territoire du lauréat.",
                        )
            for key, label in (
                ("date_debut_prevue", "Début prévu"),
                ("date_fin_prevue", "Fin prévue"),
                ("date_debut_reelle", "Début réel"),
                ("date_fin_reelle", "Fin réelle"),
            ):
                d[key] = self._opt(S, row, key, label, _date, "date")
            for start, end, label in (
                ("date_debut_prevue", "date_fin_prevue", "Fin prévue"),
                ("date_debut_reelle", "date_fin_reelle", "Fin réelle"),
            ):
                if d[start] and d[end] and d[end] < d[start]:
                    self.error(S, row.line, label, "la date de fin précède la date de début.")
            current = existing.get(numero.lower()) if numero else None
            if current is not None and d["statut"] and d["statut"] != current.statut:
                try:
                    verifier_transition(current.statut, d["statut"])
                except TransitionRefusee as exc:
                    self.error(S, row.line, "Statut", str(exc))
            d["existing"] = current
            row.data = d
        numeros = set(seen)
        for sheet, rows in parsed.children.items():
            for row in rows:
                numero = str(row.data.get("numero") or "").strip()
                if not numero:
                    self.error(sheet, row.line, "Numéro de l'action", "valeur obligatoire manquante.")
                elif numero.lower() not in numeros:
                    self.error(
                        sheet,
                        row.line,
                        "Numéro de l'action",
                        f"aucune action {numero} dans la feuille « {FICHES} ».",
                    )
                row.data = self._child(sheet, row) | {"numero": numero.lower()}

    def _child(self, sheet: str, row: _Row) -> dict:
        if sheet == COUTS:
            d = {
                "nature": self._choice(sheet, row, "nature", "Nature", self.natures, required=True),
                "annee": self._year(sheet, row, "annee", "Année"),
                "libelle": self._text(sheet, row, "libelle", "Libellé", max_length=200),
                "montant_ht": self._money(sheet, row, "montant_ht", "Montant HT (€)", required=True),
                "montant_ttc": self._money(sheet, row, "montant_ttc", "Montant TTC (€)"),
            }
            if (
                d["montant_ht"] is not None
                and d["montant_ttc"] is not None
                and d["montant_ttc"] < d["montant_ht"]
            ):
                self.error(sheet, row.line, "Montant TTC (€)", "inférieur au montant HT.")
            return d
        if sheet == FINANCEMENTS:
            d = {
                "financeur": self._choice(
                    sheet, row, "financeur", "Financeur", self.financeurs, required=True
                ),
                "dispositif": self._choice(sheet, row, "dispositif", "Dispositif", self.dispositifs),
                "montant": self._money(sheet, row, "montant", "Montant (€)", required=True),
                "statut": self._choice(sheet, row, "statut", "Statut", self.statuts_fin, required=True),
                "annee": self._year(sheet, row, "annee", "Année"),
                "date_demande": self._opt(sheet, row, "date_demande", "Sollicité le", _date, "date"),
                "date_decision": self._opt(sheet, row, "date_decision", "Décision le", _date, "date"),
                "date_versement": self._opt(sheet, row, "date_versement", "Versé le", _date, "date"),
            }
            disp, fin = d["dispositif"], d["financeur"]
            if disp and fin and disp.financeur_id and disp.financeur_id != fin.pk:
                self.error(sheet, row.line, "Dispositif", f"{disp} relève de {disp.financeur}, pas de {fin}.")
            return d
        if sheet == ETAPES:
            faite = _key(row.data.get("faite"))
            if faite not in ("", "oui", "non", "1", "0", "true", "false", "x"):
                self.error(
                    sheet,
                    row.line,
                    "Faite (oui/non)",
                    f"valeur attendue oui ou non : « {row.data.get('faite')} ».",
                )
            ordre = self._opt(sheet, row, "ordre", "Ordre", lambda v: int(_decimal(v)), "ordre")
            if ordre is not None and not 0 <= ordre <= 32767:
                self.error(sheet, row.line, "Ordre", f"ordre hors limites : {ordre}.")
                ordre = None
            return {
                "ordre": ordre,
                "libelle": self._text(sheet, row, "libelle", "Libellé", required=True),
                "date_prevue": self._opt(sheet, row, "date_prevue", "Prévue le", _date, "date"),
                "faite": faite in ("oui", "1", "true", "x"),
            }
        return {
            "nom": self._text(sheet, row, "nom", "Nom", required=True, max_length=200),
            "unite": self._text(sheet, row, "unite", "Unité", max_length=40),
            "valeur_initiale": self._opt(
                sheet, row, "valeur_initiale", "Valeur initiale", _decimal, "nombre"
            ),
            "cible": self._opt(sheet, row, "cible", "Cible", _decimal, "nombre"),
            "valeur_actuelle": self._opt(
                sheet, row, "valeur_actuelle", "Valeur actuelle", _decimal, "nombre"
            ),
        }


def importer_fiches(
    projet: ProjetDeTerritoire, fileobj, filename: str, user=None, dry_run: bool = False
) -> ImportReport:
    """Validate then (all or nothing) create/update the project's actions from a template workbook.

    An action whose number already exists in the project is updated (its status moved through
    the transition table); the cost, financing, step and indicator lines of every action listed
    are replaced by those of the file when the file has that sheet.
    """
    report = ImportReport(file=filename)
    reader = _Reader(projet, report)
    parsed = reader.read(fileobj)
    if report.ok and not parsed.fiches:
        report.error(None, f"{FICHES}", "aucune action dans le fichier.")

    def write(report: ImportReport) -> None:
        _write(projet, parsed, user, report)

    return atomic_import(report, write, dry_run=dry_run)


def _write(projet: ProjetDeTerritoire, parsed: _Parsed, user, report: ImportReport) -> None:
    now = timezone.now()
    axes = {_key(a.titre): a for a in projet.axes.all()}
    next_ordre = max((a.ordre for a in axes.values()), default=0)
    created = updated = 0
    by_numero: dict[str, FicheAction] = {}
    fields = [
        "titre",
        "description",
        "maitre_ouvrage_type",
        "maitre_ouvrage_nom",
        "pilote",
        "commune",
        "date_debut_prevue",
        "date_fin_prevue",
        "date_debut_reelle",
        "date_fin_reelle",
    ]
    with transaction.atomic():
        for row in parsed.fiches:
            d = row.data
            axe = None
            if d["axe"]:
                axe = axes.get(_key(d["axe"]))
                if axe is None:
                    next_ordre += 1
                    axe = Axe.objects.create(projet=projet, ordre=next_ordre, titre=d["axe"])
                    axes[_key(d["axe"])] = axe
                    report.changes.append(f"Axe créé : {d['axe']}")
            fiche = d["existing"]
            if fiche is None:
                fiche = FicheAction(projet=projet, numero=d["numero"], statut=d["statut"], axe=axe)
                for f in fields:
                    setattr(fiche, f, d[f])
                fiche._history_user = user
                fiche.save()
                TransitionStatut.objects.create(
                    fiche=fiche, de="", vers=fiche.statut, date=now, par=user, commentaire="Import"
                )
                created += 1
            else:
                old = fiche.statut
                for f in fields:
                    setattr(fiche, f, d[f])
                fiche.axe = axe
                fiche.statut = d["statut"]
                fiche._history_user = user
                save_with_version(fiche)
                if old != fiche.statut:
                    TransitionStatut.objects.create(
                        fiche=fiche, de=old, vers=fiche.statut, date=now, par=user, commentaire="Import"
                    )
                updated += 1
            fiche.themes.set(d["themes"])
            by_numero[d["numero"].lower()] = fiche
        models = {COUTS: LigneCout, FINANCEMENTS: Financement, ETAPES: Etape, INDICATEURS: Indicateur}
        for sheet, model in models.items():
            if sheet not in parsed.sheets_present:
                continue
            model.objects.filter(fiche__in=list(by_numero.values())).delete()
            objs = []
            for i, row in enumerate(parsed.children.get(sheet, []), start=1):
                data = {k: v for k, v in row.data.items() if k != "numero"}
                if sheet == ETAPES and data["ordre"] is None:
                    data["ordre"] = i
                objs.append(model(fiche=by_numero[row.data["numero"]], **data))
            for obj in objs:
                obj._history_user = user
                obj.save()
            report.counts[sheet.lower()] = len(objs)
    report.counts = {"actions créées": created, "actions mises à jour": updated, **report.counts}
