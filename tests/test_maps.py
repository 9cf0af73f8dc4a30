"""Maps a planner can read (issue 11, point 2): offshore islands apart, communes that miss a goal
numbered and listed, one map per commune-level target, and communes.csv naming every unit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import DAK_LAK, FAST, ROOT

from sim import geodata
from sim.experiments.ensemble import run_ensemble
from sim.experiments.execution import Execution
from sim.inputs.scenario import load_scenario
from sim.inputs.targets import MapGoal, Target, resolve_targets
from sim.names import COMMUNE_INDICATORS
from sim.outputs import plots
from sim.outputs.outfolder import OutputFolder
from sim.outputs.report import manifest, write_outputs
from sim.outputs.verdict import verdicts
from sim.world.geography import Geography, build_geography, world_rng


def real_geography(province: str) -> Geography:
    """The province's Geography: real boundaries from the shipped data, by default."""
    geo = build_geography(load_scenario(ROOT / "scenarios" / f"{province}.toml"), world_rng(0))
    assert not geo.schematic
    return geo


def _offshore_names(geo: Geography) -> list[str]:
    return [geo.names[i] for i in np.flatnonzero(plots.map_layout(geo).offshore)]


@pytest.mark.parametrize(("province", "expected"), [("da_nang", []),
                                                    ("hai_phong", ["Đặc khu Bạch Long Vĩ"]),
                                                    ("dak_lak", [])])
def test_offshore_units_from_real_boundaries(province: str, expected: list[str]) -> None:
    """Bạch Long Vĩ (~75 km out) goes to an inset; Cát Hải (8 km off Hai Phong), Cù Lao Chàm (Da
    Nang's Tân Hiệp) and Dak Lak's coastal islets stay on the main map. Hoàng Sa (~265 km out) has
    no residents: not a modelled unit, drawn in a grey box of its own (next test)."""
    geo = real_geography(province)
    assert _offshore_names(geo) == expected
    layout = plots.map_layout(geo)
    assert np.isfinite(layout.offshore_km[layout.offshore]).all()
    assert (layout.offshore_km[layout.offshore] > plots.OFFSHORE_GAP_KM).all()


def _draw(geo: Geography, path: Path, monkeypatch, **kwargs) -> tuple[tuple[float, ...], list[str]]:
    """Draw a map of made-up values; returns its main frame and every text on the figure."""
    figures, close = [], plots.plt.close
    monkeypatch.setattr(plots.plt, "close", figures.append)  # keep the figure to read its texts
    values = np.linspace(0.2, 0.95, geo.n)
    frame = plots.commune_map(geo, values, "online_services_uptake", 2030, path, "test", **kwargs)
    fig = figures[0]
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    close(fig)
    return frame, texts


@pytest.mark.parametrize("province", ["da_nang", "hai_phong"])
def test_main_frame_excludes_offshore_units(province: str, tmp_path: Path, monkeypatch) -> None:
    geo = real_geography(province)
    layout = plots.map_layout(geo)
    x0, y0, x1, y1 = frame = _draw(geo, tmp_path / "m.png", monkeypatch, goal=MapGoal(0.8))[0]
    main = shapely.box(*frame)
    for i in np.flatnonzero(layout.offshore):
        assert not main.intersects(geo.polygons[i]), geo.names[i]
    # Every mainland unit is inside, and the frame is no bigger than the mainland needs (the axes'
    # shape adds at most its aspect ratio to one side).
    mainland = shapely.total_bounds(geo.polygons[~layout.offshore])
    assert x0 <= mainland[0] and y0 <= mainland[1] and x1 >= mainland[2] and y1 >= mainland[3]
    assert max(x1 - x0, y1 - y0) < 2.0 * max(mainland[2] - mainland[0], mainland[3] - mainland[1])
    assert (tmp_path / "m.png").stat().st_size > 20_000


def test_uninhabited_hoang_sa_is_drawn_apart_and_says_so(tmp_path: Path, monkeypatch) -> None:
    geo = real_geography("da_nang")
    assert [name for name, _ in geo.uninhabited] == ["Đặc khu Hoàng Sa"] and "Đặc khu Hoàng Sa" not in geo.names
    frame, texts = _draw(geo, tmp_path / "m.png", monkeypatch, goal=MapGoal(0.8))
    assert any(t.startswith("Hoàng Sa: no residents, not modelled") for t in texts)
    assert not shapely.box(*frame).intersects(geo.uninhabited[0][1])  # not in the main frame


def test_missing_communes_numbered_and_listed(tmp_path: Path, monkeypatch) -> None:
    """More than 30 communes miss: the 30 furthest are listed and the rest point to communes.csv;
    without a goal the 10 lowest and 10 highest are listed. A schematic map says so."""
    monkeypatch.setattr(geodata, "boundaries", lambda code: None)  # a province without data: schematic
    geo = build_geography(load_scenario(DAK_LAK), world_rng(0))
    monkeypatch.undo()
    _, texts = _draw(geo, tmp_path / "goal.png", monkeypatch, goal=MapGoal(0.8))
    values = np.linspace(0.2, 0.95, geo.n)
    miss = int((values < 0.8).sum())
    assert f"{miss} of {geo.n} communes/wards miss the goal" in " ".join(texts)
    assert f"and {miss - plots.LISTED} more: see communes.csv" in texts
    assert any(t.startswith("SCHEMATIC map") for t in " ".join(texts).split("\n"))
    lowest = plots._short(geo.names[0])  # values rise with the index: the first unit misses by most
    assert lowest in texts
    _, texts = _draw(geo, tmp_path / "nogoal.png", monkeypatch)
    assert "10 lowest" in texts and "10 highest" in texts
    assert plots._short(geo.names[-1]) in texts and not any("more: see communes.csv" in t for t in texts)


@pytest.mark.parametrize("comparison", [">=", ">", "<=", "<"])
def test_misses_is_the_targets_own_test(comparison: str) -> None:
    """A commune misses exactly when the target's `holds` (with its tolerance) says no; no data is no miss."""
    values = np.array([0.5, 0.8 - 1e-12, 0.8, 0.9, np.nan])
    target = Target("t", "online_services_uptake", comparison, 0.8, 2030, "test")
    expected = [not target.holds(v) for v in values[:-1]] + [False]
    assert plots.misses(values, 0.8, comparison).tolist() == expected


@pytest.fixture(scope="module")
def run_out(tmp_path_factory) -> tuple[Path, list, Geography]:
    """One small Dak Lak run written as `citytwin run` writes it."""
    spec = load_scenario(DAK_LAK, [*FAST, "ensemble.runs=2", "ensemble.seed=3"])
    result = run_ensemble(spec, execution=Execution("inline"))
    items = verdicts(resolve_targets(spec), result)
    out = OutputFolder(tmp_path_factory.mktemp("maps") / "dak", kind="run")
    with out.locked():
        write_outputs(out, spec, result, items, manifest(spec, result, 3, spec.ensemble.scale, []))
    return out.path, items, build_geography(spec, world_rng(3))


def test_one_map_per_commune_level_target(run_out) -> None:
    out, items, _ = run_out
    expected = {f"map_{v.id}.png" for v in items if v.status != "NOT MODELLED" and v.indicator in COMMUNE_INDICATORS}
    assert len(expected) >= 3  # Dak Lak: online services, cashless share and adoption, smartphones
    assert {p.name for p in (out / "figures").glob("map_*.png")} == expected


def test_communes_csv_names_every_unit(run_out) -> None:
    out, _, geo = run_out
    df = pd.read_csv(out / "communes.csv")
    assert list(df.columns[:6]) == ["run", "year", "code", "name", "type", "population"]
    assert not {"commune", "kind"} & set(df.columns)  # the same facts, not repeated under other names
    assert not df.duplicated(["run", "year", "code"]).any()
    assert df.run.nunique() == 2 and df.groupby(["run", "year"]).size().eq(geo.n).all()
    units = df.drop_duplicates("code").set_index("code").loc[geo.codes]
    assert units.name.tolist() == geo.names
    assert units.type.tolist() == geo.kinds
    np.testing.assert_allclose(units.population, geo.population, atol=0.5)
