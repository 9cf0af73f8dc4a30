"""Probabilities with their error: the Wilson interval and statuses called only when decided."""

from __future__ import annotations

import numpy as np
import pytest

from sim.outputs.verdict import runs_to_decide, status_of, wilson


@pytest.mark.parametrize("p", [0.05, 0.2, 0.5, 0.9])
def test_wilson_interval_covers_at_its_nominal_rate(p):
    """Over many ensembles of 20 and 100 runs, the 95% interval holds the true P(reach) about
    95% of the time (Wilson's interval is close to nominal even near 0 and 1)."""
    rng = np.random.default_rng(3)
    for n in (20, 100):
        k = rng.binomial(n, p, size=4000)
        low, high = np.array([wilson(int(x), n) for x in k]).T
        coverage = ((low <= p) & (p <= high)).mean()
        assert 0.92 <= coverage <= 0.99, (p, n, coverage)


def test_status_only_when_the_interval_is_on_one_side():
    assert status_of(0, 20) == "OFF TRACK" and status_of(20, 20) == "ON TRACK"
    assert status_of(50, 100) == "AT RISK"                 # [0.40, 0.60]
    assert status_of(3, 20).startswith("UNDECIDED")        # [0.05, 0.36] straddles 0.2
    assert status_of(0, 3).startswith("UNDECIDED")         # three runs cannot rule out 0.2
    # More runs at the same share decide it; a share on a line is never decided.
    more = runs_to_decide(0.1, 20)
    assert more is not None and more > 20 and status_of(round(0.1 * more), more) == "OFF TRACK"
    assert runs_to_decide(0.2, 20) is None


def test_values_print_as_their_kind() -> None:
    from sim.outputs.verdict import format_value

    assert format_value(0.523, "online_services_uptake") == "52.3%"
    assert format_value(0.092, "labour_productivity_growth") == "9.2%"
    assert format_value(1.23, "tfp_contribution_share") == "123.0%"  # a share of growth, not held to 1
    assert format_value(2.7, "dti_proxy_rank") == "3" and format_value(1.0, "dti_proxy_rank") == "1"
    assert format_value(0.8, "backoffice_wait_days") == "0.8"
    assert format_value(1.0, "world_leading_digital_firms_attracted") == "1"  # an unmodelled count, not 100%
    assert format_value(None, "online_services_uptake") == "-"
    assert format_value(3.97e11, "dx_spent_awareness_vnd") == "VND 397 bn"  # money in billions, never 3.97e+11
    assert format_value(12_345.0, "fibre_households") == "12,345" and format_value(543.2, "sites_5g_built") == "543"


def _table(name: str, paths: list[list[float]]):
    """A RunTable of one indicator (one path of yearly values per run), with the floor's money beside it."""
    from sim.experiments.ensemble import RunResult, RunTable

    years = np.arange(2025, 2025 + len(paths[0]))
    names = [name, "dx_spent_vnd", "dx_spent_unmodelled_vnd"]
    return RunTable(runs=[RunResult(run=r, seed=r, years=years, months=np.full(len(years), 12), names=names,
                                    values=np.array([[v, 1e9, 1e8] for v in path]), communes=[], citizens=1,
                                    businesses=1, build_seconds=0.0, run_seconds=0.0, parameters={})
                          for r, path in enumerate(paths)])


def test_a_share_the_plan_sets_is_decided_by_the_plan_however_few_the_runs() -> None:
    """Three runs cannot decide an outcome the runs produce; they can read the plan's own share."""
    from sim.inputs.targets import Target
    from sim.outputs.verdict import judge

    floor = Target("floor", "dx_budget_share", ">=", 0.03, 2025, "test", every_year=True)
    met = judge(floor, _table("dx_budget_share", [[0.03, 0.03]] * 3))
    assert (met.status, met.probability, met.probability_low, met.probability_high) == ("ON TRACK", 1.0, 1.0, 1.0)
    missed = judge(floor, _table("dx_budget_share", [[0.02, 0.02]] * 3))
    assert (missed.status, missed.probability_high) == ("OFF TRACK", 0.0)
    # the same numbers on an outcome of the runs: three runs alike are no proof, the interval stays
    uptake = judge(Target("up", "online_services_uptake", ">=", 0.03, 2025, "test"),
                   _table("online_services_uptake", [[0.03, 0.03]] * 3))
    assert uptake.status.startswith("UNDECIDED") and uptake.probability_low < 1.0
    # a floor that differs between runs (a share drawn, say) is estimated like any outcome
    drawn = judge(floor, _table("dx_budget_share", [[0.03, 0.03], [0.031, 0.03], [0.03, 0.032]]))
    assert drawn.status.startswith("UNDECIDED") and drawn.probability == 1.0 > drawn.probability_low
