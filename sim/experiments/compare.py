"""Two plans side by side on the same runs (`citytwin compare A B`): what B changes against A.

Both run with the same seeds, scale and runs, so run r of each draws the same assumptions
(common random numbers) whenever the two plans share their ranges, and the run-by-run difference
is the plans' difference, not the draws'. Per target: the paired difference of its value (median
and 5-95%), P(reach) of each with the change and its 95% interval for paired proportions
(Newcombe 1998, method 10: Wilson intervals combined with the runs' correlation), and the
share of runs that do better or worse. Then the indicators that moved most at the horizon."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.experiments.ensemble import EnsembleResult, paired
from sim.experiments.outcomes import reaches, wilson
from sim.inputs.targets import Target

# Indicators whose change says nothing about the plan's outcome (money is a lever's own echo
# only in part: it stays, being what the money bought; these are bookkeeping).
NOT_RANKED = ("dx_budget_share",)
MOVED = 5  # indicators listed as those that moved most


def paired_change_interval(both: int, only_b: int, only_a: int, neither: int) -> tuple[float, float]:
    """95% interval of P_B - P_A from paired yes/no outcomes (Newcombe's method 10).

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


@dataclass
class Comparison:
    a: str
    b: str
    runs: int
    paired: bool              # the same draws in both (else the differences carry the draws' noise too)
    targets: pd.DataFrame     # one row per modelled target of A (the goals judged)
    moved: pd.DataFrame       # the indicators that moved most at the horizon
    horizon: int


def compare(targets: list[Target], a: EnsembleResult, b: EnsembleResult, name_a: str, name_b: str) -> Comparison:
    """What plan B changes against plan A, per target and for the indicators that moved most."""
    same = paired(b, a)
    rows = []
    for t in targets:
        if not t.modelled:
            continue
        ta, tb = a.year_end(t.indicator), b.year_end(t.indicator)
        diff = tb[t.year].to_numpy() - ta[t.year].to_numpy()
        ok_a = reaches(t, ta.columns.to_numpy(), ta.to_numpy())
        ok_b = reaches(t, tb.columns.to_numpy(), tb.to_numpy())
        both, only_b = int((ok_a & ok_b).sum()), int((ok_b & ~ok_a).sum())
        only_a, neither = int((ok_a & ~ok_b).sum()), int((~ok_a & ~ok_b).sum())
        low, high = paired_change_interval(both, only_b, only_a, neither)
        better = 1.0 if t.comparison in (">", ">=") else -1.0
        rows.append({"id": t.id, "indicator": t.indicator, "year": t.year,
                     "median_a": float(np.median(ta[t.year])), "median_b": float(np.median(tb[t.year])),
                     "difference_median": float(np.median(diff)), "difference_p5": float(np.percentile(diff, 5)),
                     "difference_p95": float(np.percentile(diff, 95)),
                     "p_reach_a": float(ok_a.mean()), "p_reach_b": float(ok_b.mean()),
                     "p_reach_change": float(ok_b.mean() - ok_a.mean()), "p_reach_change_low": low,
                     "p_reach_change_high": high,
                     "share_better": float(np.mean(better * diff > 1e-12)),
                     "share_worse": float(np.mean(better * diff < -1e-12))})
    horizon = int(a.indicators.year.max())
    return Comparison(name_a, name_b, len(a.runs), same, pd.DataFrame(rows), moved_most(a, b, horizon), horizon)


def moved_most(a: EnsembleResult, b: EnsembleResult, year: int, count: int = MOVED) -> pd.DataFrame:
    """The indicators whose median moved most between the plans at the end of `year`, by the
    paired change relative to A's spread over runs (a change the draws alone would not make) or,
    where A does not vary, to A's own level."""
    rows = []
    for name in sorted(set(a.indicators.indicator)):
        if name in NOT_RANKED:
            continue
        va, vb = a.year_end(name), b.year_end(name)
        if year not in va.columns or year not in vb.columns:
            continue
        x, y = va[year].to_numpy(), vb[year].to_numpy()
        change = float(np.median(y - x))
        if abs(change) < 1e-12:
            continue
        spread = float(np.percentile(x, 95) - np.percentile(x, 5))
        scale = spread if spread > 1e-12 else max(abs(float(np.median(x))), 1e-12)
        rows.append({"indicator": name, "year": year, "median_a": float(np.median(x)), "median_b": float(np.median(y)),
                     "difference_median": change, "relative": abs(change) / scale})
    table = pd.DataFrame(rows, columns=["indicator", "year", "median_a", "median_b", "difference_median", "relative"])
    return table.sort_values("relative", ascending=False, kind="stable").head(count).reset_index(drop=True)
