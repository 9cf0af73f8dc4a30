"""Infrastructure (DX budget): co-funded 4G sites where people are uncovered, 5G sites, and
fibre to households, split by `[budget.infrastructure_mix]`.

Sites are built by the operators in turn (`Province.build_sites`), where people are not yet
covered; unit costs `[costs] site_4g_vnd`, `site_5g_vnd`, `fibre_household_vnd`; capacity
`[delivery] sites_4g`, `sites_5g`, `fibre_households`.
"""

from __future__ import annotations

import numpy as np

from sim.engine import behaviour as kern
from sim.engine.programmes.base import Communes, Programme, stochastic_round
from sim.engine.programmes.registry import register
from sim.world.sampling import choose


@register
class Infrastructure(Programme):
    name = "infrastructure"
    outputs = ("sites_4g_built", "sites_5g_built", "fibre_households")

    def deliver(self, vnd: float, communes: Communes, year: int) -> float:
        mix, costs = self.spec.budget.infrastructure_mix, self.spec.costs
        key = self.ledger.where(communes)
        coverage = self.world.coverage
        absorbed = 0.0
        for turn, tech in enumerate(("4g", "5g")):
            def build(n: int, tech: str = tech, turn: int = turn) -> int:
                return self.province.build_sites(tech, n, communes, turn)
            built_before = coverage.count(tech)
            share = mix["sites_4g"] if tech == "4g" else mix["sites_5g"]
            absorbed += self.ledger.buy(f"{tech}:{key}", f"sites_{tech}", vnd * share,
                                        getattr(costs, f"site_{tech}_vnd").value, year, communes, build)
            self.delivered[f"sites_{tech}_built"] += coverage.count(tech) - built_before
        absorbed += self.ledger.buy(f"fibre:{key}", "fibre_households", vnd * mix["fibre"],
                                    costs.fibre_household_vnd.value, year, communes,
                                    self.counted("fibre_households", lambda n: self._connect(n, communes)))
        return absorbed

    def _connect(self, n: int, communes: Communes) -> int:
        """Connect n households (their adults, drawn among those without broadband)."""
        c, rng = self.world.citizens, self.rng
        adults = stochastic_round(n * self.spec.network.household_adults * self.world.scale, rng)
        counts = self.province.citizen_counts[communes]
        picked = choose(rng, c.commune_start, communes, c.broadband, False, adults,
                        eligible_c=np.diff(c.commune_start)[communes] - counts[:, kern.BROADBAND])
        self.province.connect_broadband(picked)
        # Households connected: all n if anyone was left to connect, else in proportion.
        return n if len(picked) == adults else int(len(picked) / max(adults, 1) * n)
