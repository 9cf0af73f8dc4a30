"""Cost said before work (issue 9, point 4): too small, too big for memory, more than a day."""

from __future__ import annotations

import pytest
from conftest import DAK_LAK, ROOT

from sim.errors import ScenarioError
from sim.experiments.resources import DAY_S, check_cost, estimate
from sim.inputs.scenario import load_scenario

HAI_PHONG = ROOT / "scenarios" / "hai_phong.toml"


def test_estimate_matches_the_measured_runs():
    """Within the measured range (benchmarks: Hai Phong 1:1 is 3.48 M agents, 0.99 GB, 13-19 s)."""
    cost = estimate(load_scenario(HAI_PHONG, ["ensemble.scale=1"]), runs=1, workers=1)
    assert 3.3e6 < cost.citizens < 3.7e6
    assert 0.99e9 <= cost.bytes <= 1.5e9
    assert 13 <= cost.seconds <= 25


def test_more_than_a_day_needs_yes():
    spec = load_scenario(HAI_PHONG, ["ensemble.scale=1"])
    with pytest.raises(ScenarioError, match=r"about \d+\.\d days; add --yes"):
        check_cost(spec, runs=10_000, workers=2, available=1e15)
    assert check_cost(spec, runs=10_000, workers=2, yes=True, available=1e15).seconds > DAY_S


def test_memory_beyond_the_machine_is_refused_with_the_estimate():
    spec = load_scenario(HAI_PHONG, ["ensemble.scale=1"])
    with pytest.raises(ScenarioError, match=r"need about \d+\.\d GB of memory, 2\.0 GB available"):
        check_cost(spec, runs=4, workers=2, available=2e9)
    check_cost(spec, runs=4, workers=2, available=24e9)  # fits on the 24 GB reference machine


def test_a_scale_that_would_be_raised_is_refused():
    spec = load_scenario(DAK_LAK, ["ensemble.scale=1e-5"])
    with pytest.raises(ScenarioError, match="ensemble.scale 1e-05: too small .* the smallest scale is"):
        check_cost(spec, runs=1, workers=1)
    check_cost(load_scenario(DAK_LAK, ["ensemble.scale=0.002"]), runs=1, workers=1)
