"""The national map of the dashboard: the provinces as SVG paths (their shipped boundaries,
`sim.geodata.province_outline`, in km on an equirectangular projection at 16°N), each a path a
planner can hover (name and value) and click (to open the province). The far islands east of
110°E (Hoàng Sa, Trường Sa) are left off, as on the PNG map."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely

from sim.app.mapview import _path, colours
from sim.geodata import province_outline
from sim.outputs.plots import fmt_value, misses

KM_PER_DEGREE = 111.32
COS_LAT = math.cos(math.radians(16.0))   # the middle of the mainland: km east per degree shrink by this


@dataclass(frozen=True)
class ProvinceShapes:
    codes: list[int]
    paths: list[str]
    view_box: tuple[float, float, float, float]


@lru_cache(maxsize=2)
def province_shapes(codes: tuple[int, ...]) -> ProvinceShapes:
    """Each province's outline as an SVG path (km, y down), in the order of `codes`."""
    geoms = []
    for code in codes:
        g = shapely.clip_by_rect(province_outline(code, tolerance=0.01), 100.0, 5.0, 110.0, 25.0)
        geoms.append(shapely.transform(g, lambda xy: xy * np.array([KM_PER_DEGREE * COS_LAT, KM_PER_DEGREE])))
    x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(np.array(geoms, dtype=object)))
    pad = 0.02 * max(x1 - x0, y1 - y0)
    paths = [_path(g, (0.0, 0.0, 1.0)) for g in geoms]
    return ProvinceShapes(list(codes), paths, (x0 - pad, -y1 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad))


def province_units(codes: list[int], names: dict[int, str], values: dict[int, float], indicator: str,
                   threshold: float | None, comparison: str) -> list[dict]:
    """What the map component draws per province: code, name, fill, hover label, whether it
    misses the goal."""
    vals = np.array([values.get(c, np.nan) for c in codes], dtype=float)
    fills = colours(vals, threshold, comparison)
    missed = misses(vals, threshold, comparison) if threshold is not None else np.zeros(len(codes), dtype=bool)
    return [{"code": str(c), "name": names[c], "kind": "province", "fill": fills[i],
             "label": fmt_value(float(vals[i]), indicator), "misses": bool(missed[i]), "picked": False}
            for i, c in enumerate(codes)]
