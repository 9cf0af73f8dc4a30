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
    assist_monthly: NDArray[np.float64] = field(init=False)     # VND a month of community-team time under contract
    campaign_months: NDArray[np.float64] = field(init=False)    # campaign months still to run
    # Team contracts ending: month index -> VND a month that stops after that month.
    assist_ending: dict[int, NDArray[np.float64]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("procedures_online", "integration_vnd", "fee_pool", "assist_monthly", "campaign_months"):
            setattr(self, name, np.zeros(self.n))

    # ------------------------------------------------------------ programmes' changes

    def add_integration(self, vnd: float, communes: NDArray[np.int64], population: NDArray[np.float64]) -> None:
        self.integration_vnd[communes] += _by_population(vnd, communes, population)

    def add_fee_pool(self, vnd: float, communes: NDArray[np.int64], population: NDArray[np.float64]) -> None:
        self.fee_pool[communes] += _by_population(vnd, communes, population)

    def add_assist_contract(self, vnd: float, communes: NDArray[np.int64], population: NDArray[np.float64],
                            month: int, months: int) -> None:
        """Community-team time bought in `month`: `vnd` spread evenly over it and the next
        `months` - 1, the teams staffed whether or not people come."""
        per_month = _by_population(vnd / months, communes, population)
        self.assist_monthly[communes] += per_month
        ending = self.assist_ending.setdefault(month + months - 1, np.zeros(self.n))
        ending[communes] += per_month

    def end_assist_contracts(self, month: int) -> None:
        """After `month`: the contracts that ran to it end."""
        ending = self.assist_ending.pop(month, None)
        if ending is not None:
            self.assist_monthly = np.maximum(0.0, self.assist_monthly - ending)

    def add_campaign_months(self, months: float, communes: NDArray[np.int64]) -> None:
        self.campaign_months[communes] += months

    def empty_fee_pool(self) -> float:
        """At the end of a year: the fee-discount money left (it returns to the budget)."""
        left = float(self.fee_pool.sum())
        self.fee_pool[:] = 0.0
        return left

    # ------------------------------------------------------------ the month's use

    def rejection(self, start: float, floor: float, national: float, vnd_per_person: float,
                  population: NDArray[np.float64]) -> NDArray[np.float64]:
        """Share of online dossiers returned for correction. National data sharing closes the gap
        to the floor by itself over the years (`national`: the exponent it has reached, national
        forcing); the province's integration and data money adds to it, exponentially with money
        per person (diminishing returns)."""
        own = self.integration_vnd / (vnd_per_person * population)
        return floor + (start - floor) * np.exp(-(national + own))

    def use_fee_pool(self, fee_vnd: NDArray[np.float64]) -> None:
        """The month's fee discounts draw on their pool."""
        self.fee_pool = np.maximum(0.0, self.fee_pool - fee_vnd)

    @property
    def campaign_running(self) -> NDArray[np.float64]:
        """Share of this month a campaign runs, per commune (a part of a month bought runs for that part)."""
        return np.minimum(self.campaign_months, 1.0)

    def end_campaign_month(self) -> None:
        """The month's part of every campaign has run."""
        self.campaign_months = self.campaign_months - self.campaign_running
