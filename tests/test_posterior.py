"""Bayesian calibration: the importance sampler, its coverage on synthetic data, and the
posterior carried into every run of a calibrated scenario."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import citytwin  # noqa: E402

from sim.errors import ScenarioError  # noqa: E402
from sim.experiments.calibrate import calibrate, model_at  # noqa: E402
from sim.experiments.execution import Execution  # noqa: E402
from sim.inputs.scenario import load_scenario  # noqa: E402
from sim.inputs.uncertainty import draw_assumptions  # noqa: E402
from sim.posterior import sample_posterior  # noqa: E402
from sim.schema import ObservedSpec  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ACCOUNTS = ROOT / "scenarios" / "validation" / "vietnam_accounts.toml"
UPTAKE = "population.account_uptake"


def test_sampler_recovers_a_known_correlated_normal_posterior() -> None:
    """Likelihood N(θ; μ, Σ) with correlation 0.8, flat prior on a wide box: the posterior is
    that normal, so its means, 90% intervals and correlation are known exactly."""
    mu, sd, rho = np.array([0.3, -1.0]), np.array([0.05, 0.2]), 0.8
    cov = np.diag(sd) @ np.array([[1, rho], [rho, 1]]) @ np.diag(sd)
    post = sample_posterior(stats.multivariate_normal(mu, cov).logpdf, ["a", "b"],
                            np.array([[-1.0, 2.0], [-4.0, 3.0]]), draws=600, seed=3)
    assert post.ess > 100  # the adaptive stages concentrate the draws: a prior-only sample would give ~10
    assert np.allclose(post.mean(), mu, atol=0.25 * sd)
    exact = np.column_stack([mu - 1.645 * sd, mu + 1.645 * sd])
    assert np.allclose(post.interval(0.9), exact, atol=0.3 * sd[:, None])
    assert post.correlation()[0, 1] == pytest.approx(rho, abs=0.1)
    assert post.weakly_identified() == []


def test_a_parameter_the_data_do_not_touch_is_reported_weakly_identified() -> None:
    post = sample_posterior(lambda t: stats.norm(0.5, 0.02).logpdf(t[:, 0]), ["seen", "unseen"],
                            np.array([[0.0, 1.0], [0.0, 1.0]]), draws=200, seed=1)
    assert post.weakly_identified() == ["unseen"]
    ratio = dict(zip(post.names, post.identification()))
    assert ratio["seen"] < 0.2 and ratio["unseen"] > 0.8


def test_posterior_covers_the_truth_at_the_nominal_rate_on_synthetic_data() -> None:
    """Twenty fits of the model itself. Each draws a true account uptake from the prior,
    generates Findex-like observations (three years, σ = 0.02) from the model at the truth
    with seeds the fit never uses, adds the observation error, and fits. The 90% credible
    intervals must cover the truth in at least 15 of 20 fits (P(X <= 14) = 1.1% if the
    coverage is 90%) and the 50% intervals in 5 to 15 (4% outside if it is 50%): a posterior
    that is too narrow fails the first, one that is too wide (say the prior) fails the second."""
    base = load_scenario(ACCOUNTS, ["time.end=2013-12", "observed=[]", "ensemble.scale=0.002",
                                    f'free={{"{UPTAKE}" = [0.0, 0.3]}}'])
    obs = [ObservedSpec(year=y, month=m, indicator="account_ownership", value=0.5, sigma=0.02, source="synthetic")
           for y, m in ((2012, 6), (2013, 1), (2013, 12))]
    cover90 = cover50 = 0
    for k in range(20):
        rng = np.random.default_rng([2024, k])
        truth = float(rng.uniform(0.0, 0.3))
        spec = base.model_copy(update={"observed": obs})
        data_seeds = spec.model_copy(update={"ensemble": spec.ensemble.model_copy(update={"seed": 10_000 + 100 * k})})
        model = model_at(data_seeds, {UPTAKE: truth}, runs=2, execution=Execution("inline")).model.to_numpy()
        y = model + rng.normal(0, 0.02, len(obs))
        fit = spec.model_copy(update={"observed": [o.model_copy(update={"value": float(v)}) for o, v in zip(obs, y)]})
        post = calibrate(fit, draws=12, runs=2, execution=Execution("inline")).posterior
        (lo90, hi90), (lo50, hi50) = post.interval(0.9)[0], post.interval(0.5)[0]
        cover90 += lo90 <= truth <= hi90
        cover50 += lo50 <= truth <= hi50
    assert cover90 >= 15, cover90
    assert 5 <= cover50 <= 15, cover50


# --------------------------------------------------------------------------- carried into the ensemble


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A calibrated Findex scenario written by the CLI (few draws: the file's form is tested here)."""
    tmp = tmp_path_factory.mktemp("cal")
    variant = tmp / "accounts_calibrated.toml"
    r = citytwin("calibrate", str(ACCOUNTS), "--draws", "12", "--runs", "2", "--scale", "0.003", "--quiet",
                 "--write", str(variant), "--out", str(tmp / "fit"))
    assert r.returncode == 0, r.stderr
    assert "weakly identified" not in r.stdout and "90% credible" in r.stdout and UPTAKE in r.stdout
    return variant


def test_calibrate_writes_a_loadable_variant_a_fit_plot_and_the_posterior(calibrated: Path) -> None:
    fitted, original = load_scenario(calibrated), load_scenario(ACCOUNTS)
    assert fitted.population.account_uptake != original.population.account_uptake
    assert fitted.observed == original.observed  # the variant keeps the history it was fitted to
    assert calibrated.read_text().startswith("# Calibrated by: citytwin calibrate")
    out = calibrated.parent / "fit"
    assert (out / "fit.png").stat().st_size > 10_000
    assert {"fit.csv", "draws.csv", "posterior.csv", "calibration.json"} <= {p.name for p in out.iterdir()}
    summary = json.loads((out / "calibration.json").read_text())
    lo, hi = summary["credible_90"][UPTAKE]
    assert lo <= summary["best"][UPTAKE] <= hi and summary["weakly_identified"] == []
    assert 1 <= summary["effective_sample_size"] <= 12


def test_every_run_draws_a_posterior_row_by_weight_the_same_in_every_variant(calibrated: Path) -> None:
    spec = load_scenario(calibrated, ["ensemble.uncertainty=true"])
    post = spec.posterior
    assert post is not None and post.parameters == [UPTAKE]
    rows = [draw_assumptions(spec, seed)[1][UPTAKE] for seed in range(400)]
    samples = [s[0] for s in post.samples]
    assert set(rows) <= set(samples)
    # rows appear in proportion to their weights (the heaviest within binomial noise)
    heaviest = int(np.argmax(post.weights))
    share = np.mean([r == samples[heaviest] for r in rows])
    w = post.weights[heaviest] / sum(post.weights)
    assert abs(share - w) < 3 * np.sqrt(w * (1 - w) / 400) + 0.01
    # paired: another policy variant of the same scenario draws the same row for the same run
    other = load_scenario(calibrated, ["ensemble.uncertainty=true", "budget.dx_share=0.05"])
    assert [draw_assumptions(other, seed)[1][UPTAKE] for seed in range(50)] == rows[:50]


def test_the_posterior_supersedes_the_prior_and_uncertainty_false_pins_the_best(calibrated: Path) -> None:
    """A calibrated value outside the literature prior loads (the posterior replaces the prior),
    and with ensemble.uncertainty=false the runs use the best draw."""
    spec = load_scenario(calibrated, ["ensemble.uncertainty=true",
                                      f'priors={{"{UPTAKE}" = {{ range = [0.9, 1.0], source = "test: far" }}}}'])
    drawn = {draw_assumptions(spec, s)[1][UPTAKE] for s in range(20)}
    assert all(v < 0.9 for v in drawn)
    pinned = load_scenario(calibrated)  # the validation scenarios pin their assumptions
    assert pinned.ensemble.uncertainty is False
    assert pinned.population.account_uptake == pytest.approx(max(
        zip(spec.posterior.weights, spec.posterior.samples))[1][0], rel=0.5)  # near the heaviest draw


@pytest.mark.parametrize("posterior,message", [
    ('{parameters = ["population.nothing"], samples = [[0.1]], weights = [1.0], source = "test"}',
     "population.nothing is not a number of the scenario"),
    ('{parameters = ["population.account_uptake"], samples = [[0.1, 0.2]], weights = [1.0], source = "test"}',
     "expected 1 values"),
    ('{parameters = ["population.account_uptake"], samples = [[0.1]], weights = [1.0, 2.0], source = "test"}',
     "one weight per sample"),
    ('{parameters = ["population.account_uptake"], samples = [[-5.0]], weights = [1.0], source = "test"}',
     "the sample -5.0 of population.account_uptake is not allowed"),
])
def test_a_broken_posterior_is_one_line(posterior: str, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(ACCOUNTS, [f"posterior={posterior}"])
    assert message in str(err.value) and "\n" not in str(err.value)


def test_sensitivity_varies_a_calibrated_parameter_over_its_posterior_not_its_prior(calibrated: Path) -> None:
    from sim.experiments.sensitivity import factors

    spec = load_scenario(calibrated, ["ensemble.uncertainty=true"])
    mine = [f for f in factors(spec) if f.key == UPTAKE]
    assert len(mine) == 1 and mine[0].kind == "posterior"
    samples = [s[0] for s in spec.posterior.samples]
    assert min(samples) <= mine[0].low <= mine[0].high <= max(samples)  # one row may carry it all (12 draws)
    prior = spec.priors[UPTAKE].bounds(spec.population.account_uptake)
    assert (mine[0].low, mine[0].high) != prior
