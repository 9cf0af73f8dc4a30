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

import mesa
import numpy as np
import simpy

from sim import behaviour as kern
from sim.geography import build_geography, world_rng
from sim.indicators import commune_indicators, province_indicators
from sim.infrastructure import Coverage
from sim.institutions import BackOffice, Calendar, Government, Operator
from sim.network import build_network
from sim.population import ADOPTER, build_businesses, build_citizens
from sim.programmes import Programmes
from sim.scenario import Scenario

DT = 1.0 / 12.0  # one month in years: p, q and hazards are per year


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
        self.citizens = c = build_citizens(spec, self.geo, self.scale, self.stream("citizens"))
        self.businesses = build_businesses(spec, self.geo, self.scale, self.stream("businesses"))
        if spec.network.mean_field:
            self.network = None
            self.degree = np.zeros(c.n, dtype=np.int32)
        else:
            self.network = build_network(c.commune_start, spec.network, self.stream("network"))
            self.degree = self.network.degree
        self.nbr = {b: self._adopting_contacts(getattr(c, b)) for b in ("online_services", "cashless")}
        b = spec.baseline
        self.procedures_online = np.full(self.geo.n, b.procedures_online.value)
        self.fee_pool = np.zeros(self.geo.n)
        self.campaign_months = np.zeros(self.geo.n)
        self.backoffice = BackOffice(self.env, b.backoffice_capacity.value * self.geo.population / 1000,
                                     spec.effects.online_dossier_effort)
        self.coverage = Coverage(self.geo, c.xy, c.commune_start)
        self._initial_sites()
        self._change = np.zeros(c.n, dtype=np.int8)
        self._biz_rng = self.stream("businesses.monthly")

    def _adopting_contacts(self, state: np.ndarray) -> np.ndarray:
        counts = np.zeros(len(state), dtype=np.int32)
        if self.network is not None:
            adopters = np.flatnonzero(state == ADOPTER)
            counts += np.bincount(self.network.gather(adopters), minlength=len(state)).astype(np.int32)
        return counts

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
            weight = np.where(geo.urban[c.commune], 4.0, 1.0)
            pick = rng.choice(c.n, size=min(n5, c.n), replace=False, p=weight / weight.sum())
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

    def candidates(self, communes: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Indices of citizens in `communes` for whom `mask` holds."""
        if len(communes) == self.geo.n:
            return np.flatnonzero(mask)
        cs = self.citizens.commune_start
        return np.concatenate([lo + np.flatnonzero(mask[lo:hi]) for lo, hi in zip(cs[communes], cs[communes + 1])])

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
        points = self.spec.forcing.procedures_online
        if points:
            start_year, start_month = self.calendar.year_month(0)
            at = [(p.year - start_year) * 12 + p.month - start_month for p in points]
            self.procedures_online[:] = np.interp(month, at, [p.value for p in points])

    def _key(self, name: str, month: int) -> np.uint64:
        return kern.stream_key(self.base_seed, name, month)

    def _citizens_month(self, month: int) -> None:
        spec, c, cs = self.spec, self.citizens, self.citizens.commune_start
        pop = spec.population
        income_factor = 0.6 + 0.2 * np.arange(5)  # the better-off acquire devices sooner
        kern.ownership_month(c.smartphone, cs, pop.smartphone_uptake * income_factor, c.income, DT,
                             self._key("citizens.smartphone", month))
        kern.ownership_month(c.account, cs, pop.account_uptake * income_factor, c.income, DT,
                             self._key("citizens.account", month))
        kern.ownership_month(c.broadband, cs, np.full(5, spec.infrastructure.broadband_growth) * income_factor,
                             c.income, DT, self._key("citizens.broadband", month))
        connected = self.coverage.covered["4g"] | c.broadband
        cov5g = self.coverage.covered["5g"]
        beh = spec.behaviour

        # Online public services: attractiveness = procedures offered online (+ fee discounts).
        os_spec = beh.online_services
        attract = self.procedures_online * (1.0 + spec.effects.fee_discount_boost * (self.fee_pool > 0))
        wait = self.backoffice.wait_days
        lapse = os_spec.lapse + os_spec.lapse_experience * np.minimum(1.0, wait / spec.effects.wait_tolerance_days)
        self._behaviour_month("online_services", os_spec, c.smartphone & connected, attract, lapse, cov5g, month)

        # Cashless: attractiveness = acceptance where people shop (home commune mostly).
        cl_spec = beh.cashless
        acceptance = self.acceptance_experienced()
        lapse = cl_spec.lapse + cl_spec.lapse_experience * (1.0 - acceptance)
        self._behaviour_month("cashless", cl_spec, c.smartphone & c.account & connected, acceptance, lapse,
                              cov5g, month)

        # Administrative needs and where the dossiers go.
        need_p = 1.0 - np.exp(-pop.needs_per_year * DT)
        self.dossiers = kern.dossiers_month(c.online_services, cs, need_p, self.procedures_online, month,
                                            self._key("citizens.dossiers", month), c.last_dossier, c.last_online)
        online, offline = self.dossiers[:, 0].astype(float), self.dossiers[:, 1].astype(float)
        self.backoffice.set_demand(online / self.scale, offline / self.scale, self.calendar.days_in(month))
        # Fee discounts are paid per online dossier until the pool is spent.
        self.fee_pool = np.maximum(0.0, self.fee_pool - online / self.scale * spec.costs.fee_discount_dossier_vnd)
        self.campaign_months = np.maximum(0.0, self.campaign_months - 1)

    def _behaviour_month(self, name: str, spec, gate: np.ndarray, attract_c: np.ndarray,
                         lapse_c: np.ndarray, cov5g: np.ndarray, month: int) -> None:
        c = self.citizens
        state = getattr(c, name)
        if not spec.gates:
            gate = np.ones(c.n, dtype=bool)
        if spec.fixed_attractiveness is not None:
            attract_c = np.full(self.geo.n, spec.fixed_attractiveness)
        campaign = 1.0 + self.spec.effects.campaign_p_boost * (self.campaign_months > 0)
        p_c = spec.p * campaign
        mean_field = float((state == ADOPTER).mean()) if self.network is None else -1.0
        counts = kern.adoption_month(
            state, self.nbr[name], self.degree, c.commune_start, gate, c.skill, cov5g,
            p_c.astype(np.float64), np.asarray(attract_c, dtype=np.float64), spec.q, spec.skill_weight,
            spec.five_g_boost, np.asarray(lapse_c, dtype=np.float64),
            DT, mean_field, self._key(f"adoption.{name}", month), self._change)
        setattr(self, f"{name}_by_commune", counts)
        if self.network is not None:
            kern.update_neighbour_counts(self._change, self.network.indptr, self.network.indices, self.nbr[name])

    def acceptance_by_commune(self) -> np.ndarray:
        b = self.businesses
        merchants = np.bincount(b.commune, weights=b.consumer_facing, minlength=self.geo.n)
        accepting = np.bincount(b.commune, weights=b.consumer_facing & b.accepts_cashless, minlength=self.geo.n)
        return np.divide(accepting, merchants, out=np.zeros(self.geo.n), where=merchants > 0)

    def acceptance_experienced(self) -> np.ndarray:
        """Chance that a merchant accepts cashless, for shoppers of each commune."""
        own = self.acceptance_by_commune()
        b = self.businesses
        province = (b.consumer_facing & b.accepts_cashless).sum() / max(1, b.consumer_facing.sum())
        home = self.spec.population.home_commune_share
        return home * own + (1 - home) * province

    def _businesses_month(self, month: int) -> None:
        spec, b, rng = self.spec, self.businesses, self._biz_rng
        beh = spec.behaviour
        # Fixed-size draws every month keep the business streams aligned across scenarios.
        u = rng.random((5, b.n))
        # Two-sided payments: merchants follow their customers, held back by fees.
        c = self.citizens
        adopt_share = (np.bincount(c.commune, weights=c.cashless == ADOPTER, minlength=self.geo.n)
                       / np.diff(c.commune_start))[b.commune]
        m = beh.merchants
        rate = (m.p + m.q * adopt_share) * max(0.0, 1.0 - m.fee_sensitivity * m.fee)
        joins = b.consumer_facing & ~b.accepts_cashless & (u[0] < 1 - np.exp(-rate * DT))
        leaves = b.accepts_cashless & (u[0] < 1 - np.exp(-m.lapse * DT))
        b.accepts_cashless = (b.accepts_cashless | joins) & ~leaves
        # Online public services: imitation, then mandates (e-tax, e-invoices) with a compliance lag.
        bs = beh.business_services
        year = self.calendar.year_month(month)[0]
        rate = bs.p + bs.q * b.online_services.mean() + (12.0 / bs.compliance_lag_months if year >= bs.mandate_year else 0.0)
        b.online_services = b.online_services | (u[1] < 1 - np.exp(-rate * DT))
        need = u[2] < 1 - np.exp(-bs.needs_per_year * DT)
        b.last_dossier[need] = month
        online = need & b.online_services & (u[3] < self.procedures_online[b.commune])
        b.last_online[online] = month
        self.business_dossiers = (int(online.sum()), int(need.sum() - online.sum()))
        # Digital levels climb; accepting cashless is a first step onto platforms.
        de = beh.digital_economy
        rate = de.upgrade_rate * (1 + de.acceptance_boost * b.accepts_cashless)
        up = (b.digital_level < 3) & (u[4] < 1 - np.exp(-rate * DT))
        b.digital_level = b.digital_level + up.astype(np.uint8)

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
