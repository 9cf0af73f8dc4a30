"""The forward scenarios recalibrated with 2025's evidence (issue 28, point 5): each observation is
the province's own published outcome, taken after the cutoff, and the calibrated file carries a
posterior inside the range it was fitted over."""

from __future__ import annotations

import re
import tomllib
from datetime import date

import pytest
from conftest import ROOT

from sim.inputs.scenario import load_scenario

FOLDER = ROOT / "scenarios" / "recalibrated"
OUTCOMES = {o["id"]: o for o in
            tomllib.loads((ROOT / "seeds" / "outcomes.toml").read_text(encoding="utf-8"))["outcome"]}
RECALIBRATED = sorted(p.name for p in FOLDER.glob("*_2025.toml"))


def test_there_are_recalibrated_scenarios() -> None:
    assert RECALIBRATED and all((FOLDER / n.replace(".toml", "_calibrated.toml")).exists() for n in RECALIBRATED)


@pytest.mark.parametrize("name", RECALIBRATED)
def test_each_observation_is_the_provinces_own_outcome_published_after_the_cutoff(name: str) -> None:
    spec = load_scenario(FOLDER / name)
    assert spec.observed
    for o in spec.observed:
        cited = re.search(r"seeds/outcomes\.toml#([a-z_0-9.]+[a-z0-9])", o.source)
        assert cited, o.source
        outcome = OUTCOMES[cited.group(1)]
        assert outcome["comparable"] and outcome["province"] == spec.province.code
        assert (o.indicator, o.year, o.month, o.value) == (outcome["indicator"], outcome["year"], outcome["month"],
                                                          outcome["value"])
        assert date.fromisoformat(outcome["published"]) > date(2024, 12, 31)


@pytest.mark.parametrize("name", RECALIBRATED)
def test_the_calibrated_scenario_carries_a_posterior_inside_the_fitted_range(name: str) -> None:
    fitted = load_scenario(FOLDER / name)
    calibrated = load_scenario(FOLDER / name.replace(".toml", "_calibrated.toml"))
    assert calibrated.posterior is not None and set(calibrated.posterior.parameters) == set(fitted.free)
    for i, key in enumerate(calibrated.posterior.parameters):
        low, high = fitted.free[key]
        assert all(low <= s[i] <= high for s in calibrated.posterior.samples), key
    # the best draw is what the calibrated scenario runs with when no posterior is drawn
    best = calibrated.economy.production.grdp_growth_history.value
    low, high = fitted.free["economy.production.grdp_growth_history"]
    assert low <= best <= high
    shipped = load_scenario(ROOT / "scenarios" / name.replace("_2025.toml", ".toml"))
    assert calibrated.targets == shipped.targets  # the same goals are judged before and after
