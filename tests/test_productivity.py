"""Growth accounting and exports (issue 27): the identities, the response to firms' digital
adoption, and named investments that move exports in their producing year, not before."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import ROOT

from sim.engine.indicators import Recorder
from sim.engine.model import CityModel
from sim.inputs.scenario import load_scenario
from sim.schema import ExportsSpec
from sim.world.exports import Exports
from sim.world.production import Production

SMALL = ["ensemble.scale=0.003", "ensemble.uncertainty=false"]


def _production(province: str = "dak_lak", *sets: str) -> Production:
    spec = load_scenario(ROOT / "scenarios" / f"{province}.toml", [*SMALL, *sets])
    return Production.start(spec.economy.production, spec.behaviour.digital_economy.core_growth.value,
                            digital=0.3, core=0.05)


@pytest.mark.parametrize("province", ["dak_lak", "dong_nai", "hai_phong"])
def test_on_the_historical_pace_the_province_grows_as_its_history(province: str) -> None:
    """Firms and the core keeping the history's pace: the first year's GRDP growth is the
    history's (the base TFP growth is its residual), labour productivity the same less employment."""
    p = _production(province)
    s = p.spec
    for month in range(1, 13):
        core = p.core0 + p.core0 * (1 - p.core0) * p.core_growth * month / 12
        p.month(p.digital0 + s.digital_pace_history.value * month / 12, core)
    assert p.grdp_growth() == pytest.approx(s.grdp_growth_history.value, abs=0.002)
    lp = (1 + s.grdp_growth_history.value) / (1 + s.employment_growth.value) - 1
    assert p.labour_productivity_growth() == pytest.approx(lp, abs=0.002)
    assert 0.0 < p.tfp_contribution_share() < 1.0
    # Before twelve months have passed, the year-ago level is the history's trend: no jump at the start.
    q = _production(province)
    q.month(q.digital0 + s.digital_pace_history.value / 12, q.core0)
    assert q.grdp_growth() == pytest.approx(s.grdp_growth_history.value, abs=0.003)


def test_a_years_shock_moves_that_years_growth_and_the_level_after_it() -> None:
    """A run's yearly TFP shock adds to that year's growth; the level keeps it (growth shocks, as
    years of fast or slow growth are not made up the year after)."""
    base, shocked = _production(), _production()
    shocked.shocks = (0.02, 0.0)
    for p in (base, shocked):
        for _ in range(24):
            p.month(p.digital0, p.core0)
    assert shocked.log_tfp - base.log_tfp == pytest.approx(0.02)
    years = [np.log1p(p.grdp_growth()) for p in (base, shocked)]
    assert abs(years[1] - years[0]) < 0.005  # the second year grows at the path's rate again


def test_the_model_draws_each_years_shock_from_its_own_stream() -> None:
    spec = load_scenario(ROOT / "scenarios" / "dak_lak.toml", SMALL)
    a, b, c = (CityModel.build(spec, seed=s).production.shocks for s in (1, 1, 2))
    assert len(a) == 11 and a == b and a != c
    assert 0.0 < float(np.std(a)) < 4 * spec.economy.production.tfp_shock_sd.value
    still = load_scenario(ROOT / "scenarios" / "dak_lak.toml",
                          [*SMALL, "economy.production.tfp_shock_sd={value = 0.0, source = 'no shocks here'}"])
    assert set(CityModel.build(still, seed=1).production.shocks) == {0.0}


def test_more_digital_adoption_more_tfp_and_nothing_else_moves_capital() -> None:
    runs = {}
    for digital in (0.3, 0.4, 0.5):
        p = _production()
        for _ in range(24):
            p.month(digital, p.core0)
        runs[digital] = p
    gains = [runs[d].digital_log_tfp for d in (0.3, 0.4, 0.5)]
    assert gains[0] == 0.0 and gains[0] < gains[1] < gains[2]
    assert runs[0.5].tfp_contribution_share() > runs[0.3].tfp_contribution_share()
    assert runs[0.5].log_labour == runs[0.3].log_labour
    # Capital accumulates from investment out of GRDP: more TFP, more GRDP, more capital.
    assert runs[0.5].log_capital > runs[0.3].log_capital


def test_tfp_share_is_the_ratio_of_average_growths() -> None:
    p = _production()
    for _ in range(60):
        p.month(p.digital0, p.core0)
    assert p.tfp_contribution_share() == pytest.approx(p.tfp_growth() / p.grdp_growth_average())
    assert p.grdp_growth_average() == pytest.approx(p.log_grdp / 5)


def _exports(**investment: object) -> Exports:
    inv = {"stage": "announced", "stage_year": 2025,
           "approval_years": {"value": 1.0, "source": "test"}, "construction_years": {"value": 2.0, "source": "test"},
           "ramp_years": {"value": 2.0, "source": "test"}, "exports_usd": {"value": 10e9, "source": "test"},
           "source": "test"} | investment
    spec = ExportsSpec.model_validate({
        "exports_usd": {"value": 20e9, "source": "test"}, "hightech_share": {"value": 0.2, "source": "test"},
        "growth": {"value": 0.05, "source": "test"}, "hightech_growth_premium": {"value": 0.0, "source": "test"},
        "investments": {"park": inv}})
    return Exports.start(spec, 2025)


def test_a_named_investment_exports_from_its_producing_year_not_before() -> None:
    x = _exports()
    assert x.producing_from[0] == 2028.0  # announced 2025, one year to build permits, two to build
    before = [x.hightech_share(2025 + m / 12) for m in range(36)]
    assert np.allclose(before, 0.2)  # everything else grows alike: the share holds until it produces
    assert x.investments_at(2027.99)[0] == 0.0 and x.investments_at(2028.5)[0] == pytest.approx(2.5e9)
    assert x.investments_at(2031.0)[0] == 10e9  # full after the ramp
    assert x.hightech_share(2028.5) > 0.2 and x.hightech_share(2031) > x.hightech_share(2029)
    under = _exports(stage="under_construction")
    assert under.producing_from[0] == 2027.0
    producing = _exports(stage="producing", stage_year=2024, ramp_years={"value": 0.0, "source": "test"})
    assert producing.investments_at(2025.0)[0] == 10e9
    low_tech = _exports(hightech=False)
    assert low_tech.hightech_share(2031) < 0.2  # it exports, but not high-tech goods


def test_the_model_records_productivity_and_exports_every_month() -> None:
    spec = load_scenario(ROOT / "scenarios" / "dong_nai.toml", [*SMALL, 'time.end="2030-12"'])
    rec = Recorder(CityModel.build(spec, seed=3))
    for _ in range(24):
        rec.step()
    values = {k: [v for (_, _, name, v) in rec.records if name == k]
              for k in ("grdp_growth", "labour_productivity_growth", "tfp_contribution_share", "hightech_export_share")}
    assert all(len(v) == 24 and all(math.isfinite(x) for x in v) for v in values.values())
    # Month to month, GRDP growth on a year earlier moves smoothly (no step at the start or the new year).
    assert np.abs(np.diff(values["grdp_growth"])).max() < 0.005
    assert rec.phase_seconds["economy"] < 0.05 * sum(rec.phase_seconds.values())


def test_long_thanh_moves_dong_nai_exports_from_its_producing_month_and_not_before() -> None:
    """The park (announced 2025, two years to tenants' construction, 1.6 to production at the
    scenario's values) adds high-tech exports from mid-2028, and not a month earlier."""
    sets = [*SMALL, 'time.end="2030-12"']
    runs, starts = {}, {}
    for name, extra in (("with", []), ("without", ["economy.exports.investments={}"])):
        rec = Recorder(CityModel.build(load_scenario(ROOT / "scenarios" / "dong_nai.toml", [*sets, *extra]), seed=2))
        rec.run()
        runs[name] = {(y, m): v for (y, m, k, v) in rec.records if k == "hightech_export_share"}
        starts[name] = rec.model.exports.producing_from
    start = starts["with"][0]
    assert start == pytest.approx(2028.6)
    gap = {ym: runs["with"][ym] - runs["without"][ym] for ym in runs["with"]}
    for (y, m), g in gap.items():
        middle = y + (m - 0.5) / 12
        assert (g > 0) == (middle > start), (y, m, g)
    assert gap[(2030, 12)] > 0.02  # a sizeable plant: about 2 bn USD a year at full production


def test_economy_draws_drive_only_the_growth_indicators() -> None:
    """The economy block feeds nothing but growth accounting and exports: a draw of it that happens
    to rank-correlate with online uptake over a few runs is not named as uptake's driver."""
    from sim.experiments.ensemble import RunResult
    from sim.experiments.sensitivity import rank_drivers
    from sim.inputs.targets import Target

    names = ["online_services_uptake", "tfp_contribution_share"]
    runs = [RunResult(run=i, seed=i, years=np.array([2030]), months=np.array([12]), names=names,
                      values=np.array([[0.5 + 0.01 * i, 0.4 + 0.01 * i]]), communes=[], citizens=1, businesses=1,
                      build_seconds=0.0, run_seconds=0.0,
                      parameters={"economy.production.capital_share": 0.3 + 0.01 * i,
                                  "behaviour.online_services.q": 0.3 + 0.02 * (i ^ 1)})
            for i in range(10)]
    targets = [Target("up", "online_services_uptake", ">=", 0.8, 2030, "test"),
               Target("tfp", "tfp_contribution_share", ">=", 0.42, 2030, "test")]
    drivers = rank_drivers(targets, runs).by_target
    assert "economy.production.capital_share" not in drivers["up"]
    assert drivers["up"] == ["behaviour.online_services.q"]
    assert drivers["tfp"][0] == "economy.production.capital_share"


def test_provinces_share_part_of_a_years_shock_and_not_all_of_it() -> None:
    """Run r of two provinces (the same seed, as in a national run) shares the national part of each
    year's shock: correlated as `tfp_shock_national_share` says, never identical."""
    draws = {}
    for name in ("dak_lak", "dong_nai"):
        spec = load_scenario(ROOT / "scenarios" / f"{name}.toml", SMALL)
        draws[name] = np.concatenate([CityModel.build(spec, seed=s).production.shocks for s in range(12)])
    rho = float(np.corrcoef(draws["dak_lak"], draws["dong_nai"])[0, 1])
    assert 0.2 < rho < 0.8 and not np.allclose(draws["dak_lak"], draws["dong_nai"])
