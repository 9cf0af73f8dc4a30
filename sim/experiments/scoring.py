"""Scoring forecasts against what happened: an ensemble's forecast of an observed figure, the
naive forecasts it must beat, and the probabilities of goals against their outcomes.

Scores are proper (a forecaster does best by saying what it believes), computed by
`scoringrules`: for a figure, the continuous ranked probability score of the ensemble (CRPS, in
the figure's units: the mean absolute error of a point forecast when the forecast is a point) and
the interval score of its central interval (Gneiting & Raftery 2007: the width, plus 2/alpha times
the distance by which the observation falls outside); for a goal, the Brier and log scores of
P(reach) against whether it was reached, with the skill against the base rate (the share of
goals reached, forecast for every goal: climatology).

Lower scores are better; a skill is 1 for a perfect forecast, 0 for the reference, negative when
worse than it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scoringrules as sr
from numpy.typing import ArrayLike, NDArray

LEVEL = 0.9  # the central interval scored (5-95%), as the verdict's band


@dataclass(frozen=True)
class FigureScore:
    """One observed figure against an ensemble's forecast of it."""

    observed: float
    median: float
    low: float
    high: float
    covered: bool
    crps: float
    interval_score: float

    @property
    def error(self) -> float:
        return self.median - self.observed


def score_figure(draws: ArrayLike, observed: float, level: float = LEVEL) -> FigureScore:
    """The ensemble `draws` (one value per run) against the `observed` figure."""
    x = np.asarray(draws, dtype=np.float64)
    alpha = 1.0 - level
    low, high = np.quantile(x, [alpha / 2, 1.0 - alpha / 2])
    return FigureScore(observed=float(observed), median=float(np.median(x)), low=float(low), high=float(high),
                       covered=bool(low <= observed <= high),
                       crps=float(sr.crps_ensemble(observed, x, estimator="pwm")),
                       interval_score=float(sr.interval_score(observed, low, high, alpha)))


def point_crps(forecast: float, observed: float) -> float:
    """CRPS of a point forecast: its absolute error (a naive forecast has no spread)."""
    return abs(float(forecast) - float(observed))


def no_change(history: list[tuple[float, float]], when: float) -> float:
    """The naive forecast 'as last observed': the latest value of (time, value) before `when`."""
    before = [(t, v) for t, v in history if t < when]
    if not before:
        raise ValueError("no observation before the forecast time")
    return max(before)[1]


def last_trend(history: list[tuple[float, float]], when: float) -> float:
    """The naive forecast 'the last trend goes on': the line through the last two observations
    before `when`, extended to it (no change when there is only one)."""
    before = sorted((t, v) for t, v in history if t < when)
    if len(before) < 2:
        return no_change(history, when)
    (t0, v0), (t1, v1) = before[-2:]
    return v1 + (v1 - v0) / (t1 - t0) * (when - t1)


@dataclass(frozen=True)
class ProbabilityScore:
    """Probabilities of goals against their outcomes."""

    goals: int
    reached: int
    brier: float
    brier_base: float
    log: float
    log_base: float

    @property
    def informative(self) -> bool:
        """Whether the base rate can be beaten at all: some goals reached and some not (when every
        goal went the same way the base rate is that certainty, and no skill is measurable)."""
        return 0 < self.reached < self.goals

    @property
    def brier_skill(self) -> float:
        return 1.0 - self.brier / self.brier_base if self.informative and self.brier_base > 0 else float("nan")

    @property
    def log_skill(self) -> float:
        return 1.0 - self.log / self.log_base if self.informative and self.log_base > 0 else float("nan")


def score_probabilities(probabilities: ArrayLike, outcomes: ArrayLike, floor: float = 0.01) -> ProbabilityScore:
    """Brier and log scores of P(reach) against outcomes (1 reached, 0 not), and of the base rate.

    The log score of a probability of exactly 0 or 1 that turns out wrong is infinite; an ensemble's
    0 out of 60 runs is not certainty, so probabilities are held within [floor, 1 - floor]."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), floor, 1.0 - floor)
    y = np.asarray(outcomes, dtype=np.float64)
    if p.shape != y.shape or p.size == 0:
        raise ValueError("need one probability per outcome, and at least one")
    base = np.clip(np.full_like(p, y.mean()), floor, 1.0 - floor)
    brier, brier_base = (float(np.mean(sr.brier_score(y, f))) for f in (p, base))
    log, log_base = (float(np.mean(sr.log_score(y, f))) for f in (p, base))
    return ProbabilityScore(goals=int(y.size), reached=int(y.sum()), brier=brier, brier_base=brier_base,
                            log=log, log_base=log_base)


def reliability(probabilities: ArrayLike, outcomes: ArrayLike,
                edges: tuple[float, ...] = (0.0, 0.2, 0.8, 1.0)) -> list[dict[str, float]]:
    """Per bin of forecast probability (by default the verdict's OFF TRACK / AT RISK / ON TRACK):
    how many goals, their mean forecast and the share reached. A calibrated forecaster's share
    reached matches its mean forecast in every bin."""
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(outcomes, dtype=np.float64)
    rows = []
    for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        inside: NDArray[np.bool_] = (p >= lo) & ((p <= hi) if i == len(edges) - 2 else (p < hi))
        n = int(inside.sum())
        rows.append({"low": lo, "high": hi, "goals": n,
                     "forecast": float(p[inside].mean()) if n else float("nan"),
                     "reached": float(y[inside].mean()) if n else float("nan")})
    return rows


def coverage(scores: list[FigureScore]) -> float:
    """Share of observed figures inside their forecast's central interval (about `LEVEL` when calibrated)."""
    return float(np.mean([s.covered for s in scores])) if scores else float("nan")
