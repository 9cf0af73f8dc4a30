"""Indicators: the model's state reduced to the stable, named shares of DESIGN §3.6.

Each function reads the model and returns plain numbers; nothing here changes state.
`sim.schema.INDICATORS` documents every name; targets may only use these names.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from sim.engine import behaviour as kern
from sim.engine import dti
from sim.engine.monitoring import (
    NO_STAFF_WAIT_DAYS,
    online_services_assisted,
    online_services_uptake,
    province_cashless_share,
    ratio,
    weighted,
)
from sim.engine.payments import cashless_share
from sim.names import OUTPUT_INDICATORS
from sim.schema import PROGRAMMES

if TYPE_CHECKING:
    from sim.engine.model import CityModel


class Recorder:
    """Steps a model month by month and records its indicators: the province's every month,
    each commune's every December and in the last month.

    Example:
        >>> from sim.inputs.scenario import load_scenario
        >>> from sim.engine.model import CityModel
        >>> rec = Recorder(CityModel.build(load_scenario("scenarios/dak_lak.toml"), seed=1, scale=0.01)).run()
        >>> 0.0 <= rec.latest["online_services_uptake"] <= 1.0 and len(rec.records) > 0
        True
    """

    def __init__(self, model: CityModel) -> None:
        self.model = model
        self.records: list[tuple[int, int, str, float]] = []  # (year, month, indicator, value)
        self.commune_records: list[dict] = []
        self.latest: dict[str, float] = {}
        self.seconds = 0.0  # spent measuring (the model's phases time themselves: `phase_seconds`)

    def step(self) -> None:
        """One month of the model, then its indicators."""
        m = self.model
        m.step()
        t0 = time.perf_counter()
        month = m.month  # the month just simulated (Mesa counts the step before running it)
        year, mon = m.calendar.year_month(month)
        self.latest = province_indicators(m)
        self.records.extend((year, mon, k, v) for k, v in self.latest.items())
        if mon == 12 or month == m.calendar.months - 1:
            self.commune_records += [row | {"year": year} for row in commune_indicators(m)]
        self.seconds += time.perf_counter() - t0

    @property
    def phase_seconds(self) -> dict[str, float]:
        """Seconds in each phase of the month, summed over the months, then in the indicators."""
        return dict(self.model.phase_seconds) | {"indicators": self.seconds}

    def run(self) -> Recorder:
        """Every month of the scenario's horizon."""
        for _ in range(self.model.calendar.months):
            self.step()
        return self


def province_indicators(model: CityModel) -> dict[str, float]:
    """Province-wide values, from the per-commune counts the month's kernels return (no rescans)."""
    c = model.world.citizens
    n = c.n
    counts = model.citizen_counts
    cc, bc = counts.sum(axis=0), model.business_counts.sum(axis=0)
    b_on, b_off = model.business_dossiers
    scale = model.world.scale
    digital, total = model.business_value_added.sum(axis=0).T
    economy = model.economy.shares(digital, total)
    sizes = np.diff(c.commune_start)
    cashless = (counts[:, kern.CASHLESS], sizes, model.acceptance_experienced(), model.habit.per_purchase())
    gov, tasks, delivered = model.government, model.tasks, model.programmes.delivered
    offices = model.offices
    out = {
        "online_services_adoption": ratio(cc[kern.ONLINE_SERVICES], n),
        "online_services_uptake": online_services_uptake(counts, model.business_counts, scale),
        "online_services_assisted": online_services_assisted(counts, model.business_counts, scale),
        "online_dossier_share": ratio(counts[:, kern.DOSSIERS_ONLINE].sum() / scale + b_on,
                                      counts[:, [kern.DOSSIERS_ONLINE, kern.DOSSIERS_OFFLINE]].sum() / scale
                                      + b_on + b_off),
        "procedures_online": float(model.state.procedures_online.mean()),
        "online_dossier_rejection": weighted(model.rejection, sizes),
        "cashless_adoption": ratio(cc[kern.CASHLESS], n),
        "cashless_share": province_cashless_share(*cashless),
        "merchant_acceptance": ratio(bc[kern.B_ACCEPTING], bc[kern.B_CONSUMER]),
        "account_ownership": ratio(cc[kern.ACCOUNT], n),
        "smartphone_ownership": ratio(cc[kern.SMARTPHONE], n),
        "coverage_4g": model.world.coverage.share("4g"),
        "coverage_5g": model.world.coverage.share("5g"),
        "digital_skill": float(c.skill.mean()),
        "digital_economy_share": economy["total"],
        "digital_economy_core_share": economy["core"],
        "digital_economy_digitalisation_share": economy["digitalisation"],
        "digital_economy_min_sector_share": economy["min_sector"],
        "grdp_growth": model.production.grdp_growth(),
        "labour_productivity_growth": model.production.labour_productivity_growth(),
        "tfp_growth": model.production.tfp_growth(),
        "grdp_growth_average": model.production.grdp_growth_average(),
        "tfp_contribution_share": model.production.tfp_contribution_share(),
        "digital_tfp_gain": model.production.digital_log_tfp,
        "hightech_export_share": model.exports.hightech_share(model.mid_month(model.month)),
        "business_online_services": ratio(bc[kern.B_ONLINE], model.world.businesses.weight.sum()),
        "backoffice_wait_days": weighted(offices.wait_days, sizes),
        "backoffice_overdue_share": weighted(offices.overdue_share, sizes),
        "backoffice_utilisation": weighted(offices.utilisation, sizes),
        "dx_budget_share": gov.dx_budget_share if gov else 0.0,
        "dx_spent_vnd": gov.dx_spent_vnd if gov else 0.0,
        "dx_unabsorbed_vnd": gov.unabsorbed_vnd if gov else 0.0,
    }
    for p in PROGRAMMES:
        out[f"dx_spent_{p}_vnd"] = gov.spent_by_programme[p] if gov else 0.0
    out["dx_spent_unmodelled_vnd"] = model.unmodelled_vnd
    for k in OUTPUT_INDICATORS:
        out[k] = float(delivered[k])
    out["r57_tasks_done"] = float(tasks.done) if tasks else 0.0
    out["r57_tasks_done_share"] = tasks.done / tasks.assigned if tasks else 0.0
    out["dti_proxy_score"] = dti.composite(out)
    out["dti_proxy_rank"] = dti.rank(out["dti_proxy_score"], model.mid_month(model.month), model.spec.province.code)
    return out


def commune_indicators(model: CityModel) -> list[dict]:
    """One row per commune: the indicators a map shows."""
    c, geo = model.world.citizens, model.world.geo
    sizes = np.diff(c.commune_start).astype(float)
    counts = model.citizen_counts
    recent, recent_online = counts[:, kern.RECENT], counts[:, kern.RECENT_ONLINE]
    merchants = model.business_counts
    acceptance = np.divide(merchants[:, kern.B_ACCEPTING], merchants[:, kern.B_CONSUMER],
                           out=np.zeros(geo.n), where=merchants[:, kern.B_CONSUMER] > 0)
    per = {
        "online_services_adoption": model.citizen_counts[:, kern.ONLINE_SERVICES] / sizes,
        "online_services_uptake": np.divide(recent_online, recent, out=np.zeros(geo.n), where=recent > 0),
        "online_services_assisted": np.divide(counts[:, kern.RECENT_ASSISTED], recent, out=np.zeros(geo.n),
                                              where=recent > 0),
        "cashless_adoption": model.citizen_counts[:, kern.CASHLESS] / sizes,
        "cashless_share": cashless_share(model.citizen_counts[:, kern.CASHLESS], np.diff(c.commune_start),
                                                 model.acceptance_experienced(), model.habit.per_purchase()),
        "merchant_acceptance": acceptance,
        "smartphone_ownership": model.citizen_counts[:, kern.SMARTPHONE] / sizes,
        "coverage_4g": model.world.coverage.by_commune["4g"] / sizes,
        "coverage_5g": model.world.coverage.by_commune["5g"] / sizes,
        "backoffice_wait_days": np.nan_to_num(model.offices.wait_days, posinf=NO_STAFF_WAIT_DAYS),
        "backoffice_overdue_share": model.offices.overdue_share,
    }
    return [{"commune": geo.names[i], "code": int(geo.codes[i]), "kind": geo.kinds[i],
             **{k: float(v[i]) for k, v in per.items()}} for i in range(geo.n)]
