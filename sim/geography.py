"""Geography: the province's communes and wards, their polygons, and where people live.

The list of units is real (post-2025, from `vietnam-provinces`). Polygons come
from a GeoJSON file when the scenario names one; otherwise a *schematic* map is
drawn: Voronoi cells inside an outline with the province's true area, wards
clustered around the urban centres. Coordinates are kilometres on a local plane.
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass
from pathlib import Path

import numba as nb
import numpy as np
import shapely
from shapely.geometry import MultiPoint, Polygon

from sim.errors import ScenarioError
from sim.files import read_csv, read_geojson
from sim.scenario import Scenario

KINDS = {"phường": "ward", "xã": "commune", "đặc khu": "special zone"}


@dataclass
class Geography:
    """Communes as parallel arrays, indexed 0..C-1."""

    codes: np.ndarray          # int, vietnam-provinces ward code
    names: list[str]
    kinds: list[str]           # "ward" (urban), "commune" (rural), "special zone"
    urban: np.ndarray          # bool
    polygons: np.ndarray       # shapely Polygons, km
    seeds: np.ndarray          # (C, 2) settlement centre of each unit, km
    population: np.ndarray     # people (all ages) per unit
    schematic: bool
    outline: Polygon

    @property
    def n(self) -> int:
        return len(self.names)

    @property
    def area_km2(self) -> np.ndarray:
        return shapely.area(self.polygons)

    def lookup(self, keys: list[str], file: str = "scenario", where: str = "communes") -> np.ndarray:
        """Indices of communes named by name or code; unknown names are errors."""
        return lookup_communes(self.names, self.codes, keys, file, where)


def lookup_communes(names: list[str], codes, keys: list[str], file: str = "scenario",
                    where: str = "communes") -> np.ndarray:
    """Sorted indices of the units named in `keys` (names, any case, or ward codes).

    >>> lookup_communes(["Phường A", "Xã B"], [10, 20], ["xã b", "10"]).tolist()
    [0, 1]
    """
    index = {n.lower(): i for i, n in enumerate(names)} | {str(c): i for i, c in enumerate(codes)}
    out = set()
    for k in keys:
        key = str(k).strip()
        i = index.get(key.lower(), index.get(key))
        if i is None:
            raise ScenarioError(f"{file}: {where}: no commune or ward named {key!r} in this province; "
                                f"allowed: names or codes from vietnam-provinces")
        out.add(i)
    return np.array(sorted(out), dtype=np.int64)


@functools.lru_cache(maxsize=8)
def province_units(code: int) -> list[tuple[int, str, str]]:
    """(ward code, name, kind) of every commune/ward of a post-2025 province, sorted by code
    (read once per process: every run of an ensemble worker shares it)."""
    from vietnam_provinces import Ward

    units = [(int(w.code), w.name, KINDS.get(str(w.division_type), "commune"))
             for w in Ward.iter_all() if int(w.province_code) == code]
    return sorted(units)


def _outline(area_km2: float, rng: np.random.Generator) -> Polygon:
    """An irregular blob with exactly the given area."""
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    radius = 1.0 + 0.18 * np.sin(3 * angles + rng.uniform(0, 6.28)) + 0.06 * rng.standard_normal(48)
    shape = Polygon(np.c_[radius * np.cos(angles), radius * np.sin(angles)]).buffer(0)
    factor = np.sqrt(area_km2 / shape.area)
    return shapely.affinity.scale(shape, factor, factor, origin=(0, 0))


def _points_in(poly: Polygon, n: int, rng: np.random.Generator, rings: Rings | None = None) -> np.ndarray:
    """n uniform points inside a polygon (vectorised rejection sampling)."""
    minx, miny, maxx, maxy = poly.bounds
    out = np.empty((0, 2))
    rings = rings or Rings.of(poly)
    while len(out) < n:
        k = max(64, 2 * (n - len(out)))
        cand = np.c_[rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)]
        out = np.vstack([out, cand[rings.contains(cand[:, 0], cand[:, 1])]])
    return out[:n]


def _spread_out(candidates: np.ndarray, k: int) -> np.ndarray:
    """k of the candidate points, each as far as possible from those already chosen (urban
    centres of a province are towns apart, not one blob)."""
    chosen = [0]
    dist = np.linalg.norm(candidates - candidates[0], axis=1)
    for _ in range(k - 1):
        chosen.append(int(np.argmax(dist)))
        dist = np.minimum(dist, np.linalg.norm(candidates - candidates[chosen[-1]], axis=1))
    return candidates[chosen]


def _schematic(units: list[tuple[int, str, str]], area_km2: float, centres: int,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, Polygon]:
    outline = _outline(area_km2, rng)
    urban = np.array([k == "ward" for _, _, k in units])
    scale = np.sqrt(area_km2)
    hubs = _spread_out(_points_in(outline.buffer(-0.15 * scale), 64 * centres, rng), centres)
    seeds = np.empty((len(units), 2))
    # Wards cluster tightly around the urban centres; communes spread over the rest.
    n_ward = int(urban.sum())
    hub_of = np.arange(n_ward) % centres
    ward_pts = hubs[hub_of] + rng.normal(0, 0.05 * scale, (n_ward, 2))
    inside = shapely.contains_xy(outline, ward_pts[:, 0], ward_pts[:, 1])
    ward_pts[~inside] = hubs[hub_of[~inside]]
    seeds[urban] = ward_pts + rng.normal(0, 1e-3, ward_pts.shape)
    seeds[~urban] = _points_in(outline, int((~urban).sum()), rng)
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=outline, ordered=True)
    polys = np.array([shapely.intersection(c, outline) for c in shapely.get_parts(cells)], dtype=object)
    return polys, seeds, outline


def _project(lon: np.ndarray, lat: np.ndarray, lon0: float, lat0: float) -> tuple[np.ndarray, np.ndarray]:
    """Equirectangular projection to km around (lon0, lat0); fine at province size."""
    return (lon - lon0) * 111.32 * np.cos(np.radians(lat0)), (lat - lat0) * 110.57


def _features(path: Path, units: list[tuple[int, str, str]]) -> list:
    """The shapely geometry of every unit from a GeoJSON file, matched by code or name."""
    geoms = {}
    for i, f in enumerate(read_geojson(path)):
        props = f.get("properties") or {}
        key = str(props.get("code", props.get("name", ""))).strip().lower()
        try:
            geom = shapely.geometry.shape(f["geometry"])
        except Exception as exc:  # noqa: BLE001 - shapely raises several kinds on malformed coordinates
            raise ScenarioError(f"{path}: features[{i}]: not a valid polygon ({type(exc).__name__})") from None
        if geom.is_empty or not np.isfinite(shapely.get_coordinates(geom)).all():
            raise ScenarioError(f"{path}: features[{i}]: an empty polygon or one with non-finite coordinates")
        geoms[key] = geom
    polys = []
    for code, name, _ in units:
        g = geoms.get(str(code)) or geoms.get(name.lower())
        if g is None:
            raise ScenarioError(f"{path}: no feature with code {code} or name {name!r} "
                                f"(every commune and ward of the province needs one)")
        polys.append(g)
    return polys


def _from_geojson(path: Path, units: list[tuple[int, str, str]]) -> tuple[np.ndarray, np.ndarray, Polygon]:
    polys = _features(path, units)
    allg = shapely.union_all(polys)
    lon0, lat0 = allg.centroid.x, allg.centroid.y
    projected = np.array([shapely.transform(p, lambda xy: np.c_[_project(xy[:, 0], xy[:, 1], lon0, lat0)])
                          for p in polys], dtype=object)
    seeds = np.array([[p.representative_point().x, p.representative_point().y] for p in projected])
    return projected, seeds, shapely.union_all(projected)


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


def _populations(scenario: Scenario, units: list[tuple[int, str, str]], base: Path) -> np.ndarray:
    total = scenario.province.population.value
    if scenario.province.communes_csv:
        values = _csv_populations(base / scenario.province.communes_csv, units)
        return total * values / values.sum()
    # Special zones are island districts (Hoang Sa, Bach Long Vi, ...): few or no residents.
    weight = {"ward": scenario.province.ward_weight, "commune": 1.0, "special zone": 0.05}
    w = np.array([weight[k] for _, _, k in units])
    return total * w / w.sum()


def world_rng(seed: int) -> np.random.Generator:
    """The map's random stream: one per ensemble seed, shared by every run and by the figures."""
    return np.random.default_rng([seed, zlib.crc32(b"geography")])


def build_geography(scenario: Scenario, rng: np.random.Generator) -> Geography:
    units = province_units(scenario.province.code)
    base = Path(scenario.source_file).resolve().parent if scenario.source_file else Path.cwd()
    if scenario.province.geojson:
        polys, seeds, outline = _from_geojson(base / scenario.province.geojson, units)
        schematic = False
    else:
        polys, seeds, outline = _schematic(units, scenario.province.area_km2.value,
                                           scenario.province.centres, rng)
        schematic = True
    return Geography(
        codes=np.array([c for c, _, _ in units]), names=[n for _, n, _ in units],
        kinds=[k for _, _, k in units], urban=np.array([k == "ward" for _, _, k in units]),
        polygons=polys, seeds=seeds, population=_populations(scenario, units, base),
        schematic=schematic, outline=outline,
    )


@nb.njit(parallel=True, cache=True, nogil=True)
def _contains(vx, vy, ring_start, px, py):
    """Even-odd point-in-polygon over all rings (exteriors, holes, parts of multipolygons)."""
    out = np.zeros(len(px), np.bool_)
    for t in nb.prange(len(px)):
        x, y = px[t], py[t]
        inside = False
        for r in range(len(ring_start) - 1):
            lo, hi = ring_start[r], ring_start[r + 1]
            for k in range(lo, hi - 1):  # rings are closed: the last vertex repeats the first
                x1, y1, x2, y2 = vx[k], vy[k], vx[k + 1], vy[k + 1]
                if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
                    inside = not inside
        out[t] = inside
    return out


@dataclass
class Rings:
    """A polygon's rings as flat vertex arrays, for the numba point-in-polygon test."""

    vx: np.ndarray
    vy: np.ndarray
    ring_start: np.ndarray

    @classmethod
    def of(cls, geom) -> "Rings":
        rings = shapely.get_rings(shapely.get_parts(geom))
        coords = [shapely.get_coordinates(r) for r in rings]
        start = np.r_[0, np.cumsum([len(c) for c in coords])].astype(np.int64)
        xy = np.vstack(coords) if coords else np.empty((0, 2))
        return cls(np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1]), start)

    def contains(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Which points lie inside (points exactly on an edge may go either way)."""
        return _contains(self.vx, self.vy, self.ring_start, np.asarray(x, dtype=np.float64),
                         np.asarray(y, dtype=np.float64))


def place_people(geo: Geography, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(N, 2) float32 homes for counts[c] people per commune, in commune order.

    Two thirds live in the settlement around the commune's centre, the rest anywhere
    in the commune, so coverage from a site near the centre reaches most people.
    """
    out = np.empty((int(counts.sum()), 2), dtype=np.float32)
    start = 0
    for c, n in enumerate(counts):
        n = int(n)
        if n == 0:
            continue
        poly = geo.polygons[c]
        rings = Rings.of(poly)
        n_centre = (2 * n) // 3
        spread = 0.2 * np.sqrt(poly.area)
        pts = geo.seeds[c] + rng.normal(0, spread, (n_centre, 2))
        inside = rings.contains(pts[:, 0], pts[:, 1])
        # People who would fall outside the commune are placed uniformly instead.
        uniform = _points_in(poly, n - int(inside.sum()), rng, rings)
        out[start:start + n] = np.vstack([pts[inside], uniform])
        start += n
    return out
