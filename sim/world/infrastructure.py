"""Mobile sites, where they go, and who they cover.

A site covers a disc (smaller in wards than in rural communes); a citizen is
covered when their home lies in the union of discs. Homes are binned once on a
square grid (`CELL_KM`), so a new site tests only the homes in the grid cells its
disc overlaps, and only those not yet covered. The number covered per commune is
kept up to date, so indicators never rescan the province.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numba as nb
import numpy as np
from numpy.typing import NDArray

from sim.streams import uniform
from sim.world.geography import Geography
from sim.world.sampling import count_where
from sim.world.settlement import Cells

TECHS = ("4g", "5g")


# structural: the grid's resolution (computation)
CELL_KM = 0.5


class HomeGrid(NamedTuple):
    """Citizens' homes binned on a square grid (counting sort by cell), and the grid's frame."""

    cell_start: NDArray[np.int64]  # (nx * ny + 1,) first member of each cell
    members: NDArray[np.int32]     # citizen ids, cell by cell
    mx: NDArray[np.float32]        # their homes' x (km)
    my: NDArray[np.float32]        # and y
    x0: float                      # the grid's lower-left corner (km)
    y0: float
    cell: float                    # cell side (km)
    nx: int
    ny: int


class Discs(NamedTuple):
    """Sites' coverage discs (km)."""

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    r: NDArray[np.float64]


@nb.njit(cache=True, nogil=True)
def _grid(xy, x0, y0, cell, nx, ny):  # type: ignore[no-untyped-def]
    """Homes sorted by grid cell (counting sort): cell_start (nx*ny + 1), member ids, their x and y."""
    n = len(xy)
    cell_of = np.empty(n, np.int64)
    cell_start = np.zeros(nx * ny + 1, np.int64)
    for i in range(n):
        cx = min(nx - 1, max(0, np.int64((xy[i, 0] - x0) / cell)))
        cy = min(ny - 1, max(0, np.int64((xy[i, 1] - y0) / cell)))
        cell_of[i] = cy * nx + cx
        cell_start[cell_of[i] + 1] += 1
    for k in range(nx * ny):
        cell_start[k + 1] += cell_start[k]
    fill = cell_start[:-1].copy()
    members = np.empty(n, np.int32)
    mx = np.empty(n, np.float32)
    my = np.empty(n, np.float32)
    for i in range(n):
        k = fill[cell_of[i]]
        members[k] = i
        mx[k] = xy[i, 0]
        my[k] = xy[i, 1]
        fill[cell_of[i]] += 1
    return cell_start, members, mx, my


@nb.njit(inline="always", cache=True)
def _cell_inside(cx, cy, x0, y0, cell, x, y, r2):  # type: ignore[no-untyped-def]
    """Whether the whole grid cell lies within the disc (its farthest corner does)."""
    fx = max(abs(x0 + cx * cell - x), abs(x0 + (cx + 1) * cell - x))
    fy = max(abs(y0 + cy * cell - y), abs(y0 + (cy + 1) * cell - y))
    return fx * fx + fy * fy <= r2


@nb.njit(inline="always", cache=True)
def _cells_touched(x, y, r, x0, y0, cell, nx, ny):  # type: ignore[no-untyped-def]
    """First and last grid column and row that a disc of radius r at (x, y) overlaps."""
    cx0 = max(0, np.int64(np.floor((x - r - x0) / cell)))
    cx1 = min(nx - 1, np.int64(np.floor((x + r - x0) / cell)))
    cy0 = max(0, np.int64(np.floor((y - r - y0) / cell)))
    cy1 = min(ny - 1, np.int64(np.floor((y + r - y0) / cell)))
    return cx0, cx1, cy0, cy1


# Inlined into both callers: one disc's centre, radius and counting switch stay plain arguments
# (ruff's PLR0913 waived), as bundling them would build a tuple per site in the parallel loop.
@nb.njit(inline="always", cache=True)
def _cover_disc(grid, commune, x, y, r, covered, full, by_commune, count):  # type: ignore[no-untyped-def]  # noqa: PLR0913
    """Mark the citizens within one disc (and, if `count`, add the newly covered to their
    commune's count). A cell the disc wholly covers is flagged `full` and skipped from then on."""
    cell_start, members, mx, my = grid.cell_start, grid.members, grid.mx, grid.my
    x0, y0, cell, nx, ny = grid.x0, grid.y0, grid.cell, grid.nx, grid.ny
    cx0, cx1, cy0, cy1 = _cells_touched(x, y, r, x0, y0, cell, nx, ny)
    r2 = r * r
    for cy in range(cy0, cy1 + 1):
        for cx in range(cx0, cx1 + 1):
            k = cy * nx + cx
            if full[k]:
                continue
            whole = _cell_inside(cx, cy, x0, y0, cell, x, y, r2)
            for t in range(cell_start[k], cell_start[k + 1]):
                i = members[t]
                # structural: squared distances
                if not covered[i] and (whole or (np.float64(mx[t]) - x) ** 2 + (np.float64(my[t]) - y) ** 2 <= r2):
                    covered[i] = True
                    if count:
                        by_commune[commune[i]] += 1
            if whole:
                full[k] = True


@nb.njit(cache=True)
def _cover(grid, commune, discs, covered, full, by_commune):  # type: ignore[no-untyped-def]
    """Mark the citizens within each site's disc and count the newly covered per commune."""
    for s in range(len(discs.x)):
        _cover_disc(grid, commune, discs.x[s], discs.y[s], discs.r[s], covered, full, by_commune, True)


@nb.njit(parallel=True, cache=True)
def _cover_many(grid, discs, covered, full):  # type: ignore[no-untyped-def]
    """`_cover` for a large batch, sites in parallel. Two threads may mark the same citizen
    or cell; both write True, so the outcome does not depend on the order. Counts are
    redone after (no counting here: two threads could count one citizen twice)."""
    no_commune = np.empty(0, np.int32)
    no_counts = np.empty(0, np.int64)
    x, y, r = discs.x, discs.y, discs.r  # read before the parallel loop (numba's parfors and tuples)
    for s in nb.prange(len(x)):
        _cover_disc(grid, no_commune, x[s], y[s], r[s], covered, full, no_counts, False)


@dataclass
class Coverage:
    geo: Geography
    xy: NDArray[np.float32]              # citizen homes (N, 2)
    commune_start: NDArray[np.int64]
    commune: NDArray[np.int32]           # each citizen's commune (the citizens' own array, not a copy)
    covered: dict[str, NDArray[np.bool_]] = field(default_factory=dict)
    sites: dict[str, list[NDArray[np.float64]]] = field(default_factory=dict)  # per tech: [x, y, r, commune, cofunded]
    by_commune: dict[str, NDArray[np.int64]] = field(default_factory=dict)  # covered citizens per commune
    built: dict[str, int] = field(default_factory=dict)  # sites per tech (kept: counted every month)
    # Homes a site can reach (None: all): the rest are never covered (`reach_limit_km`).
    reach: NDArray[np.bool_] | None = None

    def __post_init__(self) -> None:
        n = len(self.xy)
        self.covered = {t: np.zeros(n, dtype=bool) for t in TECHS}
        self.sites = {t: [] for t in TECHS}
        self.built = {t: 0 for t in TECHS}
        self.by_commune = {t: np.zeros(self.geo.n, dtype=np.int64) for t in TECHS}
        # structural: x, y
        lo = self.xy.min(axis=0).astype(np.float64) if n else np.zeros(2)
        # structural: x, y
        hi = self.xy.max(axis=0).astype(np.float64) if n else np.zeros(2)
        # structural: x, y
        nx, ny = (int((hi - lo)[k] // CELL_KM) + 1 for k in range(2))
        x0, y0 = float(lo[0]), float(lo[1])
        # Homes out of reach are left off the grid, so no disc ever marks them.
        reachable = np.arange(n) if self.reach is None else np.flatnonzero(self.reach)
        cell_start, members, mx, my = _grid(self.xy[reachable], x0, y0, CELL_KM, nx, ny)
        members = reachable[members].astype(np.int32)
        self._grid = HomeGrid(cell_start, members, mx, my, x0, y0, CELL_KM, nx, ny)
        self._full = {t: np.zeros(nx * ny, dtype=bool) for t in TECHS}  # cells wholly covered

    def add(self, tech: str, x: NDArray[np.float64], y: NDArray[np.float64], radius: NDArray[np.float64],
            commune: NDArray[np.integer], cofunded: bool) -> None:
        """Build sites and mark the citizens they cover."""
        if len(x) == 0:
            return
        x, y, radius = (np.asarray(a, dtype=np.float64) for a in (x, y, radius))
        self.sites[tech].append(np.column_stack((x, y, radius, commune, np.full(len(x), float(cofunded)))))
        self.built[tech] += len(x)
        discs = Discs(x, y, radius)
        if len(x) > 256:  # structural: a batch size (computation); the baseline network: all sites at once
            _cover_many(self._grid, discs, self.covered[tech], self._full[tech])
            self.by_commune[tech] = count_where(self.commune_start, np.arange(self.geo.n), self.covered[tech], True)
        else:
            _cover(self._grid, self.commune, discs, self.covered[tech], self._full[tech], self.by_commune[tech])

    def share(self, tech: str) -> float:
        """Share of citizens covered."""
        return float(self.by_commune[tech].sum() / max(1, len(self.xy)))

    def site_table(self, tech: str) -> NDArray[np.float64]:
        """(k, 5) array of x, y, radius, commune, cofunded."""
        # structural: the site table's five columns
        return np.vstack(self.sites[tech]) if self.sites[tech] else np.empty((0, 5))

    def count(self, tech: str) -> int:
        return self.built[tech]


# Tries of a draw that land on a cell already drawn (or of no weight, by rounding) before the draw
# is made exactly instead: a try misses with probability below one half by construction, so 64
# misses happen only where float sums have lost small weights beside large ones (a commune of
# almost no people beside a city), where retrying would never end.
# structural: a retry cap (computation)
MAX_MISSES = 64


@nb.njit(cache=True, nogil=True)
def _exact_draw(people, urban, urban_weight, idx, taken, k, u):  # type: ignore[no-untyped-def]
    """One of the first k entries not yet taken, with probability proportional to its cell's
    weight, by a linear pass over exact weights (no differences of large sums)."""
    total = 0.0
    for t in range(k):
        if not taken[t]:
            total += people[idx[t]] * (urban_weight if urban[idx[t]] else 1.0)
    target = u * total
    last = -1
    for t in range(k):
        if taken[t]:
            continue
        last = t
        target -= people[idx[t]] * (urban_weight if urban[idx[t]] else 1.0)
        if target < 0.0:
            return t
    return last


# A draw within named communes: their cell ranges, the plan's arrays and the draw's settings, nine
# plain arguments its one caller (`SitePlan.pick`) passes (ruff's PLR0913 waived).
@nb.njit(cache=True, nogil=True)
def _successive(lo, hi, people, urban, covered, urban_weight, uncovered_only, n, key):  # type: ignore[no-untyped-def]  # noqa: PLR0913
    """Up to n distinct cells of [lo[j], hi[j]) drawn one after another, each with probability
    proportional to its weight among those not yet drawn (successive sampling; weight: people,
    times urban_weight in wards, 0 where covered if uncovered_only). Draws are made with
    replacement on the cumulative weights (binary search) and a cell drawn again is drawn anew,
    which is the same law; the table is rebuilt without the drawn cells once they hold half the
    weight, so a draw takes about two tries at most. One pass over the cells without a random
    number each: the noise is counter-based (draw number), under `key`."""
    m = 0
    for j in range(len(lo)):
        m += hi[j] - lo[j]
    cum = np.empty(m)
    idx = np.empty(m, np.int64)
    k = 0
    total = 0.0
    for j in range(len(lo)):
        for c in range(lo[j], hi[j]):
            w = people[c] * (urban_weight if urban[c] else 1.0)
            if w <= 0.0 or (uncovered_only and covered[c]):
                continue
            total += w
            cum[k] = total
            idx[k] = c
            k += 1
    if k <= n:
        return np.sort(idx[:k])
    out = np.empty(n, np.int64)
    taken = np.zeros(k, np.bool_)
    got = 0
    removed = 0.0
    draw = 0
    misses = 0
    while got < n:
        if misses >= MAX_MISSES:  # the table's sums have lost the small weights: draw exactly
            i = _exact_draw(people, urban, urban_weight, idx, taken, k, uniform(key, draw))
            draw += 1
            misses = 0
        else:
            i = np.searchsorted(cum[:k], uniform(key, draw) * total, side="right")
            draw += 1
            if i >= k or taken[i]:
                misses += 1
                continue
        misses = 0
        taken[i] = True
        out[got] = idx[i]
        got += 1
        removed += cum[i] - (cum[i - 1] if i > 0 else 0.0)
        if removed > 0.5 * total and got < n:  # structural: rebuild the table without the drawn cells
            kk = 0
            acc = 0.0
            prev = 0.0
            for t in range(k):
                w = cum[t] - prev
                prev = cum[t]
                if taken[t]:
                    continue
                acc += w
                cum[kk] = acc
                idx[kk] = idx[t]
                kk += 1
            k, total, removed = kk, acc, 0.0
            taken[:k] = False
    return np.sort(out)


@nb.njit(cache=True, nogil=True)
def _tree_of(weight):  # type: ignore[no-untyped-def]
    """A Fenwick tree (1-based) of the weights: prefix sums and updates in O(log n)."""
    n = len(weight)
    tree = np.zeros(n + 1)
    tree[1:] = weight
    for i in range(1, n + 1):
        j = i + (i & -i)
        if j <= n:
            tree[j] += tree[i]
    return tree


@nb.njit(cache=True, nogil=True)
def _tree_add(tree, i, delta):  # type: ignore[no-untyped-def]
    i += 1
    while i < len(tree):
        tree[i] += delta
        i += i & -i


@nb.njit(cache=True, nogil=True)
def _tree_find(tree, target):  # type: ignore[no-untyped-def]
    """The 0-based index whose cumulative interval holds `target` (len if beyond the total)."""
    n = len(tree) - 1
    pos = 0
    step = 1
    # structural: the Fenwick tree's powers of two
    while step * 2 <= n:
        # structural: the Fenwick tree's powers of two
        step *= 2
    while step:
        nxt = pos + step
        if nxt <= n and tree[nxt] <= target:
            pos = nxt
            target -= tree[nxt]
        # structural: the Fenwick tree's powers of two
        step //= 2
    return pos


@nb.njit(cache=True, nogil=True)
def _tree_total(tree):  # type: ignore[no-untyped-def]
    n = len(tree) - 1
    total = 0.0
    i = n
    while i > 0:
        total += tree[i]
        i -= i & -i
    return total


@nb.njit(cache=True, nogil=True)
def _drawn(drawn, i):  # type: ignore[no-untyped-def]
    for j in drawn:
        if j == i:
            return True
    return False


@nb.njit(cache=True, nogil=True)
def _exact_tree_draw(weight, drawn, u):  # type: ignore[no-untyped-def]
    """A cell of positive weight not in `drawn`, with probability proportional to its weight, by a
    linear pass over the exact weights."""
    total = 0.0
    for c in range(len(weight)):
        if weight[c] > 0.0 and not _drawn(drawn, c):
            total += weight[c]
    target = u * total
    last = -1
    for c in range(len(weight)):
        if weight[c] > 0.0 and not _drawn(drawn, c):
            last = c
            target -= weight[c]
            if target < 0.0:
                return c
    return last


@nb.njit(cache=True, nogil=True)
def _tree_draw(tree, weight, alive, n, key):  # type: ignore[no-untyped-def]
    """Up to n distinct cells by successive sampling on a Fenwick tree of the weights: each draw
    proportional to weight among the cells not yet drawn (a drawn cell's weight is taken out for
    the next draws, then put back: the caller's coverage update removes it for good). A draw that
    lands on a cell of no weight (rounding in the tree) is drawn anew."""
    m = min(n, alive)
    out = np.empty(m, np.int64)
    total = _tree_total(tree)
    draw = 0
    for got in range(m):
        misses = 0
        while True:
            if misses >= MAX_MISSES:  # the tree's sums have lost the small weights: draw exactly
                i = _exact_tree_draw(weight, out[:got], uniform(key, draw))
                draw += 1
                break
            i = _tree_find(tree, uniform(key, draw) * total)
            draw += 1
            if i < len(weight) and weight[i] > 0.0 and not _drawn(out[:got], i):
                break
            misses += 1
        out[got] = i
        _tree_add(tree, i, -weight[i])
        total -= weight[i]
    for got in range(m):
        _tree_add(tree, out[got], weight[out[got]])
    return np.sort(out)


@nb.njit(cache=True, nogil=True)
def _tree_remove(tree, weight, cells):  # type: ignore[no-untyped-def]
    """Cells that became covered leave the tree for good; returns how many had weight."""
    gone = 0
    for c in cells:
        if weight[c] > 0.0:
            _tree_add(tree, c, -weight[c])
            weight[c] = 0.0
            gone += 1
    return gone


@dataclass
class _Draws:
    """The province-wide draw of one technology at one urban weight: the uncovered cells' weights
    in a Fenwick tree, kept up to date as sites cover cells."""

    tree: NDArray[np.float64]
    weight: NDArray[np.float64]
    alive: int


def reach_limit_km(geo: Geography, out_of_reach: float) -> float:
    """Distance from a commune's centre beyond which no site can be built: the farthest
    settlement cells holding `out_of_reach` of the province's people (`infrastructure.out_of_reach`:
    the remotest hamlets, in forest, on mountains or islands without power or road). Read from
    the settlement grid, so the same at every scale; inf when nobody is out of reach."""
    if out_of_reach <= 0.0:
        return float("inf")
    cells = geo.cells
    distance = np.hypot(*(cells.centre - geo.seeds[cells.commune]).T)
    order = np.argsort(-distance, kind="stable")
    people = cells.people(geo.population)[order]
    beyond = np.searchsorted(np.cumsum(people), out_of_reach * people.sum(), side="left")
    return float(distance[order][min(beyond, len(order) - 1)])


def within_reach(geo: Geography, xy: NDArray[np.floating], commune: NDArray[np.integer],
                 limit_km: float) -> NDArray[np.bool_]:
    """Whether each place (homes, or cells' points) lies within `limit_km` of its commune's centre."""
    return np.hypot(*(np.asarray(xy, dtype=np.float64) - geo.seeds[commune]).T) < limit_km


@dataclass
class SitePlan:
    """Where new sites go: the cells of the settlement grid (`sim.world.settlement`), their people and
    which of them each technology already covers (a cell counts as covered when its inside point
    is). Sites go to a cell's inside point, so where they stand depends on the map, the draws and
    the sites before them, never on the agent sample: coverage is the same at every scale."""

    cells: Cells
    people: NDArray[np.float64]   # per cell
    urban: NDArray[np.bool_]      # per cell: in a ward
    grid: Coverage                # the cells' inside points, as the "homes" a Coverage marks
    # Province-wide draws (operators' commercial sites, every month) by (tech, urban weight): a
    # Fenwick tree makes each draw O(log cells) instead of a pass over every cell.
    draws: dict[tuple[str, float], _Draws] = field(default_factory=dict)

    @classmethod
    def of(cls, geo: Geography, limit_km: float = float("inf")) -> SitePlan:
        """The plan of `geo`'s cells; cells beyond `limit_km` of their commune's centre
        (`reach_limit_km`) hold no one a site could serve, so none is ever drawn."""
        cells = geo.cells
        reach = within_reach(geo, cells.centre, cells.commune, limit_km)
        grid = Coverage(geo, cells.centre.astype(np.float32), cells.commune_start, cells.commune, reach=reach)
        return cls(cells, cells.people(geo.population) * reach, geo.urban[cells.commune], grid)

    def pick(self, rng: np.random.Generator, tech: str, n: int, communes: NDArray[np.int64] | None,
             urban_weight: float, uncovered_only: bool = True) -> NDArray[np.int64]:
        """Up to n distinct cells, drawn without replacement with probability proportional to
        their (uncovered) people times `urban_weight` in wards (successive sampling), among the
        cells of `communes` (all when None); sorted."""
        cells = self.cells
        everywhere = communes is None or (len(communes) == len(cells.commune_start) - 1
                                          and bool(np.all(np.asarray(communes) == np.arange(len(communes)))))
        if everywhere and uncovered_only and n > 0:
            d = self._province_draws(tech, float(urban_weight))
            # structural: a 63-bit key
            return _tree_draw(d.tree, d.weight, d.alive, int(n), np.uint64(rng.integers(0, 2**63)))
        communes = np.arange(len(cells.commune_start) - 1) if communes is None else np.asarray(communes)
        if n <= 0 or len(communes) == 0:
            return np.empty(0, np.int64)
        return _successive(cells.commune_start[communes], cells.commune_start[communes + 1], self.people, self.urban,
                           self.grid.covered[tech], float(urban_weight), uncovered_only, int(n),
                           # structural: a 63-bit key
                           np.uint64(rng.integers(0, 2**63)))

    def _province_draws(self, tech: str, urban_weight: float) -> _Draws:
        key = (tech, urban_weight)
        if key not in self.draws:
            weight = self.people * np.where(self.urban, urban_weight, 1.0)
            weight[self.grid.covered[tech] | ~(weight > 0.0)] = 0.0
            self.draws[key] = _Draws(_tree_of(weight), weight, int(np.count_nonzero(weight)))
        return self.draws[key]

    def add(self, tech: str, x: NDArray[np.float64], y: NDArray[np.float64], radius: NDArray[np.float64],
            commune: NDArray[np.integer]) -> None:
        """Mark the cells new sites cover (and take them out of the province-wide draws)."""
        covered = self.grid.covered[tech]
        before = covered.copy() if self.draws else covered
        self.grid.add(tech, x, y, radius, commune, cofunded=False)
        if self.draws:
            newly = np.flatnonzero(covered & ~before)
            for (t, _), d in self.draws.items():
                if t == tech and len(newly):
                    d.alive -= _tree_remove(d.tree, d.weight, newly)
