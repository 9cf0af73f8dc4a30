"""Indicators: the model's state reduced to the stable, named shares of DESIGN §3.6.

Each function reads the model and returns plain numbers; nothing here changes state.
`INDICATORS` documents every name; targets may only use these names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import behaviour as kern
from sim.scenario import PROGRAMMES, SECTORS

if TYPE_CHECKING:
    from sim.model import CityModel

INDICATORS: dict[str, str] = {
    "online_services_adoption": "share of adult citizens who are adopters of online public services",
    "online_services_uptake": "share of people and businesses with a dossier in the last 12 months who filed online",
    "online_dossier_share": "share of the month's dossiers filed online",
    "cashless_adoption": "share of adult citizens who pay cashless",
    "cashless_share": "share of the month's retail transactions (count) paid cashless",
    "merchant_acceptance": "share of consumer-facing businesses accepting cashless",
    "account_ownership": "share of adults with a payment account",
    "smartphone_ownership": "share of adults with a smartphone",
    "coverage_4g": "share of adults whose home is covered by 4G",
    "coverage_5g": "share of adults whose home is covered by 5G",
    "digital_economy_share": "digital economy as a share of GRDP",
    "digital_economy_min_sector_share": "digital share of the least digital sector's value added",
    "business_online_services": "share of businesses using online public services",
    "backoffice_wait_days": "population-weighted mean wait for a dossier at the commune office",
    "dx_budget_share": "DX budget / total spending of the year",
    "dx_spent_vnd": "DX money actually disbursed (cumulative, VND)",
    **{f"dx_spent_{p}_vnd": f"DX money disbursed to {p} (cumulative, VND)" for p in PROGRAMMES},
}

COMMUNE_INDICATORS = ("online_services_adoption", "online_services_uptake", "cashless_adoption", "cashless_share",
                      "merchant_acceptance", "smartphone_ownership", "coverage_4g", "coverage_5g",
                      "backoffice_wait_days")


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else 0.0


def sector_digital_shares(model: "CityModel") -> np.ndarray:
    """Digital share of each sector's value added (same weights as `digital_economy_share`),
    from the per-commune, per-sector sums of the businesses' month."""
    digital, total = model.business_value_added.sum(axis=0).T
    return np.divide(digital, total, out=np.zeros(len(SECTORS)), where=total > 0)


def province_indicators(model: "CityModel") -> dict[str, float]:
    """Province-wide values, from the per-commune counts the month's kernels return (no rescans)."""
    c, b = model.citizens, model.businesses
    n = c.n
    cc, bc = model.citizen_counts.sum(axis=0), model.business_counts.sum(axis=0)
    d = model.dossiers  # per commune: online, offline, recent, recent online
    b_on, b_off = model.business_dossiers
    # The businesses' month has just counted the merchants.
    experienced = model.acceptance_experienced(model.business_counts[:, [kern.B_ACCEPTING, kern.B_CONSUMER]])
    va = model.business_value_added.sum(axis=(0, 1))
    sizes = np.diff(c.commune_start)
    gov = model.government
    out = {
        "online_services_adoption": _ratio(cc[kern.ONLINE_SERVICES], n),
        "online_services_uptake": _ratio(d[:, 3].sum() + bc[kern.B_RECENT_ONLINE], d[:, 2].sum() + bc[kern.B_RECENT]),
        "online_dossier_share": _ratio(d[:, 0].sum() + b_on, d[:, :2].sum() + b_on + b_off),
        "cashless_adoption": _ratio(cc[kern.CASHLESS], n),
        # Every adult makes the same number of purchases; an adopter's purchase is cashless
        # when the merchant accepts (expected count over the month's transactions).
        "cashless_share": _ratio((model.cashless_by_commune * experienced).sum(), n),
        "merchant_acceptance": _ratio(bc[kern.B_ACCEPTING], bc[kern.B_CONSUMER]),
        "account_ownership": _ratio(cc[kern.ACCOUNT], n),
        "smartphone_ownership": _ratio(cc[kern.SMARTPHONE], n),
        "coverage_4g": model.coverage.share("4g"),
        "coverage_5g": model.coverage.share("5g"),
        "digital_economy_share": _ratio(va[0], va[1]),
        "digital_economy_min_sector_share": float(sector_digital_shares(model).min()),
        "business_online_services": _ratio(bc[kern.B_ONLINE], b.n),
        "backoffice_wait_days": float((model.backoffice.wait_days * sizes).sum() / n),
        "dx_budget_share": gov.dx_budget_share if gov else 0.0,
        "dx_spent_vnd": gov.dx_spent_vnd if gov else 0.0,
    }
    for p in PROGRAMMES:
        out[f"dx_spent_{p}_vnd"] = gov.spent_by_programme[p] if gov else 0.0
    return out


def commune_indicators(model: "CityModel") -> list[dict]:
    """One row per commune: the indicators a map shows."""
    c, geo = model.citizens, model.geo
    sizes = np.diff(c.commune_start).astype(float)
    d = model.dossiers
    merchants = model.business_counts
    per = {
        "online_services_adoption": model.online_services_by_commune / sizes,
        "online_services_uptake": np.divide(d[:, 3], d[:, 2], out=np.zeros(geo.n), where=d[:, 2] > 0),
        "cashless_adoption": model.cashless_by_commune / sizes,
        "cashless_share": model.cashless_by_commune / sizes * model.acceptance_experienced(
            merchants[:, [kern.B_ACCEPTING, kern.B_CONSUMER]]),
        "merchant_acceptance": np.divide(merchants[:, kern.B_ACCEPTING], merchants[:, kern.B_CONSUMER],
                                         out=np.zeros(geo.n), where=merchants[:, kern.B_CONSUMER] > 0),
        "smartphone_ownership": model.citizen_counts[:, kern.SMARTPHONE] / sizes,
        "coverage_4g": model.coverage.by_commune["4g"] / sizes,
        "coverage_5g": model.coverage.by_commune["5g"] / sizes,
        "backoffice_wait_days": model.backoffice.wait_days,
    }
    return [{"commune": geo.names[i], "code": int(geo.codes[i]), "kind": geo.kinds[i],
             **{k: float(v[i]) for k, v in per.items()}} for i in range(geo.n)]
