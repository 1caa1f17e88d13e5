"""The arithmetic of a financing plan: pure functions on ``Decimal`` (no database).

Base of every rate: the action's cost HT (the collectivité recovers VAT through the FCTVA, aid is
granted on the HT cost). A refused line finances nothing. Vocabulary:

- ``finance``: all retained lines (prévu, sollicité, accordé, versé), own funds included;
- ``aides``: retained lines from funders other than the maître d'ouvrage itself;
- ``aides_publiques``: the part of ``aides`` that is public money (State, agencies, other
  collectivités, EU) — by law (CGCT L1111-10) the maître d'ouvrage bears at least 20 % of the cost,
  i.e. public aid may not exceed a share (default 80 %) an administrator configures;
- ``reste_a_financer``: what no line covers yet (never negative);
- ``autofinancement``: the maître d'ouvrage's own share = cost − aides (declared own funds plus
  what remains to find), never negative;
- ``acquis``: lines accordé or versé.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")

RETENUS = frozenset({"prevu", "sollicite", "accorde", "verse"})
ACQUIS = frozenset({"accorde", "verse"})


@dataclass(frozen=True)
class Ligne:
    """One financing line, reduced to what the arithmetic needs."""

    montant: Decimal
    statut: str = "prevu"
    public: bool = True
    porteur: bool = False  # the maître d'ouvrage's own funds


@dataclass(frozen=True)
class Plan:
    cout: Decimal
    finance: Decimal
    aides: Decimal
    aides_publiques: Decimal
    acquis: Decimal
    reste_a_financer: Decimal
    autofinancement: Decimal
    taux_financement: Decimal | None  # % of the cost, None when the cost is unknown (zero)
    taux_aides_publiques: Decimal | None
    plafond_aides_publiques: Decimal
    alertes: list[str] = field(default_factory=list)

    @property
    def depasse_cout(self) -> bool:
        return self.finance > self.cout

    @property
    def depasse_plafond(self) -> bool:
        return depasse_plafond(self.cout, self.aides_publiques, self.plafond_aides_publiques)


def money(value) -> Decimal:
    """A Decimal rounded to the cent (None counts as zero)."""
    if value is None:
        return ZERO
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def taux(part: Decimal, total: Decimal) -> Decimal | None:
    """``part`` as a percentage of ``total``, to 0.01 %; None when ``total`` is zero."""
    total = money(total)
    if total == 0:
        return None
    return (money(part) * HUNDRED / total).quantize(CENT, rounding=ROUND_HALF_UP)


def reste_a_financer(cout: Decimal, finance: Decimal) -> Decimal:
    return max(money(cout) - money(finance), ZERO)


def autofinancement(cout: Decimal, aides: Decimal) -> Decimal:
    return max(money(cout) - money(aides), ZERO)


def depasse_plafond(cout: Decimal, aides_publiques: Decimal, plafond_pct: Decimal) -> bool:
    """Public aid strictly above ``plafond_pct`` % of the cost (exact comparison, no rounding)."""
    return money(aides_publiques) * HUNDRED > money(cout) * Decimal(plafond_pct)


def _euros(value: Decimal) -> str:
    return f"{value:,.2f}".replace(",", " ").replace(".", ",") + " €"


def calculer_plan(
    cout: Decimal, lignes: Iterable[Ligne], plafond_aides_publiques: Decimal = Decimal("80")
) -> Plan:
    """Derived figures and warnings of a financing plan (cost HT and its lines)."""
    cout = money(cout)
    finance = aides = publiques = acquis = ZERO
    for ligne in lignes:
        if ligne.statut not in RETENUS:
            continue
        m = money(ligne.montant)
        finance += m
        if ligne.statut in ACQUIS:
            acquis += m
        if not ligne.porteur:
            aides += m
            if ligne.public:
                publiques += m
    plafond = Decimal(plafond_aides_publiques)
    alertes = []
    if finance > cout:
        alertes.append(
            f"Le plan de financement ({_euros(finance)}) dépasse le coût HT de l'action "
            f"({_euros(cout)}) de {_euros(finance - cout)}."
        )
    if publiques > 0 and depasse_plafond(cout, publiques, plafond):
        rate = taux(publiques, cout)
        share = f"{str(rate).replace('.', ',')} %" if rate is not None else "une part indéfinie (coût nul)"
        alertes.append(
            f"Les aides publiques ({_euros(publiques)}) représentent {share} du coût HT, "
            f"au-delà du plafond de {plafond.normalize():f} %."
        )
    return Plan(
        cout=cout,
        finance=finance,
        aides=aides,
        aides_publiques=publiques,
        acquis=acquis,
        reste_a_financer=reste_a_financer(cout, finance),
        autofinancement=autofinancement(cout, aides),
        taux_financement=taux(finance, cout),
        taux_aides_publiques=taux(publiques, cout),
        plafond_aides_publiques=plafond,
        alertes=alertes,
    )


def plan_de(fiche, plafond: Decimal | None = None) -> Plan:
    """The plan of a saved ``FicheAction`` (uses its prefetched ``couts`` and ``financements``)."""
    from ..models import ParametresFinancement

    if plafond is None:
        plafond = ParametresFinancement.plafond_for(fiche.projet.laureat.programme_id)
    cout = sum((money(c.montant_ht) for c in fiche.couts.all()), ZERO)
    lignes = [
        Ligne(f.montant, f.statut, public=f.financeur.est_public, porteur=f.financeur.est_porteur)
        for f in fiche.financements.all()
    ]
    return calculer_plan(cout, lignes, plafond)
