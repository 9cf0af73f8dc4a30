"""What Resolution 57 money buys: each programme turns money into physical change, within
what the province can absorb in a year.

| programme      | budget part | buys                                                               |
|----------------|-------------|--------------------------------------------------------------------|
| infrastructure | DX          | co-funded 4G sites where people are uncovered, 5G sites, fibre     |
| services       | DX          | integration and data (fewer returned dossiers); assisted filing by |
|                |             | community digital teams; a year of back-office officers            |
| skills         | DX          | trainees of community digital teams (older and rural first)        |
| incentives     | DX          | merchant onboarding; fee discounts on online dossiers              |
| awareness      | DX          | campaign months that raise the innovation coefficient p            |
| enterprise     | innovation  | firms supported to move up a digital level (not certain)           |
| research       | S&T         | Resolution 57 tasks under way first (`sim.tasks`), where listed    |

Absorptive capacity (`[delivery]`, a year per million people) caps each purchase; money a
programme cannot use (no capacity left, no uncovered people for a 4G site, fee and assisted
filing money left at the end of the year) is not disbursed and returns to the budget: the
government records it as `dx_unabsorbed_vnd`. Research money beyond what the task list needs
(all of it without one) funds science and technology whose effects (TFP) are not modelled; it
counts as spent.

Counts are of real people and things; with fewer agents than people (`scale` < 1) people are
drawn as agents with stochastic rounding, so that small tranches are not lost.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from sim import behaviour as kern
from sim.names import OUTPUT_INDICATORS
from sim.world.sampling import choose

if TYPE_CHECKING:
    from sim.model import CityModel

# What the programmes deliver, counted: the output indicators and the campaign months.
OUTPUTS = OUTPUT_INDICATORS + ("campaign_months",)


def stochastic_round(x: float, rng: np.random.Generator) -> int:
    base = int(np.floor(x))
    return base + int(rng.random() < x - base)


class Programmes:
    """Delivers money to the model through its named state changes; returns what it absorbed."""

    def __init__(self, model: CityModel) -> None:
        self.m = model
        # A stream per programme: more money for one does not reshuffle another's draws.
        self.rngs = {p: model.stream(f"programmes.{p}") for p in ("infrastructure", "skills", "incentives",
                                                                  "enterprise")}
        self._carry: dict[str, float] = defaultdict(float)   # money towards a unit not yet whole
        # Units delivered, by year and by where: a pilot's communes have capacity of their own
        # (in proportion to their people), not what is left of the province-wide programme's.
        self._used: dict[tuple[str, int, str], float] = defaultdict(float)
        self._order: np.ndarray | None = None
        self._trained_upto = 0
        self._orders: dict[str, np.ndarray] = {}               # fixed orders of businesses, by programme
        self._credit: dict[str, float] = defaultdict(float)     # real units paid for, short of a business
        self._position: dict[str, int] = defaultdict(int)       # where in its order each programme stopped
        self._success: np.ndarray | None = None                 # a firm's draw for each level
        self.delivered = {k: 0.0 for k in OUTPUTS}            # cumulative real counts

    def deliver(self, programme: str, vnd: float, communes: np.ndarray, year: int) -> float:
        """Spend `vnd` on `programme` in `communes`; returns the VND absorbed (the rest returns)."""
        return getattr(self, programme)(vnd, communes, year)

    # ------------------------------------------------------------------ capacity

    def _where(self, communes: np.ndarray) -> str:
        """A key for the communes money is spent in: "all" for the province, else their indices."""
        return "all" if len(communes) == self.m.world.geo.n else ",".join(map(str, communes))

    def _capacity_left(self, what: str, year: int, communes: np.ndarray) -> float:
        """Units of `what` still deliverable this year in these communes (capacity per million
        people, in proportion to the people reached). A pilot's communes count their own use
        only: comparing a ward's capacity with the province's use would leave a pilot nothing
        whenever the province-wide programme delivers at all."""
        m = self.m
        people = m.world.geo.population[communes].sum()
        grown = (1.0 + m.spec.delivery.growth.value) ** (year - m.spec.time.start_year)
        cap = getattr(m.spec.delivery, what).value * people / 1e6 * grown
        return max(0.0, cap - self._used[(what, year, self._where(communes))])

    def _buy(self, key: str, what: str, vnd: float, cost: float, year: int, communes: np.ndarray,
             deliver) -> float:
        """Buy whole units at `cost` (money short of a unit waits for the next tranche), at most
        the capacity left; `deliver(n)` delivers up to n and returns how many it did. Returns the
        money absorbed: units delivered plus the change in money held towards the next unit."""
        total = self._carry[key] + vnd
        want = int(total // cost)
        n = min(want, int(np.floor(self._capacity_left(what, year, communes))))
        done = deliver(n) if n > 0 else 0
        self._used[(what, year, self._where(communes))] += done
        # Money short of one unit waits for the next tranche; money for units that could not be
        # delivered (capacity reached, nothing left to build) is not absorbed.
        carry_old = self._carry[key]
        self._carry[key] = total - done * cost if done == want else 0.0
        return done * cost + self._carry[key] - carry_old

    def _take_in_order(self, name: str, eligible: np.ndarray, n: float) -> np.ndarray:
        """Businesses standing for n real ones, taken in a fixed random order (drawn at the first
        use, SMEs and large firms before household businesses for the firm programme), skipping
        the ineligible. More money takes further along the same order, so two policies differ
        only by the businesses one of them reaches (paired comparisons). Part of a business
        (a sampled one stands for many) waits for the next call: no randomness."""
        b = self.m.world.businesses
        if name not in self._orders:
            rng = self.rngs["incentives" if name == "merchants" else "enterprise"]
            key = rng.random(b.n) + (np.where(b.size > 0, 0.0, 1.0) if name == "firms" else 0.0)
            self._orders[name] = np.argsort(key, kind="stable")
        # Walk on from where the last call stopped (round and round): a business is not taken
        # again before every other eligible one has had its turn.
        start = self._position[name]
        order = np.roll(self._orders[name], -start)
        keep = eligible[order]
        cand, place = order[keep], np.flatnonzero(keep)
        budget = self._credit[name] + n
        cum = np.cumsum(b.weight[cand])
        k = int(np.searchsorted(cum, budget, side="right"))
        # What is left short of the next business waits for the next call (none if none is left).
        self._credit[name] = budget - (cum[k - 1] if k else 0.0) if k < len(cand) else 0.0
        if k:
            self._position[name] = (start + int(place[k - 1]) + 1) % b.n
        return cand[:k]

    # ---------------------------------------------------------------- programmes

    def infrastructure(self, vnd: float, communes: np.ndarray, year: int) -> float:
        m = self.m
        mix, costs = m.spec.budget.infrastructure_mix, m.spec.costs
        key = self._where(communes)
        absorbed = 0.0
        for k, tech in enumerate(("4g", "5g")):
            def build(n: int, tech: str = tech, k: int = k) -> int:
                op = m.operators[(m.steps + k) % len(m.operators)]
                return op.build(tech, n, communes, cofunded=True)
            built_before = m.world.coverage.count(tech)
            share = mix["sites_4g"] if tech == "4g" else mix["sites_5g"]
            absorbed += self._buy(f"{tech}:{key}", f"sites_{tech}", vnd * share,
                                  getattr(costs, f"site_{tech}_vnd").value, year, communes, build)
            self.delivered[f"sites_{tech}_built"] += m.world.coverage.count(tech) - built_before

        def connect(n: int) -> int:
            c = m.world.citizens
            rng = self.rngs["infrastructure"]
            adults = stochastic_round(n * m.spec.network.household_adults * m.world.scale, rng)
            counts = m.citizen_counts[communes]
            picked = choose(rng, c.commune_start, communes, c.broadband, False, adults,
                            eligible_c=np.diff(c.commune_start)[communes] - counts[:, kern.BROADBAND])
            m.connect_broadband(picked)
            # Households connected: all n if anyone was left to connect, else in proportion.
            return n if len(picked) == adults else int(len(picked) / max(adults, 1) * n)
        absorbed += self._buy(f"fibre:{key}", "fibre_households", vnd * mix["fibre"],
                              costs.fibre_household_vnd.value, year, communes, self._count("fibre_households", connect))
        return absorbed

    def _count(self, output: str, deliver):
        """Wrap `deliver` so that its units add to the cumulative output."""
        def run(n: int) -> int:
            done = deliver(n)
            self.delivered[output] += done
            return done
        return run

    def services(self, vnd: float, communes: np.ndarray, year: int) -> float:
        m = self.m
        mix, costs = m.spec.budget.services_mix, m.spec.costs
        # Integration and data: money, capped by the projects the province can run in a year.
        integration = min(vnd * mix["integration"], self._capacity_left("integration_vnd", year, communes))
        where = self._where(communes)
        self._used[("integration_vnd", year, where)] += integration
        m.state.add_integration(integration, communes, m.world.geo.population)
        # Assisted filing: team time for the rest of the year, paid per dossier assisted.
        assist_cost = costs.assisted_dossier_vnd.value
        assisted = min(vnd * mix["assisted_filing"] / assist_cost,
                       self._capacity_left("assisted_dossiers", year, communes))
        self._used[("assisted_dossiers", year, where)] += assisted
        m.state.add_assist_pool(assisted * assist_cost, communes, m.world.geo.population)
        # Back office: officers for a year, sent where offices are busiest.
        officers = min(vnd * mix["backoffice"] / costs.officer_year_vnd.value,
                       self._capacity_left("officers", year, communes))
        self._used[("officers", year, where)] += officers
        if officers > 0:
            m.hire_officers(officers, communes, days=365)
            self.delivered["officers_funded"] += officers
        return integration + assisted * assist_cost + officers * costs.officer_year_vnd.value

    def skills(self, vnd: float, communes: np.ndarray, year: int) -> float:
        return self._buy(f"skills:{self._where(communes)}", "trainees", vnd, self.m.spec.costs.trainee_vnd.value, year,
                         communes, self._count("people_trained", lambda n: self._train(n, communes)))

    def _train(self, n: int, communes: np.ndarray) -> int:
        """Train n real people (n x scale agents, rounded at random): older and rural first."""
        m, c = self.m, self.m.world.citizens
        k = stochastic_round(n * m.world.scale, self.rngs["skills"])
        order = self._training_order()
        if len(communes) < m.world.geo.n:
            order = order[np.isin(c.commune[order], communes)]
        chosen: list[np.ndarray] = []
        need = k
        # Walk the fixed priority order, skipping people already trained (by a pilot, say).
        start = self._trained_upto if len(communes) == m.world.geo.n else 0
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
        picked = np.concatenate(chosen) if chosen else np.empty(0, dtype=np.int64)
        if len(communes) == m.world.geo.n:
            self._trained_upto = start
        m.train(picked, m.spec.effects.training_gain.value)
        return n if k == len(picked) else int(round(len(picked) / m.world.scale))

    def _training_order(self) -> np.ndarray:
        """Community digital teams go to older and rural people first (order fixed at the first use)."""
        if self._order is None:
            m, c = self.m, self.m.world.citizens
            rng = self.rngs["skills"]
            priority = c.age + 1.5 * ~m.world.geo.urban[c.commune] + rng.random(c.n)
            # Highest first. A stable sort of 16-bit levels is a radix sort (a third of the time
            # of sorting floats at 1:1); people in the same level keep a random order.
            level = np.round((5.5 - priority) * (65535 / 5.5)).astype(np.uint16)
            shuffled = rng.permutation(c.n)
            self._order = shuffled[np.argsort(level[shuffled], kind="stable")]
            self._trained_upto = 0
        return self._order

    def incentives(self, vnd: float, communes: np.ndarray, year: int) -> float:
        m = self.m
        mix, costs = m.spec.budget.incentives_mix, m.spec.costs
        absorbed = self._buy(f"merchants:{self._where(communes)}", "merchants", vnd * mix["merchant_onboarding"],
                             costs.merchant_onboarding_vnd.value, year, communes,
                             self._count("merchants_onboarded", lambda n: self._onboard(n, communes)))
        fee = vnd * mix["fee_discount"]
        m.state.add_fee_pool(fee, communes, m.world.geo.population)
        return absorbed + fee

    def _onboard(self, n: int, communes: np.ndarray) -> int:
        """Visit n real merchants who do not accept and were never visited (each decides for itself)."""
        m, b = self.m, self.m.world.businesses
        open_ = b.consumer_facing & ~b.accepts_cashless & (b.onboarded_at < 0)
        if len(communes) < m.world.geo.n:
            open_ &= np.isin(b.commune, communes)
        take = self._take_in_order("merchants", open_, n)
        m.onboard_merchants(take)
        return int(round(min(n, b.weight[take].sum())))

    def awareness(self, vnd: float, communes: np.ndarray, year: int) -> float:
        """Campaign months; a commune can run at most twelve a year (more money is not absorbed)."""
        m = self.m
        share = m.world.geo.population[communes].sum() / m.world.geo.population.sum()
        cost = m.spec.costs.campaign_month_vnd.value * share  # a campaign's cost scales with the people it reaches
        used = ("campaign", year, self._where(communes))
        months = max(min(vnd / cost, 12.0 - self._used[used]), 0.0)
        self._used[used] += months
        m.state.add_campaign_months(months, communes)
        self.delivered["campaign_months"] += months
        return months * cost

    def enterprise(self, vnd: float, communes: np.ndarray, year: int) -> float:
        return self._buy(f"firms:{self._where(communes)}", "firms", vnd, self.m.spec.costs.firm_support_vnd.value, year,
                         communes, self._count("firms_supported", lambda n: self._support(n, communes)))

    def _support(self, n: int, communes: np.ndarray) -> int:
        """Support n real firms, SMEs and large firms first (as SMEdx does), household businesses
        after; each supported firm moves up a level with `firm_support_success` (its own draw
        for each level, so a policy that reaches the same firm gets the same outcome)."""
        m, b = self.m, self.m.world.businesses
        eligible = b.digital_level < 3
        if len(communes) < m.world.geo.n:
            eligible &= np.isin(b.commune, communes)
        take = self._take_in_order("firms", eligible, n)
        if self._success is None:
            self._success = self.rngs["enterprise"].random((3, b.n))
        ok = self._success[b.digital_level[take], take] < m.spec.effects.firm_support_success.value
        m.upgrade_firms(take[ok])
        return int(round(min(n, b.weight[take].sum())))

    def research(self, vnd: float, communes: np.ndarray, year: int) -> float:
        """Science and technology: funds the Resolution 57 tasks under way first, if the scenario
        lists them, from their date on; the rest (all of it without a task list) funds science
        and technology whose effects (TFP) are not modelled, and counts as spent."""
        m = self.m
        tasks = m.tasks
        if tasks is not None and m.month >= m.calendar.index(tasks.spec.as_of):  # before: the article's state
            tasks.month(vnd, m.spec.costs.task_year_vnd.value)
        return vnd  # what the tasks do not need funds other science and technology
