"""Geography: the province's communes, wards and special zones, their polygons and people.

Units, types, boundaries and populations are real (post-2025, the shipped data of
`sim.geodata`); a scenario may name its own GeoJSON or population CSV. Only for a
province without data is a *schematic* map drawn: Voronoi cells inside an outline with
the province's true area, wards clustered around the urban centres. Coordinates are
kilometres on a local equirectangular plane centred on the mainland.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPoint, Polygon

from sim import geodata
from sim.geodata import lookup_communes, province_units
from sim.inputs.provincefiles import _csv_populations, _features
from sim.schema import Scenario
from sim.streams import stream
from sim.world.settlement import Cells, settle


@dataclass
class Geography:
    """Communes as parallel arrays, indexed 0..C-1."""

    codes: NDArray[np.int64]        # official statistical code of the unit
    names: list[str]                # "Phường Hải Châu", "Xã Ea Kar", ...
    kinds: list[str]                # "ward" (urban), "commune" (rural), "special zone"
    urban: NDArray[np.bool_]
    polygons: NDArray[np.object_]   # shapely Polygons, km
    seeds: NDArray[np.float64]      # (C, 2) settlement centre of each unit, km
    population: NDArray[np.float64]  # people (all ages) per unit
    schematic: bool
    outline: Polygon
    cells: Cells               # where the people of each unit live (the settlement grid)
    uninhabited: list = field(default_factory=list)  # (name, polygon km) of units without residents, not modelled
    source: str = ""           # where the map and the populations come from

    @property
    def n(self) -> int:
        return len(self.names)

    @property
    def area_km2(self) -> NDArray[np.float64]:
        return shapely.area(self.polygons)

    def lookup(self, keys: list[str], file: str = "scenario", where: str = "communes") -> NDArray[np.int64]:
        """Indices of communes named by name or code; unknown names are errors."""
        return lookup_communes(self.names, self.codes, keys, file, where)


def _outline(area_km2: float, rng: np.random.Generator) -> Polygon:
    """An irregular blob with exactly the given area."""
    # structural: the schematic outline's shape (a made-up map; no behaviour)
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    # structural: the schematic outline's shape (a made-up map; no behaviour)
    radius = 1.0 + 0.18 * np.sin(3 * angles + rng.uniform(0, 6.28)) + 0.06 * rng.standard_normal(48)
    shape = Polygon(np.c_[radius * np.cos(angles), radius * np.sin(angles)]).buffer(0)
    factor = np.sqrt(area_km2 / shape.area)
    return shapely.affinity.scale(shape, factor, factor, origin=(0, 0))


def _points_in(poly: Polygon, n: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """n uniform points inside a polygon (vectorised rejection sampling)."""
    minx, miny, maxx, maxy = poly.bounds
    # structural: x, y columns; candidates drawn two for one
    out = np.empty((0, 2))
    shapely.prepare(poly)
    while len(out) < n:
        # structural: x, y columns; candidates drawn two for one
        k = max(64, 2 * (n - len(out)))
        cand = np.c_[rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)]
        out = np.vstack([out, cand[shapely.contains_xy(poly, cand[:, 0], cand[:, 1])]])
    return out[:n]


def _spread_out(candidates: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    """k of the candidate points, each as far as possible from those already chosen (urban
    centres of a province are towns apart, not one blob)."""
    chosen = [0]
    dist = np.linalg.norm(candidates - candidates[0], axis=1)
    for _ in range(k - 1):
        chosen.append(int(np.argmax(dist)))
        dist = np.minimum(dist, np.linalg.norm(candidates - candidates[chosen[-1]], axis=1))
    return candidates[chosen]


def _schematic(units: list[tuple[int, str, str]], area_km2: float, centres: int,
               rng: np.random.Generator) -> tuple[NDArray[np.object_], NDArray[np.float64], Polygon]:
    outline = _outline(area_km2, rng)
    urban = np.array([k == "ward" for _, _, k in units])
    scale = np.sqrt(area_km2)
    # structural: the schematic map's town centres (a made-up map; no behaviour)
    hubs = _spread_out(_points_in(outline.buffer(-0.15 * scale), 64 * centres, rng), centres)
    # structural: x, y columns
    seeds = np.empty((len(units), 2))
    # Wards cluster tightly around the urban centres; communes spread over the rest.
    n_ward = int(urban.sum())
    hub_of = np.arange(n_ward) % centres
    # structural: the schematic map's wards around its towns (a made-up map; no behaviour)
    ward_pts = hubs[hub_of] + rng.normal(0, 0.05 * scale, (n_ward, 2))
    inside = shapely.contains_xy(outline, ward_pts[:, 0], ward_pts[:, 1])
    ward_pts[~inside] = hubs[hub_of[~inside]]
    # structural: a jitter that keeps two seeds apart
    seeds[urban] = ward_pts + rng.normal(0, 1e-3, ward_pts.shape)
    seeds[~urban] = _points_in(outline, int((~urban).sum()), rng)
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=outline, ordered=True)
    polys = np.array([shapely.intersection(c, outline) for c in shapely.get_parts(cells)], dtype=object)
    return polys, seeds, outline


def _project(lon: NDArray[np.float64], lat: NDArray[np.float64], lon0: float,
             lat0: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Equirectangular projection to km around (lon0, lat0); fine at province size."""
    # structural: km per degree of longitude at the equator and of latitude
    return (lon - lon0) * 111.32 * np.cos(np.radians(lat0)), (lat - lat0) * 110.57


def forget_maps() -> None:
    """Drop the cached maps (a nation's worker moves on to another province: the settlement grid of
    a large province, Khánh Hòa's with its islands above all, is hundreds of MB)."""
    _real_map.cache_clear()


# structural: a cache of a few maps
@functools.lru_cache(maxsize=8)
def _real_map(path: str, mtime: float, code: int, centre_share: float,
              centre_spread: float) -> tuple[NDArray[np.object_], NDArray[np.float64], Polygon, Cells,
                                             list[tuple[str, object]]]:
    """Projected polygons (km, equirectangular around the centre of the mainland units: special
    zones far offshore would pull it away), settlement centres (the data's inside point), the
    outline, the settlement grid, and the uninhabited units' names and polygons, from a GeoJSON
    file (read once per process and file version: every run of an ensemble shares it)."""
    units = province_units(code)
    polys = _features(Path(path), units)
    empty = [u for u in geodata.units(code) if u.population == 0]
    others = _features(Path(path), [(u.code, u.name, u.kind) for u in empty], required=False)
    land = [p for p, (_, _, kind) in zip(polys, units) if kind != "special zone"] or polys
    centre = shapely.union_all(land).centroid
    lon0, lat0 = centre.x, centre.y

    def project(geom: shapely.Geometry) -> shapely.Geometry:
        return shapely.transform(geom, lambda xy: np.c_[_project(xy[:, 0], xy[:, 1], lon0, lat0)])

    projected = np.array([project(p) for p in polys], dtype=object)
    seeds = np.array([p.representative_point().coords[0] for p in projected])
    data = {u.code: u for u in geodata.units(code)}
    for i, (c, _, _) in enumerate(units):
        if c in data:  # the data's point inside the unit, where it is inside the drawn polygon
            x, y = _project(np.array([data[c].lon]), np.array([data[c].lat]), lon0, lat0)
            if shapely.contains_xy(projected[i], x[0], y[0]):
                seeds[i] = (x[0], y[0])
    uninhabited = [(u.name, project(g)) for u, g in zip(empty, others) if g is not None]
    return (projected, seeds, shapely.union_all(projected), settle(projected, seeds, centre_share, centre_spread),
            uninhabited)


def _populations(scenario: Scenario, units: list[tuple[int, str, str]],
                 base: Path) -> tuple[NDArray[np.float64], str]:
    """People per unit, summing to the scenario's province total: in proportion to the
    scenario's CSV, else to the shipped merger-dossier figures, else to type weights."""
    total = scenario.province.population.value
    data = geodata.units(scenario.province.code)
    if scenario.province.communes_csv:
        values, source = _csv_populations(base / scenario.province.communes_csv, units), scenario.province.communes_csv
    elif {c for c, _, _ in units} <= {u.code for u in data}:
        people = dict(zip((u.code for u in data), geodata.populations(data)))
        values = np.array([people[c] for c, _, _ in units])
        source = "merger-dossier populations, " + geodata.SOURCE
    else:
        # Special zones are island districts (Hoang Sa, Bach Long Vi, ...): few or no residents.
        # structural: special zones (islands) when no population figures exist at all: few residents
        weight = {"ward": scenario.province.ward_weight, "commune": 1.0, "special zone": 0.05}
        values, source = np.array([weight[k] for _, _, k in units]), "ward_weight (no population data)"
    return total * values / values.sum(), source


def world_rng(seed: int) -> np.random.Generator:
    """The map's random stream: one per ensemble seed, shared by every run and by the figures."""
    return stream(seed, "geography")


def build_geography(scenario: Scenario, rng: np.random.Generator) -> Geography:
    """The province's units with real polygons (the scenario's GeoJSON, else the shipped one),
    or a schematic map for a province the data do not cover."""
    units = province_units(scenario.province.code)
    base = Path(scenario.source_file).resolve().parent if scenario.source_file else Path.cwd()
    shipped = geodata.boundaries(scenario.province.code)
    pop = scenario.population
    settlement = (pop.settlement_centre_share, pop.settlement_spread)
    path = base / scenario.province.geojson if scenario.province.geojson else shipped
    if path is not None:
        polys, seeds, outline, cells, empty = _real_map(str(path), path.stat().st_mtime, scenario.province.code,
                                                        *settlement)
        schematic, where = False, (scenario.province.geojson if scenario.province.geojson else geodata.SOURCE)
    else:
        polys, seeds, outline = _schematic(units, scenario.province.area_km2.value,
                                           scenario.province.centres, rng)
        cells, empty = settle(polys, seeds, *settlement), []
        schematic, where = True, "schematic map (Voronoi cells, true area)"
    population, people_from = _populations(scenario, units, base)
    return Geography(
        codes=np.array([c for c, _, _ in units]), names=[n for _, n, _ in units],
        kinds=[k for _, _, k in units], urban=np.array([k == "ward" for _, _, k in units]),
        polygons=polys, seeds=seeds, population=population, schematic=schematic, outline=outline, cells=cells,
        uninhabited=empty, source=f"boundaries: {where}; people: {people_from}",
    )
