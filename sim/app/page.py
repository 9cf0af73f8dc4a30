"""The planner's dashboard (Solara): pick a scenario, move the levers, draw a pilot on the map,
run, and read the verdict, the fans, the commune map, what the money bought and the change
against the scenario as loaded. It is a view of `sim.app.session`; every number comes from
there. Served by `citytwin app` (sim.app.server).

State is per browser tab (Solara's reactive variables live in the tab's kernel); the sessions
(the loaded scenario, its baseline ensembles and the warm workers) are shared by the tabs of one
server, one ensemble at a time.
"""

from __future__ import annotations

import hashlib
import html
import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import cast

import numpy as np
import solara
import solara.lab

from sim.app import fanview, mapview
from sim.app.nationpage import NationPage
from sim.app.session import (
    APP_RUNS,
    APP_SCALE,
    Control,
    Outcome,
    Pilot,
    Session,
    changes,
    controls,
    default_pilot,
    lever_values,
    money_bought,
    plan,
    read_scenario_text,
    rebalance,
    scenario_toml,
)
from sim.errors import ScenarioError
from sim.inputs.nation import is_nation
from sim.inputs.plausibility import implausible
from sim.inputs.scenario import load_scenario
from sim.labels import definition, label, place_name, programme_label
from sim.names import COMMUNE_INDICATORS
from sim.outputs.comparison import format_change
from sim.outputs.report import commune_values
from sim.outputs.verdict import Verdict, format_value
from sim.parameter_labels import parameter_labels
from sim.schema import PROGRAMMES, Scenario

SCENARIO_ENV = "CITYTWIN_APP_SCENARIO"   # the scenario the app opens with (set by `citytwin app`)
FOLDER_ENV = "CITYTWIN_APP_FOLDER"       # the folder whose scenarios the planner may pick
RUNS_ENV = "CITYTWIN_APP_RUNS"           # runs per ensemble (citytwin app --runs)
SCALE_ENV = "CITYTWIN_APP_SCALE"         # agents per person (citytwin app --scale)

PROGRESS_EVERY = 1.0   # seconds between progress updates: each costs the page a render (and the runs CPU)
STATUS_COLOURS = {"ON TRACK": "#1b7f3b", "AT RISK": "#b86e00", "OFF TRACK": "#b3261e", "UNDECIDED": "#5f6368",
                  "NOT MODELLED": "#9e9e9e"}

CSS = """
table.citytwin td, table.citytwin th { padding: 3px 8px; border-bottom: 1px solid #e0e0e0; text-align: left;
                                       vertical-align: top; font-size: 0.9em; }
table.citytwin { border-collapse: collapse; width: 100%; }
"""

# ------------------------------------------------------------------------ shared by the tabs

_sessions: dict[str, Session] = {}
_sessions_lock = threading.Lock()


def session_for(key: str, spec: Scenario) -> Session:
    """The session of a loaded scenario (by file, or by the text of an upload)."""
    with _sessions_lock:
        if key not in _sessions:
            _sessions[key] = Session(spec, runs=int(os.environ.get(RUNS_ENV) or APP_RUNS),
                                     scale=float(os.environ.get(SCALE_ENV) or APP_SCALE))
        return _sessions[key]


def close_sessions() -> None:
    with _sessions_lock:
        for s in _sessions.values():
            s.close()
        _sessions.clear()


def folder() -> Path:
    return Path(os.environ.get(FOLDER_ENV) or "scenarios").resolve()


def scenario_files() -> list[Path]:
    """The scenarios a planner may pick: the TOML files at the top of the app's folder (a nation's
    among them) and its provinces' (`provinces/`, one per province)."""
    top = sorted(p for p in folder().glob("*.toml") if p.is_file())
    return top + sorted(p for p in (folder() / "provinces").glob("*.toml") if p.is_file())


# ------------------------------------------------------------------------ this tab's state

nation_file = solara.reactive("")                  # a nation scenario shown instead of a province
loaded_key = solara.reactive("")                   # the session key of the scenario as loaded
loaded: solara.Reactive[Scenario | None] = solara.reactive(None)   # its Scenario
values: solara.Reactive[dict[str, float]] = solara.reactive({})    # the levers as set
pilot = solara.reactive(Pilot(communes=()))        # the pilot as drawn
message = solara.reactive("")                      # the last one-line error
progress_text = solara.reactive("")
map_indicator = solara.reactive("online_services_uptake")
map_year = solara.reactive(0)
fan_target = solara.reactive("")


def load(key: str, spec: Scenario) -> None:
    """Make a scenario the one as loaded: levers reset, no pilot, its baseline started."""
    loaded_key.set(key)
    loaded.set(spec)
    values.set(lever_values(spec))
    pilot.set(default_pilot(spec))
    message.set("")
    map_year.set(min(max(t.year for t in session_for(key, spec).targets) if session_for(key, spec).targets
                     else spec.time.end_year, spec.time.end_year))
    fan_target.set("")
    run_plan(key, spec)  # the scenario as loaded: its verdict, and warm workers for the first plan


def load_file(path: str) -> None:
    if is_nation(path):
        nation_file.set(str(Path(path).resolve()))
        message.set("")
        return
    nation_file.set("")
    try:
        spec = load_scenario(path)
    except ScenarioError as exc:
        message.set(f"{Path(path).name}: {exc}")
        return
    load(str(Path(path).resolve()), spec)


def load_text(name: str, data: bytes) -> None:
    """An uploaded or edited scenario: the same schema and the same one-line errors as a file."""
    try:
        spec = read_scenario_text(data, roots=(folder(),), name=name)
    except ScenarioError as exc:
        message.set(str(exc))
        return
    load("upload:" + hashlib.sha256(data).hexdigest(), spec)


def current_plan() -> tuple[Scenario | None, str]:
    """The scenario the levers and the pilot make, or the one-line reason it is refused."""
    base = loaded.value
    if base is None:
        return None, "no scenario loaded"
    try:
        return plan(base, values.value, pilot.value if pilot.value.communes else None), ""
    except ScenarioError as exc:
        return None, str(exc)


@solara.lab.task
def run_plan(key: str, spec: Scenario) -> tuple[str, Outcome]:
    """The ensemble, in a thread: the page stays live; Cancel stops it at the next finished run."""
    base = loaded.value if loaded_key.value == key else None
    session = session_for(key, base or spec)
    cancelled = threading.Event()
    shown = [0.0]

    def report(what: str, done: int, total: int) -> None:
        if not run_plan.is_current():   # cancelled, or a newer run asked for
            cancelled.set()
        now = time.monotonic()
        if done in (0, total) or now - shown[0] >= PROGRESS_EVERY:  # the page, not the runs, would pay
            shown[0] = now
            progress_text.set(f"{what}: {done} of {total} runs")
            run_plan.progress = 100.0 * done / max(total, 1)

    try:
        return key, session.run(spec, report, cancelled)
    finally:
        progress_text.set("")


# ------------------------------------------------------------------------ components

def heading(text: str, level: int = 3) -> None:
    """A heading (plain HTML: Solara's Markdown would fetch KaTeX, which solara-assets lacks)."""
    solara.HTML(tag=f"h{level}", unsafe_innerHTML=html.escape(text), style="margin: 12px 0 6px 0")


def paragraph(markup: str) -> None:
    """A paragraph of HTML built here, every planner-supplied text escaped by the caller."""
    solara.HTML(tag="p", unsafe_innerHTML=markup, style="margin: 4px 0")


@solara.component_vue("commune_map.vue")
def CommuneMap(units: list, paths: list, view_box: str, inset: list | None, stroke: float, legend: dict | None = None,
               hint: str = "Hover over a commune for its name and value; click to add it to the pilot.",
               event_pick: Callable[[str], None] | None = None) -> None:
    pass


@solara.component
def LeverSlider(control: Control) -> None:
    """A lever: its label on a line of its own, then a slider as wide as the sidebar allows and
    the value typed in beside it (a share in per cent)."""
    value = values.value.get(control.key, control.low)

    def set_value(v: float) -> None:
        v = min(max(v, control.low), control.high)
        now = dict(values.value)
        if control.group:
            group = {k: now[k] for k in now if k.rsplit(".", 1)[0] == control.group}
            now.update(rebalance(group, control.key, v))
        else:
            now[control.key] = v
        values.set(now)

    def typed(v: float | None) -> None:
        if v is not None:
            set_value(v / 100 if control.percent else float(round(v)))

    with solara.Column(gap="0px", style={"margin-bottom": "4px"}, classes=["citytwin-lever"]):
        solara.HTML(tag="div", unsafe_innerHTML=html.escape(control.label),
                    style="font-size: 0.85em; color: #444; line-height: 1.25")
        with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "nowrap"}):
            with solara.Column(style={"flex": "1 1 auto", "min-width": "120px"}, classes=["citytwin-slider"]):
                if control.percent:
                    solara.SliderFloat("", value=min(value, control.slider_top), min=control.low,
                                       max=control.slider_top, step=control.step, on_value=set_value,
                                       thumb_label=False)
                else:
                    solara.SliderInt("", value=int(value), min=int(control.low), max=int(control.slider_top),
                                     on_value=lambda v: set_value(float(v)), thumb_label=False)
            with solara.Column(style={"flex": "0 0 92px"}, classes=["citytwin-typed"]):
                if control.percent:
                    solara.InputFloat("", value=round(100 * value, 1), on_value=typed, dense=True, hide_details=True,
                                      suffix="%")
                else:
                    solara.InputInt("", value=int(value), on_value=lambda v: typed(None if v is None else float(v)),
                                    dense=True, hide_details=True)
        if control.percent:  # what the page holds, for a reader and a test: the share as set
            solara.HTML(tag="span", unsafe_innerHTML=f"{value:.1%}", style="display: none",
                        attributes={"data-testid": f"value-{control.key}"})


@solara.component
def Levers(spec: Scenario) -> None:
    items = controls(spec)
    heading("Budget", 4)
    for c in items:
        if c.group is None and c.key.startswith("budget."):
            LeverSlider(c)
    for title, group in (("DX allocation across programmes (sums to 100%)", "budget.allocation"),
                         ("Incentives: fee discounts and merchant onboarding (sums to 100%)", "budget.incentives_mix")):
        heading(title, 4)
        for c in items:
            if c.group == group:
                LeverSlider(c)
    heading("Infrastructure", 4)
    for c in items:
        if c.key.startswith("infrastructure."):
            LeverSlider(c)
    PilotControls(spec)


@solara.component
def PilotControls(spec: Scenario) -> None:
    p = pilot.value
    heading("Pilot (click communes on the map)", 4)
    solara.Text(f"{len(p.communes)} commune(s) picked" if p.communes else "No commune picked: no pilot.")
    names = {programme_label(k).capitalize(): k for k in PROGRAMMES}
    solara.Select("Pilot programme", values=list(names), value=programme_label(p.programme).capitalize(),
                  on_value=lambda v: pilot.set(replace(pilot.value, programme=names[v])))
    solara.InputFloat("Pilot money, billion VND a year", value=p.amount_vnd_per_year / 1e9,
                      on_value=lambda v: pilot.set(replace(pilot.value, amount_vnd_per_year=float(v or 0.0) * 1e9)))
    with solara.Row():
        solara.InputText("Start (YYYY-MM)", value=p.start, on_value=lambda v: pilot.set(replace(pilot.value, start=v)))
        solara.InputText("End (YYYY-MM)", value=p.end, on_value=lambda v: pilot.set(replace(pilot.value, end=v)))
    if p.communes:
        solara.Button("Clear the pilot", text=True, on_click=lambda: pilot.set(replace(pilot.value, communes=())))


def _fmt(v: float | None, indicator: str) -> str:
    return "–" if v is None or not np.isfinite(v) else format_value(v, indicator)


def _status_colour(status: str) -> str:
    return next((c for k, c in STATUS_COLOURS.items() if status.startswith(k)), "#5f6368")


def verdict_html(items: list[Verdict]) -> str:
    """The verdict table: target, year, goal, median and band, P(reach) with its interval, status
    in colour, top drivers."""
    head = ("target", "year", "goal", "median [5–95%]", "P(reach) [95%]", "status", "top drivers")
    rows = []
    for v in items:
        band = "–" if v.median is None else f"{_fmt(v.median, v.indicator)} [{_fmt(v.p5, v.indicator)}–" \
                                            f"{_fmt(v.p95, v.indicator)}]"
        prob = "–" if v.probability is None else \
            f"{v.probability:.2f} [{v.probability_low:.2f}–{v.probability_high:.2f}]"
        goal = f"{v.comparison} {_fmt(v.threshold, v.indicator)}"
        # No driver: none is uncertain (a plan-set share), or the runs are too few to rank any.
        none = "–" if v.probability is None or v.probability_low == v.probability_high else "too few runs to rank"
        cells = (v.label or v.indicator, f"{v.year}{'+' if v.every_year else ''}", goal, band, prob, v.status,
                 "; ".join(parameter_labels(v.drivers[:3])) or none)
        tds = "".join(f"<td>{html.escape(c)}</td>" for c in cells[:5])
        tds += (f'<td class="status" style="color:white;background:{_status_colour(v.status)};'
                f'border-radius:4px;min-width:96px">{html.escape(v.status)}</td>')
        keys = html.escape(", ".join(v.drivers[:3]))  # what --set and the scenario call them, on hover
        tds += f'<td title="{keys}">{html.escape(cells[6])}</td>'
        rows.append(f'<tr data-target="{html.escape(v.id)}">{tds}</tr>')
    ths = "".join(f"<th>{h}</th>" for h in head)
    return (f'<div style="overflow-x:auto"><table class="citytwin" data-testid="verdict-table">'
            f"<thead><tr>{ths}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def comparison_html(outcome: Outcome) -> str:
    """The paired difference against the scenario as loaded, per target."""
    df = outcome.comparison
    if not outcome.changed:
        return "<p>The levers are as loaded: this is the scenario as loaded.</p>"
    rows = []
    for r in df.itertuples():
        diff = f"{format_change(r.difference_median, r.indicator)} [{format_change(r.difference_p5, r.indicator)} " \
               f"to {format_change(r.difference_p95, r.indicator)}]"
        cells = (label(r.indicator), str(r.year), diff, f"{r.p_reach_baseline:.2f} → {r.p_reach:.2f}",
                 f"{r.share_better:.0%} / {r.share_worse:.0%}")
        rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    head = ("target", "year", "change, same runs: median [5–95%]", "P(reach): as loaded → plan",
            "runs better / worse")
    ths = "".join(f"<th>{h}</th>" for h in head)
    return (f'<table class="citytwin" data-testid="comparison-table">'
            f"<thead><tr>{ths}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def money_html(outcome: Outcome) -> str:
    df = money_bought(outcome)
    rows = []
    for r in df.itertuples():
        vnd = r.what.endswith("_vnd")
        fmt = (lambda v: f"{v / 1e9:,.0f} bn") if vnd else (lambda v: f"{v:,.0f}")  # noqa: E731
        cells = (label(r.what), fmt(r.plan), f"{fmt(r.plan_p5)}–{fmt(r.plan_p95)}", fmt(r.as_loaded))
        rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    year = int(df.year.max()) if len(df) else ""
    ths = "".join(f"<th>{h}</th>" for h in ("by the end of " + str(year), "plan (median)", "5–95% of runs",
                                             "as loaded (median)"))
    return (f'<table class="citytwin" data-testid="money-table">'
            f"<thead><tr>{ths}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def fan_choices(outcome: Outcome) -> dict[str, Verdict]:
    """The modelled targets by what the planner reads: the label and year (the goal's id where two
    targets would read the same)."""
    judged = [v for v in outcome.verdicts if v.status != "NOT MODELLED"]
    names = [f"{v.label or v.indicator}, {v.year}{'+' if v.every_year else ''}" for v in judged]
    return {(n if names.count(n) == 1 else f"{n} ({v.id})"): v for n, v in zip(names, judged)}


@solara.component_vue("fan_chart.vue")
def FanChart(t: list, q: list, base: list, threshold: float, goal: str, goal_year: int, percent: bool,
             runs: int) -> None:
    pass


@solara.component
def Fans(outcome: Outcome) -> None:
    """The chosen target's fan, drawn in the browser (hover for a month's values, drag to zoom)."""
    choices = fan_choices(outcome)
    # First shown: the first target whose runs disagree (a share the plan sets draws a flat line).
    spread = [n for n, v in choices.items() if v.p5 != v.p95]
    chosen = fan_target.value if fan_target.value in choices else next(iter(spread or choices), "")
    # Hooks before any early return: the same hooks on every render (React's rules).
    data = solara.use_memo(lambda: fanview.fan_data(choices[chosen], outcome.result,
                                                    outcome.baseline if outcome.changed else None)
                           if chosen else None, dependencies=[id(outcome), chosen])
    if data is None:
        solara.Text("No modelled target.")
        return
    # A list, not tabs: every target reachable however many there are.
    solara.Select(label="Target", values=list(choices), value=chosen, on_value=fan_target.set)
    v = choices[chosen]
    odds = "" if v.probability is None else f"P(reach) {v.probability:.2f}, {v.status}. "
    paragraph(f"<b>{html.escape(place_name(outcome.spec))}</b>: {html.escape(odds)}"
              f"<span style='color:#5f6368'>{html.escape(definition(v.indicator))}</span>")
    FanChart(**data)


@solara.component
def MapPanel(outcome: Outcome | None) -> None:
    geo = outcome.result.geography if outcome is not None else None
    geometry = solara.use_memo(lambda: mapview.shapes(geo) if geo is not None else None, dependencies=[id(geo)])
    if outcome is None or geo is None or geometry is None:
        solara.Text("The map appears with the first results.")
        return
    columns = [c for c in COMMUNE_INDICATORS if c in outcome.result.communes.columns]
    years = sorted(int(y) for y in outcome.result.communes.year.unique())
    indicator = map_indicator.value if map_indicator.value in columns else columns[0]
    year = map_year.value if map_year.value in years else years[-1]
    names = {label(c): c for c in columns}
    solara.Select("Indicator", values=list(names), value=label(indicator),
                  on_value=lambda v: map_indicator.set(names[v]))
    with solara.Column(classes=["citytwin-slider"]):
        solara.SliderInt(f"Year: {year}", value=year, min=years[0], max=years[-1], on_value=map_year.set,
                         thumb_label=False)
    target = next((t for t in outcome.targets if t.indicator == indicator and t.modelled), None)
    vals = commune_values(outcome.result, geo, indicator, year)
    picked = set(pilot.value.communes)
    units = mapview.units(geo, geometry, vals, indicator, target.threshold if target else None,
                          target.comparison if target else ">=", picked)
    goal = f"; goal {target.comparison} {_fmt(target.threshold, indicator)}: browns miss it" if target else ""
    solara.Text(f"{label(indicator)} at the end of {year}, median over runs{goal}. {definition(indicator)}",
                style={"font-size": "0.9em"})

    def pick(code: str) -> None:
        now = list(pilot.value.communes)
        now = [c for c in now if c != code] if code in now else now + [code]
        pilot.set(replace(pilot.value, communes=tuple(now)))

    x, y, w, h = geometry.view_box
    key = mapview.legend(vals, indicator, target.threshold if target else None, target.comparison if target else ">=")
    CommuneMap(units=units, paths=geometry.paths, view_box=f"{x:.2f} {y:.2f} {w:.2f} {h:.2f}", legend=key,
               inset=list(geometry.inset) if geometry.inset else None, stroke=max(w, h) / 1500, event_pick=pick)


@solara.component
def Results(outcome: Outcome, detail: Outcome | None) -> None:
    """The verdict and the comparison of `outcome`; the fans, the map and what the money bought of
    `detail` (the same outcome one render later: the verdict reaches the page first)."""
    r0 = outcome.result.runs[0]
    heading(f"Verdict ({len(outcome.result.runs)} runs of {r0.citizens:,} citizen agents, {outcome.seconds:.1f} s)")
    solara.HTML(tag="div", unsafe_innerHTML=verdict_html(outcome.verdicts))
    if outcome.changed:
        paragraph("<b>Your plan changes:</b> " + "; ".join(html.escape(c) for c in outcome.changed))
    heading("Compared with the scenario as loaded (the same runs)")
    solara.HTML(tag="div", unsafe_innerHTML=comparison_html(outcome))
    if outcome.pilot is not None:
        solara.HTML(tag="p", unsafe_innerHTML=f"<b>{html.escape(outcome.pilot.line)}</b>",
                    attributes={"data-testid": "pilot-line"})
    # Side by side where the page is wide enough, one above the other where it is not.
    with solara.Row(gap="24px", style={"flex-wrap": "wrap", "align-items": "flex-start"}):
        with solara.Column(style={"flex": "1 1 420px", "min-width": "0"}):
            heading("Fan chart per target")
            if detail is not None:
                Fans(detail)
        with solara.Column(style={"flex": "1 1 420px", "min-width": "0"}):
            heading("Communes")
            MapPanel(detail)
    heading("What the money bought")
    if detail is not None:
        MoneyTable(detail)


def money_headline(outcome: Outcome) -> str:
    """The two sums a planner asks of the money first, in large type: what was not spent (paid out
    but not absorbed, returned to the budget) and what was spent on what the model does not
    represent, by the end of the horizon (medians over runs; the scenario as loaded beside them)."""
    cells = []
    for name, what in (("dx_unabsorbed_vnd", "Money not spent (returned to the budget)"),
                       ("dx_spent_unmodelled_vnd", "Spent, effect not modelled")):
        mine, base = outcome.result.year_end(name), outcome.baseline.year_end(name)
        year = int(mine.columns.max())
        plan, loaded = float(np.median(mine[year])) / 1e9, float(np.median(base[year])) / 1e9
        beside = f" (as loaded: VND {loaded:,.0f} bn)" if outcome.changed else ""
        cells.append(f'<div style="margin-right:32px"><div style="font-size:13px;color:#5f6368">{html.escape(what)}, '
                     f'by the end of {year}</div><div style="font-size:24px;font-weight:600">VND {plan:,.0f} bn'
                     f'<span style="font-size:13px;font-weight:400;color:#5f6368">{beside}</span></div></div>')
    return f'<div data-testid="money-headline" style="display:flex;flex-wrap:wrap;margin:8px 0">{"".join(cells)}</div>'


@solara.component
def MoneyTable(outcome: Outcome) -> None:
    solara.HTML(tag="div", unsafe_innerHTML=money_headline(outcome))
    solara.HTML(tag="div", unsafe_innerHTML=money_html(outcome))


@solara.component
def Downloads(outcome: Outcome | None, spec: Scenario | None, base: Scenario) -> None:
    with solara.Row(style={"flex-wrap": "wrap"}):
        if spec is not None:
            solara.FileDownload(scenario_toml(spec, base.source_file, changes(base, spec)),
                                filename=f"{base.name}_plan.toml", label="Download the scenario (TOML)",
                                mime_type="application/toml")
        if outcome is not None:
            session = session_for(loaded_key.value, base)
            solara.FileDownload(lambda: session.output_zip(outcome), filename=f"{outcome.spec.name}_results.zip",
                                label="Download the results (zip)", mime_type="application/zip")
        else:
            solara.Button("Download the results (zip)", icon_name="mdi-cloud-download-outline", disabled=True)


@solara.component
def ScenarioPicker(base: Scenario | None) -> None:
    files = scenario_files()
    names = [p.relative_to(folder()).as_posix() for p in files]
    shown = nation_file.value or loaded_key.value
    current = Path(shown).relative_to(folder()).as_posix() if shown in {str(p) for p in files} else None
    with solara.Row(gap="16px", style={"flex-wrap": "wrap", "align-items": "center"}):
        with solara.Column(style={"flex": "3 1 300px"}):
            solara.Select("Scenario (the nation, a province, a variant)", values=names, value=current,
                          on_value=lambda n: load_file(str(folder() / n)))
        with solara.Column(style={"flex": "1 1 200px"}):
            solara.FileDrop(label="…or drop a scenario TOML here", lazy=False,
                            on_file=lambda f: load_text(f["name"], f["data"] or b""))


@solara.component
def Editor(base: Scenario) -> None:
    """The scenario as TOML text, to edit and load: read as a file is (`load_text`), never run."""
    shown, set_shown = solara.use_state(False)
    text, set_text = solara.use_state("")

    def show() -> None:
        set_text(scenario_toml(current_plan()[0] or base, base.source_file, []))
        set_shown(True)

    if not shown:
        solara.Button("Edit the scenario as TOML", text=True, icon_name="mdi-file-document-edit-outline",
                      on_click=show)
        return
    solara.InputTextArea("Scenario TOML", value=text, on_value=set_text, rows=14, continuous_update=False)
    with solara.Row():
        solara.Button("Load this scenario", color="primary", disabled=not text.strip(),
                      on_click=lambda: load_text("edited.toml", text.encode("utf-8")))
        solara.Button("Close the editor", text=True, on_click=lambda: set_shown(False))


@solara.component
def RunStatus(refused: str, doubts: list[str]) -> None:
    """The run's state in one place: only this re-renders as runs finish (the page stays still).
    `doubts`: the plan's values far outside anything sourced (`sim.inputs.plausibility`): it runs."""
    with solara.Column():
        if refused:
            solara.Error(f"This plan is refused: {refused}")
        for line in doubts:
            solara.Warning(f"Check this value: {line}.")
        if run_plan.pending:
            solara.ProgressLinear(value=run_plan.progress or 0)
            solara.Text(progress_text.value or "starting…")
        elif run_plan.cancelled:
            solara.Warning("Cancelled: the results below are the last finished run.")
        elif run_plan.error:
            error = run_plan.exception
            solara.Error("The run failed: " + (str(error) if isinstance(error, ScenarioError)
                                              else f"{type(error).__name__}: {error}"))


def latest_outcome() -> Outcome | None:
    """The last finished outcome of the scenario as loaded (not one of the scenario before a switch)."""
    latest = run_plan.value if run_plan.finished else run_plan.latest
    return latest[1] if latest is not None and latest[0] == loaded_key.value else None


@solara.component
def RunButtons(spec: Scenario | None, base: Scenario) -> None:
    with solara.Row():
        solara.Button("Run", color="primary", disabled=spec is None or run_plan.pending,
                      on_click=lambda: run_plan(loaded_key.value, spec) if spec is not None else None)
        solara.Button("Cancel", disabled=not run_plan.pending, on_click=run_plan.cancel)
        solara.Button("Reset", text=True, on_click=lambda: load(loaded_key.value, base))


@solara.component
def Outcomes(spec: Scenario | None, base: Scenario) -> None:
    """What depends on the run's results: only this part re-renders when a run ends."""
    outcome = latest_outcome()
    detail, set_detail = solara.use_state(cast(Outcome | None, None))
    solara.use_effect(lambda: set_detail(outcome), [id(outcome)])
    if detail is not None and outcome is not None and detail.spec.province.code != outcome.spec.province.code:
        detail = None  # another province's map and fans are never shown against this one
    Downloads(outcome, spec, base)
    if outcome is not None:
        Results(outcome, detail)


@solara.component
def Page() -> None:
    solara.Title("citytwin: a planner's dashboard")
    solara.Style(CSS)

    def open_first() -> None:
        if loaded.value is None:
            files = scenario_files()
            first = os.environ.get(SCENARIO_ENV) or (str(files[0]) if files else None)
            if first:
                load_file(first)

    solara.use_effect(open_first, [])
    if nation_file.value:
        with solara.Column(style={"padding": "8px 16px"}):
            heading("citytwin: will the nation reach its goals?", 2)
            ScenarioPicker(None)
            if message.value:
                solara.Error(message.value)
            NationPage(nation_file.value, on_open=load_file, verdict_html=verdict_html)
        return
    base = loaded.value
    spec, refused = current_plan()
    with solara.Sidebar():
        if base is not None:
            RunButtons(spec, base)
            Levers(base)
    with solara.Column(style={"padding": "8px 16px"}):
        heading(f"citytwin: will {base.province.name or 'the province'} reach its goals?" if base is not None
                else "citytwin: will the province reach its goals?", 2)
        ScenarioPicker(base)
        if message.value:
            solara.Error(message.value)
        if base is None:
            return
        session = session_for(loaded_key.value, base)
        paragraph(f"<b>{html.escape(place_name(base))}</b>: {html.escape(base.description)} "
                  f"({base.time.start}..{base.time.end}; {session.runs} runs at {session.scale:.1%} of adults as "
                  "agents; <code>citytwin run</code> gives the final word at the scenario's own size)")
        RunStatus(refused, implausible(spec) if spec is not None else [])
        Outcomes(spec, base)
        Editor(base)
