"""Institutions on a simpy calendar (days): the government, telecom operators, the back office.

The government and the operators are `mesa.Agent`s; their yearly and monthly
routines are simpy processes, so lead times (procurement, construction) are
plain `timeout`s and happen on the right day. `CityModel.step()` runs the simpy
environment to the end of the month before the populations move.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import mesa
import numpy as np
import simpy

from sim.sampling import choose
from sim.scenario import PROGRAMMES, _year_month

if TYPE_CHECKING:
    from sim.model import CityModel


class Calendar:
    """Month index <-> simpy day, from the scenario's start month."""

    def __init__(self, start: str, months: int) -> None:
        y, m = _year_month(start)
        self.origin = dt.date(y, m, 1)
        self.months = months
        self._month_start = [self._date(i) for i in range(months + 1)]

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
        y, m = _year_month(ym)
        return (y - self.origin.year) * 12 + (m - self.origin.month)

    def days_in(self, month: int) -> float:
        return self.day(month + 1) - self.day(month)


class BackOffice:
    """Dossier queues of every commune office, processed in daily batches (one simpy process).

    Capacity is in dossiers a day; an online dossier costs `online_effort` of an
    offline one. The wait is the backlog over capacity (Little's law), in days.
    """

    def __init__(self, env: simpy.Environment, capacity: np.ndarray, online_effort: float) -> None:
        self.env = env
        self.capacity = capacity.astype(np.float64)
        self.backlog = np.zeros_like(self.capacity)
        self.arrivals = np.zeros_like(self.capacity)  # effort units a day, set monthly
        self.online_effort = online_effort
        env.process(self._run())

    def set_demand(self, online: np.ndarray, offline: np.ndarray, days: float) -> None:
        self.arrivals = (online * self.online_effort + offline) / days

    def add_capacity(self, per_day: float, communes: np.ndarray, days: float) -> None:
        """Funded staff for `days`: shared among the communes by their current capacity."""
        share = self.capacity[communes] / self.capacity[communes].sum()
        extra = per_day * share
        self.capacity[communes] += extra
        self.env.process(self._expire(extra, communes, days))

    def _expire(self, extra: np.ndarray, communes: np.ndarray, days: float):
        yield self.env.timeout(days)
        self.capacity[communes] -= extra

    def _run(self):
        while True:
            self.backlog += self.arrivals
            self.backlog -= np.minimum(self.backlog, self.capacity)
            yield self.env.timeout(1)

    @property
    def wait_days(self) -> np.ndarray:
        return self.backlog / np.maximum(self.capacity, 1e-9)


class Government(mesa.Agent):
    """Sets the DX budget every January, allocates it, and pays it out monthly after procurement."""

    def __init__(self, model: "CityModel") -> None:
        super().__init__(model)
        spec = model.spec.budget
        self.allocation = dict(spec.allocation)
        self.spending_vnd = 0.0
        self.dx_budget_vnd = 0.0
        self.programme_budget_vnd = 0.0
        self.dx_spent_vnd = 0.0
        self.spent_by_programme = {p: 0.0 for p in PROGRAMMES}
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
        # Policies in force this year add to the DX budget.
        for p in self.model.spec.policies:
            if _year_month(p.start)[0] <= year <= _year_month(p.end)[0]:
                self.dx_budget_vnd += p.amount_vnd_per_year
                self.spending_vnd += p.amount_vnd_per_year

    def _budget_cycle(self):
        m = self.model
        cal = m.calendar
        for month in range(cal.months):
            yield m.env.timeout(max(0.0, cal.day(month) - m.env.now))
            year, mon = cal.year_month(month)
            if mon == 1 or month == 0:
                if m.spec.budget.adaptive and year == m.adaptive_year:
                    self._adapt()
                self._year_budget(year)
            for programme, share in self.allocation.items():
                self._pay(programme, self.programme_budget_vnd * share / 12, m.all_communes, year)

    def _policy(self, i: int, policy):
        m = self.model
        cal = m.calendar
        communes = m.geo.lookup(policy.communes, m.spec.source_file, f"policies.{i}.communes") \
            if policy.communes else m.all_communes
        first, last = cal.index(policy.start), min(cal.index(policy.end), cal.months - 1)
        for month in range(first, last + 1):
            yield m.env.timeout(max(0.0, cal.day(month) - m.env.now))
            self._pay(policy.programme, policy.amount_vnd_per_year / 12, communes, cal.year_month(month)[0])

    def _pay(self, programme: str, vnd: float, communes: np.ndarray, year: int) -> None:
        spent = vnd * self.model.spec.budget.disbursement
        if spent <= 0:
            return
        self.dx_spent_vnd += spent
        self.spent_by_programme[programme] += spent
        by_year = self.spent_by_year.setdefault(year, {p: 0.0 for p in PROGRAMMES})
        by_year[programme] += spent
        self.model.env.process(self._deliver(programme, spent, communes))

    def _deliver(self, programme: str, vnd: float, communes: np.ndarray):
        yield self.model.env.timeout(self.model.spec.costs.lead_days.get(programme, 0))
        self.model.programmes.deliver(programme, vnd, communes)

    def _adapt(self) -> None:
        """Mid-course correction: move money towards the behaviour that is further off track."""
        m = self.model
        shift = m.spec.budget.adaptive_shift
        gaps = {"services": 0.8 - m.latest.get("online_services_uptake", 0.0),
                "incentives": 0.8 - m.latest.get("cashless_share", 0.0)}
        worst = max(gaps, key=gaps.get)
        if gaps[worst] <= 0:
            return
        donors = [p for p in ("research", "infrastructure") if self.allocation.get(p, 0) > 0]
        moved = 0.0
        for d in donors:
            take = self.allocation[d] * shift
            self.allocation[d] -= take
            moved += take
        self.allocation[worst] = self.allocation.get(worst, 0.0) + moved
        self.adapted.append(f"{m.calendar.year_month(m.steps)[0]}: moved {moved:.1%} of the DX budget to {worst}")


class Operator(mesa.Agent):
    """A telecom operator: builds commercial sites where density pays, and co-funded ones where told."""

    def __init__(self, model: "CityModel", name: str, share: float) -> None:
        super().__init__(model)
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

    def build(self, tech: str, n: int, communes: np.ndarray, cofunded: bool) -> None:
        """Place n sites at the homes of uncovered citizens; commercial sites favour towns (density pays)."""
        m = self.model
        c = m.citizens
        uncovered = np.diff(c.commune_start)[communes] - m.coverage.by_commune[tech][communes]
        weight = np.where(m.geo.urban, 1.0 if cofunded else 4.0, 1.0)
        pick = choose(self.draws, c.commune_start, communes, m.coverage.covered[tech], False, n,
                      weight_c=weight, eligible_c=uncovered)
        if len(pick) == 0:
            return
        commune = c.commune[pick]
        spec = m.spec.infrastructure
        radius = (np.full(len(pick), spec.radius_5g_km) if tech == "5g"
                  else np.where(m.geo.urban[commune], spec.radius_urban_km, spec.radius_rural_km))
        xy = c.xy[pick].astype(np.float64)
        m.coverage.add(tech, xy[:, 0], xy[:, 1], radius, commune, cofunded)
        self.built[tech] += len(pick)
