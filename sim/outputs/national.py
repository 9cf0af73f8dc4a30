"""Writing a nation's run: the national verdict against the national goals, each province's
indicators and verdicts (provinces.csv), the ranking, a map of the provinces per target, the
national runs (indicators.csv) and the manifest, all or nothing (`OutputFolder.replacing`)."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.ensemble import RunTable
from sim.experiments.national import NationalResult
from sim.geodata import province_outline
from sim.inputs.nation import Nation
from sim.inputs.provenance import starting_values
from sim.inputs.targets import MapGoal
from sim.outputs.draw import draw, figure
from sim.outputs.outfolder import OutputFolder
from sim.outputs.verdict import Verdict, judge

__all__ = ["province_table", "ranking_text", "write_nation"]


def province_table(nation: Nation, result: NationalResult) -> pd.DataFrame:
    """provinces.csv: one row per province and national goal: the province's median [5-95%] in the
    goal's year, its P(reach) and status against the national threshold, its rank among the
    provinces (1 = best for the goal), its weights and how many of its starting values are its own."""
    rows = []
    for spec, p in zip(nation.provinces, result.provinces):
        bases = [i["basis"] for i in starting_values(spec)]
        table = RunTable(runs=p.runs)
        for t in nation.targets:
            v = judge(t, table)
            rows.append({"province_code": p.code, "province": p.name, "scenario": p.scenario, "target": t.id,
                         "indicator": t.indicator, "year": t.year, "goal": f"{t.comparison} {t.threshold:g}",
                         "median": v.median, "p5": v.p5, "p95": v.p95, "probability": v.probability,
                         "status": v.status, "year_reached": v.year_reached,
                         "adults": float(np.mean(p.weights["adults"])), "grdp_vnd": float(p.weights["grdp"][0]),
                         "own_starting_values": sum(b in ("provincial figure", "communes data", "small-area estimate")
                                                    for b in bases),
                         "national_defaults": bases.count("national default")})
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    higher = df.goal.str.startswith(">")
    key = np.where(higher, -df["median"].fillna(-np.inf), df["median"].fillna(np.inf))
    df["rank"] = pd.Series(key).groupby(df.target).rank(method="min").astype(int)
    return df


def ranking_text(df: pd.DataFrame, show: int = 3) -> str:
    """The best and worst provinces for each goal, by median, with their status."""
    lines = []
    for target, g in df.groupby("target", sort=False):
        g = g.sort_values("rank")
        fmt = (lambda r: f"{r.province} {r['median']:.1%} ({r.status.split(' (')[0]})")  # noqa: E731
        best = ", ".join(fmt(r) for _, r in g.head(show).iterrows())
        worst = ", ".join(fmt(r) for _, r in g.tail(show).iloc[::-1].iterrows())
        lines.append(f"  {target}: best {best}; worst {worst}")
    return "ranking of the provinces (median in the goal's year; provinces.csv has all):\n" + "\n".join(lines)


def write_nation(out: OutputFolder, nation: Nation, result: NationalResult, verdicts: list[Verdict],
                 provinces: pd.DataFrame, meta: dict) -> None:
    """Write the nation's output folder (its lock held)."""
    outlines = {p.code: province_outline(p.code) for p in result.provinces}
    names = {p.code: p.name for p in result.provinces}
    with out.replacing(nation.name) as tmp:
        (tmp / "figures").mkdir()
        result.indicators.to_csv(tmp / "indicators.csv", index=False)
        provinces.to_csv(tmp / "provinces.csv", index=False)
        (tmp / "verdict.json").write_text(json.dumps([v.as_dict() for v in verdicts], indent=2, ensure_ascii=False),
                                          encoding="utf-8")
        (tmp / "manifest.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
        jobs = []
        for v in verdicts:
            if v.status == "NOT MODELLED" or provinces.empty:
                continue
            rows = provinces[provinces.target == v.id]
            values = dict(zip(rows.province_code.astype(int), rows["median"].astype(float)))
            jobs.append(partial(figure, "province_map", outlines, names, values, v.indicator, v.year,
                                Path(tmp / "figures" / f"provinces_{v.id.replace('.', '_')}.png"), nation.name,
                                MapGoal(v.threshold, v.comparison, v.id)))
        draw(jobs)
