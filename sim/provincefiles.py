"""A scenario's own province files (a GeoJSON of boundaries, a CSV of populations): read and
checked when the scenario loads, as a run will read them, so a bad file is one line at once.

Part of the scenario layer: it knows files and the shipped unit list, not the world built from
them (`sim.world.geography` reads the same files through these functions).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely

from sim.errors import ScenarioError
from sim.files import read_csv, read_geojson
from sim.geodata import bare_name, name_key, province_units

if TYPE_CHECKING:
    from sim.schema import Scenario


def _features(path: Path, units: list[tuple[int, str, str]], required: bool = True) -> list:
    """The shapely geometry of every unit from a GeoJSON file, matched by code or name (None for
    a unit without one when not `required`)."""
    geoms: dict[str, object] = {}
    for i, f in enumerate(read_geojson(path)):
        props = f.get("properties") or {}
        try:
            geom = shapely.geometry.shape(f["geometry"])
        except Exception as exc:  # noqa: BLE001 - shapely raises several kinds on malformed coordinates
            raise ScenarioError(f"{path}: features[{i}]: not a valid polygon ({type(exc).__name__})") from None
        if geom.is_empty or not np.isfinite(shapely.get_coordinates(geom)).all():
            raise ScenarioError(f"{path}: features[{i}]: an empty polygon or one with non-finite coordinates")
        for key in (props.get("code"), props.get("name")):
            if key is not None:
                geoms.setdefault(name_key(str(key)), geom)
    polys = []
    for code, name, _ in units:
        g = geoms.get(str(code)) or geoms.get(name_key(name)) or geoms.get(name_key(bare_name(name)))
        if g is None and required:
            raise ScenarioError(f"{path}: no feature with code {code} or name {name!r} "
                                f"(every commune and ward of the province needs one)")
        polys.append(g)
    return polys


def _csv_populations(path: Path, units: list[tuple[int, str, str]]) -> np.ndarray:
    """People per unit from a CSV with columns code,population (a share of the province total)."""
    table = read_csv(path, ("code", "population"), numeric=("code", "population"))
    pop = {int(float(c)): float(v) for c, v in zip(table["code"], table["population"])}
    missing = [c for c, _, _ in units if c not in pop]
    if missing:
        raise ScenarioError(f"{path}: no population for ward codes {missing[:5]}")
    values = np.array([pop[c] for c, _, _ in units])
    if (values < 0).any() or values.sum() <= 0:
        raise ScenarioError(f"{path}: column population: expected numbers >= 0 with a positive total")
    return values


def check_province_files(scenario: Scenario, file: str = "scenario") -> None:
    """Read the GeoJSON and CSV a scenario names, as a run will: the right kind of file, every
    commune present (raises ScenarioError naming the file otherwise)."""
    base = Path(scenario.source_file).resolve().parent if scenario.source_file else Path.cwd()
    units = province_units(scenario.province.code)
    for key, read in (("geojson", _features), ("communes_csv", _csv_populations)):
        name = getattr(scenario.province, key)
        if name:
            try:
                read(base / name, units)
            except ScenarioError as exc:
                raise ScenarioError(f"{file}: province.{key}: {exc}") from None
