"""Property-based tests of the financing arithmetic (services/financement.py)."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pvd.projets.services.financement import (
    RETENUS,
    Ligne,
    calculer_plan,
    depasse_plafond,
    money,
    reste_a_financer,
    taux,
)

amounts = st.decimals(
    min_value=0, max_value=Decimal("50000000"), places=2, allow_nan=False, allow_infinity=False
)
statuts = st.sampled_from(["prevu", "sollicite", "accorde", "verse", "refuse"])
lignes = st.lists(
    st.builds(Ligne, montant=amounts, statut=statuts, public=st.booleans(), porteur=st.booleans()), max_size=8
)
plafonds = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


@given(cout=amounts, lignes=lignes, plafond=plafonds)
@settings(max_examples=300)
def test_plan_invariants(cout, lignes, plafond):
    plan = calculer_plan(cout, lignes, plafond)
    retenues = [ligne for ligne in lignes if ligne.statut in RETENUS]
    # sums
    assert plan.finance == sum((money(ligne.montant) for ligne in retenues), Decimal(0))
    assert plan.aides == sum((money(ligne.montant) for ligne in retenues if not ligne.porteur), Decimal(0))
    assert plan.aides_publiques <= plan.aides <= plan.finance
    assert plan.acquis <= plan.finance
    # remaining amount: never negative, and closes the gap exactly when not over-financed
    assert plan.reste_a_financer >= 0
    if plan.finance <= plan.cout:
        assert plan.finance + plan.reste_a_financer == plan.cout
    else:
        assert plan.reste_a_financer == 0
    # own share: cost minus aid from others, never negative
    assert plan.autofinancement >= 0
    if plan.aides <= plan.cout:
        assert plan.autofinancement + plan.aides == plan.cout
    assert plan.autofinancement >= plan.reste_a_financer or plan.aides > plan.cout
    # warnings: exactly when financing exceeds cost / public aid exceeds the ceiling
    assert plan.depasse_cout == (plan.finance > plan.cout)
    assert any("dépasse le coût" in a for a in plan.alertes) == (plan.finance > plan.cout)
    over = plan.aides_publiques > 0 and plan.aides_publiques * 100 > plan.cout * plafond
    assert any("aides publiques" in a for a in plan.alertes) == over
    # rates
    if plan.cout == 0:
        assert plan.taux_financement is None
    else:
        assert abs(plan.taux_financement - plan.finance * 100 / plan.cout) <= Decimal("0.005")
        if plan.finance <= plan.cout:
            assert 0 <= plan.taux_financement <= 100


@given(cout=amounts, lignes=lignes)
def test_refused_lines_and_order_do_not_matter(cout, lignes):
    plan = calculer_plan(cout, lignes)
    assert calculer_plan(cout, list(reversed(lignes))) == plan
    refused = [Ligne(ligne.montant, "refuse", ligne.public, ligne.porteur) for ligne in lignes]
    assert calculer_plan(cout, lignes + refused) == plan
    empty = calculer_plan(cout, refused)
    assert empty.finance == 0 and empty.reste_a_financer == money(cout) and empty.alertes == []


@given(cout=amounts.filter(lambda c: c > 0), plafond=plafonds)
def test_public_aid_exactly_at_the_ceiling_is_allowed(cout, plafond):
    at = (cout * plafond / 100).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    assert not depasse_plafond(cout, at, plafond)
    assert depasse_plafond(cout, at + Decimal("0.01"), plafond) == (
        (at + Decimal("0.01")) * 100 > cout * plafond
    )


@given(part=amounts, total=amounts)
def test_rate_is_rounded_to_a_hundredth(part, total):
    rate = taux(part, total)
    if total == 0:
        assert rate is None
    else:
        assert rate == rate.quantize(Decimal("0.01"))
        assert abs(rate - part * 100 / total) <= Decimal("0.005")


def test_default_ceiling_example():
    """80 % by default: 81,000 € of State aid on 100,000 € is flagged; 80,000 € is not."""
    assert calculer_plan(Decimal(100000), [Ligne(Decimal(80000))]).alertes == []
    plan = calculer_plan(Decimal(100000), [Ligne(Decimal(81000))])
    assert plan.alertes == [
        "Les aides publiques (81 000,00 €) représentent 81,00 % du coût HT, au-delà du plafond de 80 %."
    ]
    # own funds and private money are not public aid
    plan = calculer_plan(
        Decimal(100000),
        [Ligne(Decimal(70000)), Ligne(Decimal(20000), porteur=True), Ligne(Decimal(20000), public=False)],
    )
    assert plan.aides_publiques == 70000 and plan.autofinancement == 10000 and plan.reste_a_financer == 0
    assert plan.alertes == [
        "Le plan de financement (110 000,00 €) dépasse le coût HT de l'action (100 000,00 €) de 10 000,00 €."
    ]


@pytest.mark.parametrize(
    ("cout", "finance", "reste"), [("100", "30", "70"), ("100", "130", "0"), ("0", "0", "0")]
)
def test_reste_a_financer_examples(cout, finance, reste):
    assert reste_a_financer(Decimal(cout), Decimal(finance)) == Decimal(reste)
