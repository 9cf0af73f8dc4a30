"""World: what a run starts from, built from a scenario and a seed.

The map (units, polygons, people per unit) is drawn from the ensemble's seed, so every run
of an ensemble shares it; citizens, businesses, the contact network and the baseline sites
are drawn from the run's own seed (`sim.streams`). A model changes its world in place as the
months pass (citizens adopt, programmes build sites): build one world per run.

Example:
    >>> from sim.inputs.scenario import load_scenario
    >>> world = build_world(load_scenario("scenarios/dak_lak.toml"), seed=1, scale=0.002)
    >>> world.geo.n, world.citizens.n > 1000, world.coverage.count("4g") > 0
    (102, True, True)
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass

import numba as nb
import numpy as np
from numpy.typing import NDArray

from sim.inputs.national import procedures_online_path
from sim.schema import InfrastructureSpec, Scenario, year_month
from sim.streams import stream
from sim.world.geography import Geography, build_geography, world_rng
from sim.world.infrastructure import Coverage, SitePlan, reach_limit_km, within_reach
from sim.world.network import Network, build_network
from sim.world.population import Businesses, Citizens, adult_counts, build_businesses, build_citizens


@dataclass
class World:
    """The province a run starts from: its map, its people and firms (arrays), who knows whom,
    and its mobile sites with the coverage they give."""

    geo: Geography
    citizens: Citizens
    businesses: Businesses
    network: Network | None       # None: mean-field contacts (`[network] mean_field`)
    coverage: Coverage            # which citizens each technology covers, and the sites
    site_plan: SitePlan           # where new sites can go: the settlement grid's cells
    infrastructure: InfrastructureSpec  # the sites' radii
    seed: int                     # the run's seed: people, firms, contacts, baseline sites
    scale: float                  # agents per adult (and per business)

    def build_sites(self, tech: str, cells: NDArray[np.int64], cofunded: bool) -> int:
        """Sites at the inside points of these settlement cells; returns how many were built."""
        self.add_sites(tech, self.site_plan.cells.centre[cells], self.site_plan.cells.commune[cells], cofunded)
        return len(cells)

    def add_sites(self, tech: str, xy: NDArray[np.float64], commune: NDArray[np.integer], cofunded: bool) -> None:
        """Sites at (x, y) km: the citizens and the settlement cells they cover are marked."""
        if len(commune) == 0:
            return
        inf = self.infrastructure
        radius = (np.full(len(commune), inf.radius_5g_km) if tech == "5g"
                  else np.where(self.geo.urban[commune], inf.radius_urban_km, inf.radius_rural_km))
        x, y = xy[:, 0], xy[:, 1]
        self.coverage.add(tech, x, y, radius, commune, cofunded)
        self.site_plan.add(tech, x, y, radius, commune)


class _Inline(Executor):
    """An executor that runs each job at once, in the calling thread."""

    def submit(self, fn: Callable[..., object], /, *args: object, **kwargs: object) -> Future:
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


@nb.njit(parallel=True, cache=True)
def _start_threads(n):  # type: ignore[no-untyped-def]
    """A parallel loop that does nothing useful: running it makes numba choose its threading layer."""
    out = np.zeros(n, np.int64)
    for i in nb.prange(n):
        out[i] = i
    return out


def _second_thread() -> Executor:
    """A second thread for building parts of the world side by side, where numba's threading
    layer takes parallel kernels from two threads at once (OpenMP, TBB; its fallback,
    workqueue, does not): otherwise the jobs run one after the other."""
    try:
        layer = nb.threading_layer()
    except ValueError:  # no parallel kernel has run yet (a process's first world): choose the layer now
        _start_threads(nb.get_num_threads())
        layer = nb.threading_layer()
    return ThreadPoolExecutor(max_workers=1) if layer in ("omp", "tbb") else _Inline()


def build_world(spec: Scenario, seed: int | None = None, scale: float | None = None,
                world_seed: int | None = None) -> World:
    """The world of one run: the map from `world_seed` (default: the ensemble's seed, shared by
    its runs), the rest from the run's `seed` (default: the ensemble's), at `scale` agents per
    adult (default: the ensemble's)."""
    # Sleep rather than spin between parallel regions: on a shared machine (another job on
    # the cores) spinning OpenMP threads cost milliseconds per kernel call instead of
    # microseconds. Read when numba first loads its OpenMP layer (the first parallel kernel,
    # below), so set here, not on importing the kernels; a user's setting wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    seed = spec.ensemble.seed if seed is None else int(seed)
    scale = spec.ensemble.scale if scale is None else float(scale)
    geo = build_geography(spec, world_rng(spec.ensemble.seed if world_seed is None else int(world_seed)))
    # Whether a citizen's past dossiers were online depends on what was offered at the start.
    offered = float(procedures_online_path(spec.forcing, *year_month(spec.time.start), 1)[0])
    # The network needs only how many citizens each commune has, so it is built in a second
    # thread while this one draws the citizens (its kernels release the GIL; its own stream
    # keeps the result the same as building one after the other); then the grid of homes
    # for coverage is built there while this thread draws the businesses.
    commune_start = np.r_[0, np.cumsum(adult_counts(spec, geo, scale))].astype(np.int64)
    with _second_thread() as pool:
        network = (None if spec.network.mean_field else
                   pool.submit(build_network, commune_start, spec.network, stream(seed, "network")))
        citizens = build_citizens(spec, geo, scale, stream(seed, "citizens"), offered)
        limit = reach_limit_km(geo, spec.infrastructure.out_of_reach.value)
        coverage = pool.submit(Coverage, geo, citizens.xy, citizens.commune_start, citizens.commune,
                               reach=within_reach(geo, citizens.xy, citizens.commune, limit))
        site_plan = SitePlan.of(geo, limit)
        businesses = build_businesses(spec, geo, scale, stream(seed, "businesses"), offered)
        world = World(geo, citizens, businesses, None if network is None else network.result(), coverage.result(),
                      site_plan, spec.infrastructure, seed, scale)
    _baseline_sites(world, int(spec.baseline.sites_4g.value), int(spec.baseline.sites_5g.value))
    return world


# What only the months read, never the world: a change there (a lever, a policy, a target)
# leaves the world of a seed as it was, so it can be copied instead of built again.
MONTHS_ONLY = ("name", "description", "source_file", "budget", "policies", "targets", "observed", "free", "costs",
               "effects", "delivery", "tasks", "institutions", "ensemble", "priors", "posterior")
MONTHS_ONLY_INFRASTRUCTURE = ("five_g_start_year", "commercial_4g_per_year", "commercial_5g_per_year",
                              "broadband_growth")
KEPT_WORLDS = 48          # structural: two ensembles of 20 runs and some
KEPT_AGENTS = 400_000     # structural: larger worlds are not kept (memory; their build is a small part of their run)
_kept: OrderedDict[str, World] = OrderedDict()


def world_key(spec: Scenario, seed: int, scale: float, world_seed: int) -> str:
    """Everything a world is built from: the scenario without what only the months read, the
    seeds and the scale."""
    data = spec.model_dump(mode="json", exclude=set(MONTHS_ONLY))
    for key in MONTHS_ONLY_INFRASTRUCTURE:
        data["infrastructure"].pop(key)
    text = json.dumps([data, seed, scale, world_seed], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def world_for(spec: Scenario, seed: int, scale: float, world_seed: int) -> World:
    """The world of a run: a copy of the same world built earlier in this process (another
    ensemble over the same seeds: a plan against its baseline, a sweep's or a seek's points), else
    built. A copy is the world the build would give, to the bit (the build is deterministic in
    its key, `world_key`); the map is shared, as within an ensemble."""
    key = world_key(spec, seed, scale, world_seed)
    kept = _kept.get(key)
    if kept is None:
        world = build_world(spec, seed=seed, scale=scale, world_seed=world_seed)
        if world.citizens.n <= KEPT_AGENTS:
            _kept[key] = _copy(world)
            while len(_kept) > KEPT_WORLDS:
                _kept.popitem(last=False)
        return world
    _kept.move_to_end(key)
    world = _copy(kept)
    world.infrastructure = spec.infrastructure
    return world


def _copy(world: World) -> World:
    """A copy whose changes never reach the original; the map (read only) is shared."""
    shared = (world.geo, world.geo.cells, world.infrastructure)
    return copy.deepcopy(world, {id(o): o for o in shared})


def _baseline_sites(world: World, n4: int, n5: int) -> None:
    """Baseline sites: one at every commune centre, the rest where people live (cells drawn
    by their people); 5G favours wards as the operators' own builds do
    (`infrastructure.commercial_urban_weight`)."""
    geo, plan = world.geo, world.site_plan
    rng = stream(world.seed, "infrastructure.baseline")
    centres = np.arange(min(n4, geo.n))
    world.add_sites("4g", geo.seeds[centres], centres, cofunded=False)
    world.build_sites("4g", plan.pick(rng, "4g", n4 - len(centres), None, 1.0, uncovered_only=False), False)
    urban_weight = world.infrastructure.commercial_urban_weight.value
    world.build_sites("5g", plan.pick(rng, "5g", n5, None, urban_weight, uncovered_only=False), False)
