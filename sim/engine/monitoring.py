"""What the provincial government sees of its province at the end of each month: the two
shares its adaptive re-allocation steers by (`Government._adapt`).

Part of the model layer because the government acts on it (a feedback inside the month
loop); `sim.engine.indicators` reports the same two figures through these functions, so there is
one formula for each. Each takes the arrays it reads, not the model.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sim.engine import behaviour as kern
from sim.engine.payments import cashless_share

Floats = NDArray[np.float64]
# A wait with no staff at all is infinite; averaged and mapped, ten years stands for it.
NO_STAFF_WAIT_DAYS = 3650.0  # structural: a display cap, not behaviour


def ratio(a: float, b: float) -> float:
    """a / b as a share (0 when b is 0); shares of weighted sums can exceed 1 by a rounding
    error, so clip."""
    return min(1.0, float(a) / float(b)) if b else 0.0


def weighted(values: NDArray[np.floating], weights: NDArray[np.number]) -> float:
    """Weighted mean that treats an infinite value (an office with no staff) as a very long one."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float64), posinf=NO_STAFF_WAIT_DAYS)
    return float((v * weights).sum() / max(weights.sum(), 1))


def online_services_uptake(citizen_counts: NDArray[np.int64], business_counts: Floats, scale: float) -> float:
    """Share of people and businesses with a dossier in the last 12 months who filed their
    latest online dossier themselves (people counted at their number, not as agents), from the
    per-commune counts of citizens (agents) and businesses (real), columns named in
    `sim.engine.behaviour`. A dossier a community digital team files for someone is not their
    use: it is `online_services_assisted`."""
    recent, recent_online = citizen_counts[:, kern.RECENT].sum(), citizen_counts[:, kern.RECENT_ONLINE].sum()
    bc = business_counts.sum(axis=0)
    return ratio(recent_online / scale + bc[kern.B_RECENT_ONLINE], recent / scale + bc[kern.B_RECENT])


def online_services_assisted(citizen_counts: NDArray[np.int64], business_counts: Floats, scale: float) -> float:
    """Share of people and businesses with a dossier in the last 12 months whose latest online
    dossier a community digital team filed for them (businesses file for themselves); with
    `online_services_uptake` and those who filed only on paper it makes the whole."""
    recent, assisted = citizen_counts[:, kern.RECENT].sum(), citizen_counts[:, kern.RECENT_ASSISTED].sum()
    bc = business_counts.sum(axis=0)
    return ratio(assisted / scale, recent / scale + bc[kern.B_RECENT])


def province_cashless_share(cashless: NDArray[np.int64], adults: NDArray[np.int64], acceptance: Floats,
                            per_purchase: Floats) -> float:
    """The province's share: every adult buys as often, so the adult-weighted communes' mean."""
    return weighted(cashless_share(cashless, adults, acceptance, per_purchase), adults)
