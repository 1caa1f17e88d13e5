"""The programme's population ceiling: PVD is for communes of fewer than 20,000 inhabitants.

The ceiling is a setting (``settings.PVD_POPULATION_CEILING``); a commune is under it when its
population (the COG's "population municipale") is strictly below. The population may be unknown
(``None``) for a commune just created in the COG: the answer is then unknown too.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


def population_ceiling() -> int:
    return int(settings.PVD_POPULATION_CEILING)


def sous_plafond(population: int | None, plafond: int | None = None) -> bool | None:
    """Is ``population`` under the programme's ceiling? ``None`` when the population is unknown."""
    if population is None:
        return None
    return population < (population_ceiling() if plafond is None else plafond)


@dataclass(frozen=True)
class SituationPlafond:
    """What a page or the API says about a commune and the ceiling."""

    plafond: int
    population: int | None
    sous_plafond: bool | None

    @property
    def ecart(self) -> int | None:
        """Inhabitants above (positive) or below (negative) the ceiling."""
        return None if self.population is None else self.population - self.plafond

    @property
    def libelle(self) -> str:
        if self.sous_plafond is None:
            return "Population inconnue : éligibilité au plafond non déterminée"
        if self.sous_plafond:
            return f"Sous le plafond du programme ({self.plafond:,} habitants)".replace(",", "\u202f")
        return f"Au-dessus du plafond du programme ({self.plafond:,} habitants)".replace(",", "\u202f")


def situation_plafond(commune) -> SituationPlafond:
    plafond = population_ceiling()
    return SituationPlafond(plafond, commune.population, sous_plafond(commune.population, plafond))
