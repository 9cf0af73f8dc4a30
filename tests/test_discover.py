"""Scenario discovery (`citytwin discover`): the region of the uncertain assumptions where a target fails."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import DAK_LAK, assert_refused, citytwin

import sim.experiments.discover as discovering
from sim.experiments.discover import Discovery, _prim, discover
from sim.experiments.execution import Execution
from sim.inputs.scenario import load_scenario
from sim.inputs.targets import resolve_targets


def _found(x: pd.DataFrame, fails: np.ndarray) -> Discovery:
    return Discovery("s", "t", len(x), 1, 0.1, x, fails, pd.DataFrame(), None, pd.DataFrame())


def test_prim_finds_a_planted_region_and_drops_what_is_chance():
    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.random((300, 6)), columns=["a", "b", "c", "d", "e", "f"])
    fails = ((x.a < 0.3) & (x.b > 0.5)).to_numpy() | (rng.random(300) < 0.03)
    found = _found(x, fails)
    _prim(found)
    assert sorted(found.limits.index) == ["a", "b"] and (found.limits.qp <= 0.05).all()
    assert found.limits.loc["a", "high"] == pytest.approx(0.3, abs=0.03)
    assert found.limits.loc["b", "low"] == pytest.approx(0.5, abs=0.03)
    assert found.stats["coverage"] >= 0.8 and found.stats["density"] >= 0.9
    assert found.conditions() == [f"a < {found.limits.loc['a', 'high']:.4g}", f"b > {found.limits.loc['b', 'low']:.4g}"]


def test_failures_with_no_pattern_give_no_region():
    rng = np.random.default_rng(2)
    x = pd.DataFrame(rng.random((200, 8)), columns=list("abcdefgh"))
    found = _found(x, rng.random(200) < 0.3)
    _prim(found)
    assert found.chosen is None and "no region" in found.summary()


@pytest.mark.parametrize("share,words", [(0.0, "never fails"), (1.0, "fails in every run")])
def test_a_target_that_always_or_never_fails_says_so(monkeypatch, share, words):
    def outcome(job):
        run = job[1]
        return run, {"baseline.digital_skill": 0.3 + run / 100}, run >= share * 10

    monkeypatch.setattr(discovering, "_drawn_and_reached", outcome)
    spec = load_scenario(DAK_LAK, ["ensemble.runs=10"])
    targets = [t for t in resolve_targets(spec) if t.id == "dak_lak.cashless_2030"]
    found = discover(spec, targets, "dak_lak.cashless_2030", execution=Execution("inline"))
    assert found.chosen is None and words in found.summary()


def test_cli_finds_where_the_smartphone_goal_fails(tmp_path):
    """Vietnam's 80% smartphone goal for 2025 fails in the runs that start with few smartphones."""
    out = tmp_path / "disc"
    proc = citytwin("discover", str(DAK_LAK), "--target", "national.smartphone_2025",
                    "--scale", "0.003", "--set", 'time.end="2025-12"',
                    "--set", 'targets.goals=["national.smartphone_2025"]', "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    answer = json.loads((out / "discover.json").read_text())
    assert 0 < answer["failures"] < 200
    assert [b["factor"] for b in answer["box"]][0] == "baseline.smartphone_ownership"
    assert answer["coverage"] >= 0.8 and answer["density"] > 2 * answer["failures"] / 200
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 200 and runs.fails.sum() == answer["failures"]
    assert (out / "figures" / "discover.png").stat().st_size > 10_000
    assert "mainly when baseline.smartphone_ownership <" in proc.stdout


@pytest.mark.parametrize("args,words", [
    (["--target", "nope"], ["--target nope", "not a modelled target"]),
    (["--target", "dak_lak.cashless_2030", "--set", "ensemble.uncertainty=false"], ["nothing is drawn"]),
    (["--target", "dak_lak.cashless_2030", "--runs", "0"], ["ensemble.runs"]),
])
def test_bad_input_is_one_line_and_status_2(tmp_path, args, words):
    out = tmp_path / "out"
    proc = citytwin("discover", str(DAK_LAK), "--out", str(out), *args)
    assert_refused(proc, words, out)
