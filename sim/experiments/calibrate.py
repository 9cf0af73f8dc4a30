"""Calibration: the posterior of a scenario's `[free]` parameters given its `[observed]` series.

Each observation y_i (a model indicator in a given month) is taken as normal around the
model's mean m_i(θ) over `runs` seeds, with the observation's own standard error σ_i and
the Monte Carlo error of that mean (the runs' variance s_i² over `runs`):

    log L(θ) = -½ Σ_i [ (y_i - m_i(θ))² / v_i + log 2π v_i ],   v_i = σ_i² + s_i²(θ) / runs

(a Gaussian synthetic likelihood, Wood 2010). The same seeds serve every θ (common random
numbers), so differences between candidates are not seed noise. The prior is uniform on
the `[free]` box; the posterior is sampled by adaptive importance sampling
(`sim.posterior`). The calibrated scenario carries the weighted posterior draws in a
`[posterior]` table, and every run of its ensemble draws one of them (`sim.inputs.uncertainty`).

With `until`, only observations up to that year are fitted and the later ones are
forecast: a hindcast. Its error is compared with the no-change forecast (the last
fitted observation of the same indicator carried forward), the skill baseline a
planner would otherwise use.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sim.engine.clock import Calendar
from sim.errors import ScenarioError
from sim.experiments.execution import DEFAULT_EXECUTION, Execution, ExperimentResult
from sim.experiments.runner import Runner
from sim.inputs.scenario import with_values
from sim.posterior import WEAK_IDENTIFICATION, Posterior, sample_posterior, weighted_quantiles
from sim.schema import Scenario
from sim.streams import run_seed

CREDIBLE = 0.9  # the level of the credible intervals reported


def simulate(spec: Scenario, seed: int, scale: float, indicators: tuple[str, ...],
             threads: int | None = None) -> NDArray[np.float64]:
    """Monthly series of the indicators for one seed: array (months, indicators). `threads`:
    numba threads for the run (a worker's one; None: as they are)."""
    import numba

    from sim.engine.indicators import Recorder
    from sim.engine.model import CityModel
    from sim.world import build_world

    if threads:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    recorder = Recorder(CityModel(build_world(spec, seed=seed, scale=scale), spec))
    out = np.empty((spec.time.months, len(indicators)))
    for m in range(spec.time.months):
        recorder.step()
        out[m] = [recorder.latest[k] for k in indicators]
    return out


def _simulate_job(job: tuple) -> tuple[int, NDArray[np.float64]]:
    """One run in a worker, with its place among the jobs (results come back as they finish)."""
    i, *args = job
    return i, simulate(*args)


@dataclass
class Calibration(ExperimentResult):
    scenario: Scenario
    posterior: Posterior
    log_likelihood: float                           # at the best draw
    draws: pd.DataFrame                             # one row per draw: parameters, log_likelihood, weight
    fit: pd.DataFrame                               # observations with the model at the best draw
    series: dict[str, NDArray[np.float64]]                   # indicator -> (runs, months) at the best draw
    until: int | None
    runs: int
    scale: float

    @property
    def best(self) -> dict[str, float]:
        """The draw of highest likelihood: the calibrated scenario's point values."""
        return dict(zip(self.posterior.names, map(float, self.posterior.best())))

    @property
    def ranges(self) -> dict[str, tuple[float, float]]:
        """Each parameter's equal-tailed 90% credible interval."""
        return {k: (float(lo), float(hi)) for k, (lo, hi) in zip(self.posterior.names,
                                                                 self.posterior.interval(CREDIBLE))}

    @property
    def calibrated(self) -> Scenario:
        return with_values(self.scenario, self.best)

    def identification(self) -> pd.DataFrame:
        """Per parameter: prior box, posterior mean and 90% interval, and how much the data
        narrowed the prior (credible width over prior width; above 0.5: weakly identified)."""
        p = self.posterior
        ci = p.interval(CREDIBLE)
        ratio = p.identification()
        return pd.DataFrame({
            "parameter": p.names, "prior_low": p.box[:, 0], "prior_high": p.box[:, 1], "best": p.best(),
            "mean": p.mean(), "ci90_low": ci[:, 0], "ci90_high": ci[:, 1], "width_ratio": ratio,
            "weakly_identified": ratio > WEAK_IDENTIFICATION})

    def hindcast(self) -> pd.DataFrame:
        """Held-out observations: model error and the no-change forecast's error."""
        return self.fit[~self.fit.fitted].copy()

    def hindcast_rmse(self) -> tuple[float, float]:
        """(model, no-change) root-mean-square error over the held-out observations; the model's
        forecast is its posterior mean (the Bayesian point forecast)."""
        h = self.hindcast()
        if h.empty:
            return math.nan, math.nan
        return (float(np.sqrt(((h.posterior_mean - h.value) ** 2).mean())),
                float(np.sqrt(((h.persistence - h.value) ** 2).mean())))


class _Evaluator:
    """Runs the same seeds for every candidate θ, on an open `Runner` (its workers persist)."""

    def __init__(self, spec: Scenario, runs: int, scale: float, runner: Runner,
                 on_run: Callable[[], None] | None = None) -> None:
        self.spec, self.runs, self.scale, self.runner, self.on_run = spec, runs, scale, runner, on_run
        self.indicators = tuple(sorted({o.indicator for o in spec.observed}))
        self.seeds = [run_seed(spec.ensemble.seed, r) for r in range(runs)]
        calendar = Calendar(spec.time.start, spec.time.months)
        self.rows = [calendar.index(f"{o.year}-{o.month:02d}") for o in spec.observed]
        self.cols = [self.indicators.index(o.indicator) for o in spec.observed]

    def series(self, candidates: list[dict[str, float]]) -> list[NDArray[np.float64]]:
        """(runs, months, indicators) for each candidate θ, all runs of all candidates at once."""
        specs = [with_values(self.spec, values) for values in candidates]
        # One numba thread per run even in this process: a calibration's runs are small, and a
        # second thread per run only contends with the other runs (or tests) on the cores.
        jobs = [(i * self.runs + j, spec, s, self.scale, self.indicators, self.runner.threads or 1)
                for i, spec in enumerate(specs) for j, s in enumerate(self.seeds)]
        out: list[NDArray[np.float64]] = [np.empty(0)] * len(jobs)
        for i, result in self.runner.imap(_simulate_job, jobs):
            out[i] = result
            if self.on_run:
                self.on_run()
        r = self.runs
        return [np.stack(out[i * r:(i + 1) * r]) for i in range(len(candidates))]

    def at_observations(self, series: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The runs' mean at each observation and the variance of that mean (zero for one run)."""
        at = series[:, self.rows, self.cols]
        var = at.var(axis=0, ddof=1) / len(at) if len(at) > 1 else np.zeros(at.shape[1])
        return at.mean(axis=0), var


def check_calibratable(spec: Scenario, until: int | None = None) -> None:
    """Raise ScenarioError (one line) unless the scenario has free parameters and something to fit."""
    if not spec.free:
        raise ScenarioError(f"{spec.source_file}: free: nothing to calibrate; declare [free] parameters "
                            f"with [low, high] ranges")
    if not spec.observed:
        raise ScenarioError(f"{spec.source_file}: observed: no observations to calibrate on")
    if until is not None and all(o.year > until for o in spec.observed):
        first = min(o.year for o in spec.observed)
        raise ScenarioError(f"--until {until}: no observation left to fit (the first is in {first})")


def _pinned(spec: Scenario) -> Scenario:
    """The scenario at its central assumptions: drawing them would make the likelihood noisy."""
    return spec.model_copy(update={"ensemble": spec.ensemble.model_copy(update={"uncertainty": False})})


def model_at(spec: Scenario, values: dict[str, float], runs: int = 2, scale: float | None = None,
             execution: Execution = DEFAULT_EXECUTION) -> pd.DataFrame:
    """The model's mean (and its Monte Carlo standard error) at each observation of the
    scenario, at parameter values θ: for synthetic data and for the uncalibrated baseline
    of a hindcast."""
    spec = _pinned(spec)
    with execution.runner(spec, runs) as runner:
        ev = _Evaluator(spec, runs, scale or spec.ensemble.scale, runner)
        mean, var = ev.at_observations(ev.series([values])[0])
    return pd.DataFrame({"year": [o.year for o in spec.observed], "month": [o.month for o in spec.observed],
                         "indicator": [o.indicator for o in spec.observed], "model": mean, "se": np.sqrt(var)})


def calibrate(spec: Scenario, draws: int = 96, runs: int | None = None, scale: float | None = None,
              until: int | None = None, seed: int | None = None,
              execution: Execution = DEFAULT_EXECUTION) -> Calibration:
    """The posterior of `spec.free` given `spec.observed` (up to `until`, if given); runs
    execute where `execution` says."""
    check_calibratable(spec, until)
    if draws < 1:
        raise ScenarioError(f"--draws {draws}: expected at least 1")
    fitted = np.array([until is None or o.year <= until for o in spec.observed])
    spec = _pinned(spec)
    runs = runs or spec.ensemble.runs
    scale = scale or spec.ensemble.scale
    obs = spec.observed
    y = np.array([o.value for o in obs])
    sigma2 = np.array([o.sigma for o in obs]) ** 2
    names = list(spec.free)
    box = np.array([spec.free[k] for k in names], dtype=float)
    t0 = time.perf_counter()
    bar = execution.bar(f"{spec.name}: calibrate", total=draws * runs)
    at_draws: list[NDArray[np.float64]] = []  # the model's mean at each observation, one row per draw
    best: dict[str, Any] = {"ll": -math.inf, "series": None}  # the best draw so far: its series for the fit plot

    def log_likelihood(thetas: NDArray[np.float64]) -> NDArray[np.float64]:
        series = ev.series([dict(zip(names, map(float, t))) for t in thetas])
        out = np.empty(len(thetas))
        for i, s in enumerate(series):
            m, mc_var = ev.at_observations(s)
            at_draws.append(m)  # every observation, held-out ones too: the posterior predictive
            v = sigma2 + mc_var
            out[i] = -0.5 * float(((y - m) ** 2 / v + np.log(2 * np.pi * v))[fitted].sum())
        i = int(np.argmax(out))
        if best["series"] is None or out[i] > best["ll"]:
            best.update(ll=float(out[i]), series=series[i])
        return out

    # The runner's workers are terminated if the search ends by an error or an interrupt.
    with execution.runner(spec, draws * runs) as runner, bar:
        ev = _Evaluator(spec, runs, scale, runner, on_run=lambda: bar.update(1))
        post = sample_posterior(log_likelihood, names, box, draws, seed=spec.ensemble.seed if seed is None else seed)
        executor, workers = runner.executor, runner.workers
    series = best["series"]
    model, _ = ev.at_observations(series)
    table = pd.DataFrame(post.draws, columns=names)
    table["log_likelihood"] = post.log_likelihood
    table["weight"] = post.weights
    fit = pd.DataFrame({
        "year": [o.year for o in obs], "month": [o.month for o in obs],
        "indicator": [o.indicator for o in obs], "value": y, "sigma": np.sqrt(sigma2), "model": model,
        "fitted": fitted, "source": [o.source for o in obs]})
    fit["residual"] = fit.value - fit.model
    predictive = np.array(at_draws)
    fit["posterior_mean"] = post.weights @ predictive
    fit["posterior_low"], fit["posterior_high"] = weighted_quantiles(predictive, post.weights, [0.05, 0.95])
    fit["persistence"] = [_last_fitted(fit, i) for i in range(len(fit))]
    ind = ev.indicators
    return Calibration(scenario=spec, posterior=post, log_likelihood=float(post.log_likelihood.max()),
                       draws=table, fit=fit, series={k: series[:, :, j] for j, k in enumerate(ind)},
                       until=until, runs=runs, scale=scale, wall_seconds=time.perf_counter() - t0,
                       workers=workers, executor=executor)


def _last_fitted(fit: pd.DataFrame, i: int) -> float:
    """The no-change forecast for row i: the latest fitted observation of its indicator before it."""
    row = fit.iloc[i]
    earlier = fit[fit.fitted & (fit.indicator == row.indicator)
                  & ((fit.year * 12 + fit.month) < row.year * 12 + row.month)]
    if earlier.empty:
        return math.nan
    return float(earlier.sort_values(["year", "month"]).value.iloc[-1])
