"""`citytwin prepare`: compile the engine for this machine before any run (the README's install
line), so the first run a planner makes is a warm one (sim.experiments.engine_cache says whether
it is compiled; benchmarks/first_run.py measures the difference)."""

from __future__ import annotations

import time
from pathlib import Path

from sim.experiments.ensemble import run_one
from sim.inputs.scenario import load_scenario


def prepare() -> float:
    """Compile the engine for this machine (numba writes its cache beside the kernels' source) by
    one short run of the shipped Dak Lak plan at a small scale: every kernel a run calls is
    compiled, once, in this process; the workers of every later run load the cache. Returns the
    seconds it took. `citytwin prepare`, the README's install line, calls it, so the first run a
    planner makes is a warm one."""
    t0 = time.perf_counter()
    plan = Path(__file__).resolve().parents[2] / "scenarios" / "dak_lak.toml"
    # Two years: the second's January reaches what a year's turn calls (budgets, the economy).
    spec = load_scenario(plan, ['time.end="2026-02"', "targets.goals=[]"])
    run_one(spec, 0, scale=0.002)
    return time.perf_counter() - t0
