"""Mobile sites and who they cover.

A site covers a disc (smaller in wards than in rural communes); a citizen is
covered when their home lies in the union of discs. Sites are added in batches;
only citizens of communes the new discs touch (found with a shapely STRtree) are
tested, so adding sites never scans the whole province.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

from sim.geography import Geography

TECHS = ("4g", "5g")


@dataclass
class Coverage:
    geo: Geography
    xy: np.ndarray               # citizen homes (N, 2)
    commune_start: np.ndarray
    covered: dict[str, np.ndarray] = field(default_factory=dict)
    sites: dict[str, list[np.ndarray]] = field(default_factory=dict)  # per tech: [x, y, r, commune, cofunded]

    def __post_init__(self) -> None:
        n = len(self.xy)
        self.covered = {t: np.zeros(n, dtype=bool) for t in TECHS}
        self.sites = {t: [] for t in TECHS}
        self._tree = shapely.STRtree(self.geo.polygons)

    def add(self, tech: str, x: np.ndarray, y: np.ndarray, radius: np.ndarray, commune: np.ndarray,
            cofunded: bool) -> None:
        """Build sites and mark the citizens they cover."""
        if len(x) == 0:
            return
        self.sites[tech].append(np.c_[x, y, radius, commune, np.full(len(x), float(cofunded))])
        discs = shapely.buffer(shapely.points(x, y), radius, quad_segs=4)
        site_idx, communes = self._tree.query(discs, predicate="intersects")
        cov = self.covered[tech]
        for c in np.unique(communes):
            lo, hi = self.commune_start[c], self.commune_start[c + 1]
            own = site_idx[communes == c]
            px, py = self.xy[lo:hi, 0], self.xy[lo:hi, 1]
            hit = cov[lo:hi]
            for s in own:  # a handful of sites per commune per batch
                hit |= (px - x[s]) ** 2 + (py - y[s]) ** 2 <= radius[s] ** 2

    def site_table(self, tech: str) -> np.ndarray:
        """(k, 5) array of x, y, radius, commune, cofunded."""
        return np.vstack(self.sites[tech]) if self.sites[tech] else np.empty((0, 5))

    def count(self, tech: str) -> int:
        return int(sum(len(s) for s in self.sites[tech]))
