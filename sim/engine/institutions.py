"""Institutions on a simpy calendar (days): the government and the telecom operators.

The government and the operators are plain classes whose routines are simpy processes, so
lead times (procurement, construction) are plain `timeout`s and happen on the right day.

What Mesa is for (issue 13): `CityModel` is a `mesa.Model`, the harness a Mesa user expects
(`step()`, `steps`, `time`, `run_model()`-style loops, the dashboard's model). The
institutions are not `mesa.Agent`s: they act on a calendar of days (simpy), not on Mesa's
agent activation, and each draws from its own named stream (`sim.streams`), not from the
model's one `random`: with a shared stream, a policy that adds one draw would shift every
later draw of every institution and break the common random numbers between policy
variants. Citizens and businesses are arrays for speed. So nothing uses Mesa's agent
registry, and nothing is registered in it.
`CityModel.step()` runs the calendar to the end of each month before the populations move.
The calendar's processes (the one list; `CityModel`'s docstring orders the month around it):

- `Government._budget_cycle`: every January the year's Resolution 57 budget (and, in the
  adaptive year, a re-allocation), and the unused fee-discount money of the past year
  returned; on the first of every month a payment to each programme.
- `Government._policy`: each policy's monthly payment, in its communes, in its months.
- `Government._deliver`: each payment delivered after its programme's lead time, within
  absorptive capacity (the Resolution 57 tasks advance here, with the research money).
- `Operator._commercial`: each operator's commercial 4G and 5G sites, mid-month.
- `CityModel._expire_officers`: funded officer posts end a year after they start.

Both take narrow inputs (the scenario, the simpy environment, the calendar, what they act on),
not the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import simpy
from numpy.typing import NDArray

from sim.schema import DxProgramme, PolicySpec, Programme, year_month
from sim.streams import stream

if TYPE_CHECKING:
    from sim.engine.clock import Calendar, Process
    from sim.engine.programmes import Programmes
    from sim.schema import Scenario
    from sim.world import World


class Government:
    """Sets the Resolution 57 budget every January, splits it (science & technology, innovation,
    DX), allocates the DX part to programmes, and pays out monthly after procurement.

    A payment is delivered after the programme's lead time; what the programme cannot absorb
    returns to the budget (`unabsorbed_vnd`), and so does money left in programmes' pools at
    the end of a year (fee discounts). The adaptive government steers by what
    it has `seen` of the province (`sim.engine.monitoring`, set by the model every month)."""

    def __init__(self, spec: Scenario, env: simpy.Environment, calendar: Calendar, world: World,
                 programmes: Programmes, adaptive_year: int) -> None:
        self.spec, self.env, self.calendar, self.world = spec, env, calendar, world
        self.programmes, self.adaptive_year = programmes, adaptive_year
        self.all_communes = np.arange(world.geo.n)
        self.allocation = dict(spec.budget.allocation)
        self.spending_vnd = 0.0
        self.dx_budget_vnd = 0.0
        self.programme_budget_vnd = 0.0
        self.dx_spent_vnd = 0.0
        self.unabsorbed_vnd = 0.0
        self.spent_by_programme: dict[str, float] = {p: 0.0 for p in programmes.names}
        self.spent_by_year: dict[int, dict[str, float]] = {}
        self.adapted: list[str] = []
        self.seen: dict[str, float] = {}  # what the government saw of last month (sim.engine.monitoring)
        env.process(self._budget_cycle())
        for i, policy in enumerate(spec.policies):
            env.process(self._policy(i, policy))

    @property
    def dx_budget_share(self) -> float:
        return self.dx_budget_vnd / self.spending_vnd if self.spending_vnd else 0.0

    def _year_budget(self, year: int) -> None:
        spec = self.spec.budget
        years = year - self.spec.time.start_year
        self.spending_vnd = spec.spending_vnd.value * (1 + spec.growth) ** years
        share = spec.dx_share + spec.dx_share_growth * years
        self.dx_budget_vnd = max(0.0, share) * self.spending_vnd
        self.programme_budget_vnd = self.dx_budget_vnd  # allocated to programmes; policies pay themselves
        # Policies in force this year add to the Resolution 57 budget.
        for p in self.spec.policies:
            if year_month(p.start)[0] <= year <= year_month(p.end)[0]:
                self.dx_budget_vnd += p.amount_vnd_per_year
                self.spending_vnd += p.amount_vnd_per_year

    def monthly_shares(self) -> dict[str, float]:
        """Each programme's share of the Resolution 57 budget: science & technology to research,
        innovation to enterprise, the DX part by the allocation."""
        split = self.spec.budget.r57_split
        out = {"research": split["science_technology"], "enterprise": split["innovation"]}
        for programme, share in self.allocation.items():
            out[programme] = split["digital_transformation"] * share
        return out

    def _budget_cycle(self) -> Process:
        cal, env = self.calendar, self.env
        for month in range(cal.months):
            yield env.timeout(max(0.0, cal.day(month) - env.now))
            year, mon = cal.year_month(month)
            if mon == 1 or month == 0:
                if month > 0:
                    self._return(self.programmes.end_year())  # the year's unused pools go back
                if self.spec.budget.adaptive and year == self.adaptive_year:
                    self._adapt(year)
                self._year_budget(year)
            for programme, share in self.monthly_shares().items():
                self.pay(programme, self.programme_budget_vnd * share / 12, self.all_communes, year)

    def _policy(self, i: int, policy: PolicySpec) -> Process:
        cal, env = self.calendar, self.env
        communes = self.world.geo.lookup(policy.communes, self.spec.source_file, f"policies.{i}.communes") \
            if policy.communes else self.all_communes
        first, last = cal.index(policy.start), min(cal.index(policy.end), cal.months - 1)
        for month in range(first, last + 1):
            yield env.timeout(max(0.0, cal.day(month) - env.now))
            self.pay(policy.programme, policy.amount_vnd_per_year / 12, communes, cal.year_month(month)[0])

    def pay(self, programme: Programme | str, vnd: float, communes: NDArray[np.int64], year: int) -> None:
        """Pay out the disbursed part of a month's allocation; it is delivered after the lead time."""
        paid = vnd * self.spec.budget.disbursement
        if paid > 0:
            self.env.process(self._deliver(programme, paid, communes, year))

    def _deliver(self, programme: Programme | str, vnd: float, communes: NDArray[np.int64], year: int) -> Process:
        cal = self.calendar
        yield self.env.timeout(self.programmes.lead_days(programme))
        delivered_year = cal.year_month(cal.month_at(self.env.now))[0]
        absorbed = self.programmes.deliver(programme, vnd, communes, delivered_year)
        self.dx_spent_vnd += absorbed
        self.spent_by_programme[programme] += absorbed
        by_year = self.spent_by_year.setdefault(year, {p: 0.0 for p in self.spent_by_programme})
        by_year[programme] += absorbed
        self.unabsorbed_vnd += vnd - absorbed

    def _return(self, vnd_by_programme: dict[str, float]) -> None:
        for programme, vnd in vnd_by_programme.items():
            self.dx_spent_vnd -= vnd
            self.spent_by_programme[programme] -= vnd
            self.unabsorbed_vnd += vnd

    def _adapt(self, year: int) -> None:
        """Mid-course correction: move DX money towards the behaviour that is further off track."""
        shift, target = self.spec.budget.adaptive_shift, self.spec.budget.adaptive_target
        gaps: dict[DxProgramme, float] = {"services": target - self.seen.get("online_services_uptake", 0.0),
                                          "incentives": target - self.seen.get("cashless_share", 0.0)}
        worst = max(gaps, key=lambda p: gaps[p])
        if gaps[worst] <= 0:
            return
        donors: list[DxProgramme] = [p for p in ("infrastructure", "awareness") if self.allocation.get(p, 0) > 0]
        moved = 0.0
        for d in donors:
            take = self.allocation[d] * shift
            self.allocation[d] -= take
            moved += take
        self.allocation[worst] = self.allocation.get(worst, 0.0) + moved
        self.adapted.append(f"{year}: moved {moved:.1%} of the DX budget to {worst}")


class Operator:
    """A telecom operator: builds commercial sites where density pays, and co-funded ones where told."""

    def __init__(self, name: str, share: float, spec: Scenario, env: simpy.Environment, calendar: Calendar,
                 world: World) -> None:
        self.name, self.share = name, share
        self.spec, self.env, self.calendar, self.world = spec.infrastructure, env, calendar, world
        self.draws = stream(world.seed, f"operator.{name}")
        self.built = {"4g": 0, "5g": 0}
        self._carry = {"4g": 0.0, "5g": 0.0}
        env.process(self._commercial())

    def _commercial(self) -> Process:
        spec, cal, env = self.spec, self.calendar, self.env
        everywhere = np.arange(self.world.geo.n)
        for month in range(cal.months):
            yield env.timeout(max(0.0, cal.day(month) - env.now) + 14)  # structural: the 15th, mid-month
            year = cal.year_month(month)[0]
            plan = {"4g": spec.commercial_4g_per_year,
                    "5g": spec.commercial_5g_per_year if year >= spec.five_g_start_year else 0.0}
            for tech, per_year in plan.items():
                self._carry[tech] += per_year * self.share / 12
                n = int(self._carry[tech])
                self._carry[tech] -= n
                if n:
                    self.build(tech, n, everywhere, cofunded=False)

    def build(self, tech: str, n: int, communes: NDArray[np.int64], cofunded: bool) -> int:
        """Build up to n sites where people are not yet covered, drawn by the uncovered people of
        each settlement cell (commercial sites favour wards `commercial_urban_weight` to one: density
        pays; co-funded
        ones go where the programme says, without that preference); returns how many were built
        (none once everyone is covered)."""
        urban_weight = 1.0 if cofunded else self.spec.commercial_urban_weight.value
        cells = self.world.site_plan.pick(self.draws, tech, n, communes, urban_weight)
        built = self.world.build_sites(tech, cells, cofunded)
        self.built[tech] += built
        return built
