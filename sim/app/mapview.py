"""The commune map of the dashboard as SVG paths: the real boundaries (`Geography.polygons`, km),
simplified to what a screen shows, each unit a path a planner can hover (name and value) and
click (to put it in a pilot). Offshore island groups (`sim.outputs.plots.map_layout`: beyond 50 km of
open sea) are drawn in an inset in the lower right corner, as on the PNG maps, so the mainland
keeps its size. Colours follow the PNG maps (`sim.outputs.plots.colour_scale`): browns miss the goal,
blue-greens meet it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from matplotlib.colors import to_hex
from numpy.typing import NDArray
from shapely.geometry.polygon import orient

from sim.outputs.plots import colour_scale, fmt_value, map_layout, misses
from sim.world.geography import Geography

PIXELS = 1000        # simplification: a thousandth of the map's width, under a pixel of the drawn map
INSET = 0.28          # the offshore inset's side, as a share of the frame's width


@dataclass(frozen=True)
class Shapes:
    """Every unit's SVG path (y down, km) in Geography order, and the frame they fit in."""

    paths: list[str]
    view_box: tuple[float, float, float, float]   # x, y, width, height
    inset: tuple[float, float, float, float] | None  # the offshore inset's box, if any


def _path(geom: shapely.Geometry, shift: tuple[float, float, float]) -> str:
    """SVG path data of a (multi)polygon, holes included (drawn with fill-rule evenodd);
    `shift` = (dx, dy, scale) places it (the inset), y flipped for the screen."""
    dx, dy, k = shift
    out = []
    for part in shapely.get_parts(geom):
        part = orient(part, 1.0)
        for ring in (part.exterior, *part.interiors):
            xy = np.asarray(ring.coords)[:-1]
            x, y = xy[:, 0] * k + dx, -(xy[:, 1] * k) + dy
            out.append("M" + "L".join(f"{a:.2f} {b:.2f}" for a, b in zip(x, y)) + "Z")
    return "".join(out)


def shapes(geo: Geography) -> Shapes:
    """The units as SVG paths, offshore groups moved into an inset."""
    layout = map_layout(geo)
    x0, y0, x1, y1 = layout.frame
    width, height = x1 - x0, y1 - y0
    pad = 0.02 * max(width, height)
    simple = shapely.simplify(geo.polygons, max(width, height) / PIXELS, preserve_topology=True)
    inset = None
    shift = {i: (0.0, 0.0, 1.0) for i in range(geo.n)}
    if layout.offshore.any():
        off = np.flatnonzero(layout.offshore)
        ox0, oy0, ox1, oy1 = (float(v) for v in shapely.total_bounds(geo.polygons[off]))
        side = INSET * width
        k = side / max(ox1 - ox0, oy1 - oy0, 1e-9)
        # The inset's lower right corner at the frame's: x1, y0 (km); y is flipped on screen.
        ix, iy = x1 - side, y0 + side
        inset = (ix, -iy, side, side)
        cx, cy = (side - (ox1 - ox0) * k) / 2, (side - (oy1 - oy0) * k) / 2   # centred in the inset
        for i in off:
            shift[int(i)] = (ix - ox0 * k + cx, -iy + oy1 * k + cy, k)
    paths = [_path(simple[i], shift[i]) for i in range(geo.n)]
    return Shapes(paths, (x0 - pad, -y1 - pad, width + 2 * pad, height + 2 * pad), inset)


def colours(values: NDArray[np.float64], threshold: float | None, comparison: str) -> list[str]:
    """A fill colour per unit (grey where no run recorded it)."""
    cmap, norm = colour_scale(values, threshold, comparison)
    return [to_hex(cmap(norm(v))) if np.isfinite(v) else "#d9d9d9" for v in values]


def units(geo: Geography, geometry: Shapes, values: NDArray[np.float64], indicator: str, threshold: float | None,
          comparison: str, picked: set[str]) -> list[dict]:
    """What the map component draws per unit (its path apart, in `Shapes.paths`: sent to the page
    once, not with every new value): code, name, fill, the hover label, whether it misses the
    goal, whether it is in the pilot."""
    fills = colours(values, threshold, comparison)
    missed = misses(values, threshold, comparison) if threshold is not None else np.zeros(geo.n, dtype=bool)
    return [{"code": str(int(geo.codes[i])), "name": geo.names[i], "kind": geo.kinds[i], "fill": fills[i],
             "label": fmt_value(float(values[i]), indicator), "misses": bool(missed[i]),
             "picked": str(int(geo.codes[i])) in picked} for i in range(geo.n)]


def legend(values: NDArray[np.float64], indicator: str, threshold: float | None, comparison: str,
           steps: int = 6) -> dict:
    """The map's key: the colour scale as a gradient (`stops`: CSS colours at evenly spaced values,
    from low to high), its end values and, with a goal, where the goal sits on it (0-1) and which
    side misses it. The same scale as the fills (`colours`)."""
    cmap, norm = colour_scale(values, threshold, comparison)
    lo, hi = float(norm.vmin or 0.0), float(norm.vmax or 0.0)  # set by colour_scale
    grid = np.linspace(lo, hi, 4 * steps + 1)
    out: dict = {"stops": [to_hex(cmap(norm(v))) for v in grid], "low": fmt_value(lo, indicator),
                 "high": fmt_value(hi, indicator), "goal_at": None, "goal": "", "missing": 0}
    if threshold is not None:
        out["goal_at"] = (threshold - lo) / (hi - lo) if hi > lo else 0.5
        out["goal"] = f"goal {comparison} {fmt_value(threshold, indicator)}"
        out["missing"] = int(misses(values, threshold, comparison).sum())
    return out
