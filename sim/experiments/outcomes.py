"""Whether a run reaches a target, and how sure a share of runs is: the rules that the verdict,
goal seeking and sweeps share.

A target is judged on its indicator's value at the end of its year (December, or the last
recorded month); a floor (`every_year`) must hold in its year and every year after it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import ValidationError

from sim.engine.model import adaptive_year
from sim.errors import ScenarioError
from sim.experiments.ensemble import RunResult, RunTable, paired, run_one
from sim.inputs.targets import Target
from sim.schema import Scenario

Z95 = 1.959963984540054


def year_ends(result: RunResult) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The years of a run and every indicator's value at the end of each (its last recorded
    month): (years,), (years, indicators) in `result.names` order."""
    years, last = np.unique(result.years[::-1], return_index=True)
    return years, result.values[len(result.years) - 1 - last]


def year_end(result: RunResult, indicator: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The years of a run and one indicator's value at the end of each."""
    years, values = year_ends(result)
    return years, values[:, result.names.index(indicator)]


def reaches(target: Target, years: NDArray[np.int64], values: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Per run, whether the target is reached: `values` is (runs, years) of year-end values.

    >>> t = Target("t", "x", ">=", 0.5, 2026, "test", every_year=True)
    >>> reaches(t, np.array([2025, 2026, 2027]), np.array([[0.1, 0.6, 0.7], [0.1, 0.6, 0.4]])).tolist()
    [True, False]
    """
    holds = np.asarray(target.holds(np.asarray(values, dtype=np.float64))).astype(bool)  # elementwise
    col = [int(y) for y in years].index(target.year)
    return holds[:, col:].all(axis=1) if target.every_year else holds[:, col]


def reach_job(job: tuple) -> tuple[float, int, bool]:
    """One run at one lever value, in a worker: (the value, the run, whether it reaches every
    target asked for). A job is (value, scenario at that value, run, scale, seed, threads, targets)."""
    x, spec, run, scale, seed, threads, targets = job
    return x, run, bool(run_reaches(targets, run_one(spec, run, scale, seed, threads)).all())


def run_reaches(targets: list[Target], result: RunResult) -> NDArray[np.bool_]:
    """Per target, whether this run reaches it (modelled targets only)."""
    out = np.empty(len(targets), dtype=bool)
    for i, t in enumerate(targets):
        years, values = year_end(result, t.indicator)
        out[i] = reaches(t, years, values[None, :])[0]
    return out


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (Wilson 1927).

    >>> [round(v, 3) for v in wilson(0, 20)]
    [0.0, 0.161]
    """
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def modelled(targets: list[Target], ids: list[str] | None = None) -> list[Target]:
    """The modelled targets to analyse (all, or those named); an unknown or unmodelled id is an error."""
    known = [t for t in targets if t.modelled]
    if not ids:
        if not known:
            raise ScenarioError("the scenario has no modelled target (targets.goals, targets.custom)")
        return known
    by_id = {t.id: t for t in known}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise ScenarioError(f"--target {missing[0]}: not a modelled target of the scenario; allowed: "
                            f"{', '.join(by_id) or '(none)'}")
    return [by_id[i] for i in dict.fromkeys(ids)]


def horizon(spec: Scenario, targets: list[Target]) -> Scenario:
    """The scenario ending with the last year the targets need, when that changes nothing they
    measure: no floor that must hold to the end (`every_year`), the same re-allocation year."""
    if any(t.every_year for t in targets):
        return spec
    year = max(t.year for t in targets)
    if year >= spec.time.end_year:
        return spec
    data = spec.model_dump()
    data["time"]["end"] = f"{year}-12"
    try:
        short = Scenario.model_validate(data)
    except ValidationError:  # e.g. an observation or a policy after the new end: keep the horizon
        return spec
    return short if adaptive_year(short) == adaptive_year(spec) else spec


def paired_change_interval(both: int, only_b: int, only_a: int, neither: int) -> tuple[float, float]:
    """95% interval of P_B - P_A from paired yes/no outcomes (Newcombe 1998, method 10: the two
    Wilson intervals combined with the runs' correlation).

    >>> [round(v, 3) for v in paired_change_interval(0, 0, 0, 20)]
    [-0.161, 0.161]
    >>> [round(v, 3) for v in paired_change_interval(10, 10, 0, 0)]
    [0.243, 0.701]
    """
    n = both + only_b + only_a + neither
    p_b, p_a = (both + only_b) / n, (both + only_a) / n
    lb, ub = wilson(both + only_b, n)
    la, ua = wilson(both + only_a, n)
    margins = (both + only_b) * (only_a + neither) * (both + only_a) * (only_b + neither)
    phi = (both * neither - only_b * only_a) / math.sqrt(margins) if margins else 0.0
    change = p_b - p_a
    low = change - math.sqrt(max(0.0, (p_b - lb) ** 2 - 2 * phi * (p_b - lb) * (ua - p_a) + (ua - p_a) ** 2))
    high = change + math.sqrt(max(0.0, (ub - p_b) ** 2 - 2 * phi * (ub - p_b) * (p_a - la) + (p_a - la) ** 2))
    return max(-1.0, low), min(1.0, high)


def paired_differences(targets: list[Target], result: RunTable, baseline: RunTable,
                       require_paired: bool = True) -> pd.DataFrame:
    """Per modelled target, what changed against a baseline ensemble of the same runs (run r of
    both has the same seed and the same drawn assumptions, common random numbers): each one's
    median, the median and 5-95% of the run-by-run difference of the target's value in its year,
    P(reach) of each and its change with the paired 95% interval (`paired_change_interval`), and
    the share of runs that do better. Pairing removes the noise between draws, so a small effect
    shows with few runs. Raises ValueError if the runs are not paired and `require_paired`.
    """
    if require_paired and not paired(result, baseline):
        raise ValueError("the ensembles are not paired (different runs, seeds or drawn assumptions)")
    rows = []
    for t in targets:
        if not t.modelled:
            continue
        mine, base = result.year_end(t.indicator), baseline.year_end(t.indicator)
        diff = mine[t.year].to_numpy() - base[t.year].to_numpy()
        ok = reaches(t, mine.columns.to_numpy(), mine.to_numpy())
        ok0 = reaches(t, base.columns.to_numpy(), base.to_numpy())
        low, high = paired_change_interval(int((ok & ok0).sum()), int((ok & ~ok0).sum()), int((ok0 & ~ok).sum()),
                                           int((~ok & ~ok0).sum()))
        sign = 1.0 if t.comparison in (">", ">=") else -1.0  # which way is better
        rows.append({"id": t.id, "indicator": t.indicator, "year": t.year,
                     "median": float(np.median(mine[t.year])), "median_baseline": float(np.median(base[t.year])),
                     "difference_median": float(np.median(diff)), "difference_p5": float(np.percentile(diff, 5)),
                     "difference_p95": float(np.percentile(diff, 95)),
                     "p_reach": float(ok.mean()), "p_reach_baseline": float(ok0.mean()),
                     "p_reach_change": float(ok.mean() - ok0.mean()), "p_reach_change_low": low,
                     "p_reach_change_high": high,
                     "share_better": float(np.mean(sign * diff > 1e-12)),
                     "share_worse": float(np.mean(sign * diff < -1e-12))})
    return pd.DataFrame(rows, columns=["id", "indicator", "year", "median", "median_baseline", "difference_median",
                                       "difference_p5", "difference_p95", "p_reach", "p_reach_baseline",
                                       "p_reach_change", "p_reach_change_low", "p_reach_change_high",
                                       "share_better", "share_worse"])
