"""A fair pilot (issue 11, point 4): the pilot against the same runs without it, not against
other places; its neighbours for spillover; the cost of the second ensemble said up front."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import DAK_LAK, citytwin

from sim.experiments.ensemble import EnsembleResult, run_ensemble
from sim.experiments.execution import Execution
from sim.experiments.pilot import COLUMNS, check_paired, pilot_report, without_pilots
from sim.experiments.resources import estimate
from sim.geodata import province_units
from sim.inputs.scenario import load_scenario
from sim.world.adjacency import adjacency, neighbours
from sim.world.geography import build_geography, world_rng

WARD = "Phường Buôn Ma Thuột"
# Small and short; the pilot ward's teams may train as many as the money buys, so that a pilot
# with money is not held back by absorptive capacity (its own: sim.engine.programmes).
SMALL = ["ensemble.scale=0.005", 'time.end="2028-12"', "targets.goals=[]",
         'delivery.trainees={value = 1e6, source = "test: no cap on trainees"}']
RUNS = 5


def _pilot(vnd: float, commune: str = WARD, programme: str = "skills") -> str:
    return (f'policies=[{{name = "pilot", programme = "{programme}", amount_vnd_per_year = {vnd!r}, '
            f'start = "2026-01", end = "2028-12", communes = ["{commune}"]}}]')


def _ensemble(spec) -> EnsembleResult:
    return run_ensemble(spec, runs=RUNS, execution=Execution("inline"))


@pytest.fixture(scope="module")
def arms():
    """Zero-money and well-funded skills pilots in one ward, and their shared counterfactual."""
    zero = load_scenario(DAK_LAK, [*SMALL, _pilot(0.0)])
    funded = load_scenario(DAK_LAK, [*SMALL, _pilot(5e10)])
    counterfactual = without_pilots(funded)
    assert counterfactual == without_pilots(zero) and counterfactual.policies == []
    geo = build_geography(funded, world_rng(funded.ensemble.seed))
    return geo, {"zero": (zero, _ensemble(zero)), "funded": (funded, _ensemble(funded))}, _ensemble(counterfactual)


def test_a_pilot_without_money_has_no_effect(arms):
    geo, with_, without = arms
    spec, result = with_["zero"]
    report = pilot_report(spec, geo, result, without, "online_services_uptake")
    e = report.effects
    assert list(e.columns) == COLUMNS and set(e.group) == {"pilot", "neighbours"}
    # Exactly nothing: a no-op policy leaves every draw and every commune as it was.
    assert (e[["effect_median", "effect_p5", "effect_p95"]] == 0).all().all()
    assert (e.with_median == e.without_median).all()
    assert report.line.startswith(f"Pilot ({WARD}, skills 2026-2028): online_services_uptake +0.0 points by 2028")


def test_a_funded_skills_pilot_raises_adoption_in_its_ward(arms):
    geo, with_, without = arms
    spec, result = with_["funded"]
    report = pilot_report(spec, geo, result, without, "online_services_uptake")
    e = report.effects.set_index(["group", "indicator", "year"])
    for indicator in ("online_services_adoption", "online_services_uptake"):
        effect = e.loc[("pilot", indicator, 2028)]
        assert effect.effect_p5 > 0 and effect.effect_median > 0, (indicator, effect)
        assert effect.with_median > effect.without_median
    # Before the pilot (December 2025, the baseline year) the arms are the same world.
    assert (e.xs(2025, level="year")[["effect_median", "effect_p5", "effect_p95"]] == 0).all().all()
    assert report.baseline_year == 2025 and report.year == 2028
    # Training moves adoption; it does not build towers or hand out phones.
    for indicator in ("coverage_4g", "coverage_5g", "smartphone_ownership"):
        assert e.loc[("pilot", indicator, 2028)].effect_median == 0
    # The line leads with what the pilot moved most, with its interval above 0.
    assert report.indicator in ("online_services_adoption", "online_services_uptake", "cashless_adoption")
    ward = e.xs("pilot", level="group")
    assert ward.loc[(report.indicator, 2028)].effect_p5 > 0
    people = round(float(geo.population[geo.lookup([WARD])].sum()))
    assert (ward.people == people).all() and (ward.communes == 1).all()
    assert report.summary["absorbed_vnd_median"] > 0
    assert report.summary["allocated_vnd"] == pytest.approx(3 * 5e10)


def test_arms_that_are_not_paired_are_refused(arms):
    _, with_, without = arms
    _, result = with_["zero"]
    shifted = replace(without, runs=[replace(r, seed=r.seed + 1) for r in without.runs])
    with pytest.raises(ValueError, match="not paired"):
        check_paired(result, shifted)
    redrawn = replace(without, runs=[replace(r, parameters={**r.parameters, "x": 1.0}) for r in without.runs])
    with pytest.raises(ValueError, match="not paired"):
        check_paired(result, redrawn)


def _check_adjacency(geo) -> np.ndarray:
    a = adjacency(geo)
    assert (a == a.T).all() and not a.diagonal().any()
    for i in range(geo.n):
        assert neighbours(geo, np.array([i])).tolist() == np.flatnonzero(a[i]).tolist()
    return a


def test_neighbours_on_the_schematic_map():
    spec = load_scenario(DAK_LAK)
    geo = build_geography(spec, world_rng(spec.ensemble.seed))
    a = _check_adjacency(geo)
    assert a.sum(axis=1).min() >= 1  # a connected province: nobody is alone
    # Neighbours of a group exclude the group itself.
    group = geo.lookup([WARD, "Xã Ea Kar"])
    around = neighbours(geo, group)
    assert len(around) and not set(around) & set(group)
    assert set(around) == set(np.flatnonzero(a[group].any(axis=0))) - set(group)


def _grid_geojson(path: Path, gap_deg: float) -> None:
    """Dak Lak's units as squares ~5.5 km wide on a grid, `gap_deg` apart (a sliver between
    neighbours, as simplified real boundaries have)."""
    side = 0.05
    features = []
    for k, (code, name, _) in enumerate(province_units(66)):
        x0, y0 = 108.0 + (k % 12) * side, 12.5 + (k // 12) * side
        x1, y1 = x0 + side - gap_deg, y0 + side - gap_deg
        ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
        features.append({"type": "Feature", "properties": {"code": code, "name": name},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))


@pytest.mark.parametrize("gap_deg,touching", [(0.0, True), (0.0005, True), (0.003, False)])
def test_neighbours_on_geojson_polygons_bridge_small_gaps(tmp_path, gap_deg, touching):
    """Real boundaries leave slivers: a 55 m gap is bridged, a 330 m gap is not."""
    _grid_geojson(tmp_path / "grid.geojson", gap_deg)
    variant = tmp_path / "variant.toml"
    variant.write_text(f'extends = "{DAK_LAK.as_posix()}"\n[province]\ngeojson = "grid.geojson"\n')
    spec = load_scenario(variant)
    geo = build_geography(spec, world_rng(spec.ensemble.seed))
    assert not geo.schematic
    a = _check_adjacency(geo)
    # Unit 13 sits inside the 12-wide grid: 8 around it (corners count), or none past the tolerance.
    assert a[13].sum() == (8 if touching else 0)
    if touching:
        assert a.sum(axis=1).min() >= 1


REAL = Path(__file__).resolve().parents[1] / "sim" / "data" / "geo" / "provinces" / "66_dak_lak.geojson"  # shipped


@pytest.mark.skipif(not REAL.exists(), reason="real boundaries not on this machine")
def test_neighbours_on_real_boundaries(tmp_path):
    variant = tmp_path / "variant.toml"
    variant.write_text(f'extends = "{DAK_LAK.as_posix()}"\n[province]\ngeojson = "{REAL.as_posix()}"\n')
    spec = load_scenario(variant)
    geo = build_geography(spec, world_rng(spec.ensemble.seed))
    a = _check_adjacency(geo)
    assert a.sum(axis=1).min() >= 1  # Dak Lak has no islands


def test_the_counterfactual_is_costed():
    plain = load_scenario(DAK_LAK, SMALL)
    pilot = load_scenario(DAK_LAK, [*SMALL, _pilot(5e10)])
    one, two = estimate(plain, runs=20, workers=2), estimate(pilot, runs=20, workers=2)
    assert two.arms == 2 and two.seconds == pytest.approx(2 * one.seconds)
    assert two.bytes > one.bytes and "with and without the pilot" in two.describe()
    # Calibration runs no counterfactual.
    assert estimate(pilot, runs=20, workers=2, counterfactual=False).seconds == pytest.approx(one.seconds)


def test_cli_writes_pilot_csv_and_prints_one_line(tmp_path):
    out = tmp_path / "pilot"
    sets = [s for x in ["ensemble.scale=0.004", 'time.end="2031-12"', _pilot(5e10)] for s in ("--set", x)]
    proc = citytwin("run", str(DAK_LAK), "--runs", "4", "--seed", "3", "--out", str(out), *sets)
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("Pilot (")]
    assert len(lines) == 1, proc.stdout
    assert lines[0].startswith(f"Pilot ({WARD}, skills 2026-2028): ") and "vs the same runs without it" in lines[0]
    assert "neighbours (" in lines[0] and "[90%: " in lines[0]
    assert "counterfactual" in proc.stderr
    df = pd.read_csv(out / "pilot.csv")
    assert list(df.columns) == COLUMNS
    assert set(df.group) == {"pilot", "neighbours"} and set(df.year) == set(range(2025, 2032))
    assert (df.effect_p5 <= df.effect_median).all() and (df.effect_median <= df.effect_p95).all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["pilot"]["line"] == lines[0] and manifest["pilot"]["year"] == 2028
    verdict = json.loads((out / "verdict.json").read_text())
    assert isinstance(verdict, list) and verdict  # unchanged format
