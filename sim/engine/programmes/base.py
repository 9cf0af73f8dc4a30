"""What every programme is: a component that turns money into physical change.

A programme receives narrow inputs (`Inputs`: the scenario, the world's arrays, the
commune-level `ProvinceState`, the calendar) and acts on the province only through
`Province`, the small interface of named state changes the model implements (so counts stay
consistent and nothing below the model types against it). It owns its unit costs (read from
`[costs]`), its capacity (`[delivery]`, through its `Ledger`), its lead time
(`[costs.lead_days]`), its outputs (`outputs`, counted in `Inputs.delivered`) and its pools
(money left at the end of a year returns: `end_year`).

Absorptive capacity (`[delivery]`, a year per million people) caps each purchase; money a
programme cannot use is not disbursed and returns to the budget (the government records it
as `dx_unabsorbed_vnd`). Counts are of real people and things; with fewer agents than people
(`scale` < 1) people are drawn as agents with stochastic rounding, so small tranches are not lost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar, Protocol

import numpy as np
from numpy.typing import NDArray

from sim.streams import stream

if TYPE_CHECKING:
    from sim.engine.clock import Calendar
    from sim.engine.state import ProvinceState
    from sim.schema import Scenario
    from sim.world import World
    from sim.world.geography import Geography
    from sim.world.population import Businesses

Communes = NDArray[np.int64]
Indices = NDArray[np.int64]
Deliver = Callable[[int], int]


def stochastic_round(x: float, rng: np.random.Generator) -> int:
    """x rounded down or up at random, up with probability its fraction (unbiased)."""
    base = int(np.floor(x))
    return base + int(rng.random() < x - base)


class Province(Protocol):
    """How a programme changes the province: the model's named state changes (`sim.engine.model`)."""

    @property
    def month(self) -> int:
        """Index of the month being simulated."""
        ...

    @property
    def citizen_counts(self) -> NDArray[np.int64]:
        """Per-commune counts of citizens (columns: `sim.engine.behaviour` CITIZEN_COUNTS)."""
        ...

    def train(self, who: Indices, gain: float) -> None: ...

    def connect_broadband(self, who: Indices) -> None: ...

    def onboard_merchants(self, which: Indices) -> None: ...

    def upgrade_firms(self, which: Indices) -> None: ...

    def hire_officers(self, officers: float, communes: Communes, days: float) -> None: ...

    def build_sites(self, tech: str, n: int, communes: Communes, turn: int) -> int:
        """Co-funded sites built by the operators in turn; returns how many were built."""
        ...


@dataclass(frozen=True)
class Inputs:
    """What every programme receives (narrow: no model)."""

    spec: Scenario
    world: World
    state: ProvinceState
    calendar: Calendar
    province: Province
    delivered: dict[str, float]  # cumulative real counts of every programme's outputs (shared)


class Ledger:
    """A programme's absorptive capacity and the money it holds towards a unit not yet whole.

    Units delivered are counted by year and by where: a pilot's communes have capacity of
    their own (in proportion to their people), not what is left of the province-wide
    programme's."""

    def __init__(self, spec: Scenario, geo: Geography) -> None:
        self.spec, self.geo = spec, geo
        self.carry: dict[str, float] = defaultdict(float)     # money towards a unit not yet whole
        self.used: dict[tuple[str, int, str], float] = defaultdict(float)

    def where(self, communes: Communes) -> str:
        """A key for the communes money is spent in: "all" for the province, else their indices."""
        return "all" if len(communes) == self.geo.n else ",".join(map(str, communes))

    def capacity(self, what: str, year: int, communes: Communes) -> float:
        """Units of `what` deliverable in a year in these communes: capacity per million people,
        in proportion to the people reached, grown since the start year."""
        people = self.geo.population[communes].sum()
        grown = (1.0 + self.spec.delivery.growth.value) ** (year - self.spec.time.start_year)
        return float(getattr(self.spec.delivery, what).value * people / 1e6 * grown)

    def capacity_left(self, what: str, year: int, communes: Communes) -> float:
        """Units of `what` still deliverable this year in these communes. A pilot's communes
        count their own use only: comparing a ward's capacity with the province's use would
        leave a pilot nothing whenever the province-wide programme delivers at all."""
        return max(0.0, self.capacity(what, year, communes) - self.used[(what, year, self.where(communes))])

    def buy(self, key: str, what: str, vnd: float, cost: float, year: int, communes: Communes,
            deliver: Deliver) -> float:
        """Buy whole units at `cost` (money short of a unit waits for the next tranche), at most
        the capacity left; `deliver(n)` delivers up to n and returns how many it did. Returns the
        money absorbed: units delivered plus the change in money held towards the next unit."""
        total = self.carry[key] + vnd
        want = int(total // cost)
        n = min(want, int(np.floor(self.capacity_left(what, year, communes))))
        done = deliver(n) if n > 0 else 0
        self.used[(what, year, self.where(communes))] += done
        # Money short of one unit waits for the next tranche; money for units that could not be
        # delivered (capacity reached, nothing left to build) is not absorbed.
        carry_old = self.carry[key]
        self.carry[key] = total - done * cost if done == want else 0.0
        return done * cost + self.carry[key] - carry_old


CHUNK = 4096  # structural: businesses read at first per call (doubling until the money is used)


class BusinessOrder:
    """Businesses standing for n real ones, taken in a fixed random order (drawn at the first
    use; with `small_last`, SMEs and large firms before household businesses), skipping the
    ineligible. More money takes further along the same order, so two policies differ only by
    the businesses one of them reaches (paired comparisons). Part of a business (a sampled one
    stands for many) waits for the next call: no randomness."""

    def __init__(self, businesses: Businesses, rng: np.random.Generator, small_last: bool) -> None:
        self.b, self.rng, self.small_last = businesses, rng, small_last
        self._order: Indices | None = None
        self._credit = 0.0   # real units paid for, short of a business
        self._position = 0   # where in the order the last call stopped

    def take(self, eligible: NDArray[np.bool_], n: float) -> Indices:
        b = self.b
        if self._order is None:
            key = self.rng.random(b.n) + (np.where(b.size > 0, 0.0, 1.0) if self.small_last else 0.0)
            self._order = np.argsort(key, kind="stable")
        # Walk on from where the last call stopped (round and round): a business is not taken
        # again before every other eligible one has had its turn. The order is read in growing
        # chunks until the money is used: a call reads about what it takes, not every business.
        start, budget = self._position, self._credit + n
        taken: list[Indices] = []
        total = 0.0       # weight taken so far (summed in order, as one cumulative sum would)
        last = -1         # offset from `start` of the last business taken
        offset, size = 0, CHUNK
        while offset < b.n:
            chunk = self._order.take(np.arange(start + offset, start + min(offset + size, b.n)), mode="wrap")
            keep = eligible[chunk]
            cand = chunk[keep]
            if len(cand):
                cum = np.cumsum(np.concatenate(([total], b.weight[cand])))[1:]
                k = int(np.searchsorted(cum, budget, side="right"))
                if k:
                    taken.append(cand[:k])
                    last = offset + int(np.flatnonzero(keep)[k - 1])
                if k < len(cand):  # the money ends here: what is short of the next waits
                    self._credit = budget - (cum[k - 1] if k else total)
                    break
                total = float(cum[-1])
            offset += len(chunk)
            size *= 2  # structural: the chunk doubles
        else:
            self._credit = 0.0  # every eligible business taken: nothing left to wait for
        if last >= 0:
            self._position = (start + last + 1) % b.n
        return np.concatenate(taken) if taken else np.empty(0, dtype=np.int64)


class Programme:
    """A programme: `deliver` spends a payment in some communes and returns the VND absorbed.

    A subclass names itself (`name`, the `Programme` name of the schema), lists its `outputs`
    (real counts, cumulative) and is registered with `sim.engine.programmes.registry.register`."""

    name: ClassVar[str]
    outputs: ClassVar[tuple[str, ...]] = ()

    def __init__(self, inputs: Inputs) -> None:
        self.spec, self.world, self.state = inputs.spec, inputs.world, inputs.state
        self.calendar, self.province, self.delivered = inputs.calendar, inputs.province, inputs.delivered
        self.geo = inputs.world.geo
        self.ledger = Ledger(inputs.spec, inputs.world.geo)
        for output in self.outputs:
            self.delivered.setdefault(output, 0.0)

    @cached_property
    def rng(self) -> np.random.Generator:
        """The programme's own stream: more money for one does not reshuffle another's draws."""
        return stream(self.world.seed, f"programmes.{self.name}")

    @property
    def lead_days(self) -> float:
        """Days from payment to delivery (procurement, `[costs.lead_days]`)."""
        return float(self.spec.costs.lead_days[self.name])  # type: ignore[index]

    def deliver(self, vnd: float, communes: Communes, year: int) -> float:
        """Spend `vnd` in `communes` (delivered in `year`); returns the VND absorbed."""
        raise NotImplementedError

    def end_month(self) -> None:
        """After the citizens' month (a campaign month ends, say)."""

    def end_year(self) -> float | None:
        """At the end of a year: the money left in the programme's pools, which returns to the
        budget (None: it has no pools)."""
        return None

    def province_wide(self, communes: Communes) -> bool:
        return len(communes) == self.geo.n

    def counted(self, output: str, deliver: Deliver) -> Deliver:
        """`deliver`, with its units added to the cumulative `output`."""
        def run(n: int) -> int:
            done = deliver(n)
            self.delivered[output] += done
            return done
        return run
