"""`citytwin compare`'s answer: the table a planner reads, and its folder (compare.json,
compare.csv, moved.csv, manifest.json)."""

from __future__ import annotations

import json

from sim.experiments.compare import Comparison
from sim.experiments.ensemble import EnsembleResult
from sim.labels import label
from sim.outputs.outfolder import OutputFolder
from sim.outputs.verdict import format_value
from sim.schema import PERCENT_INDICATORS, Scenario


def format_change(v: float, indicator: str) -> str:
    """A difference as a planner reads it: points for a share, the unit otherwise, with its sign."""
    if indicator.endswith("_vnd"):
        return f"VND {v / 1e9:+,.0f} bn"
    if indicator in PERCENT_INDICATORS:
        points = round(v * 100, 1)
        return "0.0 pt" if points == 0 else f"{points:+.1f} pt"
    shown = format_value(v, indicator)
    return shown if shown.lstrip("-0.,") == "" or v < 0 else "+" + shown


def comparison_text(c: Comparison) -> str:
    """Per target: each plan's median and P(reach), the paired change with its interval, and the
    share of runs better and worse; then the indicators that moved most."""
    header = ("target", "year", "median A -> B", "change [5-95%]", "P(reach) A -> B", "change [95%]",
              "runs better / worse")
    rows = []
    for r in c.targets.itertuples():
        ind = r.indicator
        rows.append((label(ind), str(r.year), f"{format_value(r.median_a, ind)} -> {format_value(r.median_b, ind)}",
                     f"{format_change(r.difference_median, ind)} [{format_change(r.difference_p5, ind)}, "
                     f"{format_change(r.difference_p95, ind)}]",
                     f"{r.p_reach_a:.2f} -> {r.p_reach_b:.2f}",
                     f"{r.p_reach_change:+.2f} [{r.p_reach_change_low:+.2f}, {r.p_reach_change_high:+.2f}]",
                     f"{r.share_better:.0%} / {r.share_worse:.0%}"))
    widths = [max(len(x[i]) for x in [header, *rows]) for i in range(len(header))]
    line = lambda x: "  ".join(cell.ljust(w) for cell, w in zip(x, widths)).rstrip()  # noqa: E731
    out = [f"A: {c.a}", f"B: {c.b}",
           f"{c.runs} runs each, the same seeds" + ("" if c.paired else
                                                   " (the plans draw different assumptions: the changes carry the "
                                                   "draws' noise too, not only the plans')"), "",
           line(header), line(tuple("-" * w for w in widths)), *[line(x) for x in rows]]
    if not c.moved.empty:
        out += ["", f"moved most by {c.horizon} (median A -> B; change relative to A's spread over runs):"]
        out += [f"  {label(m.indicator)}: {format_value(m.median_a, m.indicator)} -> "
                f"{format_value(m.median_b, m.indicator)} ({format_change(m.difference_median, m.indicator)})"
                for m in c.moved.itertuples()]
    else:
        out += ["", f"no indicator moved by {c.horizon}: the plans give the same runs"]
    return "\n".join(out)


def write_comparison(out: OutputFolder, c: Comparison, spec: Scenario, result: EnsembleResult, argv: list[str]) -> None:
    """The comparison's folder (its lock held), replaced whole."""
    from sim.outputs.report import experiment_manifest

    with out.replacing(spec.name) as tmp:
        answer = {"a": c.a, "b": c.b, "runs": c.runs, "paired": c.paired, "horizon": c.horizon,
                  "targets": c.targets.to_dict(orient="records"), "moved_most": c.moved.to_dict(orient="records")}
        (tmp / "compare.json").write_text(json.dumps(answer, indent=2, ensure_ascii=False), encoding="utf-8")
        c.targets.to_csv(tmp / "compare.csv", index=False)
        c.moved.to_csv(tmp / "moved.csv", index=False)
        meta = experiment_manifest(spec, result, argv, a=c.a, b=c.b, runs=c.runs, paired=c.paired)
        (tmp / "manifest.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=str),
                                           encoding="utf-8")
