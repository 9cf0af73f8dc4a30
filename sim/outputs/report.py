"""Writing a run's (or a sensitivity analysis's, or a goal seek's) outputs: tables, verdict, manifest and figures,
all or nothing.

Everything is written into a hidden sibling folder which then replaces the
destination atomically (`sim.outputs.outfolder`), so a failed, interrupted or killed run
never leaves a half-written results folder behind and never loses the previous one.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from functools import partial
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sim.experiments.cheapest import CostResult
from sim.experiments.discover import Discovery
from sim.experiments.ensemble import EnsembleResult, RunResult
from sim.experiments.execution import ExperimentResult
from sim.experiments.pilot import PilotReport, has_pilots, pilot_indices, pilot_report
from sim.experiments.seek import SeekResult
from sim.experiments.sensitivity import MAIN_INDEX, Factor, Sensitivity
from sim.experiments.sweep import SweepResult
from sim.inputs.targets import MapGoal
from sim.labels import label, place_name
from sim.names import COMMUNE_INDICATORS
from sim.outputs.draw import draw, figure
from sim.outputs.outfolder import OutputFolder
from sim.outputs.verdict import Verdict
from sim.schema import Scenario
from sim.world.geography import Geography


def mapped(verdicts: list[Verdict]) -> list[Verdict]:
    """The targets that get a commune map: modelled, on an indicator with a per-commune value."""
    return [v for v in verdicts if v.status != "NOT MODELLED" and v.indicator in COMMUNE_INDICATORS]


def communes_table(result: EnsembleResult, geo: Geography) -> pd.DataFrame:
    """communes.csv: one row per run, year and unit, with the unit's code, name, type and
    population (people, all ages, as the scenario sets them) from the Geography, so a planner
    can list the communes that miss a goal without another file."""
    units = pd.DataFrame({"code": geo.codes.astype(np.int64), "name": geo.names, "type": geo.kinds,
                          "population": np.rint(geo.population).astype(np.int64)})
    # The runs' own name and kind columns are the same Geography's: replaced, not repeated.
    df = result.communes.drop(columns=["commune", "kind"]).merge(units, on="code", how="left",
                                                                  validate="many_to_one")
    front = ["run", "year", "code", "name", "type", "population"]
    return df[front + [c for c in df.columns if c not in front]]


def phase_seconds_mean(runs: list[RunResult]) -> dict[str, float]:
    """Seconds a run spent in each phase of the month (summed over its months) and in measuring,
    the mean over runs: where a run's time goes (`citytwin run --profile` prints it)."""
    names = runs[0].phase_seconds
    return {k: round(float(np.mean([r.phase_seconds.get(k, 0.0) for r in runs])), 4) for k in names}


def profile_table(runs: list[RunResult]) -> str:
    """The step plan's phases, each with its seconds per run and its share of the monthly loop."""
    seconds = phase_seconds_mean(runs)
    loop = float(np.mean([r.run_seconds for r in runs]))
    build = float(np.mean([r.build_seconds for r in runs]))
    lines = [f"{'phase':<14}{'seconds':>9}{'share':>8}   (mean of {len(runs)} run(s); the monthly loop took "
             f"{loop:.2f} s, building the world {build:.2f} s)"]
    lines += [f"{name:<14}{s:>9.3f}{s / loop if loop else 0.0:>8.1%}" for name, s in seconds.items()]
    rest = loop - sum(seconds.values())
    lines.append(f"{'(loop other)':<14}{rest:>9.3f}{rest / loop if loop else 0.0:>8.1%}")
    return "\n".join(lines)


def experiment_manifest(spec: Scenario, result: ExperimentResult, argv: list[str],
                        timings: dict[str, object] | None = None, **fields: object) -> dict:
    """manifest.json of any command's results: the scenario and its file, citytwin's version, the
    command's own `fields`, where the runs executed and how long they took (with the command's
    own `timings`), the command line, the platform and the resolved scenario."""
    from sim.inputs.provenance import starting_values

    return {"scenario": spec.name, "scenario_file": spec.source_file, "citytwin_version": version("citytwin"),
            **fields, "starting_values": starting_values(spec), "workers": result.workers, "executor": result.executor,
            "timings": {"wall_seconds": round(result.wall_seconds, 3), **(timings or {})}, "command": argv,
            "platform": {"python": sys.version.split()[0], "machine": platform.machine(), "numpy": np.__version__,
                         "mesa": version("mesa")},
            "resolved_scenario": spec.model_dump(mode="json")}


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")


def manifest(spec: Scenario, result: EnsembleResult, seed: int, scale: float, argv: list[str]) -> dict:
    """manifest.json of `citytwin run`: the runs, their seeds and draws, and where the time went."""
    runs = result.runs
    return experiment_manifest(
        spec, result, argv, seed=seed, run_seeds=[r.seed for r in runs], runs=len(runs), scale=scale,
        citizens=runs[0].citizens, businesses=runs[0].businesses, months=int(len(runs[0].years)),
        timings={"build_seconds_mean": round(float(np.mean([r.build_seconds for r in runs])), 3),
                 "run_seconds_mean": round(float(np.mean([r.run_seconds for r in runs])), 3),
                 "citizen_months_per_second": round(float(np.mean(
                     [r.citizens * len(r.years) / r.run_seconds for r in runs])), 1),
                 "phase_seconds_mean": phase_seconds_mean(runs)},
        assumption_draws={str(r.run): r.parameters for r in runs},
        adaptive_rule=sorted({n for r in runs for n in r.notes}))


def write_outputs(out: OutputFolder, spec: Scenario, result: EnsembleResult, verdicts: list[Verdict],
                  meta: dict, counterfactual: EnsembleResult | None = None) -> PilotReport | None:
    """Write the output folder (its lock held). For a scenario with pilots, `counterfactual` is
    the same ensemble without them (`sim.experiments.pilot`): pilot.csv holds the effects, manifest.json
    the one-line summary under "pilot", and the report is returned."""
    geo = result.geography
    pilot = None
    if has_pilots(spec):
        if counterfactual is None:
            raise ValueError("a scenario with pilots needs its counterfactual ensemble "
                             "(sim.experiments.pilot.without_pilots)")
        first = mapped(verdicts)
        pilot = pilot_report(spec, geo, result, counterfactual,
                             first[0].indicator if first else "online_services_uptake")
        meta = {**meta, "pilot": pilot.summary}
    pilots = {int(geo.codes[i]) for i in pilot_indices(spec, geo)}
    with out.replacing(spec.name) as tmp:
        (tmp / "figures").mkdir()
        result.indicators.to_csv(tmp / "indicators.csv", index=False)
        communes_table(result, geo).to_csv(tmp / "communes.csv", index=False)
        _write_json(tmp / "verdict.json", [v.as_dict() for v in verdicts])
        _write_json(tmp / "manifest.json", meta)
        _figures(tmp / "figures", spec, result, verdicts, geo, pilots)
        if pilot is not None:
            pilot.effects.to_csv(tmp / "pilot.csv", index=False)
    return pilot


def commune_values(result: EnsembleResult, geo: Geography, indicator: str, year: int) -> NDArray[np.float64]:
    """Median over runs of an indicator per unit at the end of `year`, in Geography order (nan
    where no run recorded the unit)."""
    df = result.communes
    per = df[df.year == year].groupby("code")[indicator].median()
    return per.reindex(geo.codes.astype(np.int64)).to_numpy(dtype=float)


def _figures(folder: Path, spec: Scenario, result: EnsembleResult, verdicts: list[Verdict], geo: Geography,
             pilots: set[int]) -> None:
    highlight = {i for i, c in enumerate(geo.codes) if int(c) in pilots}
    # One map per target with a per-commune value, at the target's year and with its goal; without
    # any, the uptake of online services at the horizon, with its lowest and highest communes.
    maps: list[tuple[str, int, float | None, str, str | None]] = \
        [(v.indicator, v.year, v.threshold, v.comparison, v.id) for v in mapped(verdicts)] or \
        [("online_services_uptake", spec.time.end_year, None, ">=", None)]
    # The longest jobs first (`draw` hands them out in order to two processes): maps, the panels, the charts.
    shown = place_name(spec)  # titles name the province as written, with the plan
    jobs = [partial(figure, "commune_map", geo, commune_values(result, geo, indicator, year), indicator, year,
                    folder / f"map_{goal_id or indicator}.png", shown,
                    MapGoal(threshold, comparison, goal_id) if threshold is not None else None, highlight)
            for indicator, year, threshold, comparison, goal_id in maps]
    jobs.append(partial(figure, "what_money_bought", result, folder / "what_money_bought.png", shown))
    jobs.append(partial(figure, "budget_by_programme", result, folder / "budget_by_programme.png", shown))
    jobs += [partial(figure, "fan_chart", v, result, folder / f"fan_{v.id}.png", shown)
             for v in verdicts if v.status != "NOT MODELLED"]
    draw(jobs)


def sensitivity_manifest(sens: Sensitivity, argv: list[str]) -> dict:
    """manifest.json of a sensitivity folder: the design (method, samples, seed, scale, every
    factor with its bounds and kind) and its cost."""
    spec = sens.spec

    def factor(f: Factor) -> dict:
        return {"key": f.key, "kind": f.kind, "value": spec.number_at(f.key), "low": f.low, "high": f.high}

    return experiment_manifest(
        spec, sens, argv, method=sens.method, samples=sens.samples, evaluations=int(sens.x.shape[0]), seed=sens.seed,
        scale=sens.scale, months=spec.time.months,
        common_random_numbers=f"every evaluation is run 0 of seed {sens.seed} (model and world seed), with "
                              "ensemble.uncertainty = false: only the factors vary",
        targets=[{"id": t.id, "indicator": t.indicator, "year": t.year} for t in sens.targets],
        factors=[factor(f) for f in sens.factors], fixed=[factor(f) for f in sens.fixed],
        timings={"seconds_per_evaluation": round(sens.wall_seconds * sens.workers / len(sens.x), 3)})


def write_sensitivity(out: OutputFolder, sens: Sensitivity, meta: dict) -> None:
    """Write a sensitivity folder (its lock held): sensitivity.csv (the indices), design.csv (every
    evaluated point and the targets' values, to re-analyse without re-running), manifest.json and
    figures/sensitivity_<target id>.png."""
    main = MAIN_INDEX[sens.method][0]
    with out.replacing(sens.spec.name) as tmp:
        (tmp / "figures").mkdir()
        sens.table.to_csv(tmp / "sensitivity.csv", index=False)
        points = pd.DataFrame(sens.x, columns=[f.key for f in sens.factors])
        values = pd.DataFrame(sens.y, columns=[t.id for t in sens.targets])
        pd.concat([points, values], axis=1).to_csv(tmp / "design.csv", index_label="evaluation")
        _write_json(tmp / "manifest.json", meta)
        method = "Morris screening" if sens.method == "morris" else "Sobol' indices"
        jobs = [partial(figure, "sensitivity_bars", sens.table[sens.table.target == t.id], sens.method,
                        f"{place_name(sens.spec)}: what drives {label(t.indicator).lower()} in {t.year}\n"
                        f"{method}, {len(sens.x)} runs; top 15 by {main}",
                        tmp / "figures" / f"sensitivity_{t.id}.png")
                for t in sens.targets]
        draw(jobs)


def write_seek(out: OutputFolder, spec: Scenario, seek: SeekResult, argv: list[str]) -> None:
    """Write a goal seek's folder (its lock held): seek.json (the answer), seek_curve.csv (every
    value examined: runs reaching, runs run there), manifest.json and figures/seek_curve.png."""
    with out.replacing(seek.scenario) as tmp:
        (tmp / "figures").mkdir()
        answer = seek.as_json()
        _write_json(tmp / "seek.json", answer)
        pd.DataFrame(answer["curve"]).assign(probability=lambda d: d.reached / d.runs).to_csv(
            tmp / "seek_curve.csv", index=False)
        _write_json(tmp / "manifest.json", experiment_manifest(
            spec, seek, argv, seed=seek.seed, scale=seek.scale, runs=seek.runs, evaluations=seek.evaluations,
            common_random_numbers=f"run r uses seed {seek.seed} + r at every lever value"))
        figure("seek_curve", seek, tmp / "figures" / "seek_curve.png")


def write_sweep(store: Path, result: SweepResult, argv: list[str]) -> None:
    """P(reach) per point into a sweep's store: `_reach.csv` and, for one or two levers on a
    grid, `_figures/reach_<target id>.png` (each file replaced whole; the runs are not touched)."""
    keys = list(result.design.columns)
    reach = store / "_reach.csv"
    tmp = reach.with_name(f".{reach.name}.tmp")
    result.reach.to_csv(tmp, index=False)
    os.replace(tmp, reach)
    if len(keys) > 2 or result.reach.empty:
        return  # a table only: a figure of three levers would hide more than it shows
    (store / "_figures").mkdir(exist_ok=True)
    for target in result.reach.target.unique():
        path = store / "_figures" / f"reach_{target}.png"
        tmp = path.with_name(f".{path.name}.tmp.png")
        figure("sweep_reach", result.reach, keys, target,
               f"{target}: P(reach) over the sweep ({int(result.reach.runs.max())} runs per point)", tmp)
        os.replace(tmp, path)


def write_discovery(out: OutputFolder, spec: Scenario, found: Discovery, argv: list[str]) -> None:
    """Write a discovery's folder (its lock held): discover.json (the box in words and numbers),
    box.csv (the restricted assumptions), trajectory.csv (PRIM's peeling trajectory), runs.csv
    (every run's draws and whether it failed, to re-analyse), manifest.json, figures/discover.png."""
    with out.replacing(found.scenario) as tmp:
        (tmp / "figures").mkdir()
        answer = found.as_json()
        _write_json(tmp / "discover.json", answer)
        found.limits.to_csv(tmp / "box.csv", index_label="factor")
        found.trajectory.to_csv(tmp / "trajectory.csv", index_label="box")
        found.x.assign(fails=found.fails).to_csv(tmp / "runs.csv", index_label="run")
        _write_json(tmp / "manifest.json", experiment_manifest(spec, found, argv, seed=found.seed, scale=found.scale,
                                                               runs=found.runs))
        figure("discovery", found, tmp / "figures" / "discover.png")


def write_cost(out: OutputFolder, spec: Scenario, result: CostResult, argv: list[str]) -> None:
    """Write `seek --cost`'s folder (its lock held): cost.json (the answer), trials.csv (every split
    tried: share, weights, cost, P and its interval, on the Pareto front or not), manifest.json and
    figures/cost_tradeoff.png."""
    with out.replacing(result.scenario) as tmp:
        (tmp / "figures").mkdir()
        t = result.trials
        answer = {"scenario": result.scenario, "target": result.target, "probability": result.probability,
                  "runs": result.runs, "spending_vnd": result.spending_vnd, "summary": result.summary(),
                  "cheapest": None if result.best is None else {k: _plain(v) for k, v in t.loc[result.best].items()},
                  "confirmation": None if result.confirmed is None else {
                      "runs": result.runs, "reached": result.confirmed, "probability": result.confirmed / result.runs,
                      "seeds": "the next runs after the trials' (fresh draws)"},
                  "scenario_split_at_that_share": None if result.own_split is None
                  else {k: _plain(v) for k, v in t.loc[result.own_split].items()},
                  "trade_off": [{k: _plain(v) for k, v in row.items()}
                                for _, row in t[t.pareto_front].sort_values("cost_vnd").iterrows()]}
        _write_json(tmp / "cost.json", answer)
        t.to_csv(tmp / "trials.csv")
        _write_json(tmp / "manifest.json", experiment_manifest(
            spec, result, argv, runs=result.runs, common_random_numbers="every trial runs the same seeds"))
        figure("cost_tradeoff", result, tmp / "figures" / "cost_tradeoff.png")


def _plain(value: object) -> object:
    """A JSON value from a numpy or pandas scalar."""
    return value.item() if hasattr(value, "item") else value
