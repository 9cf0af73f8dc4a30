"""Skills (DX budget): trainees of community digital teams, older and rural people first
(`[costs] trainee_vnd`, `[delivery] trainees`); a trainee closes `[effects] training_gain` of
the gap to full skill (`Province.train`).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from sim.engine.programmes.base import Communes, Indices, Inputs, Programme, stochastic_round
from sim.engine.programmes.registry import register
from sim.world.population import AGE_BANDS


@register
class Skills(Programme):
    name = "skills"
    outputs = ("people_trained",)

    def __init__(self, inputs: Inputs) -> None:
        super().__init__(inputs)
        self._order: Indices | None = None
        self._trained_upto = 0

    def deliver(self, vnd: float, communes: Communes, year: int) -> float:
        return self.ledger.buy(f"skills:{self.ledger.where(communes)}", "trainees", vnd,
                               self.spec.costs.trainee_vnd.value, year, communes,
                               self.counted("people_trained", lambda n: self._train(n, communes)))

    def _train(self, n: int, communes: Communes) -> int:
        """Train n real people (n x scale agents, rounded at random): older and rural first."""
        c, scale = self.world.citizens, self.world.scale
        k = stochastic_round(n * scale, self.rng)
        order = self._training_order()
        whole = self.province_wide(communes)
        if not whole:
            order = order[np.isin(c.commune[order], communes)]
        chosen: list[Indices] = []
        need = k
        # Walk the fixed priority order, skipping people already trained (by a pilot, say).
        start = self._trained_upto if whole else 0
        while need > 0 and start < len(order):
            chunk = order[start:start + 2 * need]  # structural: read ahead
            fresh = np.flatnonzero(~c.trained[chunk])
            if len(fresh) > need:
                fresh = fresh[:need]
                start += int(fresh[-1]) + 1
            else:
                start += len(chunk)
            chosen.append(chunk[fresh])
            need -= len(fresh)
        picked = np.concatenate(chosen) if chosen else np.empty(0, dtype=np.int64)
        if whole:
            self._trained_upto = start
        self.province.train(picked, self.spec.effects.training_gain.value)
        return n if k == len(picked) else int(round(len(picked) / scale))

    def _training_order(self) -> Indices:
        """Community digital teams go to older and rural people first (order fixed at the first use)."""
        if self._order is None:
            c, rng = self.world.citizens, self.rng
            rural = self.spec.effects.training_rural_priority.value  # age bands a rural person counts older
            draw = rng.random(c.n)  # ties within a priority level broken at random
            shuffled = rng.permutation(c.n)
            self._order = training_order(c.age, self.geo.urban, c.commune, rural, len(AGE_BANDS), draw, shuffled)
            self._trained_upto = 0
        return self._order


@nb.njit(cache=True)
def training_order(age, urban, commune, rural, bands, draw, shuffled):  # type: ignore[no-untyped-def]
    """Agents by training priority, highest first: age band + `rural` for a rural agent + a
    draw < 1, in 65,536 levels; agents of one level in the order of `shuffled`. The same as
    `shuffled[np.argsort(level[shuffled], kind="stable")]` (tested), as one counting sort
    instead of float rounding and a radix sort over every adult (a third of a second at 1:1)."""
    top = bands + rural  # above any priority: the oldest band, rural, a draw < 1
    step = np.iinfo(np.uint16).max / top
    n = len(age)
    level = np.empty(n, np.uint16)
    for i in range(n):
        priority = age[i] + rural * (not urban[commune[i]]) + draw[i]
        level[i] = np.uint16(np.rint((top - priority) * step))
    first = np.zeros(np.iinfo(np.uint16).max + 2, np.int64)  # structural: one slot per level, then the end
    for i in range(n):
        first[level[i] + 1] += 1
    first = np.cumsum(first)
    order = np.empty(n, np.int64)
    for k in range(n):
        i = shuffled[k]
        order[first[level[i]]] = i
        first[level[i]] += 1
    return order
