"""Calibration: fit a scenario's `[free]` parameters to its `[observed]` series by maximum likelihood.

Each observation y_i (a model indicator in a given month) is taken as normal around
the model's ensemble mean m_i(θ) with the observation's own standard error σ_i:

    log L(θ) = -Σ_i (y_i - m_i(θ))² / (2 σ_i²)   (+ a constant)

m_i is the mean over `runs` seeds, the same seeds for every θ (common random
numbers), so the likelihood surface is smooth in θ and differences between
candidates are not seed noise. Optuna's TPE sampler searches the box given by
`[free]`; an approximate 95% range for each parameter is the span of the
candidates whose log-likelihood is within χ²₁(0.95)/2 = 1.92 of the best
(a profile-likelihood interval read off the samples).

With `until`, only observations up to that year are fitted and the later ones are
forecast: a hindcast. Its error is compared with the no-change forecast (the last
fitted observation of the same indicator carried forward), the skill baseline a
planner would otherwise use.
"""

from __future__ import annotations

import json
import math
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pandas as pd

from sim.ensemble import worker_pool
from sim.institutions import Calendar
from sim.outfolder import OutputFolder
from sim.scenario import Scenario, ScenarioError, lookup, with_values

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

HALF_CHI2_95 = 1.920729  # χ²₁(0.95) / 2
# The first line of a calibrated scenario (the command always starts with "citytwin"): only a
# file that starts so may be replaced by `--write`.
CALIBRATED_HEADER = "# Calibrated by: citytwin"


def simulate(spec: Scenario, seed: int, scale: float, indicators: tuple[str, ...]) -> np.ndarray:
    """Monthly series of the indicators for one seed: array (months, indicators)."""
    import numba

    from sim.model import CityModel

    numba.set_num_threads(1)  # one run per core; the pool provides the parallelism
    model = CityModel(spec, seed=seed, scale=scale, world_seed=spec.ensemble.seed)
    out = np.empty((spec.time.months, len(indicators)))
    for m in range(spec.time.months):
        model.step()
        out[m] = [model.latest[k] for k in indicators]
    return out


@dataclass
class Calibration:
    scenario: Scenario
    best: dict[str, float]
    log_likelihood: float
    ranges: dict[str, tuple[float, float]]          # approximate 95% profile ranges
    trials: pd.DataFrame                            # one row per candidate: parameters, log_likelihood
    fit: pd.DataFrame                               # observations with the model at the best θ
    series: dict[str, np.ndarray]                   # indicator -> (runs, months) at the best θ
    until: int | None
    runs: int
    scale: float
    seconds: float

    @property
    def calibrated(self) -> Scenario:
        return with_values(self.scenario, self.best)

    def hindcast(self) -> pd.DataFrame:
        """Held-out observations: model error and the no-change forecast's error."""
        return self.fit[~self.fit.fitted].copy()

    def hindcast_rmse(self) -> tuple[float, float]:
        """(model, no-change) root-mean-square error over the held-out observations."""
        h = self.hindcast()
        if h.empty:
            return math.nan, math.nan
        return (float(np.sqrt(((h.model - h.value) ** 2).mean())),
                float(np.sqrt(((h.persistence - h.value) ** 2).mean())))


class _Evaluator:
    """Runs the same seeds for every candidate θ, on a persistent process pool (None: here)."""

    def __init__(self, spec: Scenario, runs: int, scale: float, pool: "Pool | None") -> None:
        self.spec, self.runs, self.scale = spec, runs, scale
        self.indicators = tuple(sorted({o.indicator for o in spec.observed}))
        self.seeds = [spec.ensemble.seed + r for r in range(runs)]
        calendar = Calendar(spec.time.start, spec.time.months)
        self.rows = [calendar.index(f"{o.year}-{o.month:02d}") for o in spec.observed]
        self.cols = [self.indicators.index(o.indicator) for o in spec.observed]
        self.pool = pool

    def series(self, values: dict[str, float]) -> np.ndarray:
        """(runs, months, indicators) at θ."""
        spec = with_values(self.spec, values)
        args = [(spec, s, self.scale, self.indicators) for s in self.seeds]
        if self.pool is None:
            return np.stack([simulate(*a) for a in args])
        return np.stack(self.pool.starmap(simulate, args, chunksize=1))

    def at_observations(self, series: np.ndarray) -> np.ndarray:
        return series.mean(axis=0)[self.rows, self.cols]


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


def calibrate(spec: Scenario, trials: int = 60, runs: int | None = None, scale: float | None = None,
              until: int | None = None, workers: int = 1, seed: int | None = None, progress: bool = True,
              on_trial: Callable[[int, float], None] | None = None) -> Calibration:
    """Fit `spec.free` to `spec.observed` (up to `until`, if given) by maximum likelihood."""
    import optuna

    check_calibratable(spec, until)
    fitted = np.array([until is None or o.year <= until for o in spec.observed])
    # Calibrate at the scenario's central assumptions: drawing them would make the likelihood noisy.
    spec = spec.model_copy(update={"ensemble": spec.ensemble.model_copy(update={"uncertainty": False})})
    runs = runs or spec.ensemble.runs
    scale = scale or spec.ensemble.scale
    obs = spec.observed
    y = np.array([o.value for o in obs])
    sigma = np.array([o.sigma for o in obs])
    t0 = time.perf_counter()
    records: list[dict[str, float]] = []

    def log_likelihood(values: dict[str, float]) -> float:
        m = ev.at_observations(ev.series(values))
        return float(-(((y - m) / sigma)[fitted] ** 2).sum() / 2)

    def objective(trial: "optuna.Trial") -> float:
        values = {k: trial.suggest_float(k, lo, hi) for k, (lo, hi) in spec.free.items()}
        ll = log_likelihood(values)
        records.append({**values, "log_likelihood": ll})
        if on_trial:
            on_trial(trial.number, ll)
        return ll

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=spec.ensemble.seed if seed is None else seed)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    # Start from the scenario's own values, so the fit can only improve on them.
    study.enqueue_trial({k: spec.number_at(k) for k in spec.free})
    # The pool's workers are terminated if the search ends by an error or an interrupt.
    with worker_pool(workers) if workers > 1 else nullcontext() as pool:
        ev = _Evaluator(spec, runs, scale, pool)
        study.optimize(objective, n_trials=trials, show_progress_bar=progress)
        best = dict(study.best_params)
        series = ev.series(best)
    table = pd.DataFrame(records)
    near = table[table.log_likelihood >= study.best_value - HALF_CHI2_95]
    ranges = {k: (float(near[k].min()), float(near[k].max())) for k in spec.free}
    model = ev.at_observations(series)
    fit = pd.DataFrame({
        "year": [o.year for o in obs], "month": [o.month for o in obs],
        "indicator": [o.indicator for o in obs], "value": y, "sigma": sigma, "model": model,
        "fitted": fitted, "source": [o.source for o in obs]})
    fit["residual"] = fit.value - fit.model
    fit["persistence"] = [_last_fitted(fit, i) for i in range(len(fit))]
    ind = ev.indicators
    return Calibration(scenario=spec, best=best, log_likelihood=float(study.best_value),
                       ranges=ranges, trials=table, fit=fit,
                       series={k: series[:, :, j] for j, k in enumerate(ind)}, until=until, runs=runs,
                       scale=scale, seconds=time.perf_counter() - t0)


def _last_fitted(fit: pd.DataFrame, i: int) -> float:
    """The no-change forecast for row i: the latest fitted observation of its indicator before it."""
    row = fit.iloc[i]
    earlier = fit[fit.fitted & (fit.indicator == row.indicator)
                  & ((fit.year * 12 + fit.month) < row.year * 12 + row.month)]
    if earlier.empty:
        return math.nan
    return float(earlier.sort_values(["year", "month"]).value.iloc[-1])


# --------------------------------------------------------------------------- outputs


def _nest(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        *path, last = key.split(".")
        node = out
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def calibrated_toml(cal: Calibration, dest: Path, command: str) -> str:
    """The calibrated variant: `extends` the calibrated file and sets the fitted values."""
    import tomli_w

    src = Path(cal.scenario.source_file).resolve()
    method = (f"maximum likelihood (normal errors, each observation's sigma); Optuna TPE, {len(cal.trials)} "
              f"candidates x {cal.runs} runs at scale {cal.scale:g} (the same seeds for every candidate)")
    fitted = cal.fit[cal.fit.fitted]
    n_fit = len(fitted)
    lines = [f"# Calibrated by: {command}",  # starts with CALIBRATED_HEADER
             f"# Method: {method}.",
             f"# Fitted to {n_fit} observation{"s" if n_fit > 1 else ""}" + (f" up to {cal.until}" if cal.until else "")
             + f"; log-likelihood {cal.log_likelihood:.3f}.",
             "# Approximate 95% ranges (candidates within 1.92 log-likelihood of the best):"]
    lines += [f"#   {k} = {v:.4g}  [{cal.ranges[k][0]:.4g}, {cal.ranges[k][1]:.4g}]" for k, v in cal.best.items()]
    original = cal.scenario.model_dump()
    values: dict[str, Any] = {}
    for key, value in cal.best.items():
        if isinstance(lookup(original, key), dict):  # a sourced number: say where the new value comes from
            lo, hi = cal.ranges[key]
            values[key] = {"value": value, "source": f"calibrated: {command}", "range": [min(lo, value), max(hi, value)]}
        else:
            values[key] = value
    body = {"extends": os.path.relpath(src, dest.resolve().parent), "name": dest.stem, **_nest(values)}
    return "\n".join(lines) + "\n" + tomli_w.dumps(body)


def write_calibration(cal: Calibration, out: OutputFolder, variant: Path, command: str) -> None:
    """The results folder (fit plot, tables, summary) and the calibrated scenario, all or nothing
    (the folder's lock held): the variant replaces its file only once the folder is complete."""
    from sim.plots import calibration_fit

    text = calibrated_toml(cal, variant, command)
    tmp_variant = variant.parent / f".{variant.name}.tmp-{os.getpid()}"
    try:
        with out.replacing(cal.scenario.name) as tmp:
            calibration_fit(cal, tmp / "fit.png")
            cal.fit.to_csv(tmp / "fit.csv", index=False)
            cal.trials.to_csv(tmp / "trials.csv", index=False)
            rmse, persistence = cal.hindcast_rmse()
            summary = {"scenario": cal.scenario.name, "command": command, "best": cal.best,
                       "ranges_95": cal.ranges, "log_likelihood": cal.log_likelihood, "until": cal.until,
                       "runs": cal.runs, "scale": cal.scale, "trials": len(cal.trials),
                       "seconds": round(cal.seconds, 1),
                       "hindcast_rmse": None if math.isnan(rmse) else rmse,
                       "no_change_rmse": None if math.isnan(persistence) else persistence,
                       "variant": str(variant)}
            (tmp / "calibration.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
            tmp_variant.write_text(text, encoding="utf-8")
        tmp_variant.replace(variant)
    finally:
        tmp_variant.unlink(missing_ok=True)


def check_variant(variant: Path) -> None:
    """The calibrated scenario may replace only an earlier calibrated scenario, in a writable
    folder: raise ScenarioError (one line) before any work otherwise."""
    if variant.suffix != ".toml":
        raise ScenarioError(f"--write {variant}: expected a .toml file name")
    if not variant.resolve().parent.is_dir():
        raise ScenarioError(f"--write {variant}: folder {variant.parent} does not exist")
    if variant.exists() or variant.is_symlink():
        if not variant.is_file():
            raise ScenarioError(f"--write {variant}: exists and is not a file")
        try:
            head = variant.read_bytes()[:len(CALIBRATED_HEADER)]
        except OSError as exc:
            raise ScenarioError(f"--write {variant}: cannot be read ({exc.strerror})") from None
        if head != CALIBRATED_HEADER.encode():
            raise ScenarioError(f"--write {variant}: exists and is not a scenario written by citytwin calibrate; "
                                "choose another file name")
    if not os.access(variant.resolve().parent, os.W_OK):
        raise ScenarioError(f"--write {variant}: folder {variant.parent} is not writable")
