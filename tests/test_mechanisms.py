"""Face validity and response of the mechanisms (issue 10): behaviour, not smoke.

Face validity: no jump the data do not show. Response: every lever moves something, more
money never hurts, returns diminish, waits rise when offices shrink. Ensembles are small
(scale 0.003) and paired by seed, so a difference is the lever's, not the draw's.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from sim.engine.indicators import Recorder
from sim.engine.model import CityModel
from sim.experiments.ensemble import run_ensemble
from sim.experiments.execution import Execution
from sim.inputs.scenario import load_scenario
from sim.schema import PROGRAMMES, levers, lookup
from sim.world.economy import DEFINITIONS

PROVINCES = ("dak_lak", "da_nang", "dong_nai", "hai_phong")
SMALL = ["ensemble.scale=0.003"]
# Share indicators whose yearly change the face-validity test bounds at 10 points.
SHARES = ("online_services_adoption", "online_services_uptake", "online_dossier_share", "cashless_adoption",
          "cashless_share", "merchant_acceptance", "account_ownership", "smartphone_ownership", "coverage_4g",
          "business_online_services", "procedures_online", "online_dossier_rejection")
# Jumps the data show, each with the scenario key that names its cause (checked below).
NAMED_CAUSES = {
    # Viettel built 700 5G sites in Dak Lak in 2025 (80% outdoor coverage); nationally 5G went
    # from none to ~26% of people within a year (FACTS.md): coverage may jump.
    "coverage_5g": "infrastructure.commercial_5g_per_year",
    # E-invoice and e-tax mandates reach household businesses in the mandate year.
    "business_online_services": "behaviour.business_services.mandate_year",
    # Household stalls stop fearing visible revenue once it must be declared anyway.
    "merchant_acceptance": "behaviour.merchants.tax_declaration_year",
}
NOT_OUTCOMES = re.compile(r"^dx_.*")  # money accounting moves whenever money does
# Known jumps of the model, not of the data, each held to a bound until its issue is done (none now).
KNOWN: dict[tuple[str, str], float] = {}


def _ensemble(province: str, *sets: str, runs: int = 6, seed: int = 7, uncertainty: bool = True):
    spec = load_scenario(ROOT / "scenarios" / f"{province}.toml",
                         [*SMALL, f"ensemble.uncertainty={'true' if uncertainty else 'false'}", *sets])
    return run_ensemble(spec, runs=runs, seed=seed, execution=Execution("inline"))


def _medians(result, indicator: str) -> np.ndarray:
    """Median over runs of the first quarter of 2025, then of every last quarter: a quarter, so
    that a monthly flow (the month's dossiers) is not one month's sampling noise."""
    df = result.indicators
    d = df[df.indicator == indicator]
    first_year = d.year.min()
    start = d[(d.year == first_year) & (d.month <= 3)].groupby("run").value.mean().median()
    last_quarter = d[d.month >= 10].groupby(["run", "year"]).value.mean().unstack("year")
    return np.r_[start, last_quarter.median(axis=0).to_numpy()]


@pytest.mark.parametrize("province", PROVINCES)
def test_no_jumps_the_data_do_not_show(province: str) -> None:
    spec = load_scenario(ROOT / "scenarios" / f"{province}.toml")
    result = _ensemble(province)
    for indicator in SHARES:
        jumps = np.abs(np.diff(_medians(result, indicator)))
        if indicator in NAMED_CAUSES:
            assert lookup(spec.model_dump(), NAMED_CAUSES[indicator]) is not None
            assert jumps.max() <= 0.25, (province, indicator, jumps)  # even a named cause is gradual
            continue
        assert jumps.max() <= KNOWN.get((province, indicator), 0.10), (province, indicator, jumps.round(3))
    # The digital economy: at most 3 points of GRDP a year without a named investment.
    assert not spec.behaviour.digital_economy.investments
    de = np.diff(_medians(result, "digital_economy_share"))
    assert np.abs(de).max() <= 0.03, (province, de.round(4))
    assert (de > 0).all()  # it grows, as the national series does (MIC +2 points a year)
    # Productivity: labour productivity growth changes from one year to the next by no more than the
    # largest recorded change (nationally 4.8% 2022, 3.65% 2023, 5.88% 2024: 2.2 points; margin to
    # 3), and TFP's share of growth stays within the bounds provincial and national accounts have
    # shown (Hà Giang 10% 2011-2020 to the nation's 46% 2019, seeds/research) widened by the seed
    # provinces' ranges (no study covers them).
    lp = np.diff(_medians(result, "labour_productivity_growth"))
    assert np.abs(lp).max() <= 0.03, (province, lp.round(4))
    tfp = _medians(result, "tfp_contribution_share")[1:]
    assert ((tfp > 0.10) & (tfp < 0.70)).all(), (province, tfp.round(3))
    # High-tech exports move without a named investment only as fast as their growth premium allows.
    ht = np.diff(_medians(result, "hightech_export_share"))
    assert np.abs(ht).max() <= (0.10 if spec.economy.exports.investments else 0.02), (province, ht.round(4))


def test_a_named_investment_may_jump_and_is_the_cause() -> None:
    """A data-centre park adding 5% of GRDP to the core lands in its year, and only then."""
    base = _ensemble("dak_lak", runs=2, uncertainty=False)
    invest = _ensemble("dak_lak", 'behaviour.digital_economy.investments=[{name = "data-centre park", year = 2028, '
                       'core_share_added = 0.05, source = "test"}]', runs=2, uncertainty=False)
    gap = _medians(invest, "digital_economy_share") - _medians(base, "digital_economy_share")
    years = np.arange(2024, 2036)  # index 0 is January 2025
    assert np.allclose(gap[years < 2028], 0.0)
    assert gap[years == 2028][0] > 0.04 and np.diff(gap)[years[1:] == 2028][0] > 0.03


def test_starting_values_reproduce_the_baseline() -> None:
    """The first month's indicators are the scenario's starting values (one definition each)."""
    for province in PROVINCES:
        spec = load_scenario(ROOT / "scenarios" / f"{province}.toml", [*SMALL])
        m = Recorder(CityModel.build(spec, seed=1))
        m.step()
        b = spec.baseline
        for indicator, node, tol in (("smartphone_ownership", b.smartphone_ownership, 0.01),
                                     ("account_ownership", b.account_ownership, 0.01),
                                     ("online_services_adoption", b.online_services_adoption, 0.01),
                                     ("cashless_adoption", b.cashless_adoption, 0.01),
                                     ("merchant_acceptance", b.merchant_acceptance, 0.03),
                                     ("business_online_services", b.business_online_services, 0.03),
                                     ("digital_economy_share", b.digital_economy_share, 0.01)):
            value = m.latest[indicator]
            assert abs(value - node.value) <= tol, (province, indicator, value, node.value)
            if node.range:
                assert node.range[0] - tol <= value <= node.range[1] + tol
        assert m.latest["digital_economy_core_share"] == pytest.approx(b.digital_economy_core_share, abs=0.001)
        assert m.latest["backoffice_overdue_share"] < 0.10  # provinces report a few per cent late


@pytest.fixture(scope="module")
def dx_share_sweep():
    shares = (0.0, 0.01, 0.03, 0.06, 0.10)
    # Runs stop at 2030, the year judged: the months after it change nothing before it (tests/test_seek.py).
    return shares, {s: _ensemble("dak_lak", f"budget.dx_share={s}", 'time.end="2030-12"', runs=6, uncertainty=False)
                    for s in shares}


@pytest.mark.parametrize("indicator", ["online_services_uptake", "cashless_share", "digital_economy_share",
                                       "digital_tfp_gain"])
def test_more_money_never_hurts_and_returns_diminish(dx_share_sweep, indicator: str) -> None:
    shares, results = dx_share_sweep
    medians = np.array([np.median(results[s].year_end(indicator)[2030]) for s in shares])
    # Within the noise of paired medians: at this scale a run's paired difference between two budget
    # levels has sd ~0.0056 where the effect has run out (cashless share, 16 runs, measured), so a
    # median of 6 moves by ~0.003 (one standard error); two are allowed.
    assert (np.diff(medians) >= -0.006).all(), (indicator, medians.round(4))
    assert medians[-1] > medians[0] + 0.005, (indicator, medians.round(4))
    per_point = np.diff(medians) / np.diff(shares)
    # Each point of the budget buys no more than the one before, within the noise of paired medians
    # where the effect has run out (0.003 of a share per point).
    assert (np.diff(per_point) <= 0.3).all(), (indicator, per_point.round(3))
    assert per_point[-1] < per_point[0], (indicator, per_point.round(3))


def test_money_beyond_absorptive_capacity_returns(dx_share_sweep) -> None:
    shares, results = dx_share_sweep
    spent = [np.median(results[s].year_end("dx_spent_vnd")[2030]) for s in shares]
    unabsorbed = [np.median(results[s].year_end("dx_unabsorbed_vnd")[2030]) for s in shares]
    assert np.all(np.diff(spent) > 0) and np.all(np.diff(unabsorbed) >= 0)
    # At 10% most extra money finds no capacity: the share not absorbed grows with the budget.
    frac = np.array(unabsorbed[1:]) / (np.array(spent[1:]) + np.array(unabsorbed[1:]))
    assert np.all(np.diff(frac) > 0), frac.round(3)


def _doubled(spec_data: dict, key: str) -> str:
    """`--set` text that doubles a lever; a share in a table is doubled and the rest rescaled."""
    parts = key.split(".")
    value = lookup(spec_data, key)
    if len(parts) == 3:  # a table of shares summing to one
        table = dict(lookup(spec_data, ".".join(parts[:2])))
        new = min(1.0, max(2 * value, 0.1))
        rest = sum(v for k, v in table.items() if k != parts[2])
        for k in table:
            table[k] = new if k == parts[2] else (table[k] * (1 - new) / rest if rest else (1 - new) / (len(table) - 1))
        body = ", ".join(f"{k} = {v!r}" for k, v in table.items())
        return f"{'.'.join(parts[:2])}={{{body}}}"
    doubled = min(1.0, 2 * value) if value > 0 else 0.01
    return f"{key}={doubled!r}"


def test_every_lever_and_programme_moves_an_outcome() -> None:
    """Doubling any lever (or adding a programme's money again as a policy) moves at least one
    indicator that is not money accounting. Da Nang: its Resolution 57 tasks let research act."""
    path = ROOT / "scenarios" / "da_nang.toml"
    spec = load_scenario(path, SMALL)
    data = spec.model_dump()

    def outcomes(*sets: str) -> dict[str, np.ndarray]:
        s = load_scenario(path, [*SMALL, "ensemble.uncertainty=false", *sets])
        r = run_ensemble(s, runs=1, seed=3, execution=Execution("inline")).runs[0]
        return {n: r.values[:, i] for i, n in enumerate(r.names) if not NOT_OUTCOMES.match(n)}

    base = outcomes()
    adaptive = outcomes("budget.adaptive=true")
    dead = []
    for key in levers(spec):
        if key == "budget.adaptive_shift":  # it acts when the government adapts
            moved = outcomes("budget.adaptive=true", _doubled(data, key))
            reference = adaptive
        elif key == "budget.adaptive_target":  # a target both shares already meet: nothing is moved
            moved, reference = outcomes("budget.adaptive=true", f"{key}=0.01"), adaptive
        else:
            moved, reference = outcomes(_doubled(data, key)), base
        if not any(not np.array_equal(moved[n], reference[n]) for n in reference):
            dead.append(key)
    yearly = spec.budget.spending_vnd.value * spec.budget.dx_share / 7
    for programme in PROGRAMMES:
        policy = (f'policies=[{{name = "more", programme = "{programme}", amount_vnd_per_year = {yearly!r}, '
                  f'start = "2025-01", end = "2035-12"}}]')
        moved = outcomes(policy)
        if not any(not np.array_equal(moved[n], base[n]) for n in base):
            dead.append(f"programme {programme}")
    assert not dead, f"levers that move nothing: {dead}"


def test_back_office_waits_rise_when_staff_falls_and_fall_with_back_office_money() -> None:
    """(Online filing easing the queue is checked on the queue itself, tests/test_queueing.py.)"""
    def waits(*sets: str) -> list[float]:
        r = _ensemble("dak_lak", "time.end=\"2026-12\"", "targets.goals=[]", *sets, runs=3, uncertainty=False)
        return [float(r.indicators.query(f"indicator == '{k}'").value.mean())
                for k in ("backoffice_wait_days", "backoffice_overdue_share")]
    # Offices staffed to start with 2%, 5% and 8% of dossiers overdue: fewer officers, longer waits.
    by_staff = {staff: waits(f"baseline.backoffice_overdue_share={overdue}")
                for staff, overdue in (("more", 0.02), ("as sourced", 0.05), ("fewer", 0.08))}
    assert by_staff["more"][0] < by_staff["as sourced"][0] < by_staff["fewer"][0]
    assert by_staff["more"][1] <= by_staff["as sourced"][1] < by_staff["fewer"][1]
    more_officers = waits("baseline.backoffice_overdue_share=0.08",
                          "budget.services_mix={integration = 0.2, assisted_filing = 0.2, backoffice = 0.6}",
                          'delivery.officers={value = 500, source = "test: no cap on officers"}')
    assert more_officers[0] < by_staff["fewer"][0] and more_officers[1] < by_staff["fewer"][1]


def test_procedures_online_are_national_not_bought() -> None:
    """The province's money does not change what the nation offers online."""
    none = _ensemble("dak_lak", "budget.dx_share=0.0", runs=1, uncertainty=False)
    lots = _ensemble("dak_lak", "budget.dx_share=0.10", runs=1, uncertainty=False)
    assert np.array_equal(_medians(none, "procedures_online"), _medians(lots, "procedures_online"))
    path = _medians(none, "procedures_online")
    assert abs(path[0] - 0.55) < 0.02 and path[-1] < 0.9  # 51.5% in Aug 2024, below the ceiling


def test_payments_grow_while_merchants_decide_and_do_not_saturate() -> None:
    for province in PROVINCES:
        r = _ensemble(province, runs=4, uncertainty=False)  # the mechanism at its central values
        for indicator in ("cashless_adoption", "cashless_share"):
            assert (np.diff(_medians(r, indicator)) >= -0.005).all(), (province, indicator)
        # Cashless transactions by count grow from the first year (national non-cash volume +57% 2024,
        # +43% 2025, which adds transfers, bills and more purchases per person: VALIDATION.md)...
        share = _medians(r, "cashless_share")
        assert share[1] / share[0] > 1.05, (province, share[:3])
        # Calibrated to the nation's 2025 volume (tests/test_what_money_buys.py checks 2025 itself).
        assert share[6] / share[0] > 1.8, (province, share[[0, 6]])
        # ...and acceptance stops short of every merchant: stalls that fear visible revenue hold out.
        assert _medians(r, "merchant_acceptance")[-1] < 0.97


def test_skills_lower_effort_with_diminishing_returns() -> None:
    """More training money raises adoption of both behaviours, each extra trainee adding less skill."""
    def adoption(vnd: float) -> np.ndarray:
        policy = (f'policies=[{{name = "skills", programme = "skills", amount_vnd_per_year = {vnd!r}, '
                  f'start = "2025-01", end = "2035-12"}}]')
        r = _ensemble("dak_lak", "budget.dx_share=0.0", policy,
                      "delivery.trainees={value = 1e6, source = \"test: no cap on trainees\"}", runs=4,
                      uncertainty=False)
        return np.array([np.median(r.year_end(k)[2030]) for k in
                         ("online_services_adoption", "cashless_adoption", "digital_skill", "people_trained")])
    low, mid, high = adoption(2e10), adoption(8e10), adoption(3.2e11)
    assert (mid[:3] > low[:3]).all() and (high[:3] > mid[:3]).all()
    # Diminishing returns in skill per person trained (the least skilled go first and gain most).
    gain_1 = (mid[2] - low[2]) / (mid[3] - low[3])
    gain_2 = (high[2] - mid[2]) / max(high[3] - mid[3], 1)
    assert gain_2 < gain_1


def test_large_firms_are_enumerated_at_every_scale() -> None:
    spec = load_scenario(ROOT / "scenarios" / "dak_lak.toml")
    counts = []
    for scale in (0.002, 0.01):
        b = CityModel.build(spec, seed=1, scale=scale).world.businesses
        counts.append(int((b.size == 2).sum()))
        assert np.all(b.weight[b.size == 2] == 1.0)
        real = spec.province.population.value * spec.province.businesses_per_1000.value / 1000
        assert abs(b.weight.sum() - real) / real < 1e-6
    assert counts[0] == counts[1] > 0


def test_definitions_and_sector_minimum_use_the_same_accounts() -> None:
    """GSO counts the same core larger and digitalisation smaller than MIC (2022 national accounts);
    the least digital sector's share is computed from the same sector accounts."""
    mic = CityModel.build(load_scenario(ROOT / "scenarios" / "hai_phong.toml", SMALL), seed=1)
    gso = CityModel.build(load_scenario(ROOT / "scenarios" / "hai_phong.toml",
                                  [*SMALL, 'behaviour.digital_economy.definition="GSO"']), seed=1)
    seen = {}
    for name, m in (("mic", mic), ("gso", gso)):
        rec = Recorder(m)
        rec.step()
        seen[name] = rec.latest
    core_ratio = seen["gso"]["digital_economy_core_share"] / seen["mic"]["digital_economy_core_share"]
    dig_ratio = (seen["gso"]["digital_economy_digitalisation_share"]
                 / seen["mic"]["digital_economy_digitalisation_share"])
    assert core_ratio == pytest.approx(DEFINITIONS["GSO"][0]) and dig_ratio == pytest.approx(DEFINITIONS["GSO"][1])
    digital, total = mic.business_value_added.sum(axis=0).T
    e = mic.economy
    sector = e.intensity * e.sector_realised(digital, total)
    assert seen["mic"]["digital_economy_min_sector_share"] == pytest.approx(sector[e.sector_grdp > 0].min())


def test_resolution57_tasks_finish_with_funding() -> None:
    """Da Nang's 43 tasks under way finish over the years; less S&T money, later."""
    full = _ensemble("da_nang", runs=4, uncertainty=False)
    starved = _ensemble("da_nang", "budget.r57_split={science_technology = 0.05, innovation = 0.15, "
                        "digital_transformation = 0.8}", runs=4, uncertainty=False)
    done_full, done_starved = (np.median(r.year_end("r57_tasks_done")[2028]) for r in (full, starved))
    assert np.median(full.year_end("r57_tasks_done")[2025]) >= 32
    assert done_full > done_starved >= 32
    assert np.all(np.diff(_medians(full, "r57_tasks_done")) >= 0)


def test_every_figure_a_scenario_cites_exists() -> None:
    import tomllib

    ids = {f["id"] for f in tomllib.loads((ROOT / "seeds" / "figures.toml").read_text())["figure"]}
    cited = set()
    for path in [*Path(ROOT / "scenarios").rglob("*.toml"), *Path(ROOT / "sim").glob("*.py")]:
        cited |= set(re.findall(r"figures\.toml#([a-z_0-9.]+[a-z0-9])", path.read_text(encoding="utf-8")))
    assert cited and not cited - ids, sorted(cited - ids)


@pytest.mark.parametrize("path", sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "scenarios").rglob("*.toml")
                                        if p.parent.name != "common"))
def test_every_shipped_scenario_loads(path: str) -> None:
    """A schema change must carry every scenario the project ships (validation ones too; the
    nation with every province it names)."""
    from sim.inputs.nation import is_nation, load_nation

    if is_nation(ROOT / path):
        assert len(load_nation(ROOT / path).provinces) == 34
    else:
        assert load_scenario(ROOT / path).name


@pytest.mark.parametrize("province", PROVINCES)
def test_any_draw_of_the_assumptions_is_a_valid_scenario(province: str) -> None:
    """Assumptions are drawn one by one; no combination of draws may break a rule between them."""
    from sim.inputs.uncertainty import draw_assumptions

    spec = load_scenario(ROOT / "scenarios" / f"{province}.toml")
    for seed in range(200):
        drawn, _ = draw_assumptions(spec, seed)
        b = drawn.baseline
        assert 0 < b.digital_economy_core_share <= b.digital_economy_share.value


@pytest.mark.parametrize("benefit", [-400.0, -1.0, 0.0, 3.0, 900.0])
def test_the_merchants_resting_point_is_found_however_large_their_costs(benefit: float) -> None:
    """A fee or cost far beyond the usual (a 100% fee, which the schema accepts) moves the intercept
    that makes the starting acceptance the market's resting point; it does not stop the run."""
    from sim.engine.payments import equilibrium_offset, stationary_acceptance

    spread = benefit + np.linspace(-2.0, 2.0, 5)
    weight = np.array([1.0, 2.0, 1.0, 3.0, 1.0])
    offset = equilibrium_offset(spread, weight, 0.4, 0.05, 0.02)
    rest = stationary_acceptance(spread, offset, 0.05, 0.02)
    assert abs((rest * weight).sum() / weight.sum() - 0.4) < 1e-9
