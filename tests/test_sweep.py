"""Sweeps (`citytwin sweep`): designs over levers, a Parquet store pandas reads whole, and resuming
after Ctrl-C or kill -9 with no run lost and none computed twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from conftest import DAK_LAK, ROOT, assert_refused, citytwin

from sim.errors import ScenarioError
from sim.experiments.ensemble import run_one
from sim.experiments.sweep import Store, make_design, parse_vary, record
from sim.inputs.scenario import load_scenario, with_levers

# Small and short: the 3% floor is the one target (its year, 2025, lies inside the horizon).
SMALL = ["--scale", "0.003", "--set", 'time.end="2026-12"', "--set", 'targets.goals=["dak_lak.budget_floor"]']


def _spec():
    return load_scenario(DAK_LAK, ["ensemble.scale=0.003", 'time.end="2026-12"',
                                   'targets.goals=["dak_lak.budget_floor"]'])


def test_designs_cover_their_ranges():
    spec = _spec()
    grid = make_design(spec, [parse_vary("budget.dx_share=0.01:0.05:3"),
                              parse_vary("budget.allocation.skills=0.1:0.3:2")])
    assert len(grid) == 6 and sorted(grid["budget.dx_share"].unique()) == pytest.approx([0.01, 0.03, 0.05])
    for kind in ("lhs", "sobol"):
        d = make_design(spec, [parse_vary("budget.dx_share=0.01:0.05")], kind, points=8, seed=1)
        assert len(d) == 8 and d["budget.dx_share"].between(0.01, 0.05).all()
        # A Latin hypercube puts one point in each eighth of the range.
        if kind == "lhs":
            assert sorted(np.floor((d["budget.dx_share"] - 0.01) / 0.005).astype(int)) == list(range(8))
    with pytest.raises(ScenarioError, match="power of 2"):
        make_design(spec, [parse_vary("budget.dx_share=0.01:0.05")], "sobol", points=6)
    with pytest.raises(ScenarioError, match="given twice"):
        make_design(spec, [parse_vary("budget.dx_share=0.01:0.05"), parse_vary("budget.dx_share=0.02:0.05")])
    with pytest.raises(ScenarioError, match="not allowed"):
        make_design(spec, [parse_vary("budget.dx_share=0.5:1.5")])


def test_store_holds_every_run_as_the_model_gives_it(tmp_path):
    store = tmp_path / "store"
    proc = citytwin("sweep", str(DAK_LAK), "--vary", "budget.dx_share=0.02:0.04:2", "--runs", "2", *SMALL,
                    "--store", str(store), "--quiet")
    assert proc.returncode == 0, proc.stderr
    rows = pd.read_parquet(store)  # the store, read whole by pandas
    assert {"point", "run", "seed", "indicator", "year", "value", "budget.dx_share"} <= set(rows.columns)
    assert len(rows.groupby(["point", "run"])) == 4 and not rows.duplicated(["point", "run", "indicator", "year"]).any()
    # Point 1, run 1 is run 1 of the scenario at dx_share = 4% (common random numbers: seed + run).
    spec = _spec()
    res = run_one(with_levers(spec, {"budget.dx_share": 0.04}), 1)
    mine = rows[(rows.point == 1) & (rows.run == 1) & (rows.indicator == "cashless_share")].sort_values("year")
    last = [np.flatnonzero(res.years == y)[-1] for y in mine.year]
    assert np.array_equal(mine.value.to_numpy(), res.values[last, res.names.index("cashless_share")])
    reach = pd.read_csv(store / "_reach.csv")
    assert reach.set_index("budget.dx_share").probability.to_dict() == {0.02: 0.0, 0.04: 1.0}  # the 3% floor
    assert (store / "_figures" / "reach_dak_lak.budget_floor.png").stat().st_size > 10_000
    assert "budget.dx_share" in proc.stdout


def _sweep_process(store, *extra: str) -> subprocess.Popen:
    args = [sys.executable, "-m", "sim.app.cli", "sweep", str(DAK_LAK), "--vary", "budget.dx_share=0.02:0.04:3",
            "--runs", "6", *SMALL, "--store", str(store), "--quiet", "--workers", "2", *extra]
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env=dict(os.environ, PYTHONWARNINGS="ignore"),
                            # as from a terminal: a shell's background job (CI) inherits Ctrl-C ignored
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _wait_for_runs(store, at_least: int, proc: subprocess.Popen) -> None:
    deadline = time.time() + 300
    while len(Store(store).done()) < at_least:
        assert proc.poll() is None, proc.communicate()
        assert time.time() < deadline
        time.sleep(0.05)


@pytest.mark.parametrize("how", ["kill -9", "ctrl-c"])
def test_an_interrupted_sweep_resumes_with_no_run_lost_or_run_twice(tmp_path, how):
    store = tmp_path / "store"
    proc = _sweep_process(store)
    _wait_for_runs(store, 3, proc)
    if how == "kill -9":
        os.killpg(proc.pid, signal.SIGKILL)  # the command and its workers, at once
        proc.wait()
    else:
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130 and "the same command continues" in err, err
    kept = {p.name: p.read_bytes() for p in store.glob("p*.parquet")}
    assert 3 <= len(kept) < 18
    pd.read_parquet(store)  # what is there reads whole (no half-written file is visible)
    again = _sweep_process(store)
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert f"{18 - len(kept)} runs in" in out and f"{len(kept)} were in the store already" in out
    rows = pd.read_parquet(store)
    assert sorted(Store(store).done()) == [(p, r) for p in range(3) for r in range(6)]
    assert not rows.duplicated(["point", "run", "indicator", "year"]).any()
    assert all((store / name).read_bytes() == data for name, data in kept.items())  # nothing run twice


def test_a_different_sweep_on_the_same_store_is_refused(tmp_path):
    spec = _spec()
    design = make_design(spec, [parse_vary("budget.dx_share=0.02:0.04:2")])
    store = Store(tmp_path / "store")
    store.begin(record(spec, design), design)
    store.begin(record(spec, design), design)  # the same sweep: resumed
    other = make_design(spec, [parse_vary("budget.dx_share=0.02:0.05:2")])
    with pytest.raises(ScenarioError, match="holds a different sweep"):
        store.begin(record(spec, other), other)
    more_runs = load_scenario(DAK_LAK, ["ensemble.scale=0.003", 'time.end="2026-12"', "ensemble.runs=7",
                                        'targets.goals=["dak_lak.budget_floor"]'])
    with pytest.raises(ScenarioError, match="holds a different sweep"):
        store.begin(record(more_runs, design), design)


@pytest.mark.parametrize("args,words", [
    (["--vary", "budget.dx_share"], ["KEY=LOW:HIGH"]),
    (["--vary", "budget.dx_share=0.05:0.01"], ["LOW < HIGH"]),
    (["--vary", "budget.nothing=0:1"], ["not a number"]),
    (["--vary", "budget.dx_share=0:1", "--design", "sobol", "--points", "5"], ["power of 2"]),
    (["--vary", "budget.dx_share=0:1:1"], ["N must be"]),
    (["--vary", "delivery.growth=0:0.2"], ["drawn afresh", "ensemble.uncertainty=false"]),
])
def test_bad_input_is_one_line_and_status_2(tmp_path, args, words):
    store = tmp_path / "store"
    proc = citytwin("sweep", str(DAK_LAK), *args, "--store", str(store))
    assert_refused(proc, words, store)
