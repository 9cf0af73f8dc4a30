"""CityModel: the province, month by month.

Example:
    >>> from sim.inputs.scenario import load_scenario
    >>> from sim.engine.model import CityModel
    >>> model = CityModel.build(load_scenario("scenarios/dak_lak.toml"), seed=1, scale=0.01)
    >>> _ = model.run()                      # 132 months, 2025-01 to 2035-12
    >>> model.steps, bool(model.citizen_counts.sum() > 0)
    (132, True)

The model records nothing for reports: `sim.engine.indicators.Recorder` steps it and measures.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import mesa
import numba as nb
import numpy as np
import simpy
from numpy.typing import NDArray
from scipy.optimize import brentq

from sim.engine import behaviour as kern
from sim.engine.clock import Calendar, Process
from sim.engine.institutions import Government, Operator
from sim.engine.monitoring import online_services_uptake, province_cashless_share
from sim.engine.payments import PaymentHabit, equilibrium_offset, stationary_acceptance
from sim.engine.programmes import Inputs, Programmes
from sim.engine.programmes.research import Research
from sim.engine.queueing import OfficeQueues
from sim.engine.state import ProvinceState
from sim.engine.tasks import TaskPipeline
from sim.inputs.national import procedures_online_path
from sim.names import ADOPTER
from sim.schema import SECTORS, Scenario
from sim.streams import stream, stream_key
from sim.world import World, build_world
from sim.world.economy import DigitalEconomy
from sim.world.exports import Exports
from sim.world.population import top_weight_share
from sim.world.production import Production
from sim.world.sampling import count_where

DT = 1.0 / 12.0  # one month in years: p, q and hazards are per year
WORKING_DAYS_PER_WEEK = 5.0  # structural: a working week


def _prob(rate: float | NDArray[np.floating]) -> NDArray[np.float64]:
    """Monthly probability of an event with a yearly hazard `rate`."""
    return 1.0 - np.exp(-np.asarray(rate, dtype=np.float64) * DT)


def adaptive_year(spec: Scenario) -> int:
    """The year the government re-allocates (`budget.adaptive`): midway to 2030 (the Resolution
    57 horizon) or to the scenario's end if earlier, and never the first year."""
    # structural: Resolution 57's horizon, the midpoint
    mid = (spec.time.start_year + min(2030, spec.time.end_year)) // 2
    return max(mid, spec.time.start_year + 1)


class CityModel(mesa.Model):
    """The province, month by month. Its world (`sim.world`: the map, citizens and businesses as
    arrays, contacts, sites) is built before it and changed in place; institutions are plain
    classes on a simpy calendar (why not `mesa.Agent`: `sim.engine.institutions`).

    A month (`step`) runs these phases in order:

    1. **institutions**: the simpy calendar to the end of the month. Its processes: the
       government's budget cycle (January: the year's Resolution 57 budget, its split and,
       in the adaptive year, a re-allocation; unused fee-discount money returns; every
       month: payments to each programme), each payment's delivery after the programme's
       lead time (within absorptive capacity; research money advances the Resolution 57
       tasks), policies' monthly payments, each operator's commercial builds (mid-month),
       and funded officer posts expiring after a year.
    2. **national**: the share of procedures offered online this month (national forcing).
    3. **services**: what citizens see of public services: returned dossiers (integration),
       fee discounts, assisted filing, campaigns, and the experience that drives lapse.
    4. **citizens**: devices, adoption and lapse of online services and cashless, dossiers.
    5. **businesses**: merchants reconsider cashless, firms file online, digital levels climb.
    6. **back office**: every commune office's M/M/c queue takes the month's dossiers.
    7. **payments**: the adopters' cashless habit.
    8. **economy**: the core digital economy grows (and named investments land); GRDP follows
       from capital, labour and TFP, which firms' digital levels and the core move
       (`sim.world.production`); exports are read from their pipeline when recorded.
    9. **monitor**: what the government steers by next (`sim.engine.monitoring`).
    """

    def __init__(self, world: World, spec: Scenario) -> None:
        """The model of `world` (built from `spec` by `sim.world.build_world`) under `spec`; its
        random streams are the world's run seed's."""
        super().__init__(rng=world.seed)
        self.world = world
        self.spec = spec
        self.calendar = Calendar(spec.time.start, spec.time.months)
        self.env = simpy.Environment()
        self.adaptive_year = adaptive_year(spec)
        y0, m0 = self.calendar.year_month(0)
        self.procedures_path = procedures_online_path(spec.forcing, y0, m0, spec.time.months)
        self._build_contacts()
        self._build_state()
        self._build_institutions()
        # The step plan, as data (Starsim's loop): each phase by name, timed every month.
        self.plan: tuple[tuple[str, Callable[[int], None]], ...] = (
            ("institutions", self._institutions), ("national", self._national), ("services", self._services),
            ("citizens", self._citizens), ("businesses", self._businesses), ("back_office", self._back_office),
            ("payments", self._payments), ("economy", self._economy), ("monitor", self._monitor))
        self.phase_seconds = dict.fromkeys((name for name, _ in self.plan), 0.0)  # summed over the months

    @classmethod
    def build(cls, spec: Scenario, seed: int | None = None, scale: float | None = None,
              world_seed: int | None = None) -> CityModel:
        """The model of a freshly built world (`sim.world.build_world` takes the same arguments)."""
        return cls(build_world(spec, seed, scale, world_seed), spec)

    # ----------------------------------------------------------------- set-up

    def stream(self, name: str) -> np.random.Generator:
        """The run's random stream of a component (`sim.streams`)."""
        return stream(self.world.seed, name)

    def _build_contacts(self) -> None:
        """What the monthly kernels need of the contact network: commune work units, and every
        contact list with contacts in other communes first."""
        c, network = self.world.citizens, self.world.network
        self._units = kern.Units(*kern.work_units(c.commune_start), self.world.geo.n)
        self._sizes = np.diff(c.commune_start)
        # Contact counts in 16 bits (`kern.People`): a degree is at most the household's adults
        # and twice the local and long-range contacts the schema allows, far below 32,767.
        if network is not None and network.n and int(network.degree.max()) > np.iinfo(np.int16).max:
            raise ValueError("a citizen has more contacts than 16-bit contact counts hold")
        self.degree = np.zeros(c.n, dtype=np.int16) if network is None else network.degree.astype(np.int16)
        if network is None:
            counts = np.zeros((2, c.n), dtype=np.int16)  # structural: two behaviours
            self._contacts = kern.Contacts(np.empty(0, np.int64), np.empty(0, np.int32), np.zeros(0, np.int32), 0)
        else:
            # Contacts in other communes first in every list (the monthly update relies on it).
            outside = kern.outside_first(c.commune_start, network.indptr, network.indices)
            self._contacts = kern.Contacts(network.indptr, network.indices, outside,
                                           int(outside.max()) if len(outside) else 0)
            counts = kern.adopting_contacts(c.online_services, c.cashless, network.indptr, network.indices)
        self.nbr = {"online_services": counts[0], "cashless": counts[1]}

    def _build_state(self) -> None:
        """Everything the month changes, created here (no attribute is first set inside a step)."""
        spec, c, b, geo = self.spec, self.world.citizens, self.world.businesses, self.world.geo
        self.all_communes = np.arange(geo.n)
        # Per-commune counts of citizens, kept up to date by the monthly kernel (and programmes).
        self.citizen_counts = np.zeros((geo.n, kern.CITIZEN_COUNTS), dtype=np.int64)
        for col, attr, value in ((kern.SMARTPHONE, "smartphone", True), (kern.ACCOUNT, "account", True),
                                 (kern.BROADBAND, "broadband", True),
                                 (kern.ONLINE_SERVICES, "online_services", ADOPTER),
                                 (kern.CASHLESS, "cashless", ADOPTER)):
            self.citizen_counts[:, col] = count_where(c.commune_start, self.all_communes, getattr(c, attr), value)
        self._history = kern.History(*kern.dossier_histograms(self._units.bounds, c.last_dossier, c.last_online,
                                                              c.last_assisted, self.calendar.months))
        # The month's adopters and lapsers, by unit.
        self._changed = kern.Changed(np.empty(c.n, dtype=np.int32), np.empty(c.n, dtype=np.int32),
                                     # structural: two behaviours
                                     np.zeros((len(self._units.commune), 2), dtype=np.int64))
        self.business_counts = np.zeros((geo.n, kern.BUSINESS_COUNTS))
        self.business_value_added = np.zeros((geo.n, len(SECTORS), 2))  # structural: digital, total
        self.business_dossiers = (0.0, 0.0)
        self._business_online = float(b.weight[b.online_services].sum() / b.weight.sum())
        self.state = ProvinceState(geo.n)
        self.state.procedures_online[:] = self.procedures_path[0]
        self.rejection = np.zeros(geo.n)        # share of online dossiers returned, this month
        self.assist_chance = np.zeros(geo.n)    # chance a non-adopter's online-able dossier is assisted
        self.assisted = np.zeros(geo.n)         # dossiers assisted this month (real)
        self.cashless_joined = np.zeros(geo.n)  # new cashless adopters this month (agents)
        self._business_weight = np.bincount(b.commune, b.weight, geo.n)
        self.offices = self._staffed_offices()
        self.habit = PaymentHabit(spec.behaviour.payments, self.citizen_counts[:, kern.CASHLESS])
        self._merchant_offset = 0.0
        self._merchants_at_rest()
        self.economy = DigitalEconomy.start(spec.behaviour.digital_economy, spec.baseline.digital_economy_core_share,
                                            spec.businesses.grdp_shares)
        self._month_constants()
        self._measure_businesses()
        # A year's TFP shock: a part every province of a nation's run r shares (the same seed gives the same
        # draws) and the province's own (a stream named by its code).
        prod = spec.economy.production
        years = -(-spec.time.months // 12)  # every year of the run (a part year counts)
        common = self.stream("economy.tfp_shocks").standard_normal(years)
        own = self.stream(f"economy.tfp_shocks.{spec.province.code}").standard_normal(years)
        share = prod.tfp_shock_national_share.value
        shocks = prod.tfp_shock_sd.value * (np.sqrt(share) * common + np.sqrt(1.0 - share) * own)
        self.production = Production.start(spec.economy.production, spec.behaviour.digital_economy.core_growth.value,
                                           self.digital_realisation(), self.economy.core_share,
                                           tuple(float(x) for x in shocks))
        self.exports = Exports.start(spec.economy.exports, self.calendar.year_month(0)[0])

    def _dossier_load(self, month: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(offline, online) dossiers a commune office receives in `month`, real numbers: the
        expected number (adults, businesses x the monthly chance of a need), the citizens' split by
        the share of the last 12 months' filers who filed online, the businesses' by those filing
        online where the procedure is. The sampled agents' own dossiers would load a small commune
        with their sampling noise times 1 / scale, so the queues, and the overdue share, would
        depend on `--scale` (10.0 / 5.1 / 3.5% at 0.005 / 0.02 / 0.05, same seed)."""
        counts, n = self.citizen_counts, self.world.geo.n
        if month >= 0:
            recent = counts[:, kern.RECENT].astype(np.float64)
            filed_online = (counts[:, kern.RECENT_ONLINE] + counts[:, kern.RECENT_ASSISTED]).astype(np.float64)
        else:  # before the first month: the starting history (a dossier in the 12 months before)
            c = self.world.citizens
            # structural: the history starts 12 months back
            recent = np.bincount(c.commune, c.last_dossier >= -12, n).astype(np.float64)
            filed_online = np.bincount(c.commune, c.last_online >= -12, n).astype(np.float64)  # structural: as above
        province = filed_online.sum() / max(recent.sum(), 1.0)
        share = np.divide(filed_online, recent, out=np.full(n, province), where=recent > 0)
        citizens = self._sizes / self.world.scale * float(_prob(self.spec.population.needs_per_year))
        firms = self._business_weight * float(_prob(self.spec.behaviour.business_services.needs_per_year))
        firms_online = firms * self._business_online_by_commune() * self.state.procedures_online
        online = citizens * share + firms_online
        offline = citizens * (1.0 - share) + firms - firms_online
        return offline, online

    def _business_online_by_commune(self) -> NDArray[np.float64]:
        """Share of each commune's businesses (weighted) that file online."""
        b = self.world.businesses
        online = np.bincount(b.commune, b.weight * b.online_services, self.world.geo.n)
        return np.divide(online, self._business_weight, out=np.zeros(self.world.geo.n), where=self._business_weight > 0)

    def _staffed_offices(self) -> OfficeQueues:
        """Commune offices staffed from the drawn dossier load: each commune's officers follow its
        expected load, spread log-normally across communes (a stream of its own), and the
        province's staffing level is the one at which the starting overdue share is
        `baseline.backoffice_overdue_share` (a few per cent, as provinces report; Brent's method
        on the level: fewer officers, more overdue). So the start neither idles (overdue exactly 0)
        nor collapses, whatever the drawn load, and at every scale."""
        spec, geo = self.spec, self.world.geo
        eff = spec.effects
        spread = np.exp(eff.staffing_spread * self.stream("backoffice.staffing").standard_normal(geo.n))
        # The first month's quantities: its load and its returned dossiers (national data
        # sharing's first month, no provincial money yet), so the first month shows the target.
        offline, online = self._dossier_load(-1)
        rejection = self._rejection(0)
        online_effort = eff.online_dossier_effort.value * (1.0 + rejection)
        effort = offline + online_effort * online
        days = self.calendar.days_in(0) * WORKING_DAYS_PER_WEEK / 7.0
        pattern = spread * effort / days / eff.officer_dossiers_per_day.value  # officers at utilisation 1
        weight = self._sizes  # as the indicator weighs communes (`backoffice_overdue_share`)

        def excess(level: float) -> float:
            queues = OfficeQueues(level * pattern, eff.officer_dossiers_per_day.value, 1.0, eff.deadline_days)
            queues.online_effort = online_effort  # per commune, as `_back_office` sets it
            queues.month(offline, online, days)
            overdue = float((queues.overdue_share * weight).sum() / weight.sum())
            return overdue - spec.baseline.backoffice_overdue_share.value

        # Staffing from ten times overloaded (a backlog past the deadline: all overdue) to
        # utilisation 1/50 (none) brackets the root; large offices are barely late even at
        # utilisation 1, so the bracket starts below it.
        level = float(brentq(excess, 0.1, 50.0, xtol=1e-9))  # structural: the bracket and tolerance
        offices = OfficeQueues(level * pattern, eff.officer_dossiers_per_day.value, eff.online_dossier_effort.value,
                               eff.deadline_days)
        offices.posts_per_effort = offices.own_posts / float(effort.sum() / days)
        return offices

    def _month_constants(self) -> None:
        """What the monthly steps use that the scenario fixes for the whole run."""
        spec = self.spec
        pop, de = spec.population, spec.behaviour.digital_economy
        # The better-off acquire devices sooner: quintile k's hazard is 1 + g (k - 2) times the middle one's.
        income_factor = 1.0 + pop.device_income_gradient.value * (np.arange(5) - 2)  # structural: five quintiles
        own_rate = np.array([pop.smartphone_uptake * income_factor, pop.account_uptake * income_factor,
                             # structural: five quintiles
                             np.full(5, spec.infrastructure.broadband_growth) * income_factor])
        self._own_p = _prob(own_rate)
        self._level_weights = np.tile(np.array(de.level_weights, dtype=np.float64), (len(SECTORS), 1))
        # Higher digital levels are harder to reach: the hazard falls by `upgrade_level_decline` a level.
        # structural: levels 0-2
        self._upgrade_p = _prob(de.upgrade_rate.value * (1.0 - de.upgrade_level_decline.value * np.arange(3)))

    def _build_institutions(self) -> None:
        """The programmes (each with the narrow inputs of `sim.engine.programmes.Inputs`, acting through
        this model's named state changes), the government that pays them, the operators."""
        spec, env, cal, world = self.spec, self.env, self.calendar, self.world
        self.programmes = Programmes(Inputs(spec, world, self.state, cal, self, delivered={}))
        self.government: Government | None = None
        self.operators: list[Operator] = []
        if spec.institutions:
            self.government = Government(spec, env, cal, world, self.programmes, self.adaptive_year)
            names = spec.infrastructure.operators
            self.operators = [Operator(n, 1.0 / len(names), spec, env, cal, world) for n in names]

    @property
    def tasks(self) -> TaskPipeline | None:
        """The Resolution 57 tasks (the research programme advances them), if the scenario lists them."""
        research = self.programmes.by_name.get("research")
        return research.tasks if isinstance(research, Research) else None

    @property
    def unmodelled_vnd(self) -> float:
        """Money absorbed with no effect the model represents (research beyond the tasks; VND)."""
        research = self.programmes.by_name.get("research")
        return research.unmodelled_vnd if isinstance(research, Research) else 0.0

    # ----------------------------------------------------------------- the month

    @property
    def month(self) -> int:
        """Index of the month being simulated (0 = the start month)."""
        return self.steps - 1

    def step(self) -> None:
        """One month: the phases of `plan` in order (the class docstring says what each does),
        each timed into `phase_seconds`."""
        month, seconds = self.month, self.phase_seconds
        for name, phase in self.plan:
            t0 = time.perf_counter()
            phase(month)
            seconds[name] += time.perf_counter() - t0

    def run(self) -> CityModel:
        for _ in range(self.calendar.months):
            self.step()
        return self

    def _key(self, name: str, month: int) -> np.uint64:
        return stream_key(self.world.seed, name, month)

    def _institutions(self, month: int) -> None:
        self.env.run(until=self.calendar.day(month + 1))

    def _national(self, month: int) -> None:
        self.state.procedures_online[:] = self.procedures_path[month]

    def _services(self, month: int) -> None:
        """Returned dossiers fall with integration; community teams under contract assist filing."""
        spec, st = self.spec, self.state
        self.rejection = self._rejection(month)
        # Chance a non-adopter with an online-able need is helped: the dossiers the teams under
        # contract can assist this month over the expected such needs.
        dossiers = st.assist_monthly / spec.costs.assisted_dossier_vnd.value
        non_adopters = (self._sizes - self.citizen_counts[:, kern.ONLINE_SERVICES]) / self.world.scale
        needs = non_adopters * float(_prob(spec.population.needs_per_year)) * st.procedures_online
        self.assist_chance = np.divide(dossiers, needs, out=np.zeros(self.world.geo.n), where=needs > 0).clip(0, 1)

    def _rejection(self, month: int) -> NDArray[np.float64]:
        """Share of online dossiers returned in `month`, per commune: national data sharing works
        from the first month on, with or without provincial money, which adds to it."""
        spec = self.spec
        eff = spec.effects
        national = eff.rejection_national.value * (month + 1) * DT
        return self.state.rejection(eff.rejection_start.value, eff.rejection_floor.value, national,
                                    spec.costs.integration_vnd_per_person.value, self.world.geo.population)

    def _adoption(self, name: str, attract: NDArray[np.float64], lapse: NDArray[np.float64],
                  gated: NDArray[np.int64]) -> kern.Adoption:
        """The month's `kern.Adoption` of one behaviour (Bass limit: the population share)."""
        b = getattr(self.spec.behaviour, name)
        # Awareness campaigns raise the whole adoption hazard while they run (the Generalized
        # Bass Model's marketing effort, Bass, Krishnan & Jain 1994), not only its external part;
        # a part of a campaign month raises it by that part (money paid month by month buys
        # slivers: each is not a whole month of campaign).
        campaign = 1.0 + self.spec.effects.campaign_boost.value * self.state.campaign_running
        if b.fixed_attractiveness is not None:
            attract = np.full(self.world.geo.n, b.fixed_attractiveness)
        counts = self.citizen_counts[:, kern.ONLINE_SERVICES if name == "online_services" else kern.CASHLESS]
        mean_field = counts.sum() / self.world.citizens.n if self.world.network is None else -1.0
        # Bass's market potential: the share of adults behind the gate (all adults without one).
        potential = (np.maximum(gated, 1) / np.maximum(self._sizes, 1) if b.gates
                     else np.ones(self.world.geo.n))
        return kern.Adoption(p=np.full(self.world.geo.n, b.p), attract=np.asarray(attract, dtype=np.float64),
                             lapse=np.asarray(lapse, dtype=np.float64), campaign=campaign.astype(np.float64),
                             potential=potential.astype(np.float64), q=b.q,
                             ease_weight=b.skill_weight, lapse_effort=b.lapse_effort, mean_field=float(mean_field),
                             gated=b.gates)

    def _candidates(self, a: kern.Adoption, name: str, most_attractive: float) -> tuple[float, float]:
        """Candidate probabilities of a behaviour's lapse and adoption sweeps: at least the largest
        any agent can have. Adoption: from the scenario's parameters (so two policies share their
        candidates), or more if this month needs it; lapse: this month's largest."""
        b = getattr(self.spec.behaviour, name)
        campaign = 1.0 + self.spec.effects.campaign_boost.value
        top_rate = max(b.p * max(most_attractive, 1.0) + max(b.q, 0.0),
                       float((a.p * a.attract).max()) + max(b.q, 0.0)) * max(campaign, float(a.campaign.max()))
        top_lapse = float(a.lapse.max()) * (1.0 + b.lapse_effort)
        return float(_prob(top_lapse)), float(_prob(top_rate))

    def _citizens(self, month: int) -> None:
        spec, c, st = self.spec, self.world.citizens, self.state
        beh, eff = spec.behaviour, spec.effects
        # Online services (UTAUT): benefit = procedures offered online x not returned x fee discounts;
        # experience (overdue dossiers, returned dossiers) drives lapse.
        coverage = self.world.coverage.covered
        people = kern.People(c.income, c.skill, c.smartphone, c.account, c.broadband, coverage["4g"],
                             c.online_services, c.cashless, self.nbr["online_services"], self.nbr["cashless"],
                             self.degree, c.last_dossier, c.last_online, c.last_assisted)
        gated = kern.gated_counts(self._units, people)
        os_spec = beh.online_services
        benefit = st.procedures_online * (1.0 - self.rejection) * (1.0 + eff.fee_discount_boost * (st.fee_pool > 0))
        os_lapse = (os_spec.lapse + os_spec.lapse_experience * self.offices.overdue_share
                    + eff.rejection_lapse * self.rejection)
        os_ = self._adoption("online_services", benefit, os_lapse, gated[:, 0])
        # Cashless: the benefit is acceptance where people shop; few refusals, little lapse.
        cl_spec = beh.cashless
        acceptance = self.acceptance_experienced()
        cl = self._adoption("cashless", acceptance, cl_spec.lapse + cl_spec.lapse_experience * (1.0 - acceptance),
                            gated[:, 1])
        cand = [float(self._own_p[k].max()) for k in range(3)]  # structural: three devices
        cand += [*self._candidates(os_, "online_services", 1.0 + eff.fee_discount_boost),
                 *self._candidates(cl, "cashless", 1.0)]
        cand = [kern.ceiling_probability(p) for p in cand] + [float(_prob(spec.population.needs_per_year))]
        dossiers = kern.Dossiers(procedures_online=np.asarray(st.procedures_online, dtype=np.float64),
                                 assist=np.asarray(self.assist_chance, dtype=np.float64),
                                 conversion=eff.assisted_conversion.value, key=self._key("citizens.assisted", month))
        keys = np.array([self._key(k, month) for k in kern.SWEEPS], dtype=np.uint64)
        chances = kern.Chances(self._own_p, np.array(cand), keys, month, DT)
        delta = kern.citizens_month(self._units, people, self._history, self._changed, chances, os_, cl, dossiers)
        kern.update_contact_counts(self._units, c.commune_start, self._changed, people, self._contacts,
                                   nb.get_num_threads())
        counts = self.citizen_counts
        counts[:, :kern.CASHLESS + 1] += delta[:, :kern.CASHLESS + 1]
        counts[:, kern.DOSSIERS_ONLINE:] = delta[:, kern.DOSSIERS_ONLINE:]
        self.cashless_joined = counts[:, kern.CASHLESS_JOINED].astype(np.float64)
        self.assisted = counts[:, kern.ASSISTED] / self.world.scale
        online = counts[:, kern.DOSSIERS_ONLINE] / self.world.scale
        # Fee discounts are paid per online dossier from their pool (the teams are paid by contract).
        st.use_fee_pool(online * spec.costs.fee_discount_dossier_vnd.value * (st.fee_pool > 0))
        st.end_assist_contracts(month)
        self.programmes.delivered["dossiers_assisted"] += float(self.assisted.sum())
        self.programmes.end_month()

    def acceptance_experienced(self) -> NDArray[np.float64]:
        """Chance that a merchant accepts cashless, for shoppers of each commune, from the
        merchants the businesses' month counted (nothing changes acceptance in between)."""
        counts = self.business_counts
        return self._home_and_away(counts[:, kern.B_ACCEPTING], counts[:, kern.B_CONSUMER])

    def _home_and_away(self, part: NDArray[np.float64], whole: NDArray[np.float64]) -> NDArray[np.float64]:
        """A share as people of each commune meet it: mostly at home, the rest province-wide."""
        own = np.divide(part, whole, out=np.zeros(self.world.geo.n), where=whole > 0)
        province = part.sum() / max(whole.sum(), 1e-12)  # structural: no division by zero
        home = self.spec.population.home_commune_share
        return home * own + (1 - home) * province

    def _businesses(self, month: int) -> None:
        spec, b = self.spec, self.world.businesses
        beh = spec.behaviour
        year = self.calendar.year_month(month)[0]
        mk = self._merchant_terms(year, self._merchant_demand(), self._merchant_offset)
        # Online public services: imitation, then mandates (e-tax, e-invoices) with a compliance lag.
        bs = beh.business_services
        online_rate = (bs.p + bs.q * self._business_online
                       + (12.0 / bs.compliance_lag_months if year >= bs.mandate_year else 0.0))
        firms = kern.Firms(online_p=float(_prob(online_rate)), lapse_p=float(_prob(bs.lapse)),
                           need_p=float(_prob(bs.needs_per_year)),
                           procedures_online=np.asarray(self.state.procedures_online, dtype=np.float64),
                           upgrade_p=self._upgrade_p, acceptance_boost=beh.digital_economy.acceptance_boost,
                           five_g=self._five_g_upgrade(), weights=self._level_weights)
        biz = kern.Enterprises(b.consumer_facing, b.accepts_cashless, b.online_services, b.never_online,
                               b.digital_level, b.sector,
                               b.size, b.weight, b.value_added, b.taste, b.tax_taste, b.onboarded_at,
                               b.last_dossier, b.last_online)
        counts, va = kern.businesses_month(b.commune_start, biz, mk, firms, month,
                                           self._key("businesses.monthly", month), nb.get_num_threads())
        self._set_business_counts(counts, va)

    def _five_g_upgrade(self) -> NDArray[np.float64]:
        """Per commune, the multiplier of firms' hazard of climbing a digital level where 5G
        reaches (`behaviour.digital_economy.five_g_boost` times the commune's 5G share: firms sit
        where people live): the uses that need 5G (connected machines, cloud production,
        low-latency services) are firms', not a shopper's QR code or a portal form, which 4G carries."""
        covered = self.world.coverage.by_commune["5g"] / np.maximum(self._sizes, 1)
        return 1.0 + self.spec.behaviour.digital_economy.five_g_boost.value * covered

    def _merchant_demand(self) -> NDArray[np.float64]:
        """Two-sided payments: the share of each commune's merchants' customers who pay cashless."""
        return self._home_and_away(self.citizen_counts[:, kern.CASHLESS].astype(float), self._sizes.astype(float))

    def _merchant_terms(self, year: int, demand: NDArray[np.float64], offset: float) -> kern.Merchants:
        """What merchants weigh in `year` (`kern.Merchants`), with the calibrated intercept."""
        m = self.spec.behaviour.merchants
        tax = m.tax_visibility.value * (m.tax_after if year >= m.tax_declaration_year else 1.0)
        return kern.Merchants(demand=demand, demand_weight=m.demand_weight.value,
                              size_benefit=np.array(m.size_benefit, dtype=np.float64), fixed_cost=m.fixed_cost.value,
                              relief=m.onboarding_cost_relief, tax_cost=tax, fee_cost=m.fee_weight * m.fee.value,
                              heterogeneity=m.heterogeneity.value, join_p=float(_prob(m.join_rate)),
                              leave_p=float(_prob(m.leave_rate)), offset=offset)

    def _merchants_at_rest(self) -> None:
        """Start the market at its own resting point: the intercept of merchants' benefit is set
        so that their long-run acceptance under the model's rule, at the starting demand, is the
        starting acceptance (`baseline.merchant_acceptance`), and who accepts is drawn from each
        merchant's long-run chance (a stream of its own; order sampling with exponential keys, so
        the starting share is exact whatever the scale). Drawn any other way, acceptance drifts
        to the rule's resting point in the first year (it moved single runs by up to 12 points)."""
        b = self.world.businesses
        mk = self._merchant_terms(self.calendar.year_month(0)[0], self._merchant_demand(), 0.0)
        benefit = kern.merchant_benefits(mk, b.commune.astype(np.int64), b.size, b.taste, b.tax_taste, b.onboarded_at)
        cf = b.consumer_facing
        target = self.spec.baseline.merchant_acceptance.value
        self._merchant_offset = equilibrium_offset(benefit[cf], b.weight[cf], target, mk.join_p, mk.leave_p)
        chance = stationary_acceptance(benefit, self._merchant_offset, mk.join_p, mk.leave_p)
        u = self.stream("businesses.acceptance_start").random(b.n)
        key = -np.log1p(-u) / np.maximum(chance, 1e-300)  # structural: no division by zero
        b.accepts_cashless[:] = top_weight_share(-key, np.where(cf, b.weight, 0.0), target, cf)

    def _set_business_counts(self, counts: NDArray[np.float64], va: NDArray[np.float64]) -> None:
        self.business_counts, self.business_value_added = counts, va
        self._business_online = float(counts[:, kern.B_ONLINE].sum() / self.world.businesses.weight.sum())
        on = float(counts[:, kern.B_DOSSIERS_ONLINE].sum())
        self.business_dossiers = (on, float(counts[:, kern.B_DOSSIERS].sum()) - on)

    def _measure_businesses(self) -> None:
        """The businesses' counts and value added at the start (before any month)."""
        b, n = self.world.businesses, self.world.geo.n
        n_s = len(SECTORS)
        w = b.weight
        counts = np.zeros((n, kern.BUSINESS_COUNTS))
        counts[:, kern.B_ACCEPTING] = np.bincount(b.commune, w * (b.consumer_facing & b.accepts_cashless), n)
        counts[:, kern.B_CONSUMER] = np.bincount(b.commune, w * b.consumer_facing, n)
        counts[:, kern.B_ONLINE] = np.bincount(b.commune, w * b.online_services, n)
        va = np.zeros((n, n_s, 2))  # structural: digital, total
        cell = b.commune.astype(np.int64) * n_s + b.sector
        va[:, :, 0] = np.bincount(cell, b.value_added * self._level_weights[0][b.digital_level],
                                  n * n_s).reshape(n, n_s)
        va[:, :, 1] = np.bincount(cell, b.value_added, n * n_s).reshape(n, n_s)
        self._set_business_counts(counts, va)

    def _back_office(self, month: int) -> None:
        """Every commune office takes the month's dossiers (citizens' and businesses', real
        numbers); a returned online dossier comes back, so it costs its effort again."""
        weekdays = self.calendar.days_in(month) * WORKING_DAYS_PER_WEEK / 7.0
        offline, online = self._dossier_load(month)
        o, eff = self.offices, self.spec.effects
        o.online_effort = eff.online_dossier_effort.value * (1.0 + self.rejection)
        o.month(offline, online, weekdays)
        effort = (offline + o.online_effort * online) / weekdays
        # Management moves officers towards the busy offices for the next month, and the
        # province's own posts follow its whole load (yearly rate, taken monthly).
        o.reassign(effort, eff.officer_reassignment.value)
        o.restaff(effort, float(_prob(eff.staffing_response.value)))

    def _payments(self, month: int) -> None:
        self.habit.month(self.citizen_counts[:, kern.CASHLESS], self.cashless_joined)

    def _economy(self, month: int) -> None:
        self.economy.month(self.calendar.year_month(month)[0])
        self.production.month(self.digital_realisation(), self.economy.core_share)

    def digital_realisation(self) -> float:
        """Firms' digital realisation outside the core (`DigitalEconomy.realisation`), this month."""
        digital, total = self.business_value_added.sum(axis=0).T
        return self.economy.realisation(digital, total)

    def mid_month(self, month: int) -> float:
        """The middle of `month` as a fractional calendar year (when the month's export flows and
        the other provinces' DTI-like scores are read)."""
        year, mon = self.calendar.year_month(month)
        return year + (mon - 0.5) / 12.0  # structural: the middle of the month

    # ------------------------------------------------------- named state changes

    def train(self, who: NDArray[np.int64], gain: float) -> None:
        """Trained people close `gain` of the gap to full skill (the less skilled gain more)."""
        c = self.world.citizens
        c.skill[who] = c.skill[who] + gain * (1.0 - c.skill[who])
        c.trained[who] = True

    def connect_broadband(self, who: NDArray[np.int64]) -> None:
        c = self.world.citizens
        c.broadband[who] = True
        self.citizen_counts[:, kern.BROADBAND] += np.bincount(c.commune[who], minlength=self.world.geo.n)

    def onboard_merchants(self, which: NDArray[np.int64]) -> None:
        """An onboarding visit: the set-up cost is relieved and the merchant decides this month."""
        self.world.businesses.onboarded_at[which] = max(self.month, 0)

    def upgrade_firms(self, which: NDArray[np.int64]) -> None:
        b = self.world.businesses
        b.digital_level[which] = np.minimum(b.digital_level[which] + 1, kern.TOP_LEVEL)

    def build_sites(self, tech: str, n: int, communes: NDArray[np.int64], turn: int) -> int:
        """Co-funded sites, built by the operators in turn (month by month); returns how many."""
        op = self.operators[(self.steps + turn) % len(self.operators)]
        return op.build(tech, n, communes, cofunded=True)

    def hire_officers(self, officers: float, communes: NDArray[np.int64], days: float) -> None:
        """Funded officer posts for `days`, sent where offices are busiest (the gap to the target
        utilisation, `effects.officer_target_utilisation`), else in proportion to staff; they
        expire on the calendar."""
        o = self.offices
        busy = self.spec.effects.officer_target_utilisation.value
        staff = np.maximum(o.staff[communes], 0.0)
        # An office with no one in post has no utilisation to scale (its load is all backlog).
        target = np.multiply(o.utilisation[communes], staff, out=np.zeros_like(staff), where=staff > 0) / busy
        gap = np.maximum(np.nan_to_num(target, posinf=0.0) - o.staff[communes], 0.0)
        weights = gap if gap.sum() > 0 else np.maximum(o.staff[communes], 1e-9)  # structural: no division by zero
        extra = np.zeros(self.world.geo.n)
        extra[communes] = officers * weights / weights.sum()
        o.add_staff(extra)
        self.env.process(self._expire_officers(extra, days))

    def _expire_officers(self, extra: NDArray[np.float64], days: float) -> Process:
        yield self.env.timeout(days)
        self.offices.add_staff(-extra)

    # ----------------------------------------------------------------- monitoring

    def _monitor(self, month: int) -> None:
        if self.government is not None and self.spec.budget.adaptive:  # only the adaptive government looks
            adults = self._sizes
            self.government.seen = {
                "online_services_uptake": online_services_uptake(self.citizen_counts, self.business_counts,
                                                                 self.world.scale),
                "cashless_share": province_cashless_share(self.citizen_counts[:, kern.CASHLESS], adults,
                                                          self.acceptance_experienced(), self.habit.per_purchase())}
