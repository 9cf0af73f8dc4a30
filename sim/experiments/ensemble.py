"""Ensembles: many runs of one scenario, in-process, over local processes, or on a dask cluster.

Run r uses the seed `run_seed(ensemble.seed, r)` (a hash of the pair: ensembles with different
base seeds share no runs), whatever the executor, so the same scenario and seed give identical
results anywhere, and two scenarios run with the same seed are paired (common random numbers). Workers receive only the
validated scenario (a few kB) and build their own world; results come back as
compact arrays.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from tqdm import tqdm

from sim.experiments.engine_cache import compiled, notice
from sim.experiments.execution import DEFAULT_EXECUTION, Execution, ExperimentResult
from sim.experiments.runner import Runner
from sim.schema import Scenario
from sim.streams import run_seed
from sim.world.geography import Geography, build_geography, world_rng


@dataclass
class RunResult:
    run: int
    seed: int
    years: NDArray[np.int64]  # (months,)
    months: NDArray[np.int64]  # (months,)
    names: list[str]         # indicator names
    values: NDArray[np.float64]  # (months, indicators)
    communes: list[dict]
    citizens: int
    businesses: int
    build_seconds: float
    run_seconds: float
    notes: list[str] = field(default_factory=list)
    parameters: dict[str, float] = field(default_factory=dict)  # the assumptions drawn for this run
    phase_seconds: dict[str, float] = field(default_factory=dict)  # each phase of the month, summed over months


def run_one(spec: Scenario, run: int, scale: float | None = None, seed: int | None = None,
            threads: int | None = None) -> RunResult:
    """Build the world and run one member of the ensemble."""
    if threads:
        import numba

        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    from sim.engine.indicators import Recorder
    from sim.engine.model import CityModel
    from sim.world.world import world_for

    base = spec.ensemble.seed if seed is None else seed
    own = run_seed(base, run)
    t0 = time.perf_counter()
    parameters: dict[str, float] = {}
    if spec.ensemble.uncertainty:
        from sim.inputs.uncertainty import draw_assumptions

        spec, parameters = draw_assumptions(spec, own)
    model = CityModel(world_for(spec, seed=own, scale=spec.ensemble.scale if scale is None else scale,
                                world_seed=base), spec)
    t1 = time.perf_counter()
    recorder = Recorder(model).run()
    t2 = time.perf_counter()
    names = list(recorder.latest)
    k = len(names)
    rec = recorder.records
    values = np.array([r[3] for r in rec], dtype=np.float64).reshape(-1, k)
    return RunResult(run=run, seed=own, years=np.array([r[0] for r in rec[::k]]),
                     months=np.array([r[1] for r in rec[::k]]), names=names, values=values,
                     communes=recorder.commune_records, citizens=model.world.citizens.n,
                     businesses=model.world.businesses.n,
                     build_seconds=t1 - t0, run_seconds=t2 - t1, phase_seconds=recorder.phase_seconds,
                     notes=model.government.adapted if model.government else [], parameters=parameters)


@dataclass
class RunTable(ExperimentResult):
    """Runs' monthly indicators, as the verdict reads them: a province's ensemble, or a nation's
    runs combined from its provinces' (`sim.experiments.national`)."""

    runs: list[RunResult]

    @cached_property
    def indicators(self) -> pd.DataFrame:
        """Long table: run, year, month, indicator, value."""
        frames = []
        for r in self.runs:
            k = len(r.names)
            frames.append(pd.DataFrame({
                "run": r.run, "year": np.repeat(r.years, k), "month": np.repeat(r.months, k),
                "indicator": np.tile(r.names, len(r.years)), "value": r.values.ravel()}))
        return pd.concat(frames, ignore_index=True)

    def year_end(self, indicator: str) -> pd.DataFrame:
        """runs x years table of the indicator's value in December (or the last month)."""
        df = self.indicators
        df = df[df.indicator == indicator]
        last = df.groupby(["run", "year"]).month.transform("max")
        return df[df.month == last].pivot(index="run", columns="year", values="value")


@dataclass
class EnsembleResult(RunTable):
    geography: Geography  # the communes every run shared (codes, names, shapes): what maps and tables need

    @cached_property
    def communes(self) -> pd.DataFrame:
        rows = [{"run": r.run, **row} for r in self.runs for row in r.communes]
        df = pd.DataFrame(rows)
        front = ["run", "year", "code", "commune", "kind"]
        return df[front + [c for c in df.columns if c not in front]]


def paired(a: RunTable, b: RunTable) -> bool:
    """Whether two ensembles are the same runs (run numbers, seeds and drawn assumptions): common
    random numbers, so a run-by-run difference is the scenarios' difference, not the draws'."""
    return [(r.run, r.seed, r.parameters) for r in a.runs] == [(r.run, r.seed, r.parameters) for r in b.runs]


def _run_star(args: tuple) -> RunResult:
    return run_one(*args)


def run_ensemble(spec: Scenario, runs: int | None = None, scale: float | None = None, seed: int | None = None,
                 execution: Execution = DEFAULT_EXECUTION, on_result: Callable[[RunResult], None] | None = None,
                 label: str = "runs", runner: Runner | None = None) -> EnsembleResult:
    """Run the ensemble where `execution` says; results are ordered by run whatever order they
    finish in. `label` names the work on the progress bar (e.g. a counterfactual). `runner`: an
    open Runner to run on (a dashboard keeps its workers warm between ensembles), instead of one
    opened for this ensemble; an exception raised by `on_result` (a cancel) stops the ensemble
    and leaves that runner open."""
    runs = spec.ensemble.runs if runs is None else runs
    workers = execution.planned(spec, runs)
    t0 = time.perf_counter()
    desc = f"{spec.name}: {label}"
    # On a new checkout the first runs carry the engine's compile: said now, and the bar (whose
    # estimate would count the compile) starts once a run has finished. A cluster compiles elsewhere.
    cold = execution.progress and execution.executor != "dask" and not compiled()
    if cold:
        tqdm.write(notice(spec.name), file=sys.stderr)
    bar = None if cold else execution.bar(desc, total=runs)
    results: list[RunResult] = []

    def collect(items: Iterable[RunResult]) -> None:
        nonlocal bar
        for res in items:
            results.append(res)
            if bar is None:
                bar = execution.bar(desc, total=runs, initial=len(results))
            else:
                bar.update(1)
            if on_result:
                on_result(res)

    def run_on(open_runner: Runner) -> str:
        collect(open_runner.imap(_run_star, [(spec, r, scale, seed, open_runner.threads) for r in range(runs)]))
        return open_runner.executor

    if runner is not None:
        executor, workers = run_on(runner), runner.workers
    else:
        with execution.runner(spec, runs) as own:
            executor = run_on(own)
    if bar is not None:
        bar.close()
    results.sort(key=lambda r: r.run)
    # The map is drawn once per ensemble seed (`CityModel`'s world_seed): the same for every run.
    base = spec.ensemble.seed if seed is None else seed
    return EnsembleResult(runs=results, wall_seconds=time.perf_counter() - t0, executor=executor, workers=workers,
                          geography=build_geography(spec, world_rng(base)))
