"""Awareness (DX budget): campaign months that raise the whole adoption hazard of online
services and cashless while they run (`[effects] campaign_boost`, read by the citizens' month:
the Generalized Bass Model's marketing effort). A campaign
month costs `[costs] campaign_month_vnd` for the whole province, in proportion to the people
it reaches; a commune runs at most twelve a year (more money is not absorbed).
"""

from __future__ import annotations

from sim.engine.programmes.base import Communes, Programme
from sim.engine.programmes.registry import register

MONTHS_PER_YEAR = 12.0


@register
class Awareness(Programme):
    name = "awareness"
    outputs = ("campaign_months",)

    def deliver(self, vnd: float, communes: Communes, year: int) -> float:
        population = self.geo.population
        share = population[communes].sum() / population.sum()
        cost = self.spec.costs.campaign_month_vnd.value * share  # a campaign's cost scales with the people it reaches
        used = ("campaign", year, self.ledger.where(communes))
        months = max(min(vnd / cost, MONTHS_PER_YEAR - self.ledger.used[used]), 0.0)
        self.ledger.used[used] += months
        self.state.add_campaign_months(months, communes)
        self.delivered["campaign_months"] += months
        return months * cost

    def end_month(self) -> None:
        """A month of every running campaign has passed."""
        self.state.end_campaign_month()
