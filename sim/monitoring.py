"""What the provincial government sees of its province at the end of each month: the two
shares its adaptive re-allocation steers by (`Government._adapt`).

Part of the model layer because the government acts on it (a feedback inside the month
loop); `sim.indicators` reports the same two figures through these functions, so there is
one formula for each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import behaviour as kern
from sim.payments import cashless_share

if TYPE_CHECKING:
    from sim.model import CityModel


def ratio(a: float, b: float) -> float:
    """a / b as a share (0 when b is 0); shares of weighted sums can exceed 1 by a rounding
    error, so clip."""
    return min(1.0, float(a) / float(b)) if b else 0.0


def weighted(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted mean that treats an infinite value (an office with no staff) as a very long one."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float64), posinf=3650.0)
    return float((v * weights).sum() / max(weights.sum(), 1))


def online_services_uptake(model: CityModel) -> float:
    """Share of people and businesses with a dossier in the last 12 months who filed online
    (people counted at their number, not as agents)."""
    d = model.dossiers  # per commune: online, offline, recent, recent online
    bc = model.business_counts.sum(axis=0)
    return ratio(d[:, 3].sum() / model.world.scale + bc[kern.B_RECENT_ONLINE],
                 d[:, 2].sum() / model.world.scale + bc[kern.B_RECENT])


def commune_cashless_share(model: CityModel) -> np.ndarray:
    """Share of each commune's retail purchases (count) paid cashless."""
    sizes = np.diff(model.world.citizens.commune_start)
    return cashless_share(model.citizen_counts[:, kern.CASHLESS], sizes, model.acceptance_experienced(),
                          model.habit.per_purchase())


def province_cashless_share(model: CityModel) -> float:
    """The province's share: every adult buys as often, so the adult-weighted communes' mean."""
    return weighted(commune_cashless_share(model), np.diff(model.world.citizens.commune_start))


def monitor(model: CityModel) -> dict[str, float]:
    return {"online_services_uptake": online_services_uptake(model), "cashless_share": province_cashless_share(model)}
