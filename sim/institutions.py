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
  adaptive year, a re-allocation), and the unused fee-discount and assisted-filing money of
  the past year returned; on the first of every month a payment to each programme.
- `Government._policy`: each policy's monthly payment, in its communes, in its months.
- `Government._deliver`: each payment delivered after its programme's lead time, within
  absorptive capacity (the Resolution 57 tasks advance here, with the research money).
- `Operator._commercial`: each operator's commercial 4G and 5G sites, mid-month.
- `CityModel._expire_officers`: funded officer posts end a year after they start.
"""

from __future__ import annotations

import bisect
import datetime as dt
from typing import TYPE_CHECKING

import numpy as np

from sim.schema import PROGRAMMES, DxProgramme, Programme, year_month

if TYPE_CHECKING:
    from sim.model import CityModel


class Calendar:
    """Month index <-> simpy day, from the scenario's start month."""

    def __init__(self, start: str, months: int) -> None:
        y, m = year_month(start)
        self.origin = dt.date(y, m, 1)
        self.months = months
        self._month_start = [self._date(i) for i in range(months + 1)]
        self._days = [float((d - self.origin).days) for d in self._month_start]

    def _date(self, i: int) -> dt.date:
        y, m = divmod(self.origin.month - 1 + i, 12)
        return dt.date(self.origin.year + y, m + 1, 1)

    def day(self, month: int) -> float:
        """simpy time (days) at the start of month index `month`."""
        return float((self._month_start[month] - self.origin).days)

    def year_month(self, month: int) -> tuple[int, int]:
        d = self._month_start[month]
        return d.year, d.month

    def index(self, ym: str) -> int:
        y, m = year_month(ym)
        return (y - self.origin.year) * 12 + (m - self.origin.month)

    def month_at(self, day: float) -> int:
        """The month index whose days contain simpy day `day` (the last month after the end)."""
        return min(bisect.bisect_right(self._days, day) - 1, self.months - 1)

    def days_in(self, month: int) -> float:
        return self.day(month + 1) - self.day(month)


class Government:
    """Sets the Resolution 57 budget every January, splits it (science & technology, innovation,
    DX), allocates the DX part to programmes, and pays out monthly after procurement.

    A payment is delivered after the programme's lead time; what the programme cannot absorb
    returns to the budget (`unabsorbed_vnd`), and so does fee-discount and assisted-filing
    money left at the end of a year."""

    def __init__(self, model: CityModel) -> None:
        self.model = model
        spec = model.spec.budget
        self.allocation = dict(spec.allocation)
        self.spending_vnd = 0.0
        self.dx_budget_vnd = 0.0
        self.programme_budget_vnd = 0.0
        self.dx_spent_vnd = 0.0
        self.unabsorbed_vnd = 0.0
        self.spent_by_programme: dict[str, float] = {p: 0.0 for p in PROGRAMMES}
        self.spent_by_year: dict[int, dict[str, float]] = {}
        self.adapted: list[str] = []
        env = model.env
        env.process(self._budget_cycle())
        for i, policy in enumerate(model.spec.policies):
            env.process(self._policy(i, policy))

    @property
    def dx_budget_share(self) -> float:
        return self.dx_budget_vnd / self.spending_vnd if self.spending_vnd else 0.0

    def _year_budget(self, year: int) -> None:
        spec = self.model.spec.budget
        years = year - self.model.spec.time.start_year
        self.spending_vnd = spec.spending_vnd.value * (1 + spec.growth) ** years
        share = spec.dx_share + spec.dx_share_growth * years
        self.dx_budget_vnd = max(0.0, share) * self.spending_vnd
        self.programme_budget_vnd = self.dx_budget_vnd  # allocated to programmes; policies pay themselves
        # Policies in force this year add to the Resolution 57 budget.
        for p in self.model.spec.policies:
            if year_month(p.start)[0] <= year <= year_month(p.end)[0]:
                self.dx_budget_vnd += p.amount_vnd_per_year
                self.spending_vnd += p.amount_vnd_per_year

    def monthly_shares(self) -> dict[str, float]:
        """Each programme's share of the Resolution 57 budget: science & technology to research,
        innovation to enterprise, the DX part by the allocation."""
        split = self.model.spec.budget.r57_split
        out = {"research": split["science_technology"], "enterprise": split["innovation"]}
        for programme, share in self.allocation.items():
            out[programme] = split["digital_transformation"] * share
        return out

    def _budget_cycle(self):
        m = self.model
        cal = m.calendar
        for month in range(cal.months):
            yield m.env.timeout(max(0.0, cal.day(month) - m.env.now))
            year, mon = cal.year_month(month)
            if mon == 1 or month == 0:
                if month > 0:
                    self._return(m.state.expire_pools())  # the year's unused pools go back
                if m.spec.budget.adaptive and year == m.adaptive_year:
                    self._adapt()
                self._year_budget(year)
            for programme, share in self.monthly_shares().items():
                self._pay(programme, self.programme_budget_vnd * share / 12, m.all_communes, year)

    def _policy(self, i: int, policy):
        m = self.model
        cal = m.calendar
        communes = m.world.geo.lookup(policy.communes, m.spec.source_file, f"policies.{i}.communes") \
            if policy.communes else m.all_communes
        first, last = cal.index(policy.start), min(cal.index(policy.end), cal.months - 1)
        for month in range(first, last + 1):
            yield m.env.timeout(max(0.0, cal.day(month) - m.env.now))
            self._pay(policy.programme, policy.amount_vnd_per_year / 12, communes, cal.year_month(month)[0])

    def _pay(self, programme: Programme, vnd: float, communes: np.ndarray, year: int) -> None:
        """Pay out the disbursed part of a month's allocation; it is delivered after the lead time."""
        paid = vnd * self.model.spec.budget.disbursement
        if paid > 0:
            self.model.env.process(self._deliver(programme, paid, communes, year))

    def _deliver(self, programme: Programme, vnd: float, communes: np.ndarray, year: int):
        m = self.model
        yield m.env.timeout(m.spec.costs.lead_days[programme])
        delivered_year = m.calendar.year_month(m.calendar.month_at(m.env.now))[0]
        absorbed = m.programmes.deliver(programme, vnd, communes, delivered_year)
        self.dx_spent_vnd += absorbed
        self.spent_by_programme[programme] += absorbed
        by_year = self.spent_by_year.setdefault(year, {p: 0.0 for p in PROGRAMMES})
        by_year[programme] += absorbed
        self.unabsorbed_vnd += vnd - absorbed

    def _return(self, vnd_by_programme: dict[str, float]) -> None:
        for programme, vnd in vnd_by_programme.items():
            self.dx_spent_vnd -= vnd
            self.spent_by_programme[programme] -= vnd
            self.unabsorbed_vnd += vnd

    def _adapt(self) -> None:
        """Mid-course correction: move DX money towards the behaviour that is further off track."""
        m = self.model
        shift = m.spec.budget.adaptive_shift
        gaps: dict[DxProgramme, float] = {"services": 0.8 - m.monitor.get("online_services_uptake", 0.0),
                                          "incentives": 0.8 - m.monitor.get("cashless_share", 0.0)}
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
        self.adapted.append(f"{m.calendar.year_month(m.steps)[0]}: moved {moved:.1%} of the DX budget to {worst}")


class Operator:
    """A telecom operator: builds commercial sites where density pays, and co-funded ones where told."""

    def __init__(self, model: CityModel, name: str, share: float) -> None:
        self.model = model
        self.name = name
        self.share = share
        self.draws = model.stream(f"operator.{name}")
        self.built = {"4g": 0, "5g": 0}
        self._carry = {"4g": 0.0, "5g": 0.0}
        model.env.process(self._commercial())

    def _commercial(self):
        m = self.model
        spec = m.spec.infrastructure
        cal = m.calendar
        for month in range(cal.months):
            yield m.env.timeout(max(0.0, cal.day(month) - m.env.now) + 14)  # mid-month
            year = cal.year_month(month)[0]
            plan = {"4g": spec.commercial_4g_per_year,
                    "5g": spec.commercial_5g_per_year if year >= spec.five_g_start_year else 0.0}
            for tech, per_year in plan.items():
                self._carry[tech] += per_year * self.share / 12
                n = int(self._carry[tech])
                self._carry[tech] -= n
                if n:
                    self.build(tech, n, m.all_communes, cofunded=False)

    def build(self, tech: str, n: int, communes: np.ndarray, cofunded: bool) -> int:
        """Build up to n sites where people are not yet covered, drawn by the uncovered people of
        each settlement cell (commercial sites favour wards four to one: density pays; co-funded
        ones go where the programme says, without that preference); returns how many were built
        (none once everyone is covered)."""
        m = self.model
        cells = m.world.site_plan.pick(self.draws, tech, n, communes, 1.0 if cofunded else 4.0)
        built = m.world.build_sites(tech, cells, cofunded)
        self.built[tech] += built
        return built
