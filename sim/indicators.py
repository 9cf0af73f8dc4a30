"""Indicators: the model's state reduced to the stable, named shares of DESIGN §3.6.

Each function reads the model and returns plain numbers; nothing here changes state.
`sim.names.INDICATORS` documents every name; targets may only use these names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import behaviour as kern
from sim.names import OUTPUT_INDICATORS, PROGRAMMES
from sim.payments import cashless_share

if TYPE_CHECKING:
    from sim.model import CityModel

def _ratio(a: float, b: float) -> float:
    # Shares of weighted sums can exceed 1 by a rounding error; they are shares, so clip.
    return min(1.0, float(a) / float(b)) if b else 0.0


def _weighted(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted mean that treats an infinite value (an office with no staff) as a very long one."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float64), posinf=3650.0)
    return float((v * weights).sum() / max(weights.sum(), 1))


def province_indicators(model: CityModel) -> dict[str, float]:
    """Province-wide values, from the per-commune counts the month's kernels return (no rescans)."""
    c = model.citizens
    n = c.n
    cc, bc = model.citizen_counts.sum(axis=0), model.business_counts.sum(axis=0)
    d = model.dossiers  # per commune: online, offline, recent, recent online
    b_on, b_off = model.business_dossiers
    scale = model.scale
    experienced = model.acceptance_experienced()
    digital, total = model.business_value_added.sum(axis=0).T
    economy = model.economy.shares(digital, total)
    sizes = np.diff(c.commune_start)
    gov, tasks, delivered = model.government, model.tasks, model.programmes.delivered
    offices = model.offices
    out = {
        "online_services_adoption": _ratio(cc[kern.ONLINE_SERVICES], n),
        "online_services_uptake": _ratio(d[:, 3].sum() / scale + bc[kern.B_RECENT_ONLINE],
                                         d[:, 2].sum() / scale + bc[kern.B_RECENT]),
        "online_dossier_share": _ratio(d[:, 0].sum() / scale + b_on, d[:, :2].sum() / scale + b_on + b_off),
        "procedures_online": float(model.state.procedures_online.mean()),
        "online_dossier_rejection": _weighted(model.rejection, sizes),
        "cashless_adoption": _ratio(cc[kern.CASHLESS], n),
        # Every adult buys as often, so the province's share is the adult-weighted communes'.
        "cashless_share": _weighted(cashless_share(model.citizen_counts[:, kern.CASHLESS], sizes, experienced,
                                                   model.habit.per_purchase()), sizes),
        "merchant_acceptance": _ratio(bc[kern.B_ACCEPTING], bc[kern.B_CONSUMER]),
        "account_ownership": _ratio(cc[kern.ACCOUNT], n),
        "smartphone_ownership": _ratio(cc[kern.SMARTPHONE], n),
        "coverage_4g": model.coverage.share("4g"),
        "coverage_5g": model.coverage.share("5g"),
        "digital_skill": float(c.skill.mean()),
        "digital_economy_share": economy["total"],
        "digital_economy_core_share": economy["core"],
        "digital_economy_digitalisation_share": economy["digitalisation"],
        "digital_economy_min_sector_share": economy["min_sector"],
        "business_online_services": _ratio(bc[kern.B_ONLINE], model.businesses.weight.sum()),
        "backoffice_wait_days": _weighted(offices.wait_days, sizes),
        "backoffice_overdue_share": _weighted(offices.overdue_share, sizes),
        "backoffice_utilisation": _weighted(offices.utilisation, sizes),
        "dx_budget_share": gov.dx_budget_share if gov else 0.0,
        "dx_spent_vnd": gov.dx_spent_vnd if gov else 0.0,
        "dx_unabsorbed_vnd": gov.unabsorbed_vnd if gov else 0.0,
    }
    for p in PROGRAMMES:
        out[f"dx_spent_{p}_vnd"] = gov.spent_by_programme[p] if gov else 0.0
    for k in OUTPUT_INDICATORS:
        out[k] = float(delivered[k])
    out["r57_tasks_done"] = float(tasks.done) if tasks else 0.0
    out["r57_tasks_done_share"] = tasks.done / tasks.assigned if tasks else 0.0
    return out


def commune_indicators(model: CityModel) -> list[dict]:
    """One row per commune: the indicators a map shows."""
    c, geo = model.citizens, model.geo
    sizes = np.diff(c.commune_start).astype(float)
    d = model.dossiers
    merchants = model.business_counts
    acceptance = np.divide(merchants[:, kern.B_ACCEPTING], merchants[:, kern.B_CONSUMER],
                           out=np.zeros(geo.n), where=merchants[:, kern.B_CONSUMER] > 0)
    per = {
        "online_services_adoption": model.citizen_counts[:, kern.ONLINE_SERVICES] / sizes,
        "online_services_uptake": np.divide(d[:, 3], d[:, 2], out=np.zeros(geo.n), where=d[:, 2] > 0),
        "cashless_adoption": model.citizen_counts[:, kern.CASHLESS] / sizes,
        "cashless_share": cashless_share(model.citizen_counts[:, kern.CASHLESS], sizes,
                                         model.acceptance_experienced(), model.habit.per_purchase()),
        "merchant_acceptance": acceptance,
        "smartphone_ownership": model.citizen_counts[:, kern.SMARTPHONE] / sizes,
        "coverage_4g": model.coverage.by_commune["4g"] / sizes,
        "coverage_5g": model.coverage.by_commune["5g"] / sizes,
        "backoffice_wait_days": np.nan_to_num(model.offices.wait_days, posinf=3650.0),
        "backoffice_overdue_share": model.offices.overdue_share,
    }
    return [{"commune": geo.names[i], "code": int(geo.codes[i]), "kind": geo.kinds[i],
             **{k: float(v[i]) for k, v in per.items()}} for i in range(geo.n)]
