"""Two plans side by side on the same runs (`citytwin compare A B`): what B changes against A.

Both run with the same seeds, scale and runs, so run r of each draws the same assumptions
(common random numbers) whenever the two plans share their ranges, and the run-by-run difference
is the plans' difference, not the draws'. Per target: the paired difference of its value (median
and 5-95%), P(reach) of each with the change and its 95% interval for paired proportions
(`sim.experiments.outcomes.paired_change_interval`), and the
share of runs that do better or worse. Then the indicators that moved most at the horizon."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.experiments.ensemble import RunTable, paired
from sim.experiments.outcomes import paired_differences
from sim.inputs.targets import Target

# Indicators whose change says nothing about the plan's outcome (money is a lever's own echo
# only in part: it stays, being what the money bought; these are bookkeeping).
NOT_RANKED = ("dx_budget_share",)
MOVED = 5  # indicators listed as those that moved most


@dataclass
class Comparison:
    a: str
    b: str
    runs: int
    paired: bool              # the same draws in both (else the differences carry the draws' noise too)
    targets: pd.DataFrame     # one row per modelled target of A (the goals judged)
    moved: pd.DataFrame       # the indicators that moved most at the horizon
    horizon: int


def compare(targets: list[Target], a: RunTable, b: RunTable, name_a: str, name_b: str) -> Comparison:
    """What plan B changes against plan A, per target and for the indicators that moved most."""
    # B's changes against A, run by run: A is the baseline (`paired_differences`), its columns named
    # for the two plans.
    table = paired_differences(targets, b, a, require_paired=False).rename(columns={
        "median": "median_b", "median_baseline": "median_a", "p_reach": "p_reach_b", "p_reach_baseline": "p_reach_a"})
    horizon = int(a.indicators.year.max())
    return Comparison(name_a, name_b, len(a.runs), paired(b, a), table, moved_most(a, b, horizon), horizon)


def moved_most(a: RunTable, b: RunTable, year: int, count: int = MOVED) -> pd.DataFrame:
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
