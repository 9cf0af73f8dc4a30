"""Figures: a fan chart per target, money by programme, what the money bought, a commune map of the headline indicator."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import PatchCollection  # noqa: E402
from matplotlib.patches import Polygon as MplPolygon  # noqa: E402

from sim.ensemble import EnsembleResult  # noqa: E402
from sim.geography import Geography  # noqa: E402
from sim.indicators import INDICATORS, OUTPUT_INDICATORS  # noqa: E402
from sim.scenario import PROGRAMMES  # noqa: E402
from sim.verdict import Verdict  # noqa: E402


def _monthly(result: EnsembleResult, indicator: str) -> tuple[np.ndarray, np.ndarray]:
    """Decimal time and runs x months values."""
    df = result.indicators
    df = df[df.indicator == indicator]
    wide = df.pivot_table(index="run", columns=["year", "month"], values="value")
    t = np.array([y + (m - 0.5) / 12 for y, m in wide.columns])
    return t, wide.to_numpy()


def fan_chart(v: Verdict, result: EnsembleResult, path: Path, scenario_name: str) -> None:
    t, values = _monthly(result, v.indicator)
    q = np.percentile(values, [5, 25, 50, 75, 95], axis=0)
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    ax.fill_between(t, q[0], q[4], color="tab:blue", alpha=0.18, label="5–95% of runs")
    ax.fill_between(t, q[1], q[3], color="tab:blue", alpha=0.32, label="25–75%")
    ax.plot(t, q[2], color="tab:blue", lw=2, label="median")
    ax.axhline(v.threshold, color="tab:red", ls="--", lw=1.2, label=f"goal {v.comparison} {v.threshold:g}")
    ax.axvline(v.year + 1, color="0.3", ls=":", lw=1.2)
    ax.annotate(f"end of {v.year}", (v.year + 1, ax.get_ylim()[1]), ha="right", va="top", fontsize=8, color="0.3")
    prob = "" if v.probability is None else f" — P(reach) = {v.probability:.2f}, {v.status}"
    ax.set_title(f"{scenario_name}: {v.indicator}{prob}\n{INDICATORS.get(v.indicator, '')}", fontsize=9)
    ax.set_ylabel(v.indicator, fontsize=8)
    ax.set_xlabel("year")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _yearly(result: EnsembleResult, indicator: str) -> tuple[np.ndarray, np.ndarray]:
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
        ax.bar(years, yearly, bottom=bottom, label=p)
        bottom = yearly if bottom is None else bottom + yearly
    years, unabsorbed = _yearly(result, "dx_unabsorbed_vnd")
    ax.bar(years, unabsorbed / 1e9, bottom=bottom, label="not absorbed (returned)", color="white",
           edgecolor="0.4", hatch="//")
    ax.set_title(f"{scenario_name}: Resolution 57 money absorbed by programme, and returned", fontsize=10)
    ax.set_ylabel("billion VND per year")
    ax.legend(fontsize=8, ncol=3)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


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
        ax.set_title(name.replace("_", " "), fontsize=9)
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4))
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(outputs):]:
        ax.axis("off")
    fig.suptitle(f"{scenario_name}: what the money bought (cumulative; median, band 5-95% of runs)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _patches(geom) -> list[MplPolygon]:
    polys = geom.geoms if hasattr(geom, "geoms") else [geom]
    return [MplPolygon(np.asarray(p.exterior.coords), closed=True) for p in polys if not p.is_empty]


def commune_map(geo: Geography, values: np.ndarray, indicator: str, year: int, path: Path,
                scenario_name: str, threshold: float | None = None, highlight: set[int] | None = None) -> None:
    """Choropleth of one indicator per commune (median over runs)."""
    fig, ax = plt.subplots(figsize=(7.5, 7), dpi=110)
    patches, colours = [], []
    for i, poly in enumerate(geo.polygons):
        for p in _patches(poly):
            patches.append(p)
            colours.append(values[i])
    coll = PatchCollection(patches, cmap="viridis", edgecolor="white", linewidth=0.4)
    coll.set_array(np.array(colours))
    coll.set_clim(0, 1)
    ax.add_collection(coll)
    if highlight:
        for i in highlight:
            for p in _patches(geo.polygons[i]):
                p.set_fill(False)
                p.set_edgecolor("red")
                p.set_linewidth(1.8)
                ax.add_patch(p)
    ax.autoscale_view()
    ax.set_aspect("equal")
    ax.set_xlabel("km")
    ax.set_ylabel("km")
    cbar = fig.colorbar(coll, ax=ax, shrink=0.8)
    cbar.set_label(indicator)
    if threshold is not None:
        cbar.ax.axhline(threshold, color="red", lw=2)
        below = int((values < threshold).sum())
        ax.text(0.01, 0.01, f"{below} of {geo.n} communes/wards below {threshold:g}",
                transform=ax.transAxes, fontsize=8)
    kind = "SCHEMATIC map (Voronoi cells, true area; not real boundaries)" if geo.schematic else "map"
    ax.set_title(f"{scenario_name}: {indicator}, end of {year}\n{kind}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def calibration_fit(cal, path: Path) -> None:
    """Observed points (±2σ) against the model at the fitted parameters; held-out points hollow."""
    spec = cal.scenario
    y0, m0 = int(spec.time.start[:4]), int(spec.time.start[5:])
    indicators = list(cal.series)
    fig, axes = plt.subplots(len(indicators), 1, figsize=(8, 3.8 * len(indicators)), dpi=110, squeeze=False)
    for ax, name in zip(axes[:, 0], indicators):
        runs = cal.series[name]
        t = y0 + (m0 - 1 + np.arange(1, runs.shape[1] + 1)) / 12  # end of each month
        ax.fill_between(t, runs.min(axis=0), runs.max(axis=0), color="tab:blue", alpha=0.25,
                        label=f"model, range of {runs.shape[0]} runs")
        ax.plot(t, runs.mean(axis=0), color="tab:blue", lw=2, label="model mean")
        obs = cal.fit[cal.fit.indicator == name]
        ot = obs.year + obs.month / 12
        for fitted, style in ((True, dict(fmt="o", color="k", label="observed, fitted (±2σ)")),
                              (False, dict(fmt="s", color="tab:red", mfc="white", label="observed, held out (±2σ)"))):
            sel = obs.fitted == fitted
            if sel.any():
                ax.errorbar(ot[sel], obs.value[sel], yerr=2 * obs.sigma[sel], capsize=3, **style)
        if cal.until is not None:
            ax.axvline(cal.until + 1, color="0.3", ls=":", lw=1.2)
            ax.annotate(f"fitted up to {cal.until}", (cal.until + 1, ax.get_ylim()[1]), ha="right", va="top",
                        fontsize=8, color="0.3")
        ax.set_ylabel(name, fontsize=8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    params = ", ".join(f"{k.split('.')[-1]} = {v:.3g}" for k, v in cal.best.items())
    axes[0, 0].set_title(f"{spec.name}: maximum-likelihood fit ({params}; log L = {cal.log_likelihood:.2f})",
                         fontsize=9)
    axes[-1, 0].set_xlabel("year")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
