"""Co-financing of a chef de projet post: a pure computation on Decimals (no database).

The rules (PVD defaults, configurable per programme through ``RegleCofinancement``):

- total aid ≤ ``taux_total`` (75 %) of the loaded annual cost and ≤ ``plafond_total`` (45,000 €/year);
- when the Anah contributes — only if a served territory runs an Anah habitat operation (OPAH-RU,
  OPAH, PIG…) during the year — the total cap becomes ``plafond_total_anah`` (55,000 €/year) and the
  Anah pays ``taux_anah`` (50 %) of the cost, capped at ``plafond_anah`` (40,000 €/year);
- the Banque des Territoires pays ≤ ``taux_bdt`` (25 %) of the cost and ≤ ``plafond_bdt`` (15,000 €/year),
  within what the Anah left under the total;
- the State (FNADT) pays the rest, within the total.

Pro rata temporis: every rate-based amount and every cap is multiplied by the fraction of the year
the post was filled (days filled / days in the year). Amounts are computed exactly (``Fraction``)
and rounded *down* to the cent, contributor by contributor, so that no rounded amount can exceed a
rate or a cap; the State's share is the rounded total minus the partners' rounded shares.

A shared post's aid is split between its territories by their recorded shares (which sum to 1):
each contributor's amount is split by the largest-remainder method on cents, the remainder cents
going to the largest fractional parts, ties broken by the order of the shares given — so the parts
always add up exactly to the aid.

``calculer(...)`` returns a ``Resultat`` with the amounts per contributor, the parts per territory
and the list of limits that bit (``Limite``: code, label, value) — used by the models, the views,
the API and the benchmark.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Parametres:
    """The co-financing rules of a programme (PVD values by default)."""

    taux_total: Decimal = Decimal("0.75")
    plafond_total: Decimal = Decimal("45000")
    plafond_total_anah: Decimal = Decimal("55000")
    taux_anah: Decimal = Decimal("0.50")
    plafond_anah: Decimal = Decimal("40000")
    taux_bdt: Decimal = Decimal("0.25")
    plafond_bdt: Decimal = Decimal("15000")

    CODES = (
        "taux_total",
        "plafond_total",
        "plafond_total_anah",
        "taux_anah",
        "plafond_anah",
        "taux_bdt",
        "plafond_bdt",
    )


PVD = Parametres()

# code -> (label, unit) — the labels shown for a rule and for a limit that bit.
LIBELLES: dict[str, tuple[str, str]] = {
    "taux_total": ("Taux maximal de cofinancement du coût chargé", "taux"),
    "plafond_total": ("Plafond annuel du cofinancement", "euros"),
    "plafond_total_anah": ("Plafond annuel du cofinancement avec l'Anah", "euros"),
    "taux_anah": ("Part de l'Anah dans le coût chargé", "taux"),
    "plafond_anah": ("Plafond annuel de l'Anah", "euros"),
    "taux_bdt": ("Part maximale de la Banque des Territoires dans le coût chargé", "taux"),
    "plafond_bdt": ("Plafond annuel de la Banque des Territoires", "euros"),
}


class Contributeur:
    ETAT = "etat"
    ANAH = "anah"
    BDT = "bdt"
    LIBELLES = {ETAT: "État (FNADT)", ANAH: "Anah", BDT: "Banque des Territoires"}


class ErreurCalcul(ValueError):
    """Inputs the rules cannot compute (negative cost, shares not summing to 1…)."""


@dataclass(frozen=True)
class Limite:
    """A rate or cap that bit (it made an amount smaller than it would otherwise be)."""

    code: str
    libelle: str
    valeur: Decimal  # the rule's value (annual cap in euros or rate)
    montant: Decimal  # the amount it limited to, after pro rata

    @property
    def valeur_affichee(self) -> str:
        return affiche_valeur(self.code, self.valeur)

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "libelle": self.libelle,
            "valeur": str(self.valeur),
            "valeur_affichee": self.valeur_affichee,
            "montant": str(self.montant),
        }


def affiche_valeur(code: str, valeur: Decimal) -> str:
    """A rule's value as shown: ``75 %`` or ``45 000 €/an``."""
    if LIBELLES[code][1] == "taux":
        return f"{(Decimal(valeur) * 100).normalize():f} %".replace(".", ",")
    return f"{Decimal(valeur):,.0f} €/an".replace(",", "\u202f")


@dataclass(frozen=True)
class Resultat:
    cout_annuel: Decimal
    jours: int
    jours_annee: int
    anah: Decimal
    bdt: Decimal
    etat: Decimal
    limites: tuple[Limite, ...]
    parts: dict[Hashable, dict[str, Decimal]] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return self.anah + self.bdt + self.etat

    @property
    def prorata(self) -> Fraction:
        return Fraction(self.jours, self.jours_annee)

    def par_contributeur(self) -> dict[str, Decimal]:
        return {Contributeur.ETAT: self.etat, Contributeur.ANAH: self.anah, Contributeur.BDT: self.bdt}

    def total_part(self, cle: Hashable) -> Decimal:
        return sum(self.parts.get(cle, {}).values(), ZERO)

    def as_dict(self) -> dict:
        return {
            "cout_annuel": str(self.cout_annuel),
            "jours": self.jours,
            "jours_annee": self.jours_annee,
            "etat": str(self.etat),
            "anah": str(self.anah),
            "bdt": str(self.bdt),
            "total": str(self.total),
            "limites": [lim.as_dict() for lim in self.limites],
            "parts": {
                str(k): {c: str(v) for c, v in amounts.items()} | {"total": str(sum(amounts.values(), ZERO))}
                for k, amounts in self.parts.items()
            },
        }


def jours_dans_annee(annee: int) -> int:
    return 366 if calendar.isleap(annee) else 365


def jours_pourvus(annee: int, debut: dt.date | None, fin: dt.date | None) -> int:
    """Days of ``annee`` within [debut, fin] (both included; None = open)."""
    start = max(debut or dt.date(annee, 1, 1), dt.date(annee, 1, 1))
    end = min(fin or dt.date(annee, 12, 31), dt.date(annee, 12, 31))
    return max(0, (end - start).days + 1)


def _cents_down(value: Fraction) -> Decimal:
    """Round an exact amount down to the cent."""
    cents = value.numerator * 100 // value.denominator
    return (Decimal(cents) / 100).quantize(CENT, rounding=ROUND_DOWN)


def _fraction(value: Decimal | int | str) -> Fraction:
    return Fraction(Decimal(value))


def repartir(montant: Decimal, parts: Sequence[tuple[Hashable, Decimal]]) -> dict[Hashable, Decimal]:
    """Split ``montant`` by ``parts`` (which sum to 1), exactly to the cent (largest remainder)."""
    if not parts:
        return {}
    cents_total = int((montant / CENT).to_integral_value())
    exact = [(key, Fraction(cents_total) * _fraction(share)) for key, share in parts]
    floors = [
        (key, value.numerator // value.denominator, value - value.numerator // value.denominator)
        for key, value in exact
    ]
    remainder = cents_total - sum(f for _, f, _ in floors)
    order = sorted(range(len(floors)), key=lambda i: (-floors[i][2], i))
    bonus = set(order[:remainder])
    return {key: Decimal(f + (1 if i in bonus else 0)) * CENT for i, (key, f, _) in enumerate(floors)}


def verifier_parts(parts: Sequence[tuple[Hashable, Decimal]]) -> None:
    if not parts:
        return
    for key, share in parts:
        if share <= 0 or share > 1:
            raise ErreurCalcul(
                f"La part du territoire {key} doit être comprise entre 0 (exclu) et 1 : {share}."
            )
    total = sum((Decimal(share) for _, share in parts), Decimal(0))
    if total != 1:
        raise ErreurCalcul(f"Les parts d'un poste partagé doivent totaliser 1 (elles totalisent {total}).")
    keys = [key for key, _ in parts]
    if len(set(keys)) != len(keys):
        raise ErreurCalcul("Un territoire figure deux fois dans les parts du poste.")


def calculer(
    cout_annuel: Decimal,
    *,
    annee: int,
    jours: int | None = None,
    avec_anah: bool = False,
    avec_bdt: bool = True,
    parts: Sequence[tuple[Hashable, Decimal]] = (),
    parametres: Parametres = PVD,
) -> Resultat:
    """The co-financing of a post for one calendar year.

    ``jours``: days the post was filled in ``annee`` (default: the whole year);
    ``avec_anah``: the Anah contributes (the caller checks a habitat operation runs that year);
    ``avec_bdt``: the Banque des Territoires contributes; ``parts``: (territory, share) pairs.
    """
    cout_annuel = Decimal(cout_annuel)
    if cout_annuel < 0:
        raise ErreurCalcul(f"Le coût annuel chargé ne peut pas être négatif : {cout_annuel} €.")
    nb_annee = jours_dans_annee(annee)
    jours = nb_annee if jours is None else int(jours)
    if not 0 <= jours <= nb_annee:
        raise ErreurCalcul(f"Le nombre de jours pourvus doit être compris entre 0 et {nb_annee} : {jours}.")
    verifier_parts(parts)
    p = parametres
    prorata = Fraction(jours, nb_annee)
    cout = _fraction(cout_annuel) * prorata
    limites: list[Limite] = []

    def borne(candidats: list[tuple[str | None, Fraction]]) -> Fraction:
        """The smallest candidate; records the rules that set it (None = not a rule)."""
        smallest = min(v for _, v in candidats)
        larger_exists = any(v > smallest for _, v in candidats)
        if larger_exists:
            for code, v in candidats:
                if code and v == smallest:
                    limites.append(Limite(code, LIBELLES[code][0], getattr(p, code), _cents_down(v)))
        return smallest

    plafond_code = "plafond_total_anah" if avec_anah else "plafond_total"
    total = borne(
        [
            ("taux_total", _fraction(p.taux_total) * cout),
            (plafond_code, _fraction(getattr(p, plafond_code)) * prorata),
        ]
    )
    total_c = _cents_down(total)
    anah_c = ZERO
    if avec_anah:
        anah = borne(
            [
                ("taux_anah", _fraction(p.taux_anah) * cout),
                ("plafond_anah", _fraction(p.plafond_anah) * prorata),
                (None, total),
            ]
        )
        anah_c = min(_cents_down(anah), total_c)
    bdt_c = ZERO
    if avec_bdt:
        reste = _fraction(total_c - anah_c)
        bdt = borne(
            [
                ("taux_bdt", _fraction(p.taux_bdt) * cout),
                ("plafond_bdt", _fraction(p.plafond_bdt) * prorata),
                (None, reste),
            ]
        )
        bdt_c = _cents_down(bdt)
    etat_c = total_c - anah_c - bdt_c

    repartition: dict[Hashable, dict[str, Decimal]] = {}
    if parts:
        for contributeur, montant in (
            (Contributeur.ETAT, etat_c),
            (Contributeur.ANAH, anah_c),
            (Contributeur.BDT, bdt_c),
        ):
            for key, value in repartir(montant, parts).items():
                repartition.setdefault(key, {})[contributeur] = value
    return Resultat(
        cout_annuel=cout_annuel,
        jours=jours,
        jours_annee=nb_annee,
        anah=anah_c,
        bdt=bdt_c,
        etat=etat_c,
        limites=tuple(limites),
        parts=repartition,
    )
