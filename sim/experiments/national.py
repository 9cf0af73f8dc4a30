"""The nation: every province run with the same runs and seeds (so run r of every province draws
the national priors alike: the national forcing is shared), and run r of every province combined
into national run r, each indicator weighted as its definition requires.

Provinces are streamed: one province's ensemble runs, its runs are reduced to their monthly
indicators and weights, and the next starts; no two worlds are held at once by this process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sim.experiments.admission import Admission
from sim.experiments.ensemble import RunResult, RunTable, run_one
from sim.experiments.execution import DEFAULT_EXECUTION, Execution
from sim.experiments.resources import BASE_BYTES, CITIZEN_BYTES
from sim.inputs.nation import Nation
from sim.names import OUTPUT_INDICATORS
from sim.schema import Scenario
from sim.world.geography import forget_maps

__all__ = ["ProvinceRuns", "NationalResult", "weight_kind", "combine", "run_nation"]

# What each indicator is a share or mean of, hence its weight when provinces are combined.
BY_BUSINESSES = {"merchant_acceptance", "business_online_services"}
BY_GRDP = {"digital_economy_share", "digital_economy_core_share", "digital_economy_digitalisation_share",
           "grdp_growth", "labour_productivity_growth", "tfp_growth", "grdp_growth_average", "digital_tfp_gain"}
BY_EXPORTS = {"hightech_export_share"}
# Shares of a growth that are ratios of two GRDP-weighted growths (the nation's TFP share is its TFP
# growth over its GRDP growth, not a mean of the provinces' shares).
RATIOS = {"tfp_contribution_share": ("tfp_growth", "grdp_growth_average")}
BY_SPENDING = {"dx_budget_share"}
BY_NATION = {"procedures_online"}  # national forcing: the same in every province


def weight_kind(indicator: str) -> str:
    """How national run r combines the provinces' values of an indicator: "sum" for totals
    (money, counts), else the weight of a weighted mean ("adults", "businesses", "grdp",
    "spending", "exports"); the least digital sector's share is the minimum over provinces; a
    "ratio" is computed from the nation's values of its parts (`RATIOS`)."""
    if indicator.endswith("_vnd") or indicator in (*OUTPUT_INDICATORS, "r57_tasks_done"):
        return "sum"
    if indicator in ("digital_economy_min_sector_share", "dti_proxy_rank"):
        return "min"  # the least digital sector; the best-placed province's rank (the nation has none)
    if indicator in BY_BUSINESSES:
        return "businesses"
    if indicator in BY_GRDP:
        return "grdp"
    if indicator in BY_SPENDING:
        return "spending"
    if indicator in BY_EXPORTS:
        return "exports"
    if indicator in RATIOS:
        return "ratio"
    return "adults"  # shares of adults, of people with a dossier, of transactions, of dossiers


@dataclass
class ProvinceRuns:
    """A province's runs reduced to what the nation needs: monthly indicators (runs x months x
    indicators) and each run's weights."""

    code: int
    name: str
    scenario: str
    names: list[str]
    years: NDArray[np.int64]
    months: NDArray[np.int64]
    values: NDArray[np.float64]
    weights: dict[str, NDArray[np.float64]]   # kind -> (runs,)
    citizens: int
    seconds: float           # summed over its runs (building and running): the tasks' cost
    runs: list[RunResult] = field(default_factory=list)  # kept for the province's own verdict


def reduce(spec: Scenario, runs: list[RunResult], seconds: float) -> ProvinceRuns:
    """A province's ensemble as the nation combines it. Weights: adults and businesses the run
    represents (agents / scale), GRDP (the province's figure or estimate), spending of the year."""
    scale = spec.ensemble.scale
    if spec.province.grdp_vnd is None:
        raise ValueError(f"{spec.name}: province.grdp_vnd is needed to weigh the digital economy")
    grdp = spec.province.grdp_vnd.value
    first = runs[0]
    for r in runs:
        r.communes = []  # the nation maps provinces, not communes: free the per-commune records
    return ProvinceRuns(
        code=spec.province.code, name=spec.province.name, scenario=spec.name, names=first.names, years=first.years,
        months=first.months, values=np.stack([r.values for r in runs]),
        weights={"adults": np.array([r.citizens / scale for r in runs]),
                 "businesses": np.array([r.businesses / scale for r in runs]),
                 "grdp": np.full(len(runs), grdp), "spending": np.full(len(runs), spec.budget.spending_vnd.value),
                 "exports": np.full(len(runs), spec.economy.exports.exports_usd.value)},
        citizens=first.citizens, seconds=seconds, runs=runs)


@dataclass(kw_only=True)
class NationalResult(RunTable):
    provinces: list[ProvinceRuns]
    worlds_peak_bytes: float = 0.0   # the most the dispatched worlds were estimated to hold at once


def combine(provinces: list[ProvinceRuns]) -> list[RunResult]:
    """National run r from run r of every province (same months and indicators in each)."""
    first = provinces[0]
    for p in provinces[1:]:
        if p.names != first.names or not np.array_equal(p.months, first.months) or p.values.shape != first.values.shape:
            raise ValueError(f"{p.name}: its runs do not have the same months and indicators as {first.name}'s")
    stack = np.stack([p.values for p in provinces])  # provinces x runs x months x indicators
    out = np.empty_like(stack[0])
    for j, name in enumerate(first.names):
        kind = weight_kind(name)
        if kind == "sum":
            out[:, :, j] = stack[:, :, :, j].sum(axis=0)
        elif kind == "min":
            out[:, :, j] = stack[:, :, :, j].min(axis=0)
        elif kind == "ratio":
            continue  # from its parts, below
        else:
            w = np.stack([p.weights[kind] for p in provinces])[:, :, None]  # provinces x runs x 1
            out[:, :, j] = (stack[:, :, :, j] * w).sum(axis=0) / w.sum(axis=0)
    for name, (part, whole) in RATIOS.items():
        if name in first.names:
            num, den = out[:, :, first.names.index(part)], out[:, :, first.names.index(whole)]
            out[:, :, first.names.index(name)] = np.divide(num, den, out=np.zeros_like(num), where=den > 1e-9)
    runs = []
    for r in range(out.shape[0]):
        src = [p.runs[r] for p in provinces]
        runs.append(RunResult(run=src[0].run, seed=src[0].seed, years=first.years, months=first.months,
                              names=list(first.names), values=out[r], communes=[],
                              citizens=sum(s.citizens for s in src), businesses=sum(s.businesses for s in src),
                              build_seconds=sum(s.build_seconds for s in src),
                              run_seconds=sum(s.run_seconds for s in src)))
    return runs


def _province_runs(job: tuple[int, Scenario, tuple[int, ...], int | None]) -> tuple[int, list[RunResult]]:
    """Some runs of one province (a task of the pool or of a Dask cluster), one after the other so
    that the province's map and settlement grid are built once in the worker: their monthly
    indicators, without the per-commune records the nation does not map."""
    index, spec, runs, threads = job
    out = []
    for run in runs:
        result = run_one(spec, run, threads=threads)
        result.communes = []
        out.append(result)
    forget_maps()  # the worker's next task is most likely another province: free this one's map
    _give_back_memory()
    return index, out


def _give_back_memory() -> None:
    """Return freed memory to the system (glibc keeps a worker's freed heap otherwise, and the next
    province's world would sit on top of the last one's high-water mark)."""
    import ctypes
    import gc
    import sys

    gc.collect()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except OSError:  # not glibc (musl): nothing to trim
            pass


# A worker's peak over the steady world of `sim.experiments.resources` (which errs high). Measured at
# 1:1 (benchmarks/nation.py): with each task's memory given back (`_give_back_memory`) the estimate
# holds (the run peaked at 3.1 GB of 4); without it glibc kept each province's heap and a worker
# grew to 3.4 GB. Kept as a named factor to raise if a measurement says so.
BUILD_PEAK = 1.0


def world_bytes(spec: Scenario) -> float:
    """A run's world in memory at its peak (`sim.experiments.resources`' bytes per citizen agent,
    times the build's transient arrays), for the memory-aware dispatch."""
    return (BUILD_PEAK * CITIZEN_BYTES * spec.province.population.value * spec.province.adult_share.value
            * spec.ensemble.scale)


def run_nation(nation: Nation, execution: Execution = DEFAULT_EXECUTION,
               on_province: Callable[[ProvinceRuns], None] | None = None) -> NationalResult:
    """Every province's runs as the tasks of one pool (provinces x shares of runs), then the national runs.
    On local processes the tasks are dispatched largest first and only while the worlds running
    together fit in `nation.memory_bytes` (less each process's own); a province's runs are
    reduced as soon as its last one returns, and its worlds live only in the workers."""
    t0 = time.perf_counter()
    pending: dict[int, list[RunResult]] = {i: [] for i in range(len(nation.provinces))}
    done: dict[int, ProvinceRuns] = {}
    bar = execution.bar(f"{nation.name}: province runs", total=len(nation.provinces) * nation.runs)
    # Workers for the tasks, not for one province's runs (one run of 34 provinces keeps two workers busy).
    with execution.runner(nation.provinces[0], nation.runs * len(nation.provinces)) as runner:
        # A task is a share of a province's runs (a worker builds the province's map once for them):
        # as many shares as workers, so that every worker has work and the largest province ends early.
        per = -(-nation.runs // runner.workers)
        tasks = [(i, nation.provinces[i], tuple(range(lo, min(lo + per, nation.runs))), runner.threads)
                 for i in range(len(nation.provinces)) for lo in range(0, nation.runs, per)]
        budget = nation.memory_bytes - (runner.workers + 1) * BASE_BYTES
        gate = Admission(tasks, lambda t: world_bytes(t[1]), budget if runner.executor != "dask" else float("inf"))
        by_key = {(t[0], t[2][0]): t for t in tasks}
        for i, results in runner.imap(_province_runs, gate.feed()):
            gate.release(by_key[(i, results[0].run)])
            pending[i].extend(results)
            bar.update(len(results))
            if len(pending[i]) == nation.runs:
                runs = sorted(pending.pop(i), key=lambda r: r.run)
                done[i] = reduce(nation.provinces[i], runs, sum(r.build_seconds + r.run_seconds for r in runs))
                if on_province:
                    on_province(done[i])
        executor, workers = runner.executor, runner.workers
    bar.close()
    provinces = [done[i] for i in range(len(nation.provinces))]
    return NationalResult(runs=combine(provinces), provinces=provinces, wall_seconds=time.perf_counter() - t0,
                          executor=executor, workers=workers, worlds_peak_bytes=gate.peak)
