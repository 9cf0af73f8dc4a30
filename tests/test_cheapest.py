"""`citytwin seek --cost`: the cheapest budget share and DX split reaching a goal, and the trade-off."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import DAK_LAK, assert_refused, citytwin

import sim.experiments.cheapest as costing
from sim.experiments.cheapest import SHARE, cheapest, frontier
from sim.experiments.execution import Execution
from sim.inputs.scenario import load_scenario
from sim.inputs.targets import resolve_targets


@pytest.fixture
def runs_that_need_skills(monkeypatch):
    """Run r reaches the goal when the money for skills (share x skills weight) clears its own bar."""
    bars = np.linspace(0.002, 0.006, 8)

    def outcome(job):
        share, spec, run = job[0], job[1], job[2]
        return share, run, share * spec.budget.allocation["skills"] >= bars[run % len(bars)]

    monkeypatch.setattr(costing, "reach_job", outcome)


def _spec():
    spec = load_scenario(DAK_LAK, ["ensemble.runs=8", "ensemble.scale=0.003"])
    return spec, [t for t in resolve_targets(spec) if t.id == "dak_lak.cashless_2030"]


def test_the_cheapest_split_puts_the_money_where_it_works(runs_that_need_skills):
    spec, targets = _spec()
    result = cheapest(spec, targets, "t", probability=0.5, low=0.0, high=0.1, trials=30, execution=Execution("inline"))
    t = result.trials
    assert result.best is not None
    best = t.loc[result.best]
    assert best.probability >= 0.5 and best.cost_vnd == t[t.probability >= 0.5].cost_vnd.min()
    # Re-splitting towards skills beats the scenario's own split (15% skills) at the same share.
    assert best["budget.allocation.skills"] > 0.15 and t.loc[result.own_split].probability < best.probability
    assert result.confirmed is not None and result.confirmed / result.runs >= 0.5  # the same bars: confirmed
    front = frontier(t)
    assert (np.diff(front.probability) > 0).all() and (np.diff(front.cost_vnd) > 0).all()
    # The first trial is the scenario as it is.
    assert t.loc[0, SHARE] == spec.budget.dx_share
    assert t.loc[0, "budget.allocation.skills"] == pytest.approx(spec.budget.allocation["skills"])
    again = cheapest(spec, targets, "t", probability=0.5, low=0.0, high=0.1, trials=30, execution=Execution("inline"))
    assert again.trials.equals(t)  # seeded: the same trials
    assert "cheapest with P >= 0.5" in result.summary()


def test_no_split_reaching_the_bar_is_said(monkeypatch):
    monkeypatch.setattr(costing, "reach_job", lambda job: (job[0], job[2], False))
    spec, targets = _spec()
    result = cheapest(spec, targets, "t", trials=5, execution=Execution("inline"))
    assert result.best is None and result.own_split is None and "no split tried reaches" in result.summary()


def test_cli_cost_mode_writes_the_trade_off(tmp_path):
    out = tmp_path / "cost"
    proc = citytwin("seek", str(DAK_LAK), "--target", "dak_lak.budget_floor", "--cost", "--trials", "3",
                    "--lever", "budget.dx_share=0.01:0.06", "--runs", "2", "--scale", "0.003",
                    "--set", 'time.end="2026-12"', "--set", 'targets.goals=["dak_lak.budget_floor"]',
                    "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    answer = json.loads((out / "cost.json").read_text())
    assert answer["cheapest"][SHARE] >= 0.03  # the 3% floor
    assert answer["trade_off"] and (out / "trials.csv").exists()
    assert (out / "figures" / "cost_tradeoff.png").stat().st_size > 10_000


@pytest.mark.parametrize("args,words", [
    (["--trials", "1"], ["--trials 1"]),
    (["--lever", "budget.disbursement=0.5:1"], ["--cost searches budget.dx_share"]),
])
def test_bad_input_is_one_line_and_status_2(tmp_path, args, words):
    out = tmp_path / "out"
    proc = citytwin("seek", str(DAK_LAK), "--target", "dak_lak.budget_floor", "--cost", "--out", str(out), *args)
    assert_refused(proc, words, out)
