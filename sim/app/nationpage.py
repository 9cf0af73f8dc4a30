"""The dashboard's national page: a nation scenario (`scenarios/vietnam.toml`) run at the
dashboard's size, its verdict against the national goals, and the map of the provinces (hover
for a province's value, click to open it: the province page with its levers)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import solara
import solara.lab

from sim.app import mapview, nationview
from sim.errors import ScenarioError
from sim.experiments.execution import Execution
from sim.experiments.national import NationalResult, ProvinceRuns, run_nation
from sim.geodata import province_name
from sim.inputs.nation import Nation, load_nation, province_files_of
from sim.labels import definition
from sim.outputs.national import province_table
from sim.outputs.verdict import Verdict, format_value, verdicts

NATION_RUNS_ENV = "CITYTWIN_APP_NATION_RUNS"
NATION_SCALE_ENV = "CITYTWIN_APP_NATION_SCALE"
# assumption: 4 runs at 0.4% of adults: the 34 provinces in about a minute on 2 cores, enough to see
# which provinces lag (P(reach) to about ±0.4; `citytwin run scenarios/vietnam.toml` decides).
NATION_RUNS, NATION_SCALE = 4, 0.004


@dataclass
class NationOutcome:
    nation: Nation
    result: NationalResult
    verdicts: list[Verdict]
    provinces: pd.DataFrame


progress_text = solara.reactive("")
map_target = solara.reactive("")


def sizes() -> tuple[int, float]:
    """The dashboard's national runs and scale (environment, else the defaults above)."""
    return (int(os.environ.get(NATION_RUNS_ENV) or NATION_RUNS),
            float(os.environ.get(NATION_SCALE_ENV) or NATION_SCALE))


@solara.lab.task
def run_national(path: str) -> NationOutcome:
    """The nation at the dashboard's size, in a thread; progress counts provinces."""
    runs, scale = sizes()
    nation = load_nation(path, [f"ensemble.runs={runs}", f"ensemble.scale={scale}"])
    done = [0]
    shown = [0.0]

    def on_province(_: ProvinceRuns) -> None:
        done[0] += 1
        if not run_national.is_current():
            raise KeyboardInterrupt("cancelled")
        now = time.monotonic()
        if now - shown[0] > 1.0 or done[0] == len(nation.provinces):
            shown[0] = now
            progress_text.set(f"{done[0]} of {len(nation.provinces)} provinces")
            run_national.progress = 100.0 * done[0] / len(nation.provinces)

    try:
        result = run_nation(nation, execution=Execution(), on_province=on_province)
    finally:
        progress_text.set("")
    return NationOutcome(nation, result, verdicts(nation.targets, result), province_table(nation, result))


@solara.component_vue("commune_map.vue")
def ProvinceMap(units: list, paths: list, view_box: str, inset: list | None, stroke: float, legend: dict | None = None,
                hint: str = "", event_pick: Callable[[str], None] | None = None) -> None:
    pass


@solara.component
def NationMap(outcome: NationOutcome, on_open: Callable[[str], None]) -> None:
    modelled = [v for v in outcome.verdicts if v.status != "NOT MODELLED"]
    if not modelled:
        return
    # The goals by what a planner reads (the label and year; the id where two would read the same).
    shown = [f"{v.label or v.indicator}, {v.year}" for v in modelled]
    by_name = {(n if shown.count(n) == 1 else f"{n} ({v.id})"): v.id for n, v in zip(shown, modelled)}
    chosen = map_target.value if map_target.value in by_name.values() else modelled[0].id
    v = next(x for x in modelled if x.id == chosen)
    solara.Select("Goal", values=list(by_name), value=next(n for n, i in by_name.items() if i == chosen),
                  on_value=lambda n: map_target.set(by_name[n]))
    rows = outcome.provinces[outcome.provinces.target == chosen]
    codes = [p.code for p in outcome.result.provinces]
    names = {p.code: p.name for p in outcome.result.provinces}
    values = dict(zip(rows.province_code.astype(int), rows["median"].astype(float)))
    shapes = nationview.province_shapes(tuple(codes))
    files = province_files_of(outcome.nation.source_file)
    units = nationview.province_units(codes, names, values, v.indicator, v.threshold, v.comparison)
    missing = int(sum(u["misses"] for u in units))
    solara.Text(f"{v.label or v.indicator} at the end of {v.year}, median of each province's runs; goal "
                f"{v.comparison} {format_value(v.threshold, v.indicator)}: browns miss it ({missing} of {len(codes)} "
                "provinces). "
                f"{definition(v.indicator)}", style={"font-size": "0.9em"})
    x, y, w, h = shapes.view_box
    key = mapview.legend(np.array([values.get(c, np.nan) for c in codes], dtype=float), v.indicator, v.threshold,
                         v.comparison)
    ProvinceMap(units=units, paths=shapes.paths, view_box=f"{x:.2f} {y:.2f} {w:.2f} {h:.2f}", inset=None, legend=key,
                stroke=max(w, h) / 1500, hint="Hover over a province for its name and value; click to open it.",
                event_pick=lambda code: on_open(str(files[int(code)])))


@solara.component
def NationPage(path: str, on_open: Callable[[str], None], verdict_html: Callable[[list[Verdict]], str]) -> None:
    """The national page: run the nation, read its verdict, open a province from the map."""
    runs, scale = sizes()
    outcome = run_national.value if run_national.finished else None
    with solara.Row():
        solara.Button(f"Run the nation ({runs} runs of each province at {scale:.1%} of adults)", color="primary",
                      disabled=run_national.pending, on_click=lambda: run_national(path))
        solara.Button("Cancel", disabled=not run_national.pending, on_click=run_national.cancel)
    if run_national.pending:
        solara.ProgressLinear(value=run_national.progress or 0)
        solara.Text(progress_text.value or "starting…")
    elif run_national.error:
        error = run_national.exception
        solara.Error("The run failed: " + (str(error) if isinstance(error, ScenarioError)
                                          else f"{type(error).__name__}: {error}"))
    if outcome is None or outcome.nation.source_file != os.path.abspath(path):
        solara.Text("Run the nation to see its verdict and the map of the provinces; or open a province below.")
    else:
        solara.HTML(tag="div", unsafe_innerHTML=verdict_html(outcome.verdicts))
        NationMap(outcome, on_open)
    files = province_files_of(path)
    labels = {f"{c:02d} {province_name(c) or f.stem}": str(f) for c, f in files.items()}
    solara.Select("Open a province", values=list(labels), value=None,
                  on_value=lambda label: on_open(labels[label]) if label else None)
