"""Ensembles: many runs of one scenario, in-process, over local processes, or on a dask cluster.

Run r uses seed `ensemble.seed + r`, whatever the executor, so the same
scenario and seed give identical results anywhere, and two scenarios run with
the same seeds are paired (common random numbers). Workers receive only the
validated scenario (a few kB) and build their own world; results come back as
compact arrays.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from multiprocessing import get_context
from multiprocessing.pool import Pool

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim.schema import Scenario
from sim.world.geography import Geography, build_geography, world_rng

EXECUTORS = ("processes", "inline", "dask")


@dataclass
class RunResult:
    run: int
    seed: int
    years: np.ndarray        # (months,)
    months: np.ndarray       # (months,)
    names: list[str]         # indicator names
    values: np.ndarray       # (months, indicators)
    communes: list[dict]
    citizens: int
    businesses: int
    build_seconds: float
    run_seconds: float
    notes: list[str] = field(default_factory=list)
    parameters: dict[str, float] = field(default_factory=dict)  # the assumptions drawn for this run


def run_one(spec: Scenario, run: int, scale: float | None = None, seed: int | None = None,
            threads: int | None = None) -> RunResult:
    """Build the world and run one member of the ensemble."""
    if threads:
        import numba

        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    from sim.indicators import Recorder
    from sim.model import CityModel
    from sim.world import build_world

    base = spec.ensemble.seed if seed is None else seed
    t0 = time.perf_counter()
    parameters: dict[str, float] = {}
    if spec.ensemble.uncertainty:
        from sim.uncertainty import draw_assumptions

        spec, parameters = draw_assumptions(spec, base + run)
    model = CityModel(build_world(spec, seed=base + run, scale=scale, world_seed=base), spec)
    t1 = time.perf_counter()
    recorder = Recorder(model).run()
    t2 = time.perf_counter()
    names = list(recorder.latest)
    k = len(names)
    rec = recorder.records
    values = np.array([r[3] for r in rec], dtype=np.float64).reshape(-1, k)
    return RunResult(run=run, seed=base + run, years=np.array([r[0] for r in rec[::k]]),
                     months=np.array([r[1] for r in rec[::k]]), names=names, values=values,
                     communes=recorder.commune_records, citizens=model.world.citizens.n,
                     businesses=model.world.businesses.n,
                     build_seconds=t1 - t0, run_seconds=t2 - t1,
                     notes=model.government.adapted if model.government else [], parameters=parameters)


@dataclass
class EnsembleResult:
    runs: list[RunResult]
    wall_seconds: float
    executor: str
    workers: int
    geography: Geography  # the communes every run shared (codes, names, shapes): what maps and tables need

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

    @cached_property
    def communes(self) -> pd.DataFrame:
        rows = [{"run": r.run, **row} for r in self.runs for row in r.communes]
        df = pd.DataFrame(rows)
        front = ["run", "year", "code", "commune", "kind"]
        return df[front + [c for c in df.columns if c not in front]]

    def year_end(self, indicator: str) -> pd.DataFrame:
        """runs x years table of the indicator's value in December (or the last month)."""
        df = self.indicators
        df = df[df.indicator == indicator]
        last = df.groupby(["run", "year"]).month.transform("max")
        return df[df.month == last].pivot(index="run", columns="year", values="value")


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def planned_workers(spec: Scenario, runs: int | None = None, workers: int | None = None,
                    executor: str = "processes") -> int:
    """How many runs execute at once: the asked-for workers (else the scenario's, else every
    core), never more than the runs; one for the inline executor."""
    runs = spec.ensemble.runs if runs is None else runs
    if executor == "inline":
        return 1
    return min(workers or spec.ensemble.workers or default_workers(), runs)


@contextmanager
def sigint_blocked() -> Iterator[None]:
    """Block Ctrl-C (SIGINT) in this thread for the block; a Ctrl-C during it is delivered when
    it ends. Used around starting helper processes: the start is never left half done, and a
    child *forked* inside keeps the signal blocked for life (children started through the
    forkserver get their handlers from `sim.worker_signals`)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextmanager
def sigint_ignored() -> Iterator[None]:
    """Ignore Ctrl-C for the block. Programs started inside (fork and exec) inherit the ignored
    signal and Python then never turns it into a KeyboardInterrupt there, from their first
    instruction. The price: a Ctrl-C during the block itself is dropped (so keep it short)."""
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


@contextmanager
def worker_pool(workers: int) -> Iterator[Pool]:
    """Local worker processes (forkserver: no copy of this process's threads) that ignore
    Ctrl-C from their start (`sim.worker_signals`); they are terminated if the block ends
    by an error or an interrupt."""
    context = get_context("forkserver")
    context.set_forkserver_preload(["sim.worker_signals"])  # before the forkserver starts
    with sigint_blocked():  # a Ctrl-C while the workers start is handled once they run
        pool = context.Pool(workers)
    try:
        yield pool
    except BaseException:
        pool.terminate()
        pool.join()
        raise
    pool.close()
    pool.join()


def _run_star(args: tuple) -> RunResult:
    return run_one(*args)


def run_ensemble(spec: Scenario, runs: int | None = None, scale: float | None = None, seed: int | None = None,
                 workers: int | None = None, executor: str = "processes", progress: bool = True,
                 on_result: Callable[[RunResult], None] | None = None, label: str = "runs") -> EnsembleResult:
    """Run the ensemble; results are ordered by run whatever order they finish in. `label` names
    the work on the progress bar (e.g. a counterfactual)."""
    runs = spec.ensemble.runs if runs is None else runs
    workers = planned_workers(spec, runs, workers)
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {EXECUTORS}")
    if workers == 1 and executor == "processes":
        executor = "inline"
    t0 = time.perf_counter()
    bar = tqdm(total=runs, desc=f"{spec.name}: {label}", unit="run", disable=not progress, leave=False)
    results: list[RunResult] = []

    def collect(items: Iterable[RunResult]) -> None:
        for res in items:
            results.append(res)
            bar.update(1)
            if on_result:
                on_result(res)

    if executor == "inline":
        collect(run_one(spec, r, scale, seed) for r in range(runs))
    elif executor == "processes":
        # Each worker gets one thread so the two cores are not oversubscribed.
        with worker_pool(workers) as pool:
            collect(pool.imap_unordered(_run_star, [(spec, r, scale, seed, 1) for r in range(runs)]))
    else:
        import logging

        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed

        address = os.environ.get("CITYTWIN_DASK_SCHEDULER")
        cluster = None
        if not address:
            # Bound to this machine only; no dashboard. Its workers ignore Ctrl-C (this process closes
            # the cluster): inherited while they start, set again by a preload in any restarted one.
            with sigint_ignored():
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None, silence_logs=logging.ERROR,
                                       preload=["sim.dask_worker_signals"])
        try:
            with Client(address or cluster) as client:
                futures = client.map(run_one, [spec] * runs, range(runs), [scale] * runs, [seed] * runs,
                                     [1] * runs, pure=False)
                collect(f.result() for f in dask_completed(futures))
        finally:
            if cluster is not None:
                cluster.close()
    bar.close()
    results.sort(key=lambda r: r.run)
    # The map is drawn once per ensemble seed (`CityModel`'s world_seed): the same for every run.
    base = spec.ensemble.seed if seed is None else seed
    return EnsembleResult(runs=results, wall_seconds=time.perf_counter() - t0, executor=executor, workers=workers,
                          geography=build_geography(spec, world_rng(base)))
