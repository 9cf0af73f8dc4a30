"""A hindcast's folder: hindcast.json (one entry per scored observation, the summary, the goals,
what was not comparable and what the cutoff withheld), hindcast.csv, manifest.json and one figure
per indicator: the forecast's fan with what was published before the cutoff and after it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from sim.experiments.ensemble import RunTable  # noqa: E402
from sim.experiments.hindcast import Hindcast, Observation  # noqa: E402
from sim.labels import definition  # noqa: E402
from sim.outputs.outfolder import OutputFolder  # noqa: E402
from sim.outputs.verdict import format_value  # noqa: E402


def as_json(h: Hindcast) -> dict[str, Any]:
    return {"scenario": h.scenario, "province": h.province, "as_of": h.as_of.isoformat(), "runs": h.runs,
            "summary": h.summary(), "observations": h.entries(),
            "goals": [{"id": g.id, "indicator": g.indicator, "year": g.year, "probability": g.probability,
                       "reached": g.reached, "outcome": g.outcome, "source": g.source} for g in h.goals],
            "not_comparable": [{"id": o.id, "indicator": o.indicator, "year": o.year, "month": o.month,
                                "observed": o.value, "published": o.published.isoformat(), "why": o.why}
                               for o in h.not_comparable],
            "goals_not_comparable": [{"id": gid, "why": why} for gid, why in h.goals_not_comparable],
            "not_scored": [{"id": o.id, "indicator": o.indicator, "year": o.year, "month": o.month, "why": why}
                           for o, why in h.outside],
            "evidence": h.restriction}


def _t(year: int, month: int) -> float:
    """A month's place on the time axis: its middle (December 2025 just left of 2026)."""
    return year + (month - 0.5) / 12


def _fan(ax: plt.Axes, result: RunTable, indicator: str) -> tuple[float, float]:
    df = result.indicators
    wide = df[df.indicator == indicator].pivot_table(index="run", columns=["year", "month"], values="value")
    t = np.array([_t(int(y), int(m)) for y, m in wide.columns.to_list()])
    q = np.percentile(wide.to_numpy(), [5, 50, 95], axis=0)
    ax.fill_between(t, q[0], q[2], color="tab:blue", alpha=0.2, label="forecast, 5–95% of runs")
    ax.plot(t, q[1], color="tab:blue", lw=1.5, label="forecast, median")
    return float(t[0]), float(t[-1])


def figure(h: Hindcast, places: dict[int, RunTable], names: dict[int, str], indicator: str,
           known: list[Observation], path: Path) -> None:
    """One panel per place scored on `indicator`: the fan of the runs made with the evidence of the
    cutoff, the history published by then (black) and the observations published since (red: a
    dot inside the 90% band, a cross outside)."""
    scored = [s for s in h.scored if s.obs.indicator == indicator]
    codes = sorted({s.obs.province for s in scored}, key=lambda c: (c != h.province, c))
    cols = min(len(codes), 4)
    rows = -(-len(codes) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols if cols > 1 else 8, 3.2 * rows if cols > 1 else 4.5),
                             dpi=100, squeeze=False, sharey=cols > 1)
    cut = h.as_of.year + (h.as_of.timetuple().tm_yday - 0.5) / 365.25
    for ax, code in zip(axes.ravel(), codes):
        first, last = _fan(ax, places[code], indicator)
        past = [o for o in known if o.indicator == indicator and o.province == code]
        if past:
            ax.plot([_t(o.year, o.month) for o in past], [o.value for o in past], "o", color="black", ms=4,
                    label="published by the cutoff")
        for covered, marker, label in ((True, "o", "published since: inside the band"),
                                       (False, "X", "published since: outside the band")):
            pts = [s for s in scored if s.obs.province == code and s.score.covered == covered]
            if pts:
                ax.plot([_t(s.obs.year, s.obs.month) for s in pts], [s.obs.value for s in pts], marker,
                        color="tab:red", ms=7,
                        label=label)
        ax.axvline(cut, color="grey", ls="--", lw=1)
        ax.set_xlim(min([first, cut, *[_t(o.year, o.month) for o in past]]) - 0.3,
                    min(last, max(h.as_of.year + 4.0, first + 2)) + 0.1)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(names.get(code, str(code)), fontsize=9)
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: format_value(v, indicator)))
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(codes):]:
        ax.axis("off")
    handles: dict[str, Any] = {}
    for ax in axes.ravel()[:len(codes)]:
        for hd, lb in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lb, hd)
    fig.legend(handles=list(handles.values()), labels=list(handles), fontsize=7, loc="lower center",
               ncol=min(len(handles), 5), frameon=False)
    title = (f"{h.scenario}: {indicator} forecast as of {h.as_of} (dashed), {h.runs} runs, "
             f"against what was published since")
    fig.suptitle("\n".join(textwrap.wrap(title, 40 * max(cols, 2))), fontsize=10)
    fig.text(0.5, 0.045 if rows > 1 else 0.075, "\n".join(textwrap.wrap(definition(indicator) or indicator, 150)),
             ha="center", fontsize=7, color="dimgrey")
    fig.tight_layout(rect=(0, 0.1 if rows == 1 else 0.07, 1, 0.95))
    fig.savefig(path, pil_kwargs={"compress_level": 1})
    plt.close(fig)


def write_hindcast(out: OutputFolder, h: Hindcast, places: dict[int, RunTable], names: dict[int, str],
                   known: list[Observation], meta: dict[str, Any]) -> None:
    """Write the hindcast's folder (its lock held), replacing it whole."""
    with out.replacing(h.scenario) as tmp:
        (tmp / "figures").mkdir()
        (tmp / "hindcast.json").write_text(json.dumps(as_json(h), indent=2, ensure_ascii=False), encoding="utf-8")
        h.table().to_csv(tmp / "hindcast.csv", index=False)
        (tmp / "manifest.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=str),
                                           encoding="utf-8")
        for indicator in sorted({s.obs.indicator for s in h.scored}):
            figure(h, places, names, indicator, known, tmp / "figures" / f"hindcast_{indicator}.png")


def summary_text(h: Hindcast) -> str:
    """What the command prints: every scored observation, then the scores over all of them."""
    lines = [f"{h.scenario}: forecast as of {h.as_of} ({h.runs} runs), scored against {len(h.scored)} "
             f"observation{'s' if len(h.scored) != 1 else ''} published since"]
    if h.scored:
        lines.append(f"{'observation':<34} {'observed':>9} {'median':>9} {'90% interval':>21} {'in':>3} "
                     f"{'CRPS':>8} {'no change':>9} {'trend':>9}")
    for row in h.scored:
        o, f = row.obs, row.score

        def fmt(v: float, indicator: str = o.indicator) -> str:
            return format_value(v, indicator) if np.isfinite(v) else "-"

        lines.append(f"{o.id[:34]:<34} {fmt(o.value):>9} {fmt(f.median):>9} "
                     f"{'[' + fmt(f.low) + ', ' + fmt(f.high) + ']':>21} {'yes' if f.covered else 'no':>3} "
                     f"{f.crps:8.4f} {row.naive['no_change'][1]:9.4f} {row.naive['last_trend'][1]:9.4f}")
    s = h.summary()
    if h.scored:
        lines.append(f"\n90% intervals covering: {s['coverage_90']:.0%} of {s['observations']} (about 90% if "
                     f"calibrated); mean CRPS {s['crps']:.4f}")
        for name, said in (("no_change", "no change"), ("last_trend", "the last trend")):
            if s[f"{name}_crps"] is not None:
                verdict = "beats" if s[f"crps_vs_{name}"] < s[f"{name}_crps"] else "loses to"
                lines.append(f"against {said} ({s[f'{name}_observations']} observations with a history): citytwin "
                             f"{s[f'crps_vs_{name}']:.4f}, naive {s[f'{name}_crps']:.4f}: citytwin {verdict} it")
            else:
                lines.append(f"against {said}: no history published by the cutoff to make it from")
    if h.goals:
        g = s["goals"]
        skill = (f"against the base rate's {g['brier_base']:.3f} (skill {g['brier_skill']:.2f})"
                 if g["brier_skill"] is not None else "(all went the same way: no base rate to beat yet)")
        each = ", ".join(f"{x.id} P(reach) {x.probability:.0%}, {'reached' if x.reached else 'missed'}"
                         for x in h.goals)
        lines.append(f"goals with a published outcome: {g['scored']} ({g['reached']} reached); "
                     f"Brier {g['brier']:.3f} {skill}: {each}")
    for gid, why in h.goals_not_comparable:
        lines.append(f"goal {gid}: outcome not comparable ({why})")
    if h.not_comparable:
        lines.append(f"not comparable ({len(h.not_comparable)}): " + "; ".join(
            f"{o.id} ({o.why})" for o in h.not_comparable))
    if h.outside:
        lines.append("not scored: " + "; ".join(f"{o.id} ({why})" for o, why in h.outside))
    kept = h.restriction.get("kept", {})
    if kept:
        lines.append(f"kept from after the cutoff ({len(kept)}: the unit forecast, later policy"
                     + (", numbers that cannot move what is scored" if h.restriction.get("only") else "") + "): "
                     + ", ".join(sorted(kept)))
    if h.restriction.get("only"):
        lines.append(f"this forecast holds for {', '.join(h.restriction['only'])} only: it kept later numbers "
                     "proven inert for it (seeds/as_of.toml)")
    return "\n".join(lines)
