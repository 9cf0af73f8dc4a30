"""Incentives (DX budget), split by `[budget.incentives_mix]`: onboarding visits to merchants
who do not accept cashless (`[costs] merchant_onboarding_vnd`, `[delivery] merchants`: about
1% of a province's merchants a year, as 'market 4.0' campaigns did), and a pool for fee
discounts on online dossiers (paid per dossier as citizens file; what is left at the end of a
year returns). A visited merchant decides for itself that month, with part of its set-up cost
relieved (`[behaviour.merchants] onboarding_cost_relief`) from then on; one who refused may be
visited again after `revisit_months`.
"""

from __future__ import annotations

import numpy as np

from sim.engine.programmes.base import BusinessOrder, Communes, Inputs, Programme
from sim.engine.programmes.registry import register


@register
class Incentives(Programme):
    name = "incentives"
    outputs = ("merchants_onboarded",)

    def __init__(self, inputs: Inputs) -> None:
        super().__init__(inputs)
        self._merchants = BusinessOrder(self.world.businesses, self.rng, small_last=False)

    def deliver(self, vnd: float, communes: Communes, year: int) -> float:
        mix, costs = self.spec.budget.incentives_mix, self.spec.costs
        absorbed = self.ledger.buy(f"merchants:{self.ledger.where(communes)}", "merchants",
                                   vnd * mix["merchant_onboarding"], costs.merchant_onboarding_vnd.value, year,
                                   communes, self.counted("merchants_onboarded", lambda n: self._onboard(n, communes)))
        fee = vnd * mix["fee_discount"]
        self.state.add_fee_pool(fee, communes, self.geo.population)
        return absorbed + fee

    def _onboard(self, n: int, communes: Communes) -> int:
        """Visit n real merchants who do not accept: never visited, or refused long enough ago."""
        b = self.world.businesses
        cool_off = self.spec.behaviour.merchants.revisit_months
        open_ = b.consumer_facing & ~b.accepts_cashless & ((b.onboarded_at < 0)
                                                           | (self.province.month - b.onboarded_at >= cool_off))
        if not self.province_wide(communes):
            open_ &= np.isin(b.commune, communes)
        take = self._merchants.take(open_, n)
        self.province.onboard_merchants(take)
        return int(round(min(n, b.weight[take].sum())))

    def end_year(self) -> float:
        """The fee-discount money not used this year returns."""
        return self.state.empty_fee_pool()
