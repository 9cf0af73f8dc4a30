"""Mobile sites and who they cover.

A site covers a disc (smaller in wards than in rural communes); a citizen is
covered when their home lies in the union of discs. Sites are added in batches;
a numba kernel tests, commune by commune and in parallel, only the sites whose
disc reaches the bounding box of the commune's homes, and only citizens not yet
covered. The number covered per commune is kept up to date, so indicators never
rescan the province.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba as nb
import numpy as np

from sim.geography import Geography

TECHS = ("4g", "5g")


@nb.njit(parallel=True, cache=True)
def _homes_box(xy, commune_start):
    """(C, 4) bounding box xmin, xmax, ymin, ymax of each commune's homes."""
    n_c = len(commune_start) - 1
    box = np.empty((n_c, 4))
    for c in nb.prange(n_c):
        box[c, 0] = box[c, 2] = np.inf
        box[c, 1] = box[c, 3] = -np.inf
        for i in range(commune_start[c], commune_start[c + 1]):
            x, y = np.float64(xy[i, 0]), np.float64(xy[i, 1])
            box[c, 0] = min(box[c, 0], x)
            box[c, 1] = max(box[c, 1], x)
            box[c, 2] = min(box[c, 2], y)
            box[c, 3] = max(box[c, 3], y)
    return box


@nb.njit(parallel=True, cache=True)
def _cover(xy, commune_start, box, x, y, r, covered):
    """Mark the citizens within a site's disc; returns the number newly covered per commune."""
    n_c = len(commune_start) - 1
    added = np.zeros(n_c, np.int64)
    for c in nb.prange(n_c):
        near = np.empty(len(x), np.int64)
        k = 0
        for s in range(len(x)):
            # Distance from the site to the box; the disc reaches the box if it is <= r.
            dx = max(box[c, 0] - x[s], 0.0, x[s] - box[c, 1])
            dy = max(box[c, 2] - y[s], 0.0, y[s] - box[c, 3])
            if dx * dx + dy * dy <= r[s] * r[s]:
                near[k] = s
                k += 1
        if k == 0:
            continue
        count = 0
        for i in range(commune_start[c], commune_start[c + 1]):
            if covered[i]:
                continue
            px, py = np.float64(xy[i, 0]), np.float64(xy[i, 1])
            for t in range(k):
                s = near[t]
                if (px - x[s]) ** 2 + (py - y[s]) ** 2 <= r[s] ** 2:
                    covered[i] = True
                    count += 1
                    break
        added[c] = count
    return added


@dataclass
class Coverage:
    geo: Geography
    xy: np.ndarray               # citizen homes (N, 2)
    commune_start: np.ndarray
    covered: dict[str, np.ndarray] = field(default_factory=dict)
    sites: dict[str, list[np.ndarray]] = field(default_factory=dict)  # per tech: [x, y, r, commune, cofunded]
    by_commune: dict[str, np.ndarray] = field(default_factory=dict)  # covered citizens per commune

    def __post_init__(self) -> None:
        n = len(self.xy)
        self.covered = {t: np.zeros(n, dtype=bool) for t in TECHS}
        self.sites = {t: [] for t in TECHS}
        self.by_commune = {t: np.zeros(self.geo.n, dtype=np.int64) for t in TECHS}
        self._box = _homes_box(self.xy, self.commune_start)

    def add(self, tech: str, x: np.ndarray, y: np.ndarray, radius: np.ndarray, commune: np.ndarray,
            cofunded: bool) -> None:
        """Build sites and mark the citizens they cover."""
        if len(x) == 0:
            return
        x, y, radius = (np.asarray(a, dtype=np.float64) for a in (x, y, radius))
        self.sites[tech].append(np.c_[x, y, radius, commune, np.full(len(x), float(cofunded))])
        self.by_commune[tech] += _cover(self.xy, self.commune_start, self._box, x, y, radius, self.covered[tech])

    def share(self, tech: str) -> float:
        """Share of citizens covered."""
        return float(self.by_commune[tech].sum() / max(1, len(self.xy)))

    def site_table(self, tech: str) -> np.ndarray:
        """(k, 5) array of x, y, radius, commune, cofunded."""
        return np.vstack(self.sites[tech]) if self.sites[tech] else np.empty((0, 5))

    def count(self, tech: str) -> int:
        return int(sum(len(s) for s in self.sites[tech]))
