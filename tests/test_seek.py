"""Goal seeking (`citytwin seek`): the smallest lever value reaching a target with a probability.

The search is checked on runs with known thresholds (a stand-in for the model: each run reaches
the target from its own lever value on), then end to end on the real model and the command line.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import DAK_LAK, assert_refused, citytwin

import sim.experiments.outcomes as outcomes
import sim.experiments.seek as seeking
from sim.experiments.ensemble import run_one
from sim.experiments.execution import Execution
from sim.experiments.outcomes import horizon, run_reaches
from sim.experiments.seek import Outcomes, ranks, seek
from sim.inputs.scenario import load_scenario
from sim.inputs.targets import resolve_targets

SMALL = ["ensemble.scale=0.003"]


def _spec(runs: int):
    return load_scenario(DAK_LAK, [*SMALL, f"ensemble.runs={runs}"])


def _target(spec, tid: str = "dak_lak.online_services_2030"):
    return [t for t in resolve_targets(spec) if t.id == tid]


@pytest.fixture
def thresholds(monkeypatch):
    """Runs that reach the target from their own lever value on (given per run), counted."""
    calls: list[tuple[float, int]] = []
    table: dict[str, np.ndarray] = {}

    def outcome(job: tuple) -> tuple[float, int, bool]:
        x, run = job[0], job[2]
        calls.append((x, run))
        t = table["t"][run]
        return x, run, bool(t(x) if callable(t) else x >= t)

    monkeypatch.setattr(seeking, "reach_job", outcome)
    return table, calls


def test_the_answer_is_the_quantile_of_the_runs_thresholds(thresholds):
    table, calls = thresholds
    runs = 40
    spec = _spec(runs)
    table["t"] = np.random.default_rng(1).uniform(0.01, 0.09, runs)
    res = seek(spec, _target(spec), "t", low=0.0, high=0.1, probability=0.8, execution=Execution("inline"))
    k, k_low, k_high = ranks(runs, 0.8)
    t = np.sort(table["t"])
    step = 0.1 / 2 ** seeking.STEPS
    assert res.reachable
    # The answer is the k-th smallest threshold, from above, to within the search's step.
    assert t[k - 1] <= res.value <= t[k - 1] + step
    lo, hi = res.interval
    assert t[k_low - 1] <= lo <= t[k_low - 1] + step and lo <= res.value
    assert hi is None if k_high > runs else t[k_high - 1] <= hi <= t[k_high - 1] + step
    # Every run was run at the answer and at the high end; far fewer elsewhere (implied).
    assert res.probability_at_value == np.mean(table["t"] <= res.value) >= 0.8
    assert res.evaluations == len(calls) == len(set(calls)) < runs * len(res.candidates) / 2
    assert res.not_monotone == 0


def test_out_of_reach_is_said_after_the_high_end_alone(thresholds):
    table, calls = thresholds
    spec = _spec(20)
    table["t"] = np.r_[np.full(10, 0.05), np.full(10, np.inf)]  # half the runs never get there
    res = seek(spec, _target(spec), "t", low=0.0, high=0.1, execution=Execution("inline"))
    assert not res.reachable and res.value is None and res.probability_at_high == 0.5
    assert {x for x, _ in calls} == {0.1} and len(calls) == 20
    assert "out of reach" in res.summary()


def test_the_low_end_itself_when_it_suffices(thresholds):
    table, _ = thresholds
    spec = _spec(10)
    table["t"] = np.full(10, -1.0)
    res = seek(spec, _target(spec), "t", low=0.0, high=0.1, execution=Execution("inline"))
    assert res.value == 0.0 and res.probability_at_value == 1.0


def test_a_run_against_the_monotone_rule_is_run_not_implied(thresholds):
    """A run that reaches at one value and fails at a larger one would be implied to reach at the
    answer; the direct check at the answer runs it, and the search goes on above until the runs
    there really reach the target."""
    table, _ = thresholds
    runs = 10
    spec = _spec(runs)
    table["t"] = [(lambda x, t=0.06 + 0.001 * r: x >= t) for r in range(9)]
    table["t"].append(lambda x: 0.045 <= x < 0.055 or x >= 0.09)  # reaches early, then not until 0.09
    res = seek(spec, _target(spec), "t", low=0.0, high=0.1, probability=1.0, execution=Execution("inline"))
    assert res.reachable and res.probability_at_value == 1.0
    assert 0.09 <= res.value <= 0.09 + 0.1 / 2 ** seeking.STEPS
    assert res.not_monotone == 1 and "failed at a larger one" in res.notes[0]


def test_ranks_bracket_the_required_share():
    for runs in (10, 60, 200):
        for p in (0.5, 0.8, 0.95):
            k, k_low, k_high = ranks(runs, p)
            assert k_low <= k <= k_high and k == math.ceil(p * runs - 1e-9)


def test_outcomes_imply_only_without_conflict():
    o = Outcomes(3)
    o.record(0.05, 0, True)
    o.record(0.05, 1, False)
    o.record(0.02, 2, True)
    o.record(0.08, 2, False)   # run 2 breaks the rule: nothing is implied for it in between
    assert o.at(0.07).tolist() == [1, -1, -1]
    assert o.at(0.03).tolist() == [-1, 0, -1]
    assert o.not_monotone() == 1


def test_a_shorter_horizon_changes_no_outcome():
    """Runs stop after the targets' last year: the year-end values they judge are the full run's."""
    spec = load_scenario(DAK_LAK, [*SMALL, "ensemble.runs=2"])
    targets = _target(spec) + _target(spec, "dak_lak.cashless_2030")
    short = horizon(spec, targets)
    assert short.time.end == "2030-12" and spec.time.end_year > 2030
    for r in range(2):
        full, cut = run_one(spec, r), run_one(short, r)
        assert np.array_equal(full.values[:len(cut.years)], cut.values)
        assert run_reaches(targets, full).tolist() == run_reaches(targets, cut).tolist()
    # A floor that must hold to the end keeps the whole horizon.
    assert horizon(spec, _target(spec, "dak_lak.budget_floor")) is spec


def test_cli_finds_the_budget_floor(tmp_path):
    """The Resolution 57 floor (3% of spending, every year) is reached exactly from dx_share = 3%."""
    out = tmp_path / "seek"
    proc = citytwin("seek", str(DAK_LAK), "--target", "dak_lak.budget_floor", "--lever", "budget.dx_share=0.01:0.05",
                    "--runs", "3", "--scale", "0.003", "--set", 'time.end="2027-12"',
                    "--set", 'targets.goals=["dak_lak.budget_floor"]', "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    answer = json.loads((out / "seek.json").read_text())
    assert answer["reachable"] and 0.03 <= answer["value"] <= 0.03 + 0.04 / 2 ** seeking.STEPS
    assert answer["probability_at_value"] == 1.0 and answer["lever"] == "budget.dx_share"
    assert {"value", "interval", "probability_at_value", "reachable", "curve"} <= set(answer)
    assert (out / "figures" / "seek_curve.png").stat().st_size > 10_000
    assert (out / "seek_curve.csv").exists() and (out / "manifest.json").exists()
    assert "from budget.dx_share = 0.03" in proc.stdout


@pytest.mark.parametrize("args,words", [
    (["--target", "nope"], ["--target nope", "not a modelled target"]),
    (["--target", "dak_lak.budget_floor", "--lever", "budget.nothing=0:1"], ["budget.nothing", "not a number"]),
    (["--target", "dak_lak.budget_floor", "--lever", "budget.dx_share=0.2:0.1"], ["LOW < HIGH"]),
    (["--target", "dak_lak.budget_floor", "--lever", "budget.dx_share=0:2"], ["2 is not allowed"]),
    (["--target", "dak_lak.budget_floor", "--lever", "budget.dx_share=a:b"], ["KEY=LOW:HIGH"]),
    (["--target", "dak_lak.budget_floor", "--lever", "behaviour.online_services.p"], ["give the range"]),
    (["--target", "dak_lak.budget_floor", "--probability", "0"], ["--probability 0"]),
    (["--target", "dak_lak.budget_floor", "--runs", "0"], ["ensemble.runs"]),
])
def test_bad_input_is_one_line_and_status_2(tmp_path, args, words):
    out = tmp_path / "out"
    proc = citytwin("seek", str(DAK_LAK), "--out", str(out), *args)
    assert_refused(proc, words, out)


def test_target_all_needs_every_target_in_the_same_run(monkeypatch):
    """`--target all`: a run counts only if it reaches every modelled target."""
    from sim.experiments.ensemble import RunResult

    spec = _spec(1)
    both = _target(spec) + _target(spec, "dak_lak.cashless_2030")
    years = np.repeat(np.arange(2025, 2031), 12)

    def fake(uptake: float, cashless: float) -> RunResult:
        values = np.tile([uptake, cashless], (len(years), 1))
        return RunResult(0, 1, years, np.tile(np.arange(1, 13), 6), ["online_services_uptake", "cashless_share"],
                         values, [], 1, 1, 0.0, 0.0)

    for (uptake, cashless), expected in (((0.9, 0.9), True), ((0.9, 0.5), False), ((0.5, 0.9), False)):
        monkeypatch.setattr(outcomes, "run_one", lambda *a, u=uptake, c=cashless: fake(u, c))
        assert outcomes.reach_job((0.05, spec, 0, 0.003, 1, None, both))[2] is expected
    assert outcomes.reach_job((0.05, spec, 0, 0.003, 1, None, both[:1]))[2] is False  # uptake 0.5 alone fails
