"""Figures: a fan chart per target, money by programme, what the money bought, and a commune map per
target with a per-commune value (offshore islands in insets, the urban core zoomed, communes that miss
the goal numbered and listed)."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402
from matplotlib import patheffects  # noqa: E402
from matplotlib.collections import PatchCollection  # noqa: E402
from matplotlib.colors import Colormap, ListedColormap, Normalize  # noqa: E402
from matplotlib.patches import PathPatch, Rectangle  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402
from numpy.typing import NDArray  # noqa: E402
from scipy import sparse  # noqa: E402
from scipy.sparse.csgraph import connected_components  # noqa: E402
from shapely.geometry.polygon import orient  # noqa: E402

from sim.experiments.ensemble import EnsembleResult  # noqa: E402
from sim.geodata import bare_name  # noqa: E402
from sim.inputs.targets import COMPARISONS, MapGoal  # noqa: E402
from sim.labels import definition, label, programme_label  # noqa: E402
from sim.names import OUTPUT_INDICATORS  # noqa: E402
from sim.outputs.verdict import Verdict, format_value  # noqa: E402
from sim.parameter_labels import parameter_label  # noqa: E402
from sim.schema import PROGRAMMES  # noqa: E402
from sim.world.geography import Geography  # noqa: E402

if TYPE_CHECKING:
    from sim.experiments.calibrate import Calibration
    from sim.experiments.cheapest import CostResult
    from sim.experiments.discover import Discovery
    from sim.experiments.seek import SeekResult


def monthly(result: EnsembleResult, indicator: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Decimal time and runs x months values."""
    df = result.indicators
    df = df[df.indicator == indicator]
    wide = df.pivot_table(index="run", columns=["year", "month"], values="value")
    t = np.array([int(y) + (int(m) - 0.5) / 12 for y, m in wide.columns.to_list()])
    return t, wide.to_numpy()


def fan_figure(v: Verdict, result: EnsembleResult, scenario_name: str,
               baseline: EnsembleResult | None = None) -> plt.Figure:
    """The fan of a target's indicator over the runs (5-95% and 25-75% bands, median), its goal and
    year marked; with `baseline`, that ensemble's median dashed beside it (the scenario as loaded)."""
    t, values = monthly(result, v.indicator)
    q = np.percentile(values, [5, 25, 50, 75, 95], axis=0)
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    ax.fill_between(t, q[0], q[4], color="tab:blue", alpha=0.18, label="5–95% of runs")
    ax.fill_between(t, q[1], q[3], color="tab:blue", alpha=0.32, label="25–75%")
    ax.plot(t, q[2], color="tab:blue", lw=2, label="median")
    if baseline is not None:
        tb, vb = monthly(baseline, v.indicator)
        ax.plot(tb, np.median(vb, axis=0), color="0.35", lw=1.4, ls="--", label="median, scenario as loaded")
    ax.axhline(v.threshold, color="tab:red", ls="--", lw=1.2,
               label=f"goal {v.comparison} {format_value(v.threshold, v.indicator)}")
    ax.axvline(v.year + 1, color="0.3", ls=":", lw=1.2)
    ax.annotate(f"end of {v.year}", (v.year + 1, ax.get_ylim()[1]), ha="right", va="top", fontsize=8, color="0.3")
    prob = "" if v.probability is None else f"P(reach) = {v.probability:.2f}, {v.status}\n"
    what = textwrap.fill(definition(v.indicator), 110)  # long definitions wrap instead of leaving the figure
    ax.set_title(f"{scenario_name}: {v.label or v.indicator}\n{prob}{what}", fontsize=9)
    ax.set_ylabel(v.label or v.indicator, fontsize=8)
    ax.set_xlabel("year")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def fan_chart(v: Verdict, result: EnsembleResult, path: Path, scenario_name: str) -> None:
    fig = fan_figure(v, result, scenario_name)
    save(fig, path)


def _yearly(result: EnsembleResult, indicator: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Years and the median run's yearly increase of a cumulative indicator."""
    cum = result.year_end(indicator).median(axis=0)
    return cum.index.to_numpy(), np.diff(np.r_[0.0, cum.to_numpy()])


def budget_by_programme(result: EnsembleResult, path: Path, scenario_name: str) -> None:
    """Resolution 57 money absorbed each year by programme, and what returned unabsorbed
    (median run, billion VND)."""
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    bottom = None
    for p in PROGRAMMES:
        years, yearly = _yearly(result, f"dx_spent_{p}_vnd")
        yearly = yearly / 1e9
        ax.bar(years, yearly, bottom=bottom, label=programme_label(p).capitalize())
        bottom = yearly if bottom is None else bottom + yearly
    years, unabsorbed = _yearly(result, "dx_unabsorbed_vnd")
    ax.bar(years, unabsorbed / 1e9, bottom=bottom, label="not absorbed (returned)", color="white",
           edgecolor="0.4", hatch="//")
    ax.set_title(f"{scenario_name}: Resolution 57 money absorbed by programme, and returned", fontsize=10)
    ax.set_ylabel("billion VND per year")
    ax.legend(fontsize=8, ncol=3)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    save(fig, path)


def what_money_bought(result: EnsembleResult, path: Path, scenario_name: str) -> None:
    """The physical outputs the programmes delivered, cumulative (median and 5-95% of runs)."""
    outputs = OUTPUT_INDICATORS
    cols = 4
    rows = -(-len(outputs) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(12, 3.0 * rows), dpi=110, squeeze=False)
    for ax, name in zip(axes.flat, outputs):
        table = result.year_end(name)
        years = table.columns.to_numpy()
        q = np.percentile(table.to_numpy(), [5, 50, 95], axis=0)
        ax.fill_between(years, q[0], q[2], color="tab:green", alpha=0.25)
        ax.plot(years, q[1], color="tab:green", lw=2)
        ax.set_title(label(name), fontsize=9, pad=12)  # structural: room for the title
        # Whole counts as a planner writes them (150,000, not 1.5 with an offset of 1e5 above the axis).
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(outputs):]:
        ax.axis("off")
    fig.suptitle(f"{scenario_name}: what the money bought (cumulative; median, band 5-95% of runs)", fontsize=11)
    # Fixed margins for small panels with short titles: tight_layout took most of this figure's time.
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.07, top=1 - 0.8 / (3.0 * rows), wspace=0.38,
                        hspace=0.55)  # structural: layout
    save(fig, path)


# ------------------------------------------------------------------------------------------ maps

# Open sea wider than this between a group of islands and the rest of the province moves the group to
# an inset. Gaps on the real boundaries: Cù Lao Chàm (Da Nang's Tân Hiệp) 10-26 km, Cát Hải's outer
# islets up to 41 km, Bạch Long Vĩ 75 km, Hoàng Sa 265 km and more. Drawn in place, a group beyond 50 km
# would widen the frame by two thirds of Hai Phong's ~75 km mainland or more and shrink every commune by
# as much; islands nearer than that read best where they are. Distance decides, not the kind: Cát Hải is
# a special zone 8 km off the coast, and an island group may be a rural commune (Cù Lao Chàm).
OFFSHORE_GAP_KM = 50.0
LISTED = 30       # rows of the side table: the communes that miss the goal by most
EXTREMES = 10     # without a goal: the 10 lowest and the 10 highest
SMALL_IN = 0.2    # a unit narrower than this on paper (inches) cannot hold its number: zoom in ...
ZOOM_MIN_IN = 0.35  # ... until the smallest is this wide, room for its name
FIG_W, FIG_H = 14.0, 9.5
MAIN_RECT = (0.045, 0.05, 0.52, 0.855)   # figure fractions: the main map ...
CBAR_RECT = (0.600, 0.20, 0.011, 0.58)  # ... its colour bar ...
ZOOM_RECT = (0.655, 0.555, 0.335, 0.35)  # ... the dense core, zoomed ...
TABLE_TOP = 0.905                       # ... and the numbered list below it


@dataclass(frozen=True)
class MapLayout:
    """Where each unit goes on a map: the main frame, or an inset for an offshore island group."""

    offshore: NDArray[np.bool_]        # per unit: no part near the mainland, drawn in an inset
    offshore_km: NDArray[np.float64]   # how far out to sea an offshore unit lies (nan for the others)
    detached: NDArray[np.bool_]        # per unit: a mainland unit with parts beyond the gap (outside the frame)
    frame: tuple[float, float, float, float]  # the mainland's bounds (km): xmin, ymin, xmax, ymax
    label_xy: NDArray[np.float64]      # (C, 2) a point inside each unit's largest part, for its number


def save(fig: plt.Figure, path: Path) -> None:
    """Write a figure as PNG and close it. zlib level 1: about 3% larger files than the
    default level 6, written faster (a 1:1 run writes a dozen figures)."""
    fig.savefig(path, pil_kwargs={"compress_level": 1})
    plt.close(fig)


_LAYOUTS: dict[tuple[int, float], tuple[Geography, MapLayout]] = {}  # kept: a run draws one map per target


def map_layout(geo: Geography, gap_km: float = OFFSHORE_GAP_KM) -> MapLayout:
    """`layout_of(geo, gap_km)`, computed once per map in a process (the maps of a run share it)."""
    key = (id(geo), gap_km)
    kept = _LAYOUTS.get(key)
    if kept is None or kept[0] is not geo:
        if len(_LAYOUTS) >= 4:  # structural: a few maps at a time
            _LAYOUTS.clear()
        kept = _LAYOUTS[key] = (geo, layout_of(geo, gap_km))
    return kept[1]


def layout_of(geo: Geography, gap_km: float = OFFSHORE_GAP_KM) -> MapLayout:
    """Group the units' polygon parts by single linkage (parts within `gap_km` of each other are
    one group); the group with the largest area is the mainland, a unit with no part in it is
    offshore. Works on any Geography, schematic or real (a schematic map has one group)."""
    parts, owner = shapely.get_parts(geo.polygons, return_index=True)
    area = shapely.area(parts)
    a, b = shapely.STRtree(parts).query(parts, predicate="dwithin", distance=gap_km)
    links = sparse.coo_matrix((np.ones(len(a), dtype=bool), (a, b)), shape=(len(parts), len(parts)))
    _, group = connected_components(links, directed=False)
    main = group == np.argmax(np.bincount(group, weights=area))
    offshore = np.bincount(owner[main], minlength=geo.n) == 0
    detached = ~offshore & (np.bincount(owner[~main], minlength=geo.n) > 0)
    km = np.full(geo.n, np.nan)
    if offshore.any():
        far = np.flatnonzero(offshore[owner])
        (src, _), dist = shapely.STRtree(parts[main]).query_nearest(parts[far], return_distance=True,
                                                                    all_matches=False)
        km[offshore] = np.inf
        np.minimum.at(km, owner[far[src]], dist)
    # A unit's number goes inside its largest part (the main island of an archipelago).
    order = np.lexsort((-area, owner))
    first = order[np.r_[True, np.diff(owner[order]) != 0]]
    label_xy = np.full((geo.n, 2), np.nan)
    label_xy[owner[first]] = shapely.get_coordinates(shapely.point_on_surface(parts[first]))
    x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(parts[main]))
    return MapLayout(offshore, km, detached, (x0, y0, x1, y1), label_xy)


def misses(values: NDArray[np.float64], threshold: float, comparison: str) -> NDArray[np.bool_]:
    """Which communes miss the goal, with the tolerance of `Target.holds` (nan: no data, not a miss)."""
    eps = 1e-9 if comparison in (">", ">=") else -1e-9
    return np.isfinite(values) & ~COMPARISONS[comparison](values + eps, threshold)


def _listed(values: NDArray[np.float64], threshold: float | None,
            comparison: str) -> tuple[NDArray[np.intp], list[str], int]:
    """The units numbered on the map (in number order), a section heading per row, and how many
    more miss the goal than are listed."""
    finite = np.flatnonzero(np.isfinite(values))
    if threshold is None:
        order = finite[np.argsort(values[finite], kind="stable")]
        if len(order) <= 2 * EXTREMES:
            return order, ["lowest first"] * len(order), 0
        return (np.r_[order[:EXTREMES], order[::-1][:EXTREMES]],
                [f"{EXTREMES} lowest"] * EXTREMES + [f"{EXTREMES} highest"] * EXTREMES, 0)
    miss = np.flatnonzero(misses(values, threshold, comparison))
    worse_low = comparison in (">", ">=")
    order = miss[np.argsort(values[miss] if worse_low else -values[miss], kind="stable")]
    return order[:LISTED], ["miss the goal, furthest first"] * min(len(order), LISTED), max(len(order) - LISTED, 0)


def colour_scale(values: NDArray[np.float64], threshold: float | None,
                 comparison: str) -> tuple[Colormap, Normalize]:
    """Without a goal, viridis over the values. With one, browns for the communes that miss it and
    blue-greens for those that meet it, on a linear scale that breaks at the goal: which communes
    miss reads from the colours alone."""
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if threshold is None:
        return plt.get_cmap("viridis").with_extremes(bad="0.85"), Normalize(lo, hi if hi > lo else lo + 1e-9)
    lo, hi = min(lo, threshold), max(hi, threshold)
    span = hi - lo or max(abs(threshold), 1.0)
    # Keep a sliver of both colours on the bar even when every commune is on one side of the goal.
    lo, hi = min(lo, threshold - 0.04 * span), max(hi, threshold + 0.04 * span)
    k = round(256 * (threshold - lo) / (hi - lo))
    base = plt.get_cmap("BrBG")
    if comparison in ("<", "<="):  # lower is better: the high side misses
        base = base.reversed()
    cmap = ListedColormap(np.vstack([base(np.linspace(0.04, 0.40, k)), base(np.linspace(0.62, 0.96, 256 - k))]))
    return cmap.with_extremes(bad="0.85"), Normalize(lo, hi)


def _paths(geom: shapely.Geometry) -> list[MplPath]:
    """One matplotlib path per polygon part, holes included (an enclave ward inside a commune
    stays visible; oriented so the non-zero fill rule leaves holes empty)."""
    out = []
    for part in shapely.get_parts(geom):
        part = orient(part, 1.0)
        rings = [np.asarray(r.coords) for r in (part.exterior, *part.interiors)]
        codes = [np.r_[MplPath.MOVETO, np.full(len(r) - 2, MplPath.LINETO), MplPath.CLOSEPOLY] for r in rings]
        out.append(MplPath(np.vstack(rings), np.concatenate(codes)))
    return out


def _draw_units(ax: plt.Axes, geo: Geography, units: NDArray[np.intp], values: NDArray[np.float64], cmap: Colormap,
                norm: Normalize, highlight: set[int], lw: float) -> PatchCollection:
    patches, colours = [], []
    for i in units:
        for path in _paths(geo.polygons[i]):
            patches.append(PathPatch(path))
            colours.append(values[i])
    coll = PatchCollection(patches, cmap=cmap, norm=norm, edgecolor="white", linewidth=lw)
    coll.set_array(np.ma.masked_invalid(np.array(colours, dtype=float)))
    ax.add_collection(coll)
    for i in sorted(highlight & set(units.tolist())):
        for path in _paths(geo.polygons[i]):
            ax.add_patch(PathPatch(path, fill=False, edgecolor="red", linewidth=1.6, zorder=3))
    return coll


def _fit(ax: plt.Axes, bounds: tuple[float, float, float, float], pad: float = 0.03) -> float:
    """Set equal-aspect km limits that show `bounds` and fill the axes box; returns km per inch."""
    x0, y0, x1, y1 = bounds
    pos = ax.get_position()
    fig = ax.get_figure(root=True)
    assert fig is not None
    box_w, box_h = pos.width * fig.get_figwidth(), pos.height * fig.get_figheight()
    km_per_in = max((x1 - x0) / box_w, (y1 - y0) / box_h, 1e-3) * (1 + 2 * pad)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    ax.set_xlim(cx - km_per_in * box_w / 2, cx + km_per_in * box_w / 2)
    ax.set_ylim(cy - km_per_in * box_h / 2, cy + km_per_in * box_h / 2)
    ax.set_aspect("equal", adjustable="box")
    return km_per_in


def _scale_bar(ax: plt.Axes, right: bool = False) -> None:
    """A bar of a round number of km, about a fifth of the axes wide, in a lower corner."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    target = 0.2 * (x1 - x0)
    step = 10 ** np.floor(np.log10(target))
    length = next(m * step for m in (5, 2, 1) if m * step <= target)
    x = x1 - 0.04 * (x1 - x0) - length if right else x0 + 0.04 * (x1 - x0)
    y = y0 + 0.035 * (y1 - y0)
    ax.plot([x, x + length], [y, y], color="k", lw=2.5, solid_capstyle="butt", zorder=5)
    ax.text(x + length / 2, y + 0.012 * (y1 - y0), f"{length:g} km", ha="center", va="bottom", fontsize=7,
            zorder=5, path_effects=HALO)


HALO = [patheffects.withStroke(linewidth=2.2, foreground="white")]


def _labels(ax: plt.Axes, xy: NDArray[np.float64], texts: list[str], fontsize: float,
            bold: list[bool] | None = None) -> None:
    """Labels at the units' points, in the order given (the furthest from the goal first); a label
    that would cover an earlier one moves to the nearest free spot around its point, with a thin
    leader, or stays put when every spot is taken."""
    bold = bold or [True] * len(texts)
    to_px, dpi = ax.transData.transform, ax.figure.dpi
    h = fontsize / 72 * dpi * 1.2
    (xl, xh), (yl, yh) = ax.get_xlim(), ax.get_ylim()
    (bx0, by0), (bx1, by1) = ax.bbox.get_points()
    placed: list[NDArray[np.float64]] = []  # pixel boxes (x0, y0, x1, y1)
    for (x, y), text, heavy in zip(xy, texts, bold):
        if not (xl <= x <= xh and yl <= y <= yh):
            continue
        w = len(text) * (0.64 if heavy else 0.58) * fontsize / 72 * dpi + 2
        px, py = to_px((x, y))
        # Keep the whole label inside the axes (a name at the edge of a zoom would be cut).
        px, py = np.clip(px, bx0 + w / 2, max(bx1 - w / 2, bx0 + w / 2)), np.clip(py, by0 + h / 2, by1 - h / 2)
        spots = [(px, py)] + [(px + r * (w / 2 + 4) * np.cos(t), py + r * (h / 2 + 3) * np.sin(t) * 1.8)
                              for r in (1.0, 1.6, 2.3) for t in np.arange(8) * np.pi / 4]
        cx, cy = spots[0]
        for sx, sy in spots:
            box = np.array([sx - w / 2, sy - h / 2, sx + w / 2, sy + h / 2])
            if box[0] < bx0 or box[2] > bx1 or box[1] < by0 or box[3] > by1:
                continue
            if not any(box[0] < q[2] and q[0] < box[2] and box[1] < q[3] and q[1] < box[3] for q in placed):
                cx, cy = sx, sy
                break
        placed.append(np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]))
        tx, ty = ax.transData.inverted().transform((cx, cy))
        if (cx, cy) != (px, py):
            ax.plot([x, tx], [y, ty], color="0.2", lw=0.5, zorder=6)
        ax.text(tx, ty, text, ha="center", va="center", fontsize=fontsize, zorder=7, path_effects=HALO,
                fontweight="bold" if heavy else "normal")


_short = bare_name  # names without their kind in labels and tables: the table has a type column


def fmt_value(v: float, indicator: str) -> str:
    if not np.isfinite(v):
        return "no data"
    return f"{v:.1f} d" if indicator.endswith("_days") else f"{v:.1%}"


def _zoom_window(geo: Geography, layout: MapLayout, km_per_in: float,
                 box_in: tuple[float, float]) -> tuple[float, float, float, float] | None:
    """The window of the zoomed inset (km): where most units too small to hold a label on the main
    frame lie together (a city's wards), drawn at a scale where the smallest of them is ZOOM_MIN_IN
    across. None when fewer than four such units lie together."""
    small = np.flatnonzero(~layout.offshore & (np.sqrt(geo.area_km2) / km_per_in < SMALL_IN))
    if len(small) < 4:
        return None
    side = np.sqrt(geo.area_km2[small])
    height = box_in[1] * side.min() / ZOOM_MIN_IN
    width = height * box_in[0] / box_in[1]
    pts = layout.label_xy[small]
    d = np.abs(pts[:, None, :] - pts[None, :, :])
    inside = (d[..., 0] < width / 2) & (d[..., 1] < height / 2)
    # The most small units in one window; among equals, the smallest units (the densest core).
    score = inside.sum(axis=1) - (inside * side[None, :]).sum(axis=1) / (side.sum() + 1.0)
    members = small[inside[np.argmax(score)]]
    if len(members) < 4:
        return None
    x0, y0, x1, y1 = shapely.total_bounds(geo.polygons[members])
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = max(width, x1 - x0), max(height, y1 - y0)
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def _inset_corner(ax: plt.Axes, geo: Geography, mainland: NDArray[np.intp], size: tuple[float, float],
                  zoom: tuple[float, float, float, float] | None) -> tuple[int, int]:
    """The corner of the main axes (0 left/bottom, 1 right/top) whose box of `size` (axes
    fractions) covers the least land and keeps clear of the zoom's frame: insets go over the sea
    or outside the province."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    w, h = size[0] * (x1 - x0), size[1] * (y1 - y0)
    best, corner = np.inf, (1, 1)
    for cx, cy in ((1, 1), (1, 0), (0, 1), (0, 0)):
        bx, by = (x1 - w if cx else x0), (y1 - h if cy else y0)
        covered = shapely.intersection(geo.polygons[mainland], shapely.box(bx, by, bx + w, by + h))
        land = shapely.area(covered).sum()
        if zoom is not None:
            land += 2 * shapely.box(*zoom).intersection(shapely.box(bx, by, bx + w, by + h)).area
        if land < best - 1e-9:
            best, corner = land, (cx, cy)
    return corner


def commune_map(geo: Geography, values: NDArray[np.float64], indicator: str, year: int, path: Path, scenario_name: str,
                goal: MapGoal | None = None, highlight: set[int] | None = None) -> tuple[float, float, float, float]:
    """Choropleth of one indicator per commune (median over runs) that a planner can read on paper:
    the mainland in km with a scale bar, offshore island groups in insets, the densest urban core
    zoomed, and the communes that miss the goal numbered and listed beside the map (without a goal:
    the lowest and highest). Returns the main frame's limits (xmin, ymin, xmax, ymax) in km."""
    threshold, comparison, goal_id = goal if goal is not None else (None, ">=", None)
    highlight = highlight or set()
    layout = map_layout(geo)
    values = np.asarray(values, dtype=float)
    cmap, norm = colour_scale(values, threshold, comparison)
    listed, sections, more = _listed(values, threshold, comparison)
    number = {int(i): k + 1 for k, i in enumerate(listed)}

    fig = plt.figure(figsize=(FIG_W, FIG_H), dpi=110)
    ax = fig.add_axes(MAIN_RECT)
    mainland = np.flatnonzero(~layout.offshore)
    coll = _draw_units(ax, geo, mainland, values, cmap, norm, highlight, lw=0.35)
    km_per_in = _fit(ax, layout.frame)
    ax.tick_params(labelsize=7)
    ax.set_xlabel("km", fontsize=8)
    ax.set_ylabel("km", fontsize=8)

    zax = fig.add_axes(ZOOM_RECT)
    zoom = _zoom_window(geo, layout, km_per_in, (ZOOM_RECT[2] * FIG_W, ZOOM_RECT[3] * FIG_H))
    in_zoom = np.zeros(geo.n, dtype=bool)
    if zoom is None:
        zax.remove()
    else:
        _draw_units(zax, geo, mainland, values, cmap, norm, highlight, lw=0.6)
        zoom_km_per_in = _fit(zax, zoom, pad=0.0)
        (zx0, zx1), (zy0, zy1) = zax.get_xlim(), zax.get_ylim()
        lx, ly = layout.label_xy.T
        seen = ~layout.offshore & (lx > zx0) & (lx < zx1) & (ly > zy0) & (ly < zy1)
        # Small units in the window are numbered in the zoom only: on the main map they would pile up.
        in_zoom = seen & (np.sqrt(geo.area_km2) / km_per_in < SMALL_IN)
        ax.add_patch(Rectangle((zx0, zy0), zx1 - zx0, zy1 - zy0, fill=False, edgecolor="0.15", lw=1.0,
                               ls="--", zorder=4))
        ax.text(zx1, zy1, " zoom", fontsize=7, va="bottom", ha="left", zorder=7, path_effects=HALO)
        zax.set_xticks([])
        zax.set_yticks([])
        zax.set_title(f"zoom (×{km_per_in / zoom_km_per_in:.0f}): the densest urban core, every unit named",
                      fontsize=8, loc="left")
        _scale_bar(zax)
        # Every unit in the window is named here; those in the table carry their number too.
        units = [int(i) for i in listed if seen[i]] + [int(i) for i in np.flatnonzero(seen) if int(i) not in number]
        _labels(zax, layout.label_xy[units],
                [f"{number[i]} {_short(geo.names[i])}" if i in number else _short(geo.names[i]) for i in units],
                6.5, [i in number for i in units])

    on_main = [i for i in listed if not layout.offshore[i] and not in_zoom[i]]
    _labels(ax, layout.label_xy[on_main], [str(number[i]) for i in on_main], 6.5)

    # Offshore island groups: one small box each, stacked in the emptiest corner, not to position.
    # Units without residents (Hoàng Sa) are not modelled but belong on the province's map: grey boxes.
    offshore = np.flatnonzero(layout.offshore)
    boxes = [int(i) for i in offshore] + list(range(-1, -len(geo.uninhabited) - 1, -1))
    notes = []
    corner = (1, 1)
    if boxes:
        size = (0.26, min(0.26, 0.9 / len(boxes)))
        corner = _inset_corner(ax, geo, mainland, size, None if zoom is None else (zx0, zy0, zx1, zy1))
        for k, i in enumerate(boxes):
            y = (1 - size[1] * (k + 1) - 0.04 * k) if corner[1] else (size[1] + 0.04) * k
            iax = ax.inset_axes((1 - size[0] if corner[0] else 0, y, *size))
            if i < 0:
                name, poly = geo.uninhabited[-1 - i]
                iax.add_collection(PatchCollection([PathPatch(p) for p in _paths(poly)], facecolor="0.75",
                                                   edgecolor="0.4", linewidth=0.4))
                _fit(iax, tuple(shapely.bounds(poly)), pad=0.08)
                far = shapely.distance(poly, shapely.union_all(geo.polygons[mainland]))
                iax.set_title(f"{_short(name)}: no residents, not modelled\n{far:.0f} km out to sea", fontsize=7,
                              pad=2)
                for side in ("x", "y"):
                    getattr(iax, f"set_{side}ticks")([])
                iax.set_facecolor("#eef4fa")
                _scale_bar(iax)
                continue
            _draw_units(iax, geo, np.array([i]), values, cmap, norm, highlight, lw=0.4)
            _fit(iax, tuple(shapely.bounds(geo.polygons[i])), pad=0.08)
            iax.set_xticks([])
            iax.set_yticks([])
            iax.set_facecolor("#eef4fa")
            for s in iax.spines.values():
                s.set_edgecolor("0.3")
            iax.set_title(f"{_short(geo.names[i])} ({geo.kinds[i]})\n{layout.offshore_km[i]:.0f} km out to sea",
                          fontsize=7, pad=2)
            _scale_bar(iax)
            if i in number:
                _labels(iax, layout.label_xy[[i]], [str(number[i])], 7.0)
        notes.append(f"boxes: units more than {OFFSHORE_GAP_KM:g} km out to sea, drawn apart (not to position)")
    if layout.detached.any():
        names = ", ".join(_short(geo.names[i]) for i in np.flatnonzero(layout.detached))
        notes.append(f"islets more than {OFFSHORE_GAP_KM:g} km out not drawn (of {names}); values in communes.csv")
    _scale_bar(ax, right=bool(corner == (0, 0)))
    if notes:
        ax.text(0.99 if corner != (1, 0) else 0.01, 0.01, "\n".join(notes), transform=ax.transAxes,
                fontsize=6.5, color="0.25", ha="right" if corner != (1, 0) else "left", va="bottom",
                zorder=7, path_effects=HALO)

    cax = fig.add_axes(CBAR_RECT)
    cbar = fig.colorbar(coll, cax=cax)
    cbar.ax.tick_params(labelsize=7)
    cbar.set_label(label(indicator), fontsize=8)
    if threshold is not None:
        cbar.ax.axhline(threshold, color="k", lw=1.5)
        # Left of the bar: the tick labels are on its right.
        cbar.ax.text(-0.5, threshold, f"goal {comparison}\n{fmt_value(threshold, indicator)}", fontsize=7,
                     va="center", ha="right", transform=cbar.ax.get_yaxis_transform())
    if highlight:
        fig.text(CBAR_RECT[0] + CBAR_RECT[2] / 2, CBAR_RECT[1] - 0.03, "red outline:\npilot\ncommunes", fontsize=7,
                 color="red", ha="center", va="top")

    _table(fig, geo, values, indicator, (listed, sections, more), goal,
           top=ZOOM_RECT[1] - 0.05 if zoom is not None else TABLE_TOP)

    goal_text = f"; goal {comparison} {fmt_value(threshold, indicator)}" if threshold is not None else ""
    lines = [f"{scenario_name}: {label(indicator)} at the end of {year}{goal_text}"
             + (f"  [{goal_id}]" if goal_id else ""),
             f"{definition(indicator)} — median over runs, per commune/ward"]
    if geo.schematic:
        lines.append("SCHEMATIC map (Voronoi cells, true area; not real boundaries)")
    fig.text(0.045, 0.985, lines[0], fontsize=11, va="top", fontweight="bold")
    fig.text(0.045, 0.955, "\n".join(lines[1:]), fontsize=8.5, va="top",
             color="tab:red" if geo.schematic else "0.2")
    save(fig, path)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    return x0, y0, x1, y1


def _table(fig: plt.Figure, geo: Geography, values: NDArray[np.float64], indicator: str,
           listing: tuple[NDArray[np.intp], list[str], int], goal: MapGoal | None, top: float) -> None:
    """The side panel: number -> name, type, value and people, one row each (`listing`: what
    `_listed` returns)."""
    listed, sections, more = listing
    threshold, comparison = (goal.threshold, goal.comparison) if goal is not None else (None, ">=")
    x0, x1 = ZOOM_RECT[0], ZOOM_RECT[0] + ZOOM_RECT[2]
    row = 0.0135 * 9.5 / FIG_H  # figure fraction per row (about 9 pt)
    cols = (x0 + 0.018, x0 + 0.026, x0 + 0.205, x0 + 0.285, x1)  # number (right), name, type, value, people
    y = top
    if threshold is not None:
        miss = misses(values, threshold, comparison)
        people = geo.population[miss].sum()
        head = (f"{int(miss.sum())} of {geo.n} communes/wards miss the goal "
                f"({people / geo.population.sum():.0%} of the people)")
    elif len(listed) == 2 * EXTREMES:
        head = f"No goal: the {EXTREMES} lowest and {EXTREMES} highest of {geo.n} communes/wards"
    else:
        head = f"No goal: all {len(listed)} communes/wards with a value"
    fig.text(x0, y, head, fontsize=8.5, fontweight="bold", va="top")
    y -= 1.6 * row
    section = None
    for k, (i, sec) in enumerate(zip(listed, sections)):
        if sec != section:
            section = sec
            fig.text(x0, y, sec, fontsize=7.5, style="italic", va="top", color="0.3")
            y -= row
            for x, text, ha in ((cols[0], "#", "right"), (cols[1], "name", "left"), (cols[2], "type", "left"),
                                (cols[3], "value", "right"), (cols[4], "people", "right")):
                fig.text(x, y, text, fontsize=7, va="top", ha=ha, color="0.35")
            y -= row
        cells = (str(k + 1), _short(geo.names[i])[:28], geo.kinds[i], fmt_value(values[i], indicator),
                 f"{geo.population[i]:,.0f}")
        for x, text, ha in zip(cols, cells, ("right", "left", "left", "right", "right")):
            fig.text(x, y, text, fontsize=7, va="top", ha=ha)
        y -= row
    if more:
        fig.text(x0, y - 0.3 * row, f"and {more} more: see communes.csv", fontsize=7.5, va="top", style="italic")
    elif threshold is not None and not len(listed):
        fig.text(x0, y, "none: every commune/ward meets the goal", fontsize=7.5, va="top", style="italic")


def calibration_fit(cal: Calibration, path: Path) -> None:
    """Observed points (±2σ) against the model's runs at the best draw, and the posterior mean and
    90% interval of the model at each observation; held-out points hollow."""
    spec = cal.scenario
    y0, m0 = int(spec.time.start[:4]), int(spec.time.start[5:])
    indicators = list(cal.series)
    fig, axes = plt.subplots(len(indicators), 1, figsize=(8, 3.8 * len(indicators)), dpi=110, squeeze=False)
    for ax, name in zip(axes[:, 0], indicators):
        runs = cal.series[name]
        t = y0 + (m0 - 1 + np.arange(1, runs.shape[1] + 1)) / 12  # end of each month
        ax.fill_between(t, runs.min(axis=0), runs.max(axis=0), color="tab:blue", alpha=0.25,
                        label=f"model, range of {runs.shape[0]} runs")
        ax.plot(t, runs.mean(axis=0), color="tab:blue", lw=2, label="model mean, best draw")
        obs = cal.fit[cal.fit.indicator == name]
        ot = obs.year + obs.month / 12
        for fitted, style in ((True, dict(fmt="o", color="k", label="observed, fitted (±2σ)")),
                              (False, dict(fmt="s", color="tab:red", mfc="white", label="observed, held out (±2σ)"))):
            sel = obs.fitted == fitted
            if sel.any():
                ax.errorbar(ot[sel], obs.value[sel], yerr=2 * obs.sigma[sel], capsize=3, **style)
        if "posterior_mean" in obs:
            ax.errorbar(ot + 0.08, obs.posterior_mean, yerr=[obs.posterior_mean - obs.posterior_low,
                                                              obs.posterior_high - obs.posterior_mean],
                        fmt="D", ms=4, color="tab:orange", capsize=3, label="model, posterior mean and 90%")
        if cal.until is not None:
            ax.axvline(cal.until + 1, color="0.3", ls=":", lw=1.2)
            ax.annotate(f"fitted up to {cal.until} ", (cal.until + 1, ax.get_ylim()[0]), ha="right", va="bottom",
                        fontsize=8, color="0.3")
        ax.set_ylabel(label(name), fontsize=8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    params = ", ".join(f"{k.split('.')[-1]} = {v:.3g} [{cal.ranges[k][0]:.3g}, {cal.ranges[k][1]:.3g}]"
                       for k, v in cal.best.items())
    axes[0, 0].set_title(f"{spec.name}: best draw and 90% credible interval\n{params}", fontsize=9)
    axes[-1, 0].set_xlabel("year")
    fig.tight_layout()
    save(fig, path)


KIND_COLOURS = {"assumption": "tab:blue", "prior": "tab:orange", "posterior": "tab:purple", "lever": "tab:green"}


def sensitivity_bars(rows: pd.DataFrame, method: str, title: str, path: Path, top: int = 15) -> None:
    """A target's factors ranked by Morris mu* (or Sobol' ST, with S1 as a dot), the largest at
    the top, error bars the 95% confidence half-widths, coloured by kind (uncertain assumption,
    prior, lever)."""
    from matplotlib.patches import Patch

    main, conf = ("mu_star", "mu_star_conf") if method == "morris" else ("ST", "ST_conf")
    # A factor that moves nothing (mu* or ST exactly 0: same seed, same history) is not drawn.
    rows = rows[rows[main] > 0].sort_values(main, ascending=False, kind="stable").head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.32 * max(len(rows), 4) + 1.4), dpi=110)
    if rows.empty:
        ax.text(0.5, 0.5, "no factor moves it", ha="center", va="center", transform=ax.transAxes)
    y = np.arange(len(rows))
    ax.barh(y, rows[main], xerr=rows[conf], color=[KIND_COLOURS.get(k, "0.5") for k in rows.kind],
            error_kw=dict(ecolor="0.25", capsize=2, lw=0.8))
    if method == "sobol":
        ax.plot(rows["S1"], y, "o", color="k", ms=3.5, label="first order S1")
    ax.set_yticks(y, [parameter_label(f) for f in rows.factor], fontsize=7.5)
    ax.set_xlabel("mu* (mean |elementary effect| over the factor's range, indicator units)" if method == "morris"
                  else "total Sobol' index ST (share of the variance)", fontsize=8)
    ax.set_xlim(left=0)
    kinds = [k for k in KIND_COLOURS if k in set(rows.kind)]
    handles = [Patch(color=KIND_COLOURS[k], label=k) for k in kinds] + ax.get_legend_handles_labels()[0]
    ax.legend(handles=handles, fontsize=8, loc="lower right")
    ax.set_title(title, fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    save(fig, path)


def seek_curve(seek: SeekResult, path: Path) -> None:
    """P(reach) against the lever: the share of runs reaching the target(s) at every value the
    search examined (95% Wilson band), the required probability, and the answer with its interval."""
    from sim.experiments.outcomes import wilson

    x = np.array(seek.candidates)
    p = np.array(seek.reached) / seek.runs
    band = np.array([wilson(k, seek.runs) for k in seek.reached]).reshape(-1, 2)
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=110)
    ax.fill_between(x, band[:, 0], band[:, 1], step="post", color="C0", alpha=0.2, label="95% Wilson interval")
    ax.step(x, p, where="post", color="C0", lw=1.5, label=f"share of {seek.runs} runs reaching")
    direct = np.array(seek.evaluated) == seek.runs
    ax.plot(x[direct], p[direct], "o", color="C0", ms=4, label="every run run there")
    ax.plot(x[~direct], p[~direct], "o", mfc="white", color="C0", ms=4, label="some runs implied")
    ax.axhline(seek.probability, color="k", lw=0.8, ls="--", label=f"required P = {seek.probability:g}")
    if seek.low <= seek.current <= seek.high:
        ax.axvline(seek.current, color="0.4", lw=1, ls=":", label=f"the scenario: {seek.current:.4g}")
    if seek.value is not None and seek.interval is not None:
        lo, hi = seek.interval
        ax.axvspan(lo if lo is not None else seek.low, hi if hi is not None else seek.high, color="C1", alpha=0.15,
                   label="95% interval of the value")
        ax.axvline(seek.value, color="C1", lw=1.5, label=f"answer: {seek.value:.4g}")
    what = "every modelled target" if seek.target == "all" else seek.target
    verdict = (f"smallest {seek.lever} = {seek.value:.4g}" if seek.reachable
               else f"out of reach within {seek.low:g}-{seek.high:g}")
    ax.set_title(f"{seek.scenario}: what would it take? {what}\n{verdict}", fontsize=9)
    ax.set_xlabel(f"{parameter_label(seek.lever)} ({seek.lever})")
    ax.set_ylabel("P(reach)")
    ax.set_xlim(seek.low, seek.high)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")  # P rises with the lever: the lower right is free
    fig.tight_layout()
    save(fig, path)


def sweep_reach(reach: pd.DataFrame, keys: list[str], target: str, title: str, path: Path) -> None:
    """P(reach) over a sweep's design for one target: a curve with its 95% Wilson band for one
    lever, a heat map for two (the value in each cell)."""
    rows = reach[reach.target == target]
    if len(keys) == 1:
        rows = rows.sort_values(keys[0])
        fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
        x = rows[keys[0]].to_numpy()
        ax.fill_between(x, rows.probability_low, rows.probability_high, color="C0", alpha=0.2,
                        label="95% Wilson interval")
        ax.plot(x, rows.probability, "o-", color="C0", label=f"share of {int(rows.runs.max())} runs reaching")
        ax.set_xlabel(parameter_label(keys[0]))
        ax.set_ylabel("P(reach)")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    else:
        grid = rows.pivot_table(index=keys[1], columns=keys[0], values="probability")
        fig, ax = plt.subplots(figsize=(7, 5), dpi=110)
        im = ax.imshow(grid.to_numpy(), origin="lower", cmap="viridis", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(grid.shape[1]), [f"{v:.4g}" for v in grid.columns], rotation=45, fontsize=7)
        ax.set_yticks(range(grid.shape[0]), [f"{v:.4g}" for v in grid.index], fontsize=7)
        for (i, j), v in np.ndenumerate(grid.to_numpy()):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="w" if v < 0.6 else "k")
        ax.set_xlabel(parameter_label(keys[0]))
        ax.set_ylabel(parameter_label(keys[1]))
        fig.colorbar(im, ax=ax, label="P(reach)")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    save(fig, path)


def discovery(found: Discovery, path: Path) -> None:
    """Scenario discovery in two panels: PRIM's peeling trajectory (coverage against density, by
    how many assumptions a box restricts) with the box reported, and the runs over the box's two
    main assumptions (failures and successes) with the box drawn."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6), dpi=110)
    traj = found.trajectory
    if not traj.empty:
        sc = left.scatter(traj.coverage, traj.density, c=traj.res_dim, cmap="viridis", s=14)
        fig.colorbar(sc, ax=left, label="assumptions restricted")
    if found.stats:
        left.plot(found.stats["coverage"], found.stats["density"], "*", color="C3", ms=14, label="box reported")
        left.legend(fontsize=8, loc="lower left")
    left.set_xlabel("coverage (share of the failures inside)")
    left.set_ylabel("density (share of the runs inside that fail)")
    left.set_xlim(0, 1.02)
    left.set_ylim(0, 1.02)
    left.grid(alpha=0.3)
    left.set_title("PRIM's peeling trajectory", fontsize=9)
    names = list(found.limits.index[:2])
    if names:
        x = found.x[names[0]].to_numpy()
        y = found.x[names[1]].to_numpy() if len(names) > 1 else np.arange(len(x))
        for mask, colour, label in ((~found.fails, "C0", "reaches"), (found.fails, "C3", "fails")):
            right.scatter(x[mask], y[mask], s=10, color=colour, alpha=0.7, label=label)
        lo, hi = found.limits.loc[names[0], ["low", "high"]]
        if len(names) > 1:
            lo2, hi2 = found.limits.loc[names[1], ["low", "high"]]
        else:
            lo2, hi2 = -0.5, len(x) - 0.5
        right.add_patch(Rectangle((lo, lo2), hi - lo, hi2 - lo2, fill=False, ec="k", lw=1.5, label="the box"))
        right.set_xlabel(parameter_label(names[0]), fontsize=8)
        right.set_ylabel(parameter_label(names[1]) if len(names) > 1 else "run", fontsize=8)
        right.legend(fontsize=8, loc="best")
    else:
        right.text(0.5, 0.5, found.notes[0] if found.notes else "no box", ha="center", va="center", wrap=True,
                   transform=right.transAxes, fontsize=9)
        right.set_axis_off()
    right.set_title("the runs, on the box's main assumptions", fontsize=9)
    what = "every modelled target" if found.target == "all" else found.target
    fig.suptitle(f"{found.scenario}: where does {what} fail? ({int(found.fails.sum())} of {found.runs} runs fail)",
                 fontsize=10)
    fig.tight_layout()
    save(fig, path)


def cost_tradeoff(result: CostResult, path: Path) -> None:
    """Cost against P(reach) for every split tried (95% Wilson bars), the Pareto front, the required
    probability, the cheapest trial reaching it and the scenario's own split at that share."""
    t = result.trials
    fig, ax = plt.subplots(figsize=(7.5, 4.4), dpi=110)
    cost = t.cost_vnd / 1e9
    ax.errorbar(cost, t.probability, yerr=[t.probability - t.probability_low, t.probability_high - t.probability],
                fmt="o", color="0.6", ms=3, lw=0.6, label="a split tried (95% interval)")
    front = t[t.pareto_front].sort_values("cost_vnd")
    ax.step(front.cost_vnd / 1e9, front.probability, where="post", color="C0", lw=1.5, label="trade-off (Pareto front)")
    ax.axhline(result.probability, color="k", ls="--", lw=0.8, label=f"required P = {result.probability:g}")
    if result.best is not None:
        b = t.loc[result.best]
        ax.plot(b.cost_vnd / 1e9, b.probability, "*", color="C1", ms=14, label="cheapest reaching it")
    if result.own_split is not None:
        o = t.loc[result.own_split]
        ax.plot(o.cost_vnd / 1e9, o.probability, "s", color="C3", ms=6, label="the scenario's split, same share")
    what = "every modelled target" if result.target == "all" else result.target
    ax.set_title(f"{result.scenario}: cost against P(reach), {what}\n({len(t)} splits x {result.runs} runs)",
                 fontsize=9)
    ax.set_xlabel("Resolution 57 money, bn VND a year (dx_share x spending)")
    ax.set_ylabel("P(reach)")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    save(fig, path)


def province_map(outlines: dict[int, shapely.Geometry], names: dict[int, str], values: dict[int, float],
                 indicator: str, year: int, path: Path, title: str, goal: MapGoal | None = None) -> None:
    """Choropleth of the provinces (median of each province's runs), browns where a province
    misses the goal and blue-greens where it meets it, each province named with its value. The
    far islands (Hoàng Sa, Trường Sa, east of 110°E) are left off the frame."""
    codes = sorted(values)
    vals = np.array([values[c] for c in codes], dtype=float)
    threshold, comparison, goal_id = goal if goal is not None else (None, ">=", None)
    cmap, norm = colour_scale(vals, threshold, comparison)
    fig = plt.figure(figsize=(7.5, 10.5), dpi=110)
    ax = fig.add_axes((0.04, 0.04, 0.80, 0.88))
    patches, colours, label_at = [], [], {}
    for c, v in zip(codes, vals):
        geom = shapely.clip_by_rect(outlines[c], 100.0, 5.0, 110.0, 25.0)
        for p in _paths(geom):
            patches.append(PathPatch(p))
            colours.append(v)
        if not geom.is_empty:
            label_at[c] = shapely.get_coordinates(geom.point_on_surface())[0]
    coll = PatchCollection(patches, cmap=cmap, norm=norm, edgecolor="white", linewidth=0.5)
    coll.set_array(np.ma.masked_invalid(np.array(colours, dtype=float)))
    ax.add_collection(coll)
    ax.set_xlim(102.0, 110.0)
    ax.set_ylim(8.3, 23.5)
    ax.set_aspect(1.0 / np.cos(np.radians(16.0)))
    ax.set_xticks([])
    ax.set_yticks([])
    for c, (x, y) in label_at.items():
        ax.text(x, y, f"{names[c].removeprefix('TP. ')}\n{fmt_value(values[c], indicator)}", fontsize=5.5, ha="center",
                va="center", path_effects=HALO)
    cax = fig.add_axes((0.86, 0.25, 0.025, 0.5))
    bar = fig.colorbar(coll, cax=cax)
    bar.ax.tick_params(labelsize=7)
    if threshold is not None:
        bar.ax.axhline(threshold, color="black", lw=1.2)
    goal_text = f"; goal {comparison} {fmt_value(threshold, indicator)}" if threshold is not None else ""
    missing = int(np.sum(misses(vals, threshold, comparison))) if threshold is not None else 0
    fig.suptitle(f"{title}: {label(indicator)}, {year} (median of runs){goal_text}", fontsize=9)
    if threshold is not None:
        ax.set_title(f"{missing} of {len(codes)} provinces miss {goal_id or 'the goal'}", fontsize=8, loc="left")
    save(fig, path)
