"""Which communes touch: adjacency from the commune polygons (schematic Voronoi cells or real
boundaries), for the spillover of a pilot onto the communes around it.

Two communes are neighbours when their polygons come within `TOLERANCE_KM` of each other.
Voronoi cells share edges exactly, but real boundaries simplified for shipping (about 50 m)
leave slivers and overlaps between neighbours, so touching alone would miss some: 100 m
closes those gaps and is far below the size of any commune. An island (an offshore special
zone) has no neighbours.

Example:
    >>> from sim.inputs.scenario import load_scenario
    >>> from sim.world.geography import build_geography, world_rng
    >>> s = load_scenario("scenarios/dak_lak.toml")
    >>> geo = build_geography(s, world_rng(s.ensemble.seed))
    >>> len(neighbours(geo, geo.lookup(["Phường Buôn Ma Thuột"]))) > 0
    True
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray

from sim.world.geography import Geography

# structural: the boundary data's precision (km)
TOLERANCE_KM = 0.1


def adjacency(geo: Geography, tolerance_km: float = TOLERANCE_KM) -> NDArray[np.bool_]:
    """(C, C) boolean matrix: communes within `tolerance_km` of each other, not of themselves."""
    tree = shapely.STRtree(geo.polygons)
    a, b = tree.query(geo.polygons, predicate="dwithin", distance=tolerance_km)
    out = np.zeros((geo.n, geo.n), dtype=bool)
    out[a, b] = True
    out |= out.T  # dwithin is symmetric; this only guards against rounding at the tolerance
    np.fill_diagonal(out, False)
    return out


def neighbours(geo: Geography, indices: NDArray[np.int64], tolerance_km: float = TOLERANCE_KM) -> NDArray[np.int64]:
    """Sorted indices of the communes adjacent to any of `indices` and not among them."""
    indices = np.asarray(indices, dtype=np.int64)
    if len(indices) == 0:
        return np.empty(0, dtype=np.int64)
    tree = shapely.STRtree(geo.polygons)
    _, found = tree.query(geo.polygons[indices], predicate="dwithin", distance=tolerance_km)
    return np.setdiff1d(np.unique(found), indices).astype(np.int64)
