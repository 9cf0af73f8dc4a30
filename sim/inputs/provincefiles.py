"""A scenario's own province files (a GeoJSON of boundaries, a CSV of populations): read and
checked when the scenario loads, as a run will read them, so a bad file is one line at once.

Part of the scenario layer: it knows files and the shipped unit list, not the world built from
them (`sim.world.geography` reads the same files through these functions).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely
from numpy.typing import NDArray

from sim.errors import ScenarioError
from sim.files import read_csv, read_geojson
from sim.geodata import bare_name, name_key, province_units

if TYPE_CHECKING:
    from sim.schema import Scenario


# Where a Vietnamese province's units can lie: the mainland spans 102-110°E and 8.5-23.4°N, the
# island special zones reach 117.8°E (Trường Sa) and 7.2°N. A box a little larger than that.
LON_RANGE, LAT_RANGE = (100.0, 120.0), (5.0, 25.0)
# The largest unit of the shipped data spans 8.4° x 4.4° = 37 square degrees (Trường Sa, islands in a
# sea); its settlement grid is then ~1.8 M half-km cells. A unit larger than this is not a commune.
MAX_UNIT_DEGREES2 = 50.0
MAX_PEOPLE = 1e9     # people in one commune: more than any country but two


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The areal part of a geometry made valid (self-intersections resolved, as GEOS does)."""
    if geom.is_valid:
        return geom
    fixed = shapely.make_valid(geom)
    parts = [g for g in shapely.get_parts(fixed) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _features(path: Path, units: list[tuple[int, str, str]], required: bool = True) -> list:
    """The shapely geometry of every unit from a GeoJSON file, matched by code or name (None for
    a unit without one when not `required`). A self-intersecting polygon is made valid (GEOS's
    make_valid); one with no area, with coordinates outside Vietnam's box, or larger than any
    commune is refused, naming the feature."""
    geoms: dict[str, object] = {}
    for i, f in enumerate(read_geojson(path)):
        props = f.get("properties") or {}
        label = " ".join(str(props[k])[:60] for k in ("code", "name") if props.get(k) is not None)
        where = f"{path}: features[{i}]" + (f" ({label})" if label else "")
        try:
            with warnings.catch_warnings():  # a NaN coordinate: refused below, in one line, not warned of
                warnings.simplefilter("ignore", RuntimeWarning)
                geom = shapely.geometry.shape(f["geometry"])
            xy = shapely.get_coordinates(geom)
        except Exception as exc:  # noqa: BLE001 - shapely raises several kinds on malformed coordinates
            raise ScenarioError(f"{where}: not a valid polygon ({type(exc).__name__})") from None
        if geom.is_empty or not np.isfinite(xy).all():
            raise ScenarioError(f"{where}: an empty polygon or one with non-finite coordinates")
        (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
        if x0 < LON_RANGE[0] or x1 > LON_RANGE[1] or y0 < LAT_RANGE[0] or y1 > LAT_RANGE[1]:
            raise ScenarioError(f"{where}: coordinates outside {LON_RANGE[0]:g}-{LON_RANGE[1]:g}°E, "
                                f"{LAT_RANGE[0]:g}-{LAT_RANGE[1]:g}°N (longitude, latitude in degrees, WGS84: "
                                "Vietnam and its islands)")
        if (x1 - x0) * (y1 - y0) > MAX_UNIT_DEGREES2:
            raise ScenarioError(f"{where}: spans {x1 - x0:.1f}° x {y1 - y0:.1f}°, larger than any commune or "
                                f"special zone (at most {MAX_UNIT_DEGREES2:g} square degrees)")
        try:
            geom = _polygonal(geom)
        except Exception as exc:  # noqa: BLE001 - GEOS may still fail on a pathological ring
            raise ScenarioError(f"{where}: not a valid polygon and cannot be repaired ({type(exc).__name__})") \
                from None
        if geom.is_empty or not geom.area > 0:
            raise ScenarioError(f"{where}: a polygon with no area")
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


def _csv_populations(path: Path, units: list[tuple[int, str, str]],
                     total: float | None = None) -> NDArray[np.float64]:
    """People per unit from a CSV with columns code,population (a share of the province total):
    one row per unit of the province, whole codes, no code twice, no code of another province.
    With `total` (the fewest people the province may have), every unit must get at least one
    person: a commune of no people has no one to model, and one of 1e-300 people starves the
    draws of sites (refused, naming it, rather than dropped: the data say it is inhabited)."""
    table = read_csv(path, ("code", "population"), numeric=("code", "population"))
    pop: dict[int, float] = {}
    row_of: dict[int, int] = {}
    for row, (cell, v) in enumerate(zip(table["code"], table["population"]), start=2):
        code = float(cell)
        if not code.is_integer() or not 0 < code < 1e9:
            raise ScenarioError(f"{path}: row {row}, column code: expected a unit's whole-number code, got {cell!r}")
        if int(code) in pop:
            raise ScenarioError(f"{path}: row {row}: code {int(code)} is given twice (rows {row_of[int(code)]} "
                                f"and {row})")
        pop[int(code)], row_of[int(code)] = float(v), row
    known = {c for c, _, _ in units}
    foreign = [c for c in pop if c not in known]
    if foreign:
        raise ScenarioError(f"{path}: row {row_of[foreign[0]]}: code {foreign[0]} is not a commune or ward of "
                            f"this province (or is uninhabited in the shipped data)")
    missing = [c for c, _, _ in units if c not in pop]
    if missing:
        raise ScenarioError(f"{path}: no population for ward codes {missing[:5]}")
    values = np.array([pop[c] for c, _, _ in units])
    big = np.flatnonzero(values > MAX_PEOPLE)
    if (values < 0).any() or big.size:
        bad = units[int(big[0]) if big.size else int(np.argmax(values < 0))][0]
        raise ScenarioError(f"{path}: row {row_of[bad]}, column population: expected 0 to {MAX_PEOPLE:g} people, "
                            f"got {pop[bad]:g}")
    if values.sum() <= 0:
        raise ScenarioError(f"{path}: column population: expected numbers >= 0 with a positive total")
    if total is not None:
        people = total * values / values.sum()
        few = np.flatnonzero(people < 1.0)
        if few.size:
            code, name, _ = units[int(few[0])]
            more = f" (and {few.size - 1} more)" if few.size > 1 else ""
            raise ScenarioError(f"{path}: row {row_of[code]}: {name} ({code}) gets {people[few[0]]:.3g} people of "
                                f"the province's {total:,.0f}{more}; every commune and ward needs at least one")
    return values


def check_province_files(scenario: Scenario, file: str = "scenario") -> None:
    """Read the GeoJSON and CSV a scenario names, as a run will: the right kind of file, every
    commune present (raises ScenarioError naming the file otherwise)."""
    base = Path(scenario.source_file).resolve().parent if scenario.source_file else Path.cwd()
    units = province_units(scenario.province.code)
    population = scenario.province.population
    fewest = population.range[0] if population.range else population.value  # a run may draw as few
    for key, read in (("geojson", _features),
                      ("communes_csv", lambda path, units: _csv_populations(path, units, fewest))):
        name = getattr(scenario.province, key)
        if name:
            try:
                read(base / name, units)
            except ScenarioError as exc:
                raise ScenarioError(f"{file}: province.{key}: {exc}") from None
