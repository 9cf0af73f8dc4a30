"""What the nation decides for every province: the share of procedures offered online.

The list of administrative procedures and the national public-service portal are national
(FACTS.md: 28% of eligible procedures online in 2021, 51.5% in August 2024). A province
cannot buy them, so the model reads them as forcing: the known points interpolated month by
month, then a constant yearly gain in the log-odds of (share / ceiling), the shape of the
known points, with the pace and the ceiling drawn per run from their ranges.

Checked against: the two known points (reproduced exactly) and the national dossier series in
`scenarios/validation/vietnam_dossiers.toml` (VALIDATION.md, "Online public services").
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sim.schema import ForcingSpec


def month_index(start_year: int, start_month: int, year: int, month: int) -> int:
    return (year - start_year) * 12 + (month - start_month)


def procedures_online_path(forcing: ForcingSpec, start_year: int, start_month: int,
                           months: int) -> NDArray[np.float64]:
    """(months,) share of procedures offered online in each simulated month."""
    points = forcing.procedures_online
    at = np.array([month_index(start_year, start_month, p.year, p.month) for p in points], dtype=np.float64)
    value = np.array([p.value for p in points])
    t = np.arange(months, dtype=np.float64)
    path = np.interp(t, at, value)  # flat before the first point (and after the last, without a trend)
    if forcing.procedures_online_trend is not None and forcing.procedures_online_ceiling is not None:
        ceiling = forcing.procedures_online_ceiling.value
        last = value[-1] / ceiling
        logit = np.log(last / (1.0 - last)) + forcing.procedures_online_trend.value * (t - at[-1]) / 12.0
        after = t > at[-1]
        path[after] = ceiling / (1.0 + np.exp(-logit[after]))
    return path
