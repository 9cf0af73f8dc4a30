"""Validation against references: the Bass equation, a plain-Mesa twin, common random numbers, history."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "validation"))

import experiments as vx  # noqa: E402
from conftest import citytwin  # noqa: E402

from sim.inputs.scenario import load_scenario  # noqa: E402
from sim.validation import MONTH, bass_closed_form, bass_monthly, monthly_step_bound  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ACCOUNTS = ROOT / "scenarios" / "validation" / "vietnam_accounts.toml"


# --------------------------------------------------------------------------- 1. Bass, exactly


def test_step_error_bound_holds_and_is_tight_over_a_grid() -> None:
    """The derived bound B covers the monthly map's gap to the closed form, and is not loose."""
    ratios = []
    for p in (0.0005, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0):
        for q in (0.05, 0.1, 0.38, 0.8, 1.5, 3.0):
            months = 12 * 80
            gap = np.abs(bass_monthly(p, q, months) - bass_closed_form(p, q, MONTH * np.arange(1, months + 1)))
            ratios.append(gap.max() / monthly_step_bound(p, q))
    assert max(ratios) <= 1.0
    assert max(ratios) > 0.8  # the bound is the size of the error, not a safe over-estimate


@pytest.mark.parametrize("p,q", vx.BASS_CASES)
def test_mean_field_engine_follows_the_bass_curve(p: float, q: float) -> None:
    # 12 runs of ~10,000 citizens: enough runs that their spread is a reliable standard error
    runs = vx.bass_ensemble(p, q, runs=12, scale=0.004)
    months = runs.shape[1]
    t = MONTH * np.arange(1, months + 1)
    mean = runs.mean(axis=0)
    se = runs.std(axis=0, ddof=1) / np.sqrt(len(runs))
    noise = 4 * se + 1e-3  # sampling error of the ensemble mean (and 1/N granularity)
    # The engine is the monthly map, up to sampling error ...
    assert np.all(np.abs(mean - bass_monthly(p, q, months)) <= noise)
    # ... so it follows the closed form within the error of a monthly step.
    bound = monthly_step_bound(p, q)
    assert np.all(np.abs(mean - bass_closed_form(p, q, t)) <= bound + noise)
    # The check can fail: a curve with 10% more imitation lies outside it.
    assert np.any(np.abs(mean - bass_closed_form(p, 1.1 * q, t)) > bound + noise)
    assert mean[-1] > 0.95  # and diffusion runs its course within the 20 years


def test_bass_parameters_are_settable_per_year_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "bass"
    r = citytwin("run", "scenarios/validation/bass.toml", "--runs", "1", "--scale", "0.005", "--quiet",
                 "--set", "behaviour.online_services.p=0.05", "--set", "behaviour.online_services.q=0.2",
                 "--out", str(out))
    assert r.returncode == 0, r.stderr
    import pandas as pd

    df = pd.read_csv(out / "indicators.csv")
    f = df[df.indicator == "online_services_adoption"].value.to_numpy()
    t = MONTH * np.arange(1, len(f) + 1)
    assert np.abs(f - bass_closed_form(0.05, 0.2, t)).max() < monthly_step_bound(0.05, 0.2) + 0.02


# --------------------------------------------------------------------------- 2. the plain-Mesa twin

TWIN_SEEDS = range(1, 61)
ALPHA = 0.01 / len(vx.CHECK_MONTHS + (None,))  # Bonferroni over the compared statistics


def test_engine_and_plain_mesa_twin_agree_in_distribution() -> None:
    """Same rule, same contact network per seed, N ~ 2,000, 60 seeds: no KS test rejects."""
    engine, twin, n = vx.twin_ensembles(TWIN_SEEDS)
    assert 1800 <= n <= 2200
    rows = vx.agreement(engine, twin)
    assert all(r.ks_p > ALPHA for r in rows), [(r.statistic, r.ks_p) for r in rows]
    # and the means agree closely, not just "not significantly different"
    assert all(abs(r.engine_mean - r.twin_mean) < 0.02 + 0.02 * abs(r.twin_mean) for r in rows)


def test_twin_comparison_detects_a_different_rule() -> None:
    """Power check: with 25% more imitation in the twin the same test rejects."""
    engine, twin, _ = vx.twin_ensembles(range(1, 31), twin_q=1.25 * vx.TWIN_Q)
    assert min(r.ks_p for r in vx.agreement(engine, twin)) < ALPHA


# --------------------------------------------------------------------------- 3. common random numbers


def test_paired_seeds_shrink_the_variance_of_a_policy_difference() -> None:
    """As planners run it (assumptions drawn per run): ~200x in VALIDATION.md; the bar is 5x.
    (With assumptions fixed the ratio is ~7x, too close to 5 for 10 runs to show reliably.)"""
    paired, unpaired = vx.crn_differences(runs=10, uncertainty=True)
    assert paired.mean() > 0  # doubling the budget helps
    assert unpaired.var(ddof=1) >= 5 * paired.var(ddof=1)


def test_a_policy_does_not_touch_unrelated_draws() -> None:
    """An awareness pilot starting in 2027 leaves 2025-2026 identical, and never changes device or account
    uptake or coverage: their random draws do not depend on it. (Campaigns raise p of both online
    services and cashless, so those may change.)"""
    from sim.experiments.ensemble import run_one

    # No province-wide campaign: the campaign effect is on or off, so where the province already
    # campaigns all year a pilot's campaign adds nothing (found when lead days became drawn).
    alone = [*vx.CRN_FAST, "budget.allocation.awareness=0.0", "budget.allocation.infrastructure=0.40"]
    base = load_scenario(vx.DAK_LAK, alone)
    pilot = load_scenario(vx.DAK_LAK, alone + [
        'policies=[{name="pilot", programme="awareness", amount_vnd_per_year=5e10, start="2027-01", end="2029-12", '
        'communes=["Phường Buôn Ma Thuột"]}]'])
    a, b = run_one(base, 0), run_one(pilot, 0)
    assert a.parameters == b.parameters  # the same assumptions were drawn
    before = a.years < 2027
    assert np.array_equal(a.values[before], b.values[before])
    for name in ("smartphone_ownership", "account_ownership", "coverage_4g", "coverage_5g"):
        k = a.names.index(name)
        assert np.array_equal(a.values[:, k], b.values[:, k])
    # while the pilot does change what campaigns act on
    changed = [n for n in ("online_services_adoption", "online_services_uptake", "cashless_adoption")
               if not np.array_equal(a.values[:, a.names.index(n)], b.values[:, b.names.index(n)])]
    assert changed


# --------------------------------------------------------------------------- 4-5. calibration, hindcast


# Each hindcast's bound, and why (measured at these sizes: VALIDATION.md §5 has the full-size numbers).
#  skill: 1 - |calibrated error| / |no-change error|, the share of the naive forecast's error the
#         calibrated model removes; > 0 means the model adds information a planner would not have.
#  bound: the largest calibrated error allowed.
HINDCAST_BOUNDS = {
    # 2019 -> 2024 the share rose 41 points; a forecast must remove at least 40% of no-change's miss
    # and beat the literature's p, q (the scenario as written): calibration must add skill.
    ("vietnam_dossiers", 2019, 2024): dict(skill=0.4, beats_uncalibrated=True),
    # 2014 -> 2017: within 0.12, the movement of the series over the fitted period (21% -> 31%,
    # 2011-2014) plus the observation's own standard error (0.02): a miss larger than that tells a
    # planner nothing. And at most half the uncalibrated error. No-change wins here (the series
    # stalled), which no constant hazard reproduces: no skill is required.
    ("vietnam_accounts", 2014, 2017): dict(bound=0.12, beats_uncalibrated=True),
    # 2014 -> 2024 and 2017 -> 2024: the series rose 40 points after the stall; the model must remove
    # at least 40% (from 2014) and 20% (from 2017, fitted to the stall itself) of no-change's miss.
    # From 2017 it loses to the uncalibrated scenario, whose hazard was set from the 2024 figure.
    ("vietnam_accounts", 2014, 2024): dict(skill=0.4),
    ("vietnam_accounts", 2017, 2024): dict(skill=0.2),
}


@pytest.mark.parametrize("mechanism,name,until", vx.HINDCASTS)
def test_hindcast_errors_stay_under_their_bounds(mechanism: str, name: str, until: int) -> None:
    h = vx.hindcast(mechanism, name, until, draws=24, runs=2, scale=0.003)
    assert len(h.held) and (h.held.year > until).all()
    for r in h.held.itertuples():
        rule = HINDCAST_BOUNDS[(name, until, r.year)]
        error = abs(r.posterior_mean - r.value)
        if "skill" in rule:
            assert 1 - error / abs(r.persistence - r.value) >= rule["skill"], (r.year, error, r.persistence)
        if "bound" in rule:
            assert error < rule["bound"], (r.year, error)
        if rule.get("beats_uncalibrated"):
            share = 2 if "bound" in rule else 1
            assert error < abs(r.uncalibrated - r.value) / share, (r.year, error, r.uncalibrated)


@pytest.mark.parametrize("args,message", [
    (["scenarios/dak_lak.toml"], "free: nothing to calibrate"),
    ([str(ACCOUNTS), "--until", "2012"], "--until 2012: no observation left to fit"),
    ([str(ACCOUNTS), "--draws", "0"], "--draws 0"),
    ([str(ACCOUNTS), "--set", 'free={"population.account_uptake" = [0.3, 0.1]}'], "low < high"),
    ([str(ACCOUNTS), "--set", 'free={"population.nothing" = [0.0, 1.0]}'], "not a number in the scenario"),
])
def test_calibrate_bad_input_is_one_line_and_status_2(tmp_path: Path, args: list[str], message: str) -> None:
    r = citytwin("calibrate", *args, "--out", str(tmp_path / "out"), "--write", str(tmp_path / "v.toml"))
    assert r.returncode == 2
    assert message in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "v.toml").exists()


def test_mesa_examples_style_twin_is_the_same_model() -> None:
    """The benchmark's second Mesa baseline (Mesa's network space) draws the same numbers in
    the same order as the lean twin, so the same seed gives the same curve."""
    from mesa_twin import MesaBass, MesaBassOnNetwork

    from sim.world.network import build_network
    spec = load_scenario(ROOT / "scenarios" / "dak_lak.toml").network
    net = build_network(np.array([0, 400, 900]), spec, np.random.default_rng(3))
    lean = MesaBass(net.indptr, net.indices, 0.05, 0.5, seed=7).run(30)
    space = MesaBassOnNetwork(net.indptr, net.indices, 0.05, 0.5, seed=7).run(30)
    assert lean == space and 0.1 < lean[-1] < 1.0
