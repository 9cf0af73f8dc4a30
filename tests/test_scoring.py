"""The scoring arithmetic (issue 28) on synthetic forecasts whose right answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.experiments.scoring import (
    coverage,
    last_trend,
    no_change,
    point_crps,
    reliability,
    score_figure,
    score_probabilities,
)


def test_crps_and_interval_score_of_known_forecasts() -> None:
    rng = np.random.default_rng(0)
    s = score_figure(rng.standard_normal(100_000), 0.0)
    # CRPS of N(0, 1) at its mean: 2 phi(0) - 1/sqrt(pi) = 0.2337
    assert s.crps == pytest.approx(2 / math.sqrt(2 * math.pi) - 1 / math.sqrt(math.pi), abs=0.003)
    assert s.covered and s.low == pytest.approx(-1.645, abs=0.03) and s.median == pytest.approx(0.0, abs=0.02)
    assert s.interval_score == pytest.approx(s.high - s.low)  # covered: the width alone
    outside = score_figure(np.linspace(0.0, 1.0, 101), 2.0)
    # width 0.9, plus 2/0.1 times the 1.05 by which 2.0 lies above the 95th percentile (0.95)
    assert not outside.covered and outside.interval_score == pytest.approx(0.9 + 20 * 1.05)
    assert outside.error == pytest.approx(0.5 - 2.0)
    # A sharp, right forecast beats a vague one; an ensemble of one point scores its absolute error.
    assert score_figure(rng.normal(0, 0.1, 1000), 0.0).crps < s.crps
    assert score_figure(np.full(10, 0.3), 0.5).crps == pytest.approx(point_crps(0.3, 0.5)) == pytest.approx(0.2)


def test_calibrated_forecasts_cover_at_the_nominal_rate() -> None:
    rng = np.random.default_rng(1)
    scores = [score_figure(rng.standard_normal(60), rng.standard_normal()) for _ in range(2000)]
    # 60 runs estimate the 5-95% band with noise, so the rate sits a little under 0.9
    assert 0.85 <= coverage(scores) <= 0.92
    narrow = [score_figure(0.3 * rng.standard_normal(60), rng.standard_normal()) for _ in range(2000)]
    assert coverage(narrow) < 0.5  # an overconfident forecaster is caught


def test_naive_forecasts() -> None:
    history = [(2022.0, 0.10), (2023.0, 0.14), (2024.0, 0.18), (2026.0, 0.5)]
    assert no_change(history, 2025.0) == 0.18  # nothing after the cutoff is used
    assert last_trend(history, 2025.0) == pytest.approx(0.22)
    assert last_trend(history[:1], 2025.0) == 0.10
    with pytest.raises(ValueError):
        no_change(history, 2020.0)


def test_probability_scores_against_the_base_rate() -> None:
    outcomes = np.array([1, 0, 0, 1, 0, 0, 0, 1])
    perfect = score_probabilities(outcomes.astype(float), outcomes, floor=0.0)
    assert perfect.brier == 0.0 and perfect.brier_skill == 1.0
    base = score_probabilities(np.full(8, outcomes.mean()), outcomes)
    assert base.brier_skill == pytest.approx(0.0) and base.log_skill == pytest.approx(0.0)
    assert base.brier == pytest.approx(outcomes.mean() * (1 - outcomes.mean()))
    wrong = score_probabilities(1.0 - outcomes, outcomes)
    assert wrong.brier_skill < 0 and math.isfinite(wrong.log)  # certainty that is wrong: finite, held off 0 and 1
    with pytest.raises(ValueError):
        score_probabilities([0.5], [1, 0])
    one_way = score_probabilities([0.75, 0.9], [1, 1])  # every goal reached: the base rate is certainty
    assert not one_way.informative and math.isnan(one_way.brier_skill)
    assert one_way.brier == pytest.approx((0.25**2 + 0.1**2) / 2)


def test_reliability_bins_follow_the_verdicts_lines() -> None:
    rows = reliability([0.0, 0.1, 0.5, 0.9, 1.0, 1.0], [0, 0, 1, 1, 1, 0])
    assert [r["goals"] for r in rows] == [2, 1, 3]
    assert rows[0]["reached"] == 0.0 and rows[2]["forecast"] == pytest.approx(0.9667, abs=1e-3)
    assert rows[2]["reached"] == pytest.approx(2 / 3)


def test_every_figure_and_outcome_carries_its_publication_date() -> None:
    """A forecast 'as of' a date may use only what was published by then: every figure the scenarios
    cite and every 2025 outcome says when it was published, and why that date."""
    import csv
    import re
    import tomllib

    from conftest import ROOT

    figures = tomllib.loads((ROOT / "seeds" / "figures.toml").read_text(encoding="utf-8"))["figure"]
    with open(ROOT / "seeds" / "research" / "outcomes.csv", encoding="utf-8") as f:
        outcomes = list(csv.DictReader(f))
    date = re.compile(r"^(19|20)\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
    for fig in figures:
        assert date.match(fig["published"]) and len(fig["published_basis"]) > 10, fig["id"]
    assert all(date.match(o["published"]) for o in outcomes)
    assert all(o["published"] > "2025-01-01" for o in outcomes if o["period"].startswith("2025"))
