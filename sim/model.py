"""CityModel: one month per step; institutions first (simpy), then populations, then indicators.

Example:
    >>> from sim.scenario import load_scenario
    >>> from sim.model import CityModel
    >>> model = CityModel(load_scenario("scenarios/dak_lak.toml"), seed=1, scale=0.01)
    >>> _ = model.run()                      # 132 months, 2025-01 to 2035-12
    >>> 0.0 <= model.latest["online_services_uptake"] <= 1.0
    True
"""

from __future__ import annotations

import zlib
from concurrent.futures import Executor, Future, ThreadPoolExecutor

import mesa
import numba as nb
import numpy as np
import simpy

from sim import behaviour as kern
from sim.geography import build_geography, world_rng
from sim.indicators import commune_indicators, province_indicators
from sim.infrastructure import Coverage
from sim.institutions import BackOffice, Calendar, Government, Operator
from sim.network import build_network
from sim.population import ADOPTER, adult_counts, build_businesses, build_citizens, digital_weights
from sim.sampling import choose, count_where
from sim.programmes import Programmes
from sim.scenario import SECTORS, Scenario

DT = 1.0 / 12.0  # one month in years: p, q and hazards are per year


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
    """The province, month by month. Citizens and businesses are arrays; institutions are agents."""

    def __init__(self, spec: Scenario, seed: int | None = None, scale: float | None = None,
                 world_seed: int | None = None) -> None:
        self.base_seed = spec.ensemble.seed if seed is None else int(seed)
        # The map is drawn once per ensemble, not per run: every run shares the same communes.
        self.world_seed = spec.ensemble.seed if world_seed is None else int(world_seed)
        super().__init__(rng=self.base_seed)
        self.spec = spec
        self.scale = spec.ensemble.scale if scale is None else float(scale)
        self.calendar = Calendar(spec.time.start, spec.time.months)
        self.env = simpy.Environment()
        self._build_world()
        self._build_institutions()
        self.records: list[tuple[int, int, str, float]] = []   # (year, month, indicator, value)
        self.commune_records: list[dict] = []
        self.latest: dict[str, float] = {}
        mid = (spec.time.start_year + min(2030, spec.time.end_year)) // 2
        self.adaptive_year = max(mid, spec.time.start_year + 1)

    # ----------------------------------------------------------------- set-up

    def stream(self, name: str) -> np.random.Generator:
        """An independent random stream per component (seed, name): a change in one part of the
        model does not reshuffle the draws of another."""
        return np.random.default_rng([self.base_seed, zlib.crc32(name.encode())])

    def _build_world(self) -> None:
        spec = self.spec
        self.geo = build_geography(spec, world_rng(self.world_seed))
        self.all_communes = np.arange(self.geo.n)
        # The network needs only how many citizens each commune has, so it is built in a second
        # thread while this one draws the citizens (its kernels release the GIL; its own stream
        # keeps the result the same as building one after the other); then the grid of homes
        # for coverage is built there while this thread draws the businesses.
        commune_start = np.r_[0, np.cumsum(adult_counts(spec, self.geo, self.scale))].astype(np.int64)
        with _second_thread() as pool:
            network = (None if spec.network.mean_field else
                       pool.submit(build_network, commune_start, spec.network, self.stream("network")))
            self.citizens = c = build_citizens(spec, self.geo, self.scale, self.stream("citizens"))
            coverage = pool.submit(Coverage, self.geo, c.xy, c.commune_start, c.commune)  # the grid of homes
            self.businesses = build_businesses(spec, self.geo, self.scale, self.stream("businesses"))
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
        # Per-commune counts kept up to date by the monthly kernel (and the fibre programme).
        self.citizen_counts = np.zeros((self.geo.n, kern.CITIZEN_COUNTS), dtype=np.int64)
        for col, attr, value in ((kern.SMARTPHONE, "smartphone", True), (kern.ACCOUNT, "account", True),
                                 (kern.BROADBAND, "broadband", True), (kern.ONLINE_SERVICES, "online_services", ADOPTER),
                                 (kern.CASHLESS, "cashless", ADOPTER)):
            self.citizen_counts[:, col] = count_where(c.commune_start, self.all_communes, getattr(c, attr), value)
        self.online_services_by_commune = self.citizen_counts[:, kern.ONLINE_SERVICES]
        self.cashless_by_commune = self.citizen_counts[:, kern.CASHLESS]
        self._hist = kern.dossier_histograms(self._units[0], c.last_dossier, c.last_online, self.calendar.months)
        self._changed = np.empty((2, c.n), dtype=np.int32)   # the month's adopters and lapsers, by unit
        self._n_changed = np.zeros((len(self._units[1]), 2), dtype=np.int64)
        b = spec.baseline
        self.procedures_online = np.full(self.geo.n, b.procedures_online.value)
        self.fee_pool = np.zeros(self.geo.n)
        self.campaign_months = np.zeros(self.geo.n)
        self.backoffice = BackOffice(self.env, b.backoffice_capacity.value * self.geo.population / 1000,
                                     spec.effects.online_dossier_effort)
        self._initial_sites()
        self._business_online = int(self.businesses.online_services.sum())
        self._month_constants()

    def _month_constants(self) -> None:
        """What the monthly steps use that the scenario fixes for the whole run."""
        spec = self.spec
        pop, de = spec.population, spec.behaviour.digital_economy
        income_factor = 0.6 + 0.2 * np.arange(5)  # the better-off acquire devices sooner
        own_rate = np.array([pop.smartphone_uptake * income_factor, pop.account_uptake * income_factor,
                             np.full(5, spec.infrastructure.broadband_growth) * income_factor])
        self._own_p = _prob(own_rate)
        levels = len(de.level_weights)
        self._digital_weights = digital_weights(np.arange(len(SECTORS))[:, None], np.arange(levels)[None, :],
                                                np.array(de.level_weights, dtype=np.float64),
                                                de.sector_digital_base).astype(np.float64)
        points = spec.forcing.procedures_online
        self._forcing = None if not points else (
            [self.calendar.index(f"{p.year}-{p.month:02d}") for p in points], [p.value for p in points])

    def _initial_sites(self) -> None:
        """Baseline sites: one at every commune centre, the rest where people live."""
        spec, geo, c = self.spec, self.geo, self.citizens
        rng = self.stream("infrastructure.baseline")
        inf = spec.infrastructure
        n4 = int(spec.baseline.sites_4g.value)
        k = max(0, n4 - geo.n)
        homes = rng.choice(c.n, size=min(k, c.n), replace=k > c.n)
        x = np.r_[geo.seeds[:, 0], c.xy[homes, 0]]
        y = np.r_[geo.seeds[:, 1], c.xy[homes, 1]]
        commune = np.r_[np.arange(geo.n), c.commune[homes]]
        radius = np.where(geo.urban[commune], inf.radius_urban_km, inf.radius_rural_km)
        self.coverage.add("4g", x[:n4], y[:n4], radius[:n4], commune[:n4], cofunded=False)
        n5 = int(spec.baseline.sites_5g.value)
        if n5:
            pick = choose(rng, c.commune_start, self.all_communes, None, True, n5,
                          weight_c=np.where(geo.urban, 4.0, 1.0))
            self.coverage.add("5g", c.xy[pick, 0].astype(float), c.xy[pick, 1].astype(float),
                              np.full(len(pick), inf.radius_5g_km), c.commune[pick], cofunded=False)

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
        month = self.month
        self.env.run(until=self.calendar.day(month + 1))  # the month's institutional events
        self._apply_forcing(month)
        self._citizens_month(month)
        self._businesses_month(month)
        self._record(month)

    def run(self) -> "CityModel":
        for _ in range(self.calendar.months):
            self.step()
        return self

    def _apply_forcing(self, month: int) -> None:
        """Known history (hindcasts) overrides what the programmes would have done."""
        if self._forcing is not None:
            self.procedures_online[:] = np.interp(month, *self._forcing)

    def _key(self, name: str, month: int) -> np.uint64:
        return kern.stream_key(self.base_seed, name, month)

    def _citizens_month(self, month: int) -> None:
        spec, c = self.spec, self.citizens
        pop, beh, eff = spec.population, spec.behaviour, spec.effects
        own_p = self._own_p
        # Online public services: attractiveness = procedures offered online (+ fee discounts).
        os_spec = beh.online_services
        os_attract = self.procedures_online * (1.0 + eff.fee_discount_boost * (self.fee_pool > 0))
        wait = self.backoffice.wait_days
        os_lapse = os_spec.lapse + os_spec.lapse_experience * np.minimum(1.0, wait / eff.wait_tolerance_days)
        # Cashless: attractiveness = acceptance where people shop (home commune mostly).
        cl_spec = beh.cashless
        cl_attract = self.acceptance_experienced()
        cl_lapse = cl_spec.lapse + cl_spec.lapse_experience * (1.0 - cl_attract)
        campaign = 1.0 + eff.campaign_p_boost * (self.campaign_months > 0)
        p_c, attract_c, lapse_p, params, cand = [], [], [], [], [float(own_p[k].max()) for k in range(3)]
        for name, b, attract, lapse, most_attractive in (
                ("online_services", os_spec, os_attract, os_lapse, 1.0 + eff.fee_discount_boost),
                ("cashless", cl_spec, cl_attract, cl_lapse, 1.0)):
            if b.fixed_attractiveness is not None:
                attract = np.full(self.geo.n, b.fixed_attractiveness)
                most_attractive = b.fixed_attractiveness
            # The Bass mean-field limit replaces the contact share by the population share.
            mean_field = getattr(self, f"{name}_by_commune").sum() / c.n if self.network is None else -1.0
            p_c.append(b.p * campaign)
            attract_c.append(attract)
            lapse_p.append(_prob(lapse))
            params.append([b.q, b.skill_weight, b.five_g_boost, float(b.gates), mean_field])
            # Candidate probabilities. Adoption: the largest the rule allows (from the scenario, so
            # two policies share their candidates), or more if this month needs it. Lapse: this
            # month's largest, since the most a bad experience allows is many times the usual.
            boost = 1.0 + b.five_g_boost
            top_rate = max(b.p * (1.0 + eff.campaign_p_boost) * max(most_attractive, 1.0) * boost,
                           float((p_c[-1] * attract_c[-1]).max()) * boost) + max(b.q, 0.0)
            top_lapse = float(lapse.max())
            cand += [float(_prob(top_lapse)), float(_prob(top_rate))]
        cand = [kern.ceiling_probability(p) for p in cand] + [float(_prob(pop.needs_per_year))]
        keys = np.array([self._key(k, month) for k in kern.SWEEPS], dtype=np.uint64)
        changed, n_changed = self._changed, self._n_changed
        delta = kern.citizens_month(
            *self._units, self.geo.n, c.income, c.skill, c.smartphone, c.account, c.broadband,
            self.coverage.covered["4g"], self.coverage.covered["5g"], c.online_services, c.cashless,
            self.nbr["online_services"], self.nbr["cashless"], self.degree, c.last_dossier, c.last_online,
            *self._hist, changed[0], changed[1], n_changed, own_p, np.array(cand),
            np.array(p_c, dtype=np.float64), np.array(attract_c, dtype=np.float64), np.array(lapse_p),
            np.array(params, dtype=np.float64), np.asarray(self.procedures_online, dtype=np.float64), month, DT, keys)
        net = self.network
        indptr, indices = (net.indptr, net.indices) if net is not None else (np.empty(0, np.int64), np.empty(0, np.int32))
        kern.update_contact_counts(*self._units, c.commune_start, n_changed, changed[0], changed[1],
                                   c.online_services, c.cashless, indptr, indices, self._outside,
                                   self.nbr["online_services"], self.nbr["cashless"], self._outside_max,
                                   nb.get_num_threads())
        counts = self.citizen_counts
        counts[:, :kern.CASHLESS + 1] += delta[:, :kern.CASHLESS + 1]
        counts[:, kern.DOSSIERS_ONLINE:] = delta[:, kern.DOSSIERS_ONLINE:]
        # Per commune: online, offline, with a dossier in 12 months, filed online in 12 months.
        self.dossiers = counts[:, kern.DOSSIERS_ONLINE:kern.RECENT_ONLINE + 1]
        online = self.dossiers[:, 0].astype(float)
        offline = self.dossiers[:, 1].astype(float)
        self.backoffice.set_demand(online / self.scale, offline / self.scale, self.calendar.days_in(month))
        # Fee discounts are paid per online dossier until the pool is spent.
        self.fee_pool = np.maximum(0.0, self.fee_pool - online / self.scale * spec.costs.fee_discount_dossier_vnd)
        self.campaign_months = np.maximum(0.0, self.campaign_months - 1)

    def merchants(self) -> np.ndarray:
        """(C, 2): consumer-facing businesses accepting cashless, and all consumer-facing, per commune."""
        b = self.businesses
        return kern.merchants_by_commune(b.commune_start, b.consumer_facing, b.accepts_cashless)

    def acceptance_experienced(self, merchants: np.ndarray | None = None) -> np.ndarray:
        """Chance that a merchant accepts cashless, for shoppers of each commune (from
        `merchants()` counts, counted afresh unless given)."""
        m = self.merchants() if merchants is None else merchants
        own = np.divide(m[:, 0], m[:, 1], out=np.zeros(self.geo.n), where=m[:, 1] > 0)
        province = m[:, 0].sum() / max(1, m[:, 1].sum())
        home = self.spec.population.home_commune_share
        return home * own + (1 - home) * province

    def _businesses_month(self, month: int) -> None:
        spec, b = self.spec, self.businesses
        beh = spec.behaviour
        # Two-sided payments: merchants follow their customers, held back by fees.
        m = beh.merchants
        adopt_share = self.cashless_by_commune / self._sizes
        join_rate = (m.p + m.q * adopt_share) * max(0.0, 1.0 - m.fee_sensitivity * m.fee)
        # Online public services: imitation, then mandates (e-tax, e-invoices) with a compliance lag.
        bs = beh.business_services
        year = self.calendar.year_month(month)[0]
        online_rate = (bs.p + bs.q * self._business_online / b.n
                       + (12.0 / bs.compliance_lag_months if year >= bs.mandate_year else 0.0))
        # Digital levels climb; accepting cashless is a first step onto platforms.
        de = beh.digital_economy
        upgrade = de.upgrade_rate * np.array([1.0, 1.0 + de.acceptance_boost])
        p = _prob
        counts, va = kern.businesses_month(
            b.commune_start, b.consumer_facing, b.accepts_cashless, b.online_services, b.digital_level, b.sector,
            b.value_added, b.last_dossier, b.last_online, p(join_rate), float(p(m.lapse)), float(p(online_rate)),
            float(p(bs.needs_per_year)), np.asarray(self.procedures_online, dtype=np.float64), p(upgrade),
            self._digital_weights, month, self._key("businesses.monthly", month))
        self.business_counts, self.business_value_added = counts, va
        self._business_online = int(counts[:, kern.B_ONLINE].sum())
        on = int(counts[:, kern.B_DOSSIERS_ONLINE].sum())
        self.business_dossiers = (on, int(counts[:, kern.B_DOSSIERS].sum()) - on)

    # ----------------------------------------------------------------- records

    def _record(self, month: int) -> None:
        year, mon = self.calendar.year_month(month)
        values = province_indicators(self)
        self.latest = values
        self.records.extend((year, mon, k, v) for k, v in values.items())
        if mon == 12 or month == self.calendar.months - 1:
            for row in commune_indicators(self):
                row.update(year=year)
                self.commune_records.append(row)
