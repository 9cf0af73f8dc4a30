"""CityModel: the province, month by month.

Example:
    >>> from sim.scenario import load_scenario
    >>> from sim.model import CityModel
    >>> model = CityModel(load_scenario("scenarios/dak_lak.toml"), seed=1, scale=0.01)
    >>> _ = model.run()                      # 132 months, 2025-01 to 2035-12
    >>> model.steps, bool(model.citizen_counts.sum() > 0)
    (132, True)

The model records nothing for reports: `sim.indicators.Recorder` steps it and measures.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor, Future, ThreadPoolExecutor

import mesa
import numba as nb
import numpy as np
import simpy

from sim import behaviour as kern
from sim.economy import DigitalEconomy
from sim.geography import build_geography, world_rng
from sim.infrastructure import Coverage, SitePlan
from sim.institutions import Calendar, Government, Operator
from sim.monitoring import monitor
from sim.names import ADOPTER
from sim.national import procedures_online_path
from sim.network import build_network
from sim.payments import PaymentHabit
from sim.population import adult_counts, build_businesses, build_citizens
from sim.programmes import Programmes
from sim.queueing import OfficeQueues
from sim.sampling import count_where
from sim.schema import SECTORS, Scenario
from sim.state import ProvinceState
from sim.streams import stream, stream_key
from sim.tasks import TaskPipeline

DT = 1.0 / 12.0  # one month in years: p, q and hazards are per year
WORKING_DAYS_PER_WEEK = 5.0


def _prob(rate):
    """Monthly probability of an event with a yearly hazard `rate`."""
    return 1.0 - np.exp(-np.asarray(rate, dtype=np.float64) * DT)


class _Inline(Executor):
    """An executor that runs each job at once, in the calling thread."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def _second_thread() -> Executor:
    """A second thread for building parts of the world side by side, where numba's threading
    layer takes parallel kernels from two threads at once (OpenMP, TBB; its fallback,
    workqueue, does not): otherwise the jobs run one after the other."""
    try:
        safe = nb.threading_layer() in ("omp", "tbb")
    except ValueError:  # no parallel kernel has run yet, so the layer is not chosen
        safe = False
    return ThreadPoolExecutor(max_workers=1) if safe else _Inline()


class CityModel(mesa.Model):
    """The province, month by month. Citizens and businesses are arrays; institutions are plain
    classes on a simpy calendar (why not `mesa.Agent`: `sim.institutions`).

    A month (`step`) runs these phases in order:

    1. **institutions**: the simpy calendar to the end of the month. Its processes: the
       government's budget cycle (January: the year's Resolution 57 budget, its split and,
       in the adaptive year, a re-allocation; unused fee-discount and assisted-filing money
       returns; every month: payments to each programme), each payment's delivery after the
       programme's lead time (within absorptive capacity; research money advances the
       Resolution 57 tasks), policies' monthly payments, each operator's commercial builds
       (mid-month), and funded officer posts expiring after a year.
    2. **national**: the share of procedures offered online this month (national forcing).
    3. **services**: what citizens see of public services: returned dossiers (integration),
       fee discounts, assisted filing, campaigns, and the experience that drives lapse.
    4. **citizens**: devices, adoption and lapse of online services and cashless, dossiers.
    5. **businesses**: merchants reconsider cashless, firms file online, digital levels climb.
    6. **back office**: every commune office's M/M/c queue takes the month's dossiers.
    7. **payments**: the adopters' cashless habit.
    8. **economy**: the core digital economy grows (and named investments land).
    9. **monitor**: what the government steers by next (`sim.monitoring`).
    """

    def __init__(self, spec: Scenario, seed: int | None = None, scale: float | None = None,
                 world_seed: int | None = None) -> None:
        # Sleep rather than spin between parallel regions: on a shared machine (another job on
        # the cores) spinning OpenMP threads cost milliseconds per kernel call instead of
        # microseconds. Read when numba first loads its OpenMP layer (the first parallel
        # kernel, below), so set here, not on importing the kernels; a user's setting wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        self.base_seed = spec.ensemble.seed if seed is None else int(seed)
        # The map is drawn once per ensemble, not per run: every run shares the same communes.
        self.world_seed = spec.ensemble.seed if world_seed is None else int(world_seed)
        super().__init__(rng=self.base_seed)
        self.spec = spec
        self.scale = spec.ensemble.scale if scale is None else float(scale)
        self.calendar = Calendar(spec.time.start, spec.time.months)
        self.env = simpy.Environment()
        self.monitor: dict[str, float] = {}  # what the government sees of last month (sim.monitoring)
        mid = (spec.time.start_year + min(2030, spec.time.end_year)) // 2
        self.adaptive_year = max(mid, spec.time.start_year + 1)
        y0, m0 = self.calendar.year_month(0)
        self.procedures_path = procedures_online_path(spec.forcing, y0, m0, spec.time.months)
        self._build_world()
        self._build_state()
        self._build_institutions()
        self.phases = (self._institutions, self._national, self._services, self._citizens, self._businesses,
                       self._back_office, self._payments, self._economy, self._monitor)

    # ----------------------------------------------------------------- set-up

    def stream(self, name: str) -> np.random.Generator:
        """The run's random stream of a component (`sim.streams`)."""
        return stream(self.base_seed, name)

    def _build_world(self) -> None:
        spec = self.spec
        self.geo = build_geography(spec, world_rng(self.world_seed))
        self.all_communes = np.arange(self.geo.n)
        po = float(self.procedures_path[0])
        # The network needs only how many citizens each commune has, so it is built in a second
        # thread while this one draws the citizens (its kernels release the GIL; its own stream
        # keeps the result the same as building one after the other); then the grid of homes
        # for coverage is built there while this thread draws the businesses.
        commune_start = np.r_[0, np.cumsum(adult_counts(spec, self.geo, self.scale))].astype(np.int64)
        with _second_thread() as pool:
            network = (None if spec.network.mean_field else
                       pool.submit(build_network, commune_start, spec.network, self.stream("network")))
            self.citizens = c = build_citizens(spec, self.geo, self.scale, self.stream("citizens"), po)
            coverage = pool.submit(Coverage, self.geo, c.xy, c.commune_start, c.commune)  # the grid of homes
            self.site_plan = SitePlan.of(self.geo)
            self.businesses = build_businesses(spec, self.geo, self.scale, self.stream("businesses"), po)
            self.network = None if network is None else network.result()
            self.coverage = coverage.result()
        self._units = kern.work_units(c.commune_start)
        self._sizes = np.diff(c.commune_start)
        self.degree = np.zeros(c.n, dtype=np.int32) if self.network is None else self.network.degree
        # Contacts in other communes first in every list (the monthly update relies on it).
        self._outside = (np.zeros(0, np.int32) if self.network is None else
                         kern.outside_first(c.commune_start, self.network.indptr, self.network.indices))
        self._outside_max = int(self._outside.max()) if len(self._outside) else 0
        if self.network is None:
            counts = np.zeros((2, c.n), dtype=np.int32)
        else:
            counts = kern.adopting_contacts(c.online_services, c.cashless, self.network.indptr, self.network.indices)
        self.nbr = {"online_services": counts[0], "cashless": counts[1]}
        self._initial_sites()

    def _build_state(self) -> None:
        """Everything the month changes, created here (no attribute is first set inside a step)."""
        spec, c, b, geo = self.spec, self.citizens, self.businesses, self.geo
        # Per-commune counts of citizens, kept up to date by the monthly kernel (and programmes).
        self.citizen_counts = np.zeros((geo.n, kern.CITIZEN_COUNTS), dtype=np.int64)
        for col, attr, value in ((kern.SMARTPHONE, "smartphone", True), (kern.ACCOUNT, "account", True),
                                 (kern.BROADBAND, "broadband", True),
                                 (kern.ONLINE_SERVICES, "online_services", ADOPTER),
                                 (kern.CASHLESS, "cashless", ADOPTER)):
            self.citizen_counts[:, col] = count_where(c.commune_start, self.all_communes, getattr(c, attr), value)
        self.dossiers = self.citizen_counts[:, kern.DOSSIERS_ONLINE:kern.RECENT_ONLINE + 1]
        self._hist = kern.dossier_histograms(self._units[0], c.last_dossier, c.last_online, self.calendar.months)
        self._changed = np.empty((2, c.n), dtype=np.int32)   # the month's adopters and lapsers, by unit
        self._n_changed = np.zeros((len(self._units[1]), 2), dtype=np.int64)
        self.business_counts = np.zeros((geo.n, kern.BUSINESS_COUNTS))
        self.business_value_added = np.zeros((geo.n, len(SECTORS), 2))
        self.business_dossiers = (0.0, 0.0)
        self._business_online = float(b.weight[b.online_services].sum() / b.weight.sum())
        self.state = ProvinceState(geo.n)
        self.state.procedures_online[:] = self.procedures_path[0]
        self.rejection = np.zeros(geo.n)        # share of online dossiers returned, this month
        self.assist_chance = np.zeros(geo.n)    # chance a non-adopter's online-able dossier is assisted
        self.assisted = np.zeros(geo.n)         # dossiers assisted this month (real)
        self.cashless_joined = np.zeros(geo.n)  # new cashless adopters this month (agents)
        eff, base = spec.effects, spec.baseline
        # Officers: staff per person varies across communes (log-normal, a stream of its own).
        spread = np.exp(eff.staffing_spread * self.stream("backoffice.staffing").standard_normal(geo.n))
        staff = base.backoffice_staff.value * geo.population / 1e4 * spread / spread.mean()
        self.offices = OfficeQueues(staff, eff.officer_dossiers_per_day.value, eff.online_dossier_effort.value,
                                    eff.deadline_days)
        self.habit = PaymentHabit(spec.behaviour.payments, self.citizen_counts[:, kern.CASHLESS])
        self.economy = DigitalEconomy.start(spec.behaviour.digital_economy, base.digital_economy_core_share,
                                            spec.businesses.grdp_shares)
        self.tasks = None if spec.tasks is None else TaskPipeline(spec.tasks, self.stream("tasks"))
        self._month_constants()
        self._measure_businesses()

    def _month_constants(self) -> None:
        """What the monthly steps use that the scenario fixes for the whole run."""
        spec = self.spec
        pop, de = spec.population, spec.behaviour.digital_economy
        income_factor = 0.6 + 0.2 * np.arange(5)  # the better-off acquire devices sooner
        own_rate = np.array([pop.smartphone_uptake * income_factor, pop.account_uptake * income_factor,
                             np.full(5, spec.infrastructure.broadband_growth) * income_factor])
        self._own_p = _prob(own_rate)
        self._level_weights = np.tile(np.array(de.level_weights, dtype=np.float64), (len(SECTORS), 1))
        # Higher digital levels are harder to reach: the hazard halves by level 2.
        self._upgrade_p = _prob(de.upgrade_rate.value * np.array([1.0, 0.75, 0.5]))

    def _initial_sites(self) -> None:
        """Baseline sites: one at every commune centre, the rest where people live (cells drawn
        by their people); 5G favours wards four to one (assumption, as commercial builds)."""
        spec, geo = self.spec, self.geo
        rng = self.stream("infrastructure.baseline")
        n4 = int(spec.baseline.sites_4g.value)
        centres = np.arange(min(n4, geo.n))
        self._add_sites("4g", geo.seeds[centres], centres, cofunded=False)
        grid = self.site_plan.pick(rng, "4g", n4 - len(centres), None, 1.0, uncovered_only=False)
        self.build_sites("4g", grid, False)
        self.build_sites("5g", self.site_plan.pick(rng, "5g", int(spec.baseline.sites_5g.value), None, 4.0,
                                                   uncovered_only=False), False)

    def build_sites(self, tech: str, cells: np.ndarray, cofunded: bool) -> int:
        """Sites at the inside points of these settlement cells; returns how many were built."""
        self._add_sites(tech, self.site_plan.cells.centre[cells], self.site_plan.cells.commune[cells], cofunded)
        return len(cells)

    def _add_sites(self, tech: str, xy: np.ndarray, commune: np.ndarray, cofunded: bool) -> None:
        """Sites at (x, y) km: the citizens and the settlement cells they cover are marked."""
        if len(commune) == 0:
            return
        inf = self.spec.infrastructure
        radius = (np.full(len(commune), inf.radius_5g_km) if tech == "5g"
                  else np.where(self.geo.urban[commune], inf.radius_urban_km, inf.radius_rural_km))
        x, y = xy[:, 0], xy[:, 1]
        self.coverage.add(tech, x, y, radius, commune, cofunded)
        self.site_plan.add(tech, x, y, radius, commune)

    def _build_institutions(self) -> None:
        self.programmes = Programmes(self)
        self.government: Government | None = None
        self.operators: list[Operator] = []
        if self.spec.institutions:
            self.government = Government(self)
            names = self.spec.infrastructure.operators
            self.operators = [Operator(self, n, 1.0 / len(names)) for n in names]

    # ----------------------------------------------------------------- the month

    @property
    def month(self) -> int:
        """Index of the month being simulated (0 = the start month)."""
        return self.steps - 1

    def step(self) -> None:
        """One month: the phases in the order listed in the class docstring."""
        month = self.month
        for phase in self.phases:
            phase(month)

    def run(self) -> CityModel:
        for _ in range(self.calendar.months):
            self.step()
        return self

    def _key(self, name: str, month: int) -> np.uint64:
        return stream_key(self.base_seed, name, month)

    def _institutions(self, month: int) -> None:
        self.env.run(until=self.calendar.day(month + 1))

    def _national(self, month: int) -> None:
        self.state.procedures_online[:] = self.procedures_path[month]

    def _services(self, month: int) -> None:
        """Returned dossiers fall with integration; assisted filing spreads the year's team time."""
        spec, st = self.spec, self.state
        eff = spec.effects
        self.rejection = st.rejection(eff.rejection_start.value, eff.rejection_floor.value,
                                      spec.costs.integration_vnd_per_person.value, self.geo.population)
        # Chance a non-adopter with an online-able need is helped: this month's share of the
        # pool (spread over the months left in the year) over the expected such needs.
        months_left = 13 - self.calendar.year_month(month)[1]
        dossiers = st.assist_pool / months_left / spec.costs.assisted_dossier_vnd.value
        non_adopters = (self._sizes - self.citizen_counts[:, kern.ONLINE_SERVICES]) / self.scale
        needs = non_adopters * float(_prob(spec.population.needs_per_year)) * st.procedures_online
        self.assist_chance = np.divide(dossiers, needs, out=np.zeros(self.geo.n), where=needs > 0).clip(0, 1)

    def _adoption(self, name: str, attract: np.ndarray, lapse: np.ndarray) -> kern.Adoption:
        """The month's `kern.Adoption` of one behaviour (Bass limit: the population share)."""
        b = getattr(self.spec.behaviour, name)
        campaign = 1.0 + self.spec.effects.campaign_p_boost * (self.state.campaign_months > 0)
        if b.fixed_attractiveness is not None:
            attract = np.full(self.geo.n, b.fixed_attractiveness)
        counts = self.citizen_counts[:, kern.ONLINE_SERVICES if name == "online_services" else kern.CASHLESS]
        mean_field = counts.sum() / self.citizens.n if self.network is None else -1.0
        return kern.Adoption(p=b.p * campaign, attract=np.asarray(attract, dtype=np.float64),
                             lapse=np.asarray(lapse, dtype=np.float64), q=b.q, ease_weight=b.skill_weight,
                             lapse_effort=b.lapse_effort, five_g=b.five_g_boost, mean_field=float(mean_field),
                             gated=b.gates)

    def _candidates(self, a: kern.Adoption, name: str, most_attractive: float) -> tuple[float, float]:
        """Candidate probabilities of a behaviour's lapse and adoption sweeps: at least the largest
        any agent can have. Adoption: from the scenario's parameters (so two policies share their
        candidates), or more if this month needs it; lapse: this month's largest."""
        b = getattr(self.spec.behaviour, name)
        eff = self.spec.effects
        boost = 1.0 + b.five_g_boost
        top_rate = max(b.p * (1.0 + eff.campaign_p_boost) * max(most_attractive, 1.0) * boost,
                       float((a.p * a.attract).max()) * boost) + max(b.q, 0.0)
        top_lapse = float(a.lapse.max()) * (1.0 + b.lapse_effort)
        return float(_prob(top_lapse)), float(_prob(top_rate))

    def _citizens(self, month: int) -> None:
        spec, c, st = self.spec, self.citizens, self.state
        beh, eff = spec.behaviour, spec.effects
        # Online services (UTAUT): benefit = procedures offered online x not returned x fee discounts;
        # experience (overdue dossiers, returned dossiers) drives lapse.
        os_spec = beh.online_services
        benefit = st.procedures_online * (1.0 - self.rejection) * (1.0 + eff.fee_discount_boost * (st.fee_pool > 0))
        os_lapse = (os_spec.lapse + os_spec.lapse_experience * self.offices.overdue_share
                    + eff.rejection_lapse * self.rejection)
        os_ = self._adoption("online_services", benefit, os_lapse)
        # Cashless: the benefit is acceptance where people shop; few refusals, little lapse.
        cl_spec = beh.cashless
        acceptance = self.acceptance_experienced()
        cl = self._adoption("cashless", acceptance, cl_spec.lapse + cl_spec.lapse_experience * (1.0 - acceptance))
        cand = [float(self._own_p[k].max()) for k in range(3)]
        cand += [*self._candidates(os_, "online_services", 1.0 + eff.fee_discount_boost),
                 *self._candidates(cl, "cashless", 1.0)]
        cand = [kern.ceiling_probability(p) for p in cand] + [float(_prob(spec.population.needs_per_year))]
        dossiers = kern.Dossiers(procedures_online=np.asarray(st.procedures_online, dtype=np.float64),
                                 assist=np.asarray(self.assist_chance, dtype=np.float64),
                                 conversion=eff.assisted_conversion.value, key=self._key("citizens.assisted", month))
        keys = np.array([self._key(k, month) for k in kern.SWEEPS], dtype=np.uint64)
        changed, n_changed = self._changed, self._n_changed
        delta = kern.citizens_month(
            *self._units, self.geo.n, c.income, c.skill, c.smartphone, c.account, c.broadband,
            self.coverage.covered["4g"], self.coverage.covered["5g"], c.online_services, c.cashless,
            self.nbr["online_services"], self.nbr["cashless"], self.degree, c.last_dossier, c.last_online,
            *self._hist, changed[0], changed[1], n_changed, self._own_p, np.array(cand), os_, cl, dossiers,
            month, DT, keys)
        net = self.network
        if net is not None:
            indptr, indices = net.indptr, net.indices
        else:
            indptr, indices = np.empty(0, np.int64), np.empty(0, np.int32)
        kern.update_contact_counts(*self._units, c.commune_start, n_changed, changed[0], changed[1],
                                   c.online_services, c.cashless, indptr, indices, self._outside,
                                   self.nbr["online_services"], self.nbr["cashless"], self._outside_max,
                                   nb.get_num_threads())
        counts = self.citizen_counts
        counts[:, :kern.CASHLESS + 1] += delta[:, :kern.CASHLESS + 1]
        counts[:, kern.DOSSIERS_ONLINE:] = delta[:, kern.DOSSIERS_ONLINE:]
        self.cashless_joined = counts[:, kern.CASHLESS_JOINED].astype(np.float64)
        # Per commune: online, offline, with a dossier in 12 months, filed online in 12 months.
        self.dossiers = counts[:, kern.DOSSIERS_ONLINE:kern.RECENT_ONLINE + 1]
        self.assisted = counts[:, kern.ASSISTED] / self.scale
        online = self.dossiers[:, 0] / self.scale
        # Fee discounts are paid per online dossier, assisted dossiers per dossier, from their pools.
        st.use_pools(online * spec.costs.fee_discount_dossier_vnd.value * (st.fee_pool > 0),
                     self.assisted * spec.costs.assisted_dossier_vnd.value)
        self.programmes.delivered["dossiers_assisted"] += float(self.assisted.sum())
        st.end_campaign_month()

    def acceptance_experienced(self) -> np.ndarray:
        """Chance that a merchant accepts cashless, for shoppers of each commune, from the
        merchants the businesses' month counted (nothing changes acceptance in between)."""
        counts = self.business_counts
        return self._home_and_away(counts[:, kern.B_ACCEPTING], counts[:, kern.B_CONSUMER])

    def _home_and_away(self, part: np.ndarray, whole: np.ndarray) -> np.ndarray:
        """A share as people of each commune meet it: mostly at home, the rest province-wide."""
        own = np.divide(part, whole, out=np.zeros(self.geo.n), where=whole > 0)
        province = part.sum() / max(whole.sum(), 1e-12)
        home = self.spec.population.home_commune_share
        return home * own + (1 - home) * province

    def _businesses(self, month: int) -> None:
        spec, b = self.spec, self.businesses
        beh = spec.behaviour
        year = self.calendar.year_month(month)[0]
        m = beh.merchants
        # Two-sided payments: merchants weigh the share of their customers who pay cashless.
        demand = self._home_and_away(self.citizen_counts[:, kern.CASHLESS].astype(float), self._sizes.astype(float))
        tax = m.tax_visibility.value * (m.tax_after if year >= m.tax_declaration_year else 1.0)
        mk = kern.Merchants(demand=demand, demand_weight=m.demand_weight.value,
                            size_benefit=np.array(m.size_benefit, dtype=np.float64), fixed_cost=m.fixed_cost.value,
                            relief=m.onboarding_cost_relief, tax_cost=tax, fee_cost=m.fee_weight * m.fee.value,
                            heterogeneity=m.heterogeneity.value, join_p=float(_prob(m.join_rate)),
                            leave_p=float(_prob(m.leave_rate)))
        # Online public services: imitation, then mandates (e-tax, e-invoices) with a compliance lag.
        bs = beh.business_services
        online_rate = (bs.p + bs.q * self._business_online
                       + (12.0 / bs.compliance_lag_months if year >= bs.mandate_year else 0.0))
        firms = kern.Firms(online_p=float(_prob(online_rate)), need_p=float(_prob(bs.needs_per_year)),
                           procedures_online=np.asarray(self.state.procedures_online, dtype=np.float64),
                           upgrade_p=self._upgrade_p, acceptance_boost=beh.digital_economy.acceptance_boost,
                           weights=self._level_weights)
        counts, va = kern.businesses_month(
            b.commune_start, b.consumer_facing, b.accepts_cashless, b.online_services, b.digital_level, b.sector,
            b.size, b.weight, b.value_added, b.taste, b.tax_taste, b.onboarded_at, b.last_dossier, b.last_online,
            mk, firms, month, self._key("businesses.monthly", month))
        self._set_business_counts(counts, va)

    def _set_business_counts(self, counts: np.ndarray, va: np.ndarray) -> None:
        self.business_counts, self.business_value_added = counts, va
        self._business_online = float(counts[:, kern.B_ONLINE].sum() / self.businesses.weight.sum())
        on = float(counts[:, kern.B_DOSSIERS_ONLINE].sum())
        self.business_dossiers = (on, float(counts[:, kern.B_DOSSIERS].sum()) - on)

    def _measure_businesses(self) -> None:
        """The businesses' counts and value added at the start (before any month)."""
        b = self.businesses
        n_s = len(SECTORS)
        w = b.weight
        counts = np.zeros((self.geo.n, kern.BUSINESS_COUNTS))
        counts[:, kern.B_ACCEPTING] = np.bincount(b.commune, w * (b.consumer_facing & b.accepts_cashless), self.geo.n)
        counts[:, kern.B_CONSUMER] = np.bincount(b.commune, w * b.consumer_facing, self.geo.n)
        counts[:, kern.B_ONLINE] = np.bincount(b.commune, w * b.online_services, self.geo.n)
        va = np.zeros((self.geo.n, n_s, 2))
        cell = b.commune.astype(np.int64) * n_s + b.sector
        va[:, :, 0] = np.bincount(cell, b.value_added * self._level_weights[0][b.digital_level],
                                  self.geo.n * n_s).reshape(self.geo.n, n_s)
        va[:, :, 1] = np.bincount(cell, b.value_added, self.geo.n * n_s).reshape(self.geo.n, n_s)
        self._set_business_counts(counts, va)

    def _back_office(self, month: int) -> None:
        """Every commune office takes the month's dossiers (citizens' and businesses', real
        numbers); a returned online dossier comes back, so it costs its effort again."""
        weekdays = self.calendar.days_in(month) * WORKING_DAYS_PER_WEEK / 7.0
        online = self.dossiers[:, 0] / self.scale + self.business_counts[:, kern.B_DOSSIERS_ONLINE]
        offline = (self.dossiers[:, 1] / self.scale + self.business_counts[:, kern.B_DOSSIERS]
                   - self.business_counts[:, kern.B_DOSSIERS_ONLINE])
        self.offices.online_effort = self.spec.effects.online_dossier_effort.value * (1.0 + self.rejection)
        self.offices.month(offline, online, weekdays)

    def _payments(self, month: int) -> None:
        self.habit.month(self.citizen_counts[:, kern.CASHLESS], self.cashless_joined)

    def _economy(self, month: int) -> None:
        self.economy.month(self.calendar.year_month(month)[0])

    # ------------------------------------------------------- named state changes

    def train(self, who: np.ndarray, gain: float) -> None:
        """Trained people close `gain` of the gap to full skill (the less skilled gain more)."""
        c = self.citizens
        c.skill[who] = c.skill[who] + gain * (1.0 - c.skill[who])
        c.trained[who] = True

    def connect_broadband(self, who: np.ndarray) -> None:
        c = self.citizens
        c.broadband[who] = True
        self.citizen_counts[:, kern.BROADBAND] += np.bincount(c.commune[who], minlength=self.geo.n)

    def onboard_merchants(self, which: np.ndarray) -> None:
        """An onboarding visit: the set-up cost is relieved and the merchant decides this month."""
        self.businesses.onboarded_at[which] = max(self.month, 0)

    def upgrade_firms(self, which: np.ndarray) -> None:
        b = self.businesses
        b.digital_level[which] = np.minimum(b.digital_level[which] + 1, 3)

    def hire_officers(self, officers: float, communes: np.ndarray, days: float) -> None:
        """Funded officer posts for `days`, sent where offices are busiest (the gap to 80%
        utilisation), else in proportion to staff; they expire on the calendar."""
        o = self.offices
        target = o.utilisation[communes] * np.maximum(o.staff[communes], 0.0) / 0.8
        gap = np.maximum(np.nan_to_num(target, posinf=0.0) - o.staff[communes], 0.0)
        weights = gap if gap.sum() > 0 else np.maximum(o.staff[communes], 1e-9)
        extra = np.zeros(self.geo.n)
        extra[communes] = officers * weights / weights.sum()
        o.add_staff(extra)
        self.env.process(self._expire_officers(extra, days))

    def _expire_officers(self, extra: np.ndarray, days: float):
        yield self.env.timeout(days)
        self.offices.add_staff(-extra)

    # ----------------------------------------------------------------- monitoring

    def _monitor(self, month: int) -> None:
        if self.government is not None and self.spec.budget.adaptive:  # only the adaptive government looks
            self.monitor = monitor(self)
