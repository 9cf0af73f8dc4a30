"""What DX money buys: each programme turns disbursed VND into physical change.

Money counts real people and things (sites, trainees, merchants); with fewer
agents than people (`scale` < 1) counts of people are multiplied by the scale,
with stochastic rounding so that small tranches are not lost.

| programme      | buys                                                         |
|----------------|--------------------------------------------------------------|
| infrastructure | co-funded 4G sites where people are uncovered, 5G sites, fibre |
| services       | procedures made fully online; a year of back-office capacity |
| skills         | trainees of community digital teams (older and rural first)  |
| incentives     | merchant onboarding; fee discounts on online dossiers        |
| awareness      | campaign months that raise the innovation coefficient p      |
| research       | businesses moved up one digital level (S&T, innovation)      |
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import behaviour as kern
from sim.sampling import choose

if TYPE_CHECKING:
    from sim.model import CityModel


def stochastic_round(x: float, rng: np.random.Generator) -> int:
    base = int(np.floor(x))
    return base + int(rng.random() < x - base)


class Programmes:
    def __init__(self, model: "CityModel") -> None:
        self.m = model
        self.rng = model.stream("programmes")
        # Bought but not yet whole (half a site): carried to the next tranche.
        self._carry: dict[str, float] = {}
        self._order: np.ndarray | None = None
        self._trained_upto = 0

    def _whole(self, key: str, amount: float) -> int:
        total = self._carry.get(key, 0.0) + amount
        n = int(np.floor(total))
        self._carry[key] = total - n
        return n

    def deliver(self, programme: str, vnd: float, communes: np.ndarray) -> None:
        getattr(self, programme)(vnd, communes)

    # ---------------------------------------------------------------- programmes

    def infrastructure(self, vnd: float, communes: np.ndarray) -> None:
        mix, costs, m = self.m.spec.budget.infrastructure_mix, self.m.spec.costs, self.m
        key = "all" if len(communes) == m.geo.n else ",".join(map(str, communes))
        n4 = self._whole(f"4g:{key}", vnd * mix.get("sites_4g", 0.0) / costs.site_4g_vnd)
        n5 = self._whole(f"5g:{key}", vnd * mix.get("sites_5g", 0.0) / costs.site_5g_vnd)
        for k, tech, n in ((0, "4g", n4), (1, "5g", n5)):
            if n:
                op = m.operators[(m.steps + k) % len(m.operators)]
                op.build(tech, n, communes, cofunded=True)
        households = vnd * mix.get("fibre", 0.0) / costs.fibre_household_vnd
        adults = stochastic_round(households * m.spec.network.household_adults * m.scale, self.rng)
        if adults:
            c = m.citizens
            counts = m.citizen_counts[communes]
            picked = choose(self.rng, c.commune_start, communes, c.broadband, False, adults,
                            eligible_c=np.diff(c.commune_start)[communes] - counts[:, kern.BROADBAND])
            c.broadband[picked] = True
            m.citizen_counts[:, kern.BROADBAND] += np.bincount(c.commune[picked], minlength=m.geo.n)

    def services(self, vnd: float, communes: np.ndarray) -> None:
        mix, costs, m = self.m.spec.budget.services_mix, self.m.spec.costs, self.m
        procedures = vnd * mix.get("procedures", 0.0) / costs.procedure_vnd
        m.procedures_online[communes] = np.minimum(
            1.0, m.procedures_online[communes] + procedures / m.spec.effects.total_procedures)
        capacity = vnd * mix.get("backoffice", 0.0) / costs.backoffice_dossier_day_vnd
        if capacity > 0:
            m.backoffice.add_capacity(capacity, communes, days=365)

    def skills(self, vnd: float, communes: np.ndarray) -> None:
        m, c = self.m, self.m.citizens
        k = stochastic_round(vnd / m.spec.costs.trainee_vnd * m.scale, self.rng)
        if k == 0:
            return
        order = self._training_order()
        if len(communes) < m.geo.n:
            order = order[np.isin(c.commune[order], communes)]
        chosen: list[np.ndarray] = []
        need = k
        # Walk the fixed priority order, skipping people already trained (by a pilot, say).
        start = self._trained_upto if len(communes) == m.geo.n else 0
        while need > 0 and start < len(order):
            chunk = order[start:start + 2 * need]
            fresh = np.flatnonzero(~c.trained[chunk])
            if len(fresh) > need:
                fresh = fresh[:need]
                start += int(fresh[-1]) + 1
            else:
                start += len(chunk)
            chosen.append(chunk[fresh])
            need -= len(fresh)
        chosen = np.concatenate(chosen) if chosen else np.empty(0, dtype=np.int64)
        if len(communes) == m.geo.n:
            self._trained_upto = start
        c.skill[chosen] = np.minimum(1.0, c.skill[chosen] + m.spec.effects.training_gain)
        c.trained[chosen] = True

    def _training_order(self) -> np.ndarray:
        """Community digital teams go to older and rural people first (order fixed at the first use)."""
        if self._order is None:
            m, c = self.m, self.m.citizens
            priority = c.age + 1.5 * ~m.geo.urban[c.commune] + self.rng.random(c.n)
            self._order = np.argsort(-priority)  # continuous priorities: no ties to keep stable
            self._trained_upto = 0
        return self._order

    def incentives(self, vnd: float, communes: np.ndarray) -> None:
        mix, costs, m = self.m.spec.budget.incentives_mix, self.m.spec.costs, self.m
        b = m.businesses
        k = stochastic_round(vnd * mix.get("merchant_onboarding", 0.0) / costs.merchant_onboarding_vnd * m.scale,
                             self.rng)
        open_ = b.consumer_facing & ~b.accepts_cashless
        cand = np.flatnonzero(open_ if len(communes) == m.geo.n else np.isin(b.commune, communes) & open_)
        if k and len(cand):
            b.accepts_cashless[self.rng.choice(cand, min(k, len(cand)), replace=False)] = True
        pop = m.geo.population[communes]
        m.fee_pool[communes] += vnd * mix.get("fee_discount", 0.0) * pop / pop.sum()

    def awareness(self, vnd: float, communes: np.ndarray) -> None:
        m = self.m
        share = m.geo.population[communes].sum() / m.geo.population.sum()
        # A campaign's cost scales with the people it reaches.
        m.campaign_months[communes] += vnd / (m.spec.costs.campaign_month_vnd * share)

    def research(self, vnd: float, communes: np.ndarray) -> None:
        """Businesses move up one digital level, the largest first (ties broken at random)."""
        m, b = self.m, self.m.businesses
        k = stochastic_round(vnd / m.spec.costs.research_business_vnd * m.scale, self.rng)
        eligible = b.digital_level < 3
        if len(communes) < m.geo.n:
            eligible &= np.isin(b.commune, communes)
        # Priority is size plus a uniform draw, so whole size classes go first and the
        # class that is cut is sampled uniformly: the same as ranking everyone.
        for size in range(int(b.size.max()), -1, -1):
            if k <= 0:
                break
            cand = np.flatnonzero(eligible & (b.size == size))
            chosen = cand if len(cand) <= k else self.rng.choice(cand, k, replace=False)
            b.digital_level[chosen] += 1
            k -= len(chosen)
