"""`citytwin sensitivity` and the drivers of `citytwin run` (issue 12, points 4 and 6)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import DAK_LAK, citytwin

from sim.experiments.ensemble import RunResult
from sim.experiments.sensitivity import Factor, analyse, apply, design, factors, rank_drivers
from sim.inputs.scenario import load_scenario
from sim.inputs.targets import Target
from sim.inputs.uncertainty import uncertain_keys
from sim.schema import levers, lookup

# Two years, a small world, targets inside the horizon, no priors (half the factors): 2 x 58 runs.
SHORT = ["ensemble.scale=0.002", 'time.end="2026-12"', "priors={}",
         'targets.goals=["national.account_ownership_2025", "national.smartphone_2025", "dak_lak.budget_floor"]']


def _sets(*extra: str) -> list[str]:
    return [a for s in (*SHORT, *extra) for a in ("--set", s)]


@pytest.fixture(scope="module")
def dak_lak():
    return load_scenario(DAK_LAK)


# ----------------------------------------------------------------------------- the analysis wrapper

SYNTHETIC = [Factor("a", 0.0, 1.0, "prior"), Factor("b", 0.0, 1.0, "assumption"), Factor("c", 0.0, 2.0, "lever")]


def _model(x: np.ndarray) -> np.ndarray:
    """a dominates, b does nothing, c matters less and not linearly."""
    return 5 * x[:, 0] + 0 * x[:, 1] + 0.5 * x[:, 2] ** 2


@pytest.mark.parametrize("method, samples", [("morris", 20), ("sobol", 512)])
def test_analysis_ranks_a_dominant_factor_first_and_a_dead_one_near_zero(method, samples):
    x = design(SYNTHETIC, method, samples, seed=3)
    assert x.shape[1] == 3 and (x >= 0).all() and (x[:, 2] <= 2).all()
    table = analyse(SYNTHETIC, x, _model(x), method, seed=3)
    main = "mu_star" if method == "morris" else "ST"
    assert list(table.factor) == ["a", "c", "b"]
    assert dict(zip(table.factor, table.kind)) == {"a": "prior", "b": "assumption", "c": "lever"}
    b = table.set_index("factor").loc["b"]
    top = table[main].iloc[0]
    assert abs(b[main]) < 0.02 * top
    if method == "sobol":
        assert 0.8 < table.set_index("factor").loc["a", "S1"] < 1.05
        assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(table.columns)
    else:
        assert {"mu_star", "mu_star_conf", "sigma"} <= set(table.columns)


def test_a_constant_output_has_zero_indices():
    x = design(SYNTHETIC, "sobol", 16, seed=1)
    table = analyse(SYNTHETIC, x, np.full(len(x), 0.03), "sobol")
    assert (table[["S1", "ST", "S1_conf", "ST_conf"]].to_numpy() == 0).all()


def test_rank_drivers_picks_the_correlated_draw():
    rng = np.random.default_rng(0)
    target = Target(id="t", indicator="x", comparison=">", threshold=0.5, year=2025, source="test")
    runs = []
    for r in range(30):
        a, b, c = rng.uniform(size=3)
        runs.append(RunResult(run=r, seed=r, years=np.array([2025]), months=np.array([12]), names=["x"],
                              values=np.array([[3 * a + 0.5 * c + 0.01 * rng.normal()]]), communes=[], citizens=1,
                              businesses=1, build_seconds=0, run_seconds=0, parameters={"a": a, "b": b, "c": c}))
    drivers = rank_drivers([target], runs)
    # a drives it; c's small part and b's none are not told apart from noise over 30 runs
    assert drivers.by_target["t"] == ["a"] and "rank correlation over 30 runs" in drivers.method
    assert rank_drivers([target], runs[:2]).by_target["t"] == []  # too few runs to rank
    assert rank_drivers([target], runs[:5]).by_target["t"] == []  # five runs cannot rank three draws either


def test_a_driver_that_is_noise_is_not_named():
    """Draws unrelated to the target rank-correlate with it by chance; over 60 runs of 40 such draws
    the chance that any is named stays near the 5% family-wise error, not near 1."""
    rng = np.random.default_rng(3)
    target = Target(id="t", indicator="x", comparison=">", threshold=0.5, year=2025, source="test")
    named = 0
    for _ in range(40):
        runs = [RunResult(run=r, seed=r, years=np.array([2025]), months=np.array([12]), names=["x"],
                          values=np.array([[rng.normal()]]), communes=[], citizens=1, businesses=1, build_seconds=0,
                          run_seconds=0, parameters={f"k{i}": rng.uniform() for i in range(40)})
                for r in range(60)]
        named += bool(rank_drivers([target], runs).by_target["t"])
    assert named <= 6  # 40 trials at 5%: 2 expected; at most 6 by chance (binomial, p < 0.01)


# ----------------------------------------------------------------------------- factors and apply


def test_factors_list_every_prior_and_ranged_assumption(dak_lak):
    data = dak_lak.model_dump()
    items = {f.key: f for f in factors(dak_lak)}
    ranged = {k for k, _ in uncertain_keys(data)}
    assert ranged and dak_lak.priors
    assert set(items) == ranged | set(dak_lak.priors)
    assert {items[k].kind for k in ranged} == {"assumption"}
    assert {items[k].kind for k in dak_lak.priors} == {"prior"}
    for f in items.values():
        assert f.low <= dak_lak.number_at(f.key) <= f.high, f
    with_levers = factors(dak_lak, levers=True)
    lever = {f.key: f for f in with_levers if f.kind == "lever"}
    assert set(lever) == set(levers(dak_lak))
    for f in lever.values():
        value = dak_lak.number_at(f.key)
        assert f.low <= value <= f.high and f.low >= 0 and f.high <= 1
        if value > 0:
            assert f.low == pytest.approx(0.5 * value) and f.high == pytest.approx(min(1.0, 1.5 * value))


def test_apply_round_trips_and_keeps_tables_whole(dak_lak):
    items = factors(dak_lak, levers=True)
    same = apply(dak_lak, {f.key: dak_lak.number_at(f.key) for f in items})
    expected = dak_lak.model_dump()
    expected["ensemble"]["uncertainty"] = False  # only the factors vary
    assert same.model_dump() == expected
    moved = apply(dak_lak, {"baseline.digital_skill": 0.5, "network.local_contacts": 9.6,
                            "budget.allocation.skills": 0.3})
    assert moved.baseline.digital_skill.value == 0.5 and "assumption" in moved.baseline.digital_skill.source
    assert moved.network.local_contacts == 10 and isinstance(moved.network.local_contacts, int)
    alloc, before = moved.budget.allocation, dak_lak.budget.allocation
    assert sum(alloc.values()) == pytest.approx(1.0)
    # The other shares keep their proportions.
    assert alloc["services"] / alloc["infrastructure"] == pytest.approx(before["services"] / before["infrastructure"])
    assert alloc["skills"] > before["skills"]
    assert lookup(moved.model_dump(), "ensemble.uncertainty") is False


# ----------------------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def sens_dir(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("sens") / "dak_sens"
    proc = citytwin("sensitivity", str(DAK_LAK), "--method", "morris", "--samples", "2", "--out", str(out),
                    "--quiet", *_sets())
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


def test_sensitivity_writes_table_figures_manifest(sens_dir):
    out, stdout = sens_dir
    table = pd.read_csv(out / "sensitivity.csv")
    assert list(table.columns[:5]) == ["target", "indicator", "year", "factor", "kind"]
    assert {"mu_star", "mu_star_conf", "sigma"} <= set(table.columns)
    assert set(table.target) == {"national.account_ownership_2025", "national.smartphone_2025",
                                 "dak_lak.budget_floor"}
    acct = table[table.target == "national.account_ownership_2025"]
    assert acct.factor.iloc[0] == "baseline.account_ownership"  # the starting value decides a 2025 value
    assert set(acct.kind) == {"assumption"}
    assert (table[table.target == "dak_lak.budget_floor"].mu_star == 0).all()  # the 3% floor is the rule
    for target in set(table.target):
        assert (out / "figures" / f"sensitivity_{target}.png").stat().st_size > 5000
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["method"] == "morris" and meta["samples"] == 2 and meta["scenario"] == "dak_lak"
    assert meta["evaluations"] == 2 * (len(meta["factors"]) + 1) == len(pd.read_csv(out / "design.csv"))
    assert meta["scale"] == 0.002 and meta["timings"]["wall_seconds"] > 0
    assert all(f["low"] <= f["value"] <= f["high"] for f in meta["factors"])
    assert (out / ".citytwin-output").is_file()
    assert "1. Start: adults with a payment account (baseline.account_ownership)" in stdout and "Results:" in stdout


@pytest.mark.parametrize("args, expected", [
    (["--target", "no.such_goal"], "--target no.such_goal: not a modelled target"),
    (["--samples", "0"], "--samples 0: Morris takes 2 to 10000 trajectories"),
    (["--method", "sobol", "--samples", "48"], "--samples 48: Sobol' takes a power of 2"),
    (["--method", "fast"], "invalid choice"),
    (["--samples", "6000"], "add --yes to run it anyway, or lower --samples"),
])
def test_bad_input_is_one_line_and_status_2(tmp_path, args, expected):
    out = tmp_path / "never"
    proc = citytwin("sensitivity", str(DAK_LAK), "--out", str(out), *args, *_sets())
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("citytwin: error:") and expected in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not out.exists()


def test_run_names_drivers(tmp_path, sens_dir):
    # In an empty working folder there is no results/dak_lak_sensitivity: rank correlation over the runs.
    proc = citytwin("run", str(DAK_LAK), "--runs", "4", "--out", str(tmp_path / "a"), "--quiet", *_sets(),
                    cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    # four runs rank nothing: said so, and no verdict names a driver
    assert "rank correlation over 4 runs" in proc.stdout and "not enough runs to rank" in proc.stdout
    verdict = json.loads((tmp_path / "a" / "verdict.json").read_text())
    assert all(v["drivers"] == [] for v in verdict)
    # From the sensitivity folder: its top three uncertain factors.
    out, _ = sens_dir
    proc = citytwin("run", str(DAK_LAK), "--runs", "2", "--out", str(tmp_path / "b"), "--quiet", *_sets(),
                    "--sensitivity", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "by Morris" in proc.stdout
    table = pd.read_csv(out / "sensitivity.csv")
    verdict = {v["id"]: v for v in json.loads((tmp_path / "b" / "verdict.json").read_text())}
    acct = table[(table.target == "national.account_ownership_2025") & (table.mu_star > 0)]
    assert verdict["national.account_ownership_2025"]["drivers"] == acct.factor.head(3).tolist()
    assert verdict["dak_lak.budget_floor"]["drivers"] == []


def test_run_refuses_a_named_folder_without_a_sensitivity(tmp_path):
    (tmp_path / "empty").mkdir()
    proc = citytwin("run", str(DAK_LAK), "--runs", "1", "--out", str(tmp_path / "a"), *_sets(),
                    "--sensitivity", str(tmp_path / "empty"))
    assert proc.returncode == 2 and "--sensitivity" in proc.stderr and "no sensitivity.csv" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / "a").exists()
