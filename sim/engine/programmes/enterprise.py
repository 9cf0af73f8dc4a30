"""Enterprise (the innovation part of the Resolution 57 budget): firms supported to move up a
digital level (`[costs] firm_support_vnd`, `[delivery] firms`), SMEs and large firms first (as
SMEdx does), household businesses after. Support is not certain: a supported firm moves up
with `[effects] firm_support_success`, its own draw for each level, so a policy that reaches
the same firm gets the same outcome.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sim.engine import behaviour as kern
from sim.engine.programmes.base import BusinessOrder, Communes, Inputs, Programme
from sim.engine.programmes.registry import register


@register
class Enterprise(Programme):
    name = "enterprise"
    outputs = ("firms_supported",)

    def __init__(self, inputs: Inputs) -> None:
        super().__init__(inputs)
        self._firms = BusinessOrder(self.world.businesses, self.rng, small_last=True)
        self._success: NDArray[np.float64] | None = None  # a firm's draw for each level, drawn at the first use

    def deliver(self, vnd: float, communes: Communes, year: int) -> float:
        return self.ledger.buy(f"firms:{self.ledger.where(communes)}", "firms", vnd,
                               self.spec.costs.firm_support_vnd.value, year, communes,
                               self.counted("firms_supported", lambda n: self._support(n, communes)))

    def _support(self, n: int, communes: Communes) -> int:
        """Support n real firms; returns how many (real) were supported."""
        b = self.world.businesses
        eligible = b.digital_level < kern.TOP_LEVEL
        if not self.province_wide(communes):
            eligible &= np.isin(b.commune, communes)
        take = self._firms.take(eligible, n)
        if self._success is None:
            self._success = self.rng.random((kern.TOP_LEVEL, b.n))
        ok = self._success[b.digital_level[take], take] < self.spec.effects.firm_support_success.value
        self.province.upgrade_firms(take[ok])
        return int(round(min(n, b.weight[take].sum())))
