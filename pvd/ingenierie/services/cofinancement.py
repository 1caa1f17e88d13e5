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
the post was filled (days filled / days in the year). Amounts are computed exactly (on integers)
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
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

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


def _cents(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _exact(value) -> Fraction:
    return Fraction(Decimal(value)) if not isinstance(value, Fraction) else value


@lru_cache(maxsize=64)
def _entiers(parametres: Parametres) -> tuple[int, dict[str, int]]:
    """The rules as integers over one common denominator ``d``: rates as ``rate × d`` and caps
    as ``cap in cents × d`` — so that the computation runs on integers only, exactly."""
    fractions = {
        code: _exact(getattr(parametres, code)) * (1 if LIBELLES[code][1] == "taux" else 100)
        for code in Parametres.CODES
    }
    d = 1
    for value in fractions.values():
        d = math.lcm(d, value.denominator)
    return d, {code: int(value * d) for code, value in fractions.items()}


def _parts_entieres(parts: Sequence[tuple[Hashable, Decimal]]) -> tuple[list[int], int]:
    """Shares as integers over a common denominator: ([share × d], d)."""
    ratios = [Decimal(share).as_integer_ratio() for _, share in parts]
    d = 1
    for _, den in ratios:
        d = math.lcm(d, den)
    return [num * (d // den) for num, den in ratios], d


def _repartir_cents(cents_total: int, nums: list[int], d: int) -> list[int]:
    if len(nums) == 1:
        return [cents_total]
    floors = [divmod(cents_total * n, d) for n in nums]
    remainder = cents_total - sum(q for q, _ in floors)
    order = sorted(range(len(floors)), key=lambda i: (-floors[i][1], i))
    bonus = set(order[:remainder])
    return [q + (1 if i in bonus else 0) for i, (q, _) in enumerate(floors)]


def repartir(montant: Decimal, parts: Sequence[tuple[Hashable, Decimal]]) -> dict[Hashable, Decimal]:
    """Split ``montant`` by ``parts`` (which sum to 1), exactly to the cent (largest remainder:
    the cents left over go to the largest fractional parts, ties to the earlier share)."""
    if not parts:
        return {}
    nums, d = _parts_entieres(parts)
    cents = _repartir_cents(int(Decimal(montant).scaleb(2).to_integral_value()), nums, d)
    return {key: _cents(c) for (key, _), c in zip(parts, cents, strict=True)}


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

    ``cout_annuel``: loaded annual cost in euros (to the cent); ``jours``: days the post was
    filled in ``annee`` (default: the whole year); ``avec_anah``: the Anah contributes (the caller
    checks a habitat operation runs that year); ``avec_bdt``: the Banque des Territoires
    contributes; ``parts``: (territory, share) pairs of a shared post.

    Exact arithmetic on integers: every candidate amount is a numerator over the common
    denominator ``k = d × days in year`` (in cents), floored to the cent at the end.
    """
    cout_annuel = Decimal(cout_annuel)
    if cout_annuel < 0:
        raise ErreurCalcul(f"Le coût annuel chargé ne peut pas être négatif : {cout_annuel} €.")
    if cout_annuel != cout_annuel.quantize(CENT):
        raise ErreurCalcul(f"Le coût annuel chargé s'exprime au centime près : {cout_annuel} €.")
    nb_annee = jours_dans_annee(annee)
    jours = nb_annee if jours is None else int(jours)
    if not 0 <= jours <= nb_annee:
        raise ErreurCalcul(f"Le nombre de jours pourvus doit être compris entre 0 et {nb_annee} : {jours}.")
    verifier_parts(parts)
    d, r = _entiers(parametres)
    k = d * nb_annee  # common denominator of every candidate (amounts in cents)
    cout_j = int(cout_annuel.scaleb(2)) * jours  # cost in cents × days: rate-based = r × cout_j / k
    limites: list[Limite] = []

    def borne(candidats: list[tuple[str | None, int]]) -> int:
        """The smallest candidate numerator; records the rules that set it (None = not a rule)."""
        smallest = min(v for _, v in candidats)
        if any(v > smallest for _, v in candidats):
            for code, v in candidats:
                if code and v == smallest:
                    limites.append(Limite(code, LIBELLES[code][0], getattr(parametres, code), _cents(v // k)))
        return smallest

    plafond_code = "plafond_total_anah" if avec_anah else "plafond_total"
    total = borne([("taux_total", r["taux_total"] * cout_j), (plafond_code, r[plafond_code] * jours)])
    total_c = total // k
    anah_c = 0
    if avec_anah:
        anah = borne(
            [
                ("taux_anah", r["taux_anah"] * cout_j),
                ("plafond_anah", r["plafond_anah"] * jours),
                (None, total),
            ]
        )
        anah_c = min(anah // k, total_c)
    bdt_c = 0
    if avec_bdt:
        reste = (total_c - anah_c) * k
        bdt = borne(
            [("taux_bdt", r["taux_bdt"] * cout_j), ("plafond_bdt", r["plafond_bdt"] * jours), (None, reste)]
        )
        bdt_c = bdt // k
    etat_c = total_c - anah_c - bdt_c

    repartition: dict[Hashable, dict[str, Decimal]] = {}
    if parts:
        nums, d_parts = _parts_entieres(parts)
        split = {
            contributeur: _repartir_cents(montant, nums, d_parts)
            for contributeur, montant in (
                (Contributeur.ETAT, etat_c),
                (Contributeur.ANAH, anah_c),
                (Contributeur.BDT, bdt_c),
            )
        }
        repartition = {
            key: {contributeur: _cents(split[contributeur][i]) for contributeur in split}
            for i, (key, _) in enumerate(parts)
        }
    anah_c, bdt_c, etat_c = _cents(anah_c), _cents(bdt_c), _cents(etat_c)
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
