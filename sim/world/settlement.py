"""Where people live: each commune's people on a grid of cells, and homes drawn from it.

Within a commune, people follow a settlement model: a share of them
(`[population] settlement_centre_share`) in a
Gaussian cluster around the commune's centre (the commune seat, the village
cores), the rest evenly over the commune's land. The model is laid on a square grid
(`CELL_KM`) clipped to the commune's polygon, so each cell knows its share of the
commune's people. The grid depends only on the map, never on the agent sample: mobile
sites are placed on it (so coverage does not depend on the scale), and agents' homes are
a sample from it (a cell by its share, then a uniform point of the cell inside the
commune), so every home lies inside its commune's polygon.

Checked against: nothing finer than commune populations exists in the shipped data; the
centre share is an assumption (range below) that sets how much of a rural commune one
site at its centre covers, which the baseline 4G coverage of ~99% of people (FACTS.md)
bounds from below.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

CELL_KM = 0.5  # structural: the grid's resolution (computation, not behaviour)


@dataclass
class Cells:
    """The grid cells of every commune, stored commune by commune (`commune_start`)."""

    x0: NDArray[np.float64]             # the cell's lower-left corner (km)
    y0: NDArray[np.float64]
    size: float                         # km
    inside: NDArray[np.float64]         # share of the cell's area inside its commune
    share: NDArray[np.float64]          # share of its commune's people living in the cell
    centre: NDArray[np.float64]         # (K, 2) a point of the cell inside the commune
    commune: NDArray[np.int32]
    commune_start: NDArray[np.int64]    # C+1 offsets

    @property
    def n(self) -> int:
        return len(self.commune)

    def people(self, population: NDArray[np.float64]) -> NDArray[np.float64]:
        """People per cell for the communes' populations."""
        return self.share * population[self.commune]


def settle(polygons: NDArray[np.object_], seeds: NDArray[np.float64], centre_share: float, centre_spread: float,
           cell: float = CELL_KM) -> Cells:
    """The settlement grid of every commune (cells on one lattice for the whole province):
    `centre_share` of a commune's people around its centre, spread over `centre_spread` times
    the square root of its area (`[population] settlement_*`), the rest evenly."""
    # structural: x, y
    lo = np.min(shapely.bounds(polygons)[:, :2], axis=0)
    parts: list[tuple] = []
    for c, poly in enumerate(polygons):
        minx, miny, maxx, maxy = poly.bounds
        ix = np.arange(np.floor((minx - lo[0]) / cell), np.floor((maxx - lo[0]) / cell) + 1)
        iy = np.arange(np.floor((miny - lo[1]) / cell), np.floor((maxy - lo[1]) / cell) + 1)
        gx, gy = (a.ravel() for a in np.meshgrid(lo[0] + ix * cell, lo[1] + iy * cell))
        boxes = shapely.box(gx, gy, gx + cell, gy + cell)
        shapely.prepare(poly)
        full = shapely.contains_properly(poly, boxes)
        partial = ~full & shapely.intersects(poly, boxes)
        inside = full.astype(np.float64)
        # structural: cell centres, areas and a Gaussian
        centre = np.c_[gx + cell / 2, gy + cell / 2]
        if partial.any():
            pieces = shapely.intersection(boxes[partial], poly)
            # structural: cell centres, areas and a Gaussian
            inside[partial] = shapely.area(pieces) / cell**2
            centre[partial] = shapely.get_coordinates(shapely.point_on_surface(pieces))
        keep = inside > 0
        if not keep.any():  # a sliver thinner than any cell: one cell at its centre
            keep = np.zeros(len(gx), bool)
            keep[0] = True
            inside[0], centre[0] = 1.0, np.asarray(poly.representative_point().coords[0])
        gx, gy, inside, centre = gx[keep], gy[keep], inside[keep], centre[keep]
        area = poly.area
        sigma = centre_spread * np.sqrt(area)
        # structural: cell centres, areas and a Gaussian
        d2 = ((centre - seeds[c]) ** 2).sum(axis=1)
        # structural: cell centres, areas and a Gaussian
        cluster = inside * np.exp(-d2 / (2 * sigma**2))
        even = inside / inside.sum()
        share = ((1 - centre_share) * even + centre_share * cluster / cluster.sum()
                 if cluster.sum() > 0 else even)
        parts.append((gx, gy, inside, share, centre, np.full(len(gx), c, np.int32)))
    # structural: the six fields of Cells
    cat = [np.concatenate([p[k] for p in parts]) for k in range(6)]
    start = np.r_[0, np.cumsum([len(p[0]) for p in parts])].astype(np.int64)
    # structural: the six fields of Cells
    return Cells(x0=cat[0], y0=cat[1], size=cell, inside=cat[2], share=cat[3], centre=cat[4], commune=cat[5],
                 commune_start=start)


def place_people(cells: Cells, polygons: NDArray[np.object_], counts: NDArray[np.int64],
                 rng: np.random.Generator) -> NDArray[np.float32]:
    """(N, 2) float32 homes for counts[c] people per commune, in commune order: a cell by its
    share of the commune's people, then a uniform point of the cell; a point that falls outside
    the commune (cells on its border) is redrawn in the same cell, so cells keep their shares."""
    # structural: x, y
    out = np.empty((int(counts.sum()), 2), dtype=np.float32)
    start = 0
    for c, n in enumerate(counts):
        n = int(n)
        if n == 0:
            continue
        lo, hi = cells.commune_start[c], cells.commune_start[c + 1]
        cum = np.cumsum(cells.share[lo:hi])
        pick = lo + np.minimum(np.searchsorted(cum, rng.random(n) * cum[-1], side="right"), hi - lo - 1)
        x0, y0 = cells.x0[pick], cells.y0[pick]
        # structural: x, y
        pts = np.column_stack((x0, y0)) + rng.random((n, 2)) * cells.size
        todo = np.flatnonzero(cells.inside[pick] < 1.0)
        poly = polygons[c]
        shapely.prepare(poly)
        # structural: a retry cap (computation)
        for _ in range(64):
            if len(todo) == 0:
                break
            todo = todo[~shapely.contains_xy(poly, pts[todo, 0], pts[todo, 1])]
            # structural: x, y
            pts[todo] = np.column_stack((x0[todo], y0[todo])) + rng.random((len(todo), 2)) * cells.size
        # A point in a cell that barely touches the commune may miss 64 times: its inside point.
        pts[todo] = cells.centre[pick[todo]]
        out[start:start + n] = pts
        start += n
    return out
