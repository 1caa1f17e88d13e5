"""The programme's population ceiling (settings.PVD_POPULATION_CEILING, 20,000 for PVD)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pvd.territoires.models import Commune
from pvd.territoires.services.plafond import population_ceiling, situation_plafond, sous_plafond

populations = st.integers(min_value=0, max_value=3_000_000)


def test_the_ceiling_comes_from_the_settings(settings):
    assert population_ceiling() == 20_000
    settings.PVD_POPULATION_CEILING = 3_500
    assert population_ceiling() == 3_500
    assert sous_plafond(4_000) is False


@pytest.mark.parametrize(
    ("population", "under"), [(0, True), (19_999, True), (20_000, False), (20_001, False)]
)
def test_boundary(population, under):
    assert sous_plafond(population) is under


def test_unknown_population_gives_an_unknown_answer():
    assert sous_plafond(None) is None
    situation = situation_plafond(Commune(code="00000", nom="Nouvelle", population=None))
    assert situation.sous_plafond is None and situation.ecart is None
    assert "non déterminée" in situation.libelle


@given(population=populations, plafond=st.integers(min_value=1, max_value=3_000_000))
def test_under_the_ceiling_means_strictly_below(population, plafond):
    assert sous_plafond(population, plafond) == (population < plafond)


@given(a=populations, b=populations)
def test_monotonic_a_larger_commune_is_never_more_eligible(a, b):
    small, large = sorted((a, b))
    assert sous_plafond(large) <= sous_plafond(small)


@given(population=populations)
def test_situation_is_consistent(population):
    situation = situation_plafond(Commune(code="00000", nom="X", population=population))
    assert situation.plafond == 20_000
    assert situation.ecart == population - 20_000
    assert situation.sous_plafond == (situation.ecart < 0)
    assert situation.libelle.startswith(
        "Sous le plafond" if situation.sous_plafond else "Au-dessus du plafond"
    )
