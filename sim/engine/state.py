"""The province's commune-level state that programmes change: typed, created in one place.

Citizens and businesses are their own arrays (`sim.world.population`); coverage is `sim.world.infrastructure`;
back-office queues are `sim.engine.queueing`. This holds the rest, per commune, and the named
methods programmes use to change it (they never set attributes of the model directly).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray


def _by_population(vnd: float, communes: NDArray[np.int64], population: NDArray[np.float64]) -> NDArray[np.float64]:
    pop = population[communes]
    return vnd * pop / pop.sum()


@dataclass
class ProvinceState:
    n: int
    procedures_online: NDArray[np.float64] = field(init=False)  # share of procedures offered online (national)
    integration_vnd: NDArray[np.float64] = field(init=False)    # integration and data money spent so far
    fee_pool: NDArray[np.float64] = field(init=False)           # VND left for fee discounts this year
    assist_pool: NDArray[np.float64] = field(init=False)        # VND of community-team time left this year
    campaign_months: NDArray[np.float64] = field(init=False)    # campaign months still to run

    def __post_init__(self) -> None:
        for name in ("procedures_online", "integration_vnd", "fee_pool", "assist_pool", "campaign_months"):
            setattr(self, name, np.zeros(self.n))

    # ------------------------------------------------------------ programmes' changes

    def add_integration(self, vnd: float, communes: NDArray[np.int64], population: NDArray[np.float64]) -> None:
        self.integration_vnd[communes] += _by_population(vnd, communes, population)

    def add_fee_pool(self, vnd: float, communes: NDArray[np.int64], population: NDArray[np.float64]) -> None:
        self.fee_pool[communes] += _by_population(vnd, communes, population)

    def add_assist_pool(self, vnd: float, communes: NDArray[np.int64], population: NDArray[np.float64]) -> None:
        self.assist_pool[communes] += _by_population(vnd, communes, population)

    def add_campaign_months(self, months: float, communes: NDArray[np.int64]) -> None:
        self.campaign_months[communes] += months

    def empty_fee_pool(self) -> float:
        """At the end of a year: the fee-discount money left (it returns to the budget)."""
        left = float(self.fee_pool.sum())
        self.fee_pool[:] = 0.0
        return left

    def empty_assist_pool(self) -> float:
        """At the end of a year: the community teams' money left (it returns to the budget)."""
        left = float(self.assist_pool.sum())
        self.assist_pool[:] = 0.0
        return left

    # ------------------------------------------------------------ the month's use

    def rejection(self, start: float, floor: float, vnd_per_person: float,
                  population: NDArray[np.float64]) -> NDArray[np.float64]:
        """Share of online dossiers returned for correction: integration and data close the gap
        to the floor exponentially with money per person (diminishing returns)."""
        return floor + (start - floor) * np.exp(-self.integration_vnd / (vnd_per_person * population))

    def use_pools(self, fee_vnd: NDArray[np.float64], assist_vnd: NDArray[np.float64]) -> None:
        """The month's fee discounts and assisted dossiers draw on their pools."""
        self.fee_pool = np.maximum(0.0, self.fee_pool - fee_vnd)
        self.assist_pool = np.maximum(0.0, self.assist_pool - assist_vnd)

    def end_campaign_month(self) -> None:
        self.campaign_months = np.maximum(0.0, self.campaign_months - 1)
