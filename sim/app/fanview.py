"""A target's fan as data for the dashboard's interactive chart (fan_chart.vue): the 5-95% and
25-75% bands and the median over runs, month by month, the goal and its year, and the scenario
as loaded beside it. The same quantiles as the PNG fan (`sim.outputs.plots.fan_figure`); the
browser draws them, so a planner reads a month's values on hover and zooms into years."""

from __future__ import annotations

import numpy as np

from sim.experiments.ensemble import EnsembleResult
from sim.outputs.plots import monthly
from sim.outputs.verdict import Verdict, format_value
from sim.schema import PERCENT_INDICATORS

QUANTILES = (5, 25, 50, 75, 95)


def fan_data(v: Verdict, result: EnsembleResult, baseline: EnsembleResult | None = None) -> dict:
    """What fan_chart.vue draws: `t` (decimal years, mid-month), `q` (five rows: 5, 25, 50, 75
    and 95% of runs), `base` (the scenario as loaded's median, or empty), the goal, and how values
    read (`percent`: a share shown in per cent)."""
    t, values = monthly(result, v.indicator)
    q = np.percentile(values, QUANTILES, axis=0)
    base: list[float] = []
    if baseline is not None:
        tb, vb = monthly(baseline, v.indicator)
        if len(tb) == len(t):
            base = [round(float(x), 6) for x in np.median(vb, axis=0)]
    return {"t": [round(float(x), 4) for x in t], "q": [[round(float(x), 6) for x in row] for row in q],
            "base": base, "threshold": float(v.threshold), "goal": f"goal {v.comparison} "
            f"{format_value(v.threshold, v.indicator)}", "goal_year": int(v.year) + 1,
            "percent": v.indicator in PERCENT_INDICATORS,
            "runs": int(values.shape[0])}
