"""A planner's session, what the dashboard shows without the dashboard: the scenario as loaded,
the levers a planner may move (bounded by the schema), the scenario they make, an ensemble that
reports progress and can be cancelled, the verdict, and what changed against the scenario as
loaded over the same runs.

The scenario as loaded is the baseline. Its ensemble is run once (a session's runs, scale and
seed are fixed) and kept; every plan is run with the same seeds, so run r of the plan and of the baseline draw the
same assumptions (common random numbers) and their difference is the levers' effect, not noise
between draws (`sim.experiments.outcomes.paired_differences`). A plan with a pilot is also run without it,
as `citytwin run` does, for the pilot's own paired effect in its communes (`sim.experiments.pilot`).

Everything a page sends becomes scenario data that passes the same schema and checks as a file
(`sim.inputs.scenario.validate_scenario`): numbers set at known keys, a pilot as a policy, uploaded or
edited TOML read by `tomllib`. Nothing from the page is executed.
"""

from __future__ import annotations

import io
import math
import re
import shutil
import tempfile
import threading
import time
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tomli_w

from sim.errors import ScenarioError
from sim.experiments.ensemble import EnsembleResult, RunResult, run_ensemble
from sim.experiments.outcomes import paired_differences
from sim.experiments.pilot import PilotReport, has_pilots, pilot_report, without_pilots
from sim.experiments.runner import Runner, default_workers
from sim.experiments.sensitivity import Drivers, drivers_from_folder, rank_drivers
from sim.inputs.scenario import load_scenario, validate_scenario
from sim.inputs.targets import Target, resolve_targets
from sim.names import OUTPUT_INDICATORS
from sim.outputs.outfolder import OutputFolder
from sim.outputs.report import manifest, mapped, write_outputs
from sim.outputs.verdict import Verdict, verdicts
from sim.parameter_labels import parameter_label
from sim.schema import DX_PROGRAMMES, PROGRAMMES, Scenario, bounds, lookup, set_number, year_month

# The app's ensemble: 20 runs (the "20-run ensemble"; P(reach) to about ±0.2, Wilson) at
# 0.5% of adults as agents, the scale at which a run of the largest province takes about a quarter
# of a second (benchmarks/app.py); `citytwin run` at the scenario's own size gives the final word.
APP_RUNS = 20
APP_SCALE = 0.005
PILOT_NAME = "dashboard pilot"


@dataclass(frozen=True)
class Control:
    """A lever on the page: a number at a dotted key, its range (the schema's, within the
    horizon for a year) and step; `group` names a split whose keys are kept summing to one."""

    key: str
    label: str
    low: float
    high: float
    step: float
    percent: bool = False
    group: str | None = None
    # The slider's top where the schema's range dwarfs any plan (the Resolution 57 share: 0-100%
    # allowed, 1-10% planned, sim.inputs.plausibility): 3% -> 5% is then a visible move; a typed
    # value still reaches `high`.
    slider_high: float | None = None

    @property
    def slider_top(self) -> float:
        return self.high if self.slider_high is None else min(self.slider_high, self.high)


# The budget slider's top: 1.5 x the 10% above which a Resolution 57 share is far outside anything
# sourced or planned (sim.inputs.plausibility), so a warned value is still on the slider.
DX_SHARE_SLIDER_TOP = 0.15


def controls(spec: Scenario) -> list[Control]:
    """The levers the dashboard offers, bounded by the schema's ranges: the Resolution 57 share of
    the budget, its disbursement, the DX allocation across programmes, the incentives' split
    between fee discounts and merchant onboarding, and the 5G start year (within the horizon and
    the year after it, which is "not within the horizon")."""
    def share(key: str, step: float, group: str | None = None) -> Control:
        low, high = bounds(key)
        return Control(key, parameter_label(key), low, high, step, percent=True, group=group)

    key = "infrastructure.five_g_start_year"
    low, high = bounds(key)
    five_g = Control(key, parameter_label(key), max(low, spec.time.start_year), min(high, spec.time.end_year + 1), 1)
    dx_share = replace(share("budget.dx_share", 0.001),
                       slider_high=max(DX_SHARE_SLIDER_TOP, 1.5 * spec.budget.dx_share))
    return ([dx_share, share("budget.disbursement", 0.01)]
            + [share(f"budget.allocation.{p}", 0.01, "budget.allocation") for p in DX_PROGRAMMES]
            + [share(f"budget.incentives_mix.{k}", 0.01, "budget.incentives_mix")
               for k in ("fee_discount", "merchant_onboarding")]
            + [five_g])


def lever_values(spec: Scenario) -> dict[str, float]:
    """The scenario's value of every control."""
    out = {}
    for c in controls(spec):
        value = spec.number_at(c.key)
        assert value is not None, c.key  # every control is a plain number of every scenario
        out[c.key] = value
    return out


def rebalance(values: dict[str, float], key: str, value: float) -> dict[str, float]:
    """Set one key of a split (dotted keys of one table, summing to one) and rescale the others
    in proportion so the split still sums to one (equally, if they were all zero).

    >>> rebalance({"a.x": 0.5, "a.y": 0.3, "a.z": 0.2}, "a.x", 0.0)
    {'a.x': 0.0, 'a.y': 0.6, 'a.z': 0.4}
    """
    value = min(max(value, 0.0), 1.0)
    others = [k for k in values if k != key]
    rest = sum(values[k] for k in others)
    out = dict(values)
    out[key] = value
    for k in others:
        out[k] = round((1.0 - value) * (values[k] / rest if rest > 0 else 1 / len(others)), 12)
    return out


@dataclass(frozen=True)
class Pilot:
    """Extra money for one programme in the communes clicked on the map (commune codes).

    The default amount is an assumption, as in scenarios/da_nang_pilot.toml (no source gives the
    cost of a pilot): VND 20 bn a year, about 1.5% of a large city's yearly DX money; the planner
    sets any amount from 0 to the schema's ceiling."""

    communes: tuple[str, ...]
    programme: str = "services"
    amount_vnd_per_year: float = 20e9
    start: str = ""
    end: str = ""


def default_pilot(spec: Scenario) -> Pilot:
    """A three-year pilot from the second year of the horizon (or as much of it as there is)."""
    y0, _ = year_month(spec.time.start)
    y1, m1 = year_month(spec.time.end)
    start = f"{min(y0 + 1, y1):04d}-01"
    end = min(f"{min(y0 + 3, y1):04d}-12", spec.time.end)
    return Pilot(communes=(), start=max(start, spec.time.start), end=end)


def plan(base: Scenario, values: dict[str, float], pilot: Pilot | None = None) -> Scenario:
    """The scenario as loaded with the levers set and the pilot added as a policy, checked whole
    as a file would be (a split must still sum to one: `rebalance`). One-line ScenarioError if
    the schema or the checks refuse it."""
    data = base.model_dump()
    for key, v in values.items():
        node = lookup(data, key)
        if isinstance(node, bool) or not isinstance(node, (int, float)):
            raise ScenarioError(f"{key}: not a lever of the scenario")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ScenarioError(f"{key}: expected a number (got {v!r})")
        set_number(data, key, int(round(v)) if isinstance(node, int) else float(v))
    if pilot is not None and pilot.communes:
        data["policies"] = [*data["policies"], {
            "name": PILOT_NAME, "programme": pilot.programme, "amount_vnd_per_year": pilot.amount_vnd_per_year,
            "start": pilot.start, "end": pilot.end, "communes": list(pilot.communes)}]
    return validate_scenario(data, file=base.source_file or "scenario")


def changes(base: Scenario, spec: Scenario) -> list[str]:
    """What the plan changes, one line each: every control moved, every policy added."""
    before, after = lever_values(base), lever_values(spec)
    out = []
    for c in controls(base):
        a, b = before[c.key], after[c.key]
        if abs(a - b) > 1e-12:
            out.append(f"{c.key}: {a:.4g} -> {b:.4g}")
    old = {p.name for p in base.policies}
    out += [f"policies: + {p.name} ({p.programme}, VND {p.amount_vnd_per_year / 1e9:g} bn a year, {p.start}..{p.end}, "
            f"communes {', '.join(p.communes)})" for p in spec.policies if p.name not in old]
    return out


def _without_none(node: Any) -> Any:
    """TOML has no null: a key whose value is None is left out (the schema's default is None)."""
    if isinstance(node, dict):
        return {k: _without_none(v) for k, v in node.items() if v is not None}
    if isinstance(node, (list, tuple)):
        return [_without_none(v) for v in node]
    return node


def scenario_toml(spec: Scenario, made_from: str, changed: list[str]) -> str:
    """The scenario as one self-contained TOML file (every key written, no `extends`) that
    `citytwin run` accepts unchanged and runs to the same results; a province's own GeoJSON or
    CSV is named by its absolute path so the file can be saved anywhere."""
    data = spec.model_dump(mode="json", exclude={"source_file"})
    base = Path(spec.source_file).resolve().parent if spec.source_file else Path.cwd()
    for key in ("geojson", "communes_csv"):
        if data["province"].get(key):
            data["province"][key] = str((base / data["province"][key]).resolve())
    head = [f"# citytwin scenario made in the dashboard on {date.today().isoformat()} from {made_from}",
            "# Every key is written out (no extends), so this file runs as it is: citytwin run THIS_FILE"]
    head += ["# Changed from the scenario as loaded:"] + [f"#   {c}" for c in changed] if changed \
        else ["# Unchanged from the scenario as loaded."]
    return "\n".join(head) + "\n\n" + tomli_w.dumps(_without_none(data))


UPLOAD_BYTES = 5_000_000  # a scenario is a few kB; a calibrated one with its posterior ~10 kB


def upload_name(name: object) -> tuple[str, str]:
    """(the name to show, a safe file stem) of an uploaded file's name, whatever the browser sent:
    no folders, no control characters, only letters, digits, `_ - .` in the stem (it becomes the
    scenario's name, and so a results folder, when the file gives none).

    >>> upload_name("../../etc/passwd" + chr(0) + ".toml")
    ('passwd.toml', 'passwd')
    """
    text = "".join(ch for ch in str(name) if unicodedata.category(ch)[0] != "C")
    shown = text.replace("\\", "/").rsplit("/", 1)[-1][:80] or "uploaded.toml"
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", shown.removesuffix(".toml")).lstrip("._-")[:100]
    return shown, stem or "uploaded"


def read_scenario_text(text: str | bytes, roots: tuple[Path, ...], name: str = "uploaded.toml") -> Scenario:
    """A scenario a planner uploaded or edited, read as a file is (the same schema, limits and
    one-line errors). It is written to a private folder first; its `extends` is looked up in the
    app's scenario folder (`roots[0]`), and its `extends` chain and data files must lie in that
    folder or in `roots` (the app's scenario folders), never anywhere else on the server."""
    shown, stem = upload_name(name)
    raw = text.encode("utf-8", errors="surrogateescape") if isinstance(text, str) else bytes(text)
    if len(raw) > UPLOAD_BYTES:
        raise ScenarioError(f"{shown}: larger than {UPLOAD_BYTES // 1_000_000} MB; a scenario is a few kB")
    folder = Path(tempfile.mkdtemp(prefix="citytwin-upload-"))
    try:
        path = folder / f"{stem}.toml"
        path.write_bytes(raw)
        try:
            spec = load_scenario(path, roots=(folder, *roots), base=roots[0] if roots else None)
        except ScenarioError as exc:  # the private copy's path means nothing to the planner
            raise ScenarioError(str(exc).replace(str(path), shown).replace(str(folder), "(the upload)")) from None
        data = spec.model_dump()
        data["source_file"] = shown
        for key in ("geojson", "communes_csv"):
            if data["province"].get(key):
                raise ScenarioError(f"{shown}: province.{key}: an uploaded scenario uses the shipped communes; "
                                    "run a scenario with its own GeoJSON or CSV with citytwin run")
        return Scenario.model_validate(data)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Cancelled(Exception):
    """The planner cancelled the ensemble."""


@dataclass
class Outcome:
    """One ensemble of a plan, judged, and compared with the same runs of the scenario as loaded."""

    spec: Scenario
    targets: list[Target]
    result: EnsembleResult
    verdicts: list[Verdict]
    baseline: EnsembleResult
    comparison: pd.DataFrame            # sim.experiments.outcomes.paired_differences
    drivers: Drivers
    changed: list[str]
    without_pilot: EnsembleResult | None = None
    pilot: PilotReport | None = None
    seconds: float = 0.0                # wall time of the ensembles this plan needed


Progress = Callable[[str, int, int], None]   # (what, runs done, runs in all)


class Session:
    """The scenario as loaded, its baseline ensembles, and workers kept warm between plans."""

    def __init__(self, base: Scenario, runs: int = APP_RUNS, scale: float = APP_SCALE,
                 executor: str = "processes", workers: int | None = None) -> None:
        self.base = base
        self.targets = resolve_targets(base, base.source_file or "scenario")
        self.runs, self.scale, self.seed = runs, scale, base.ensemble.seed
        self.executor = executor
        self.workers = workers or default_workers()
        self._runner: Runner | None = None
        self._baseline: EnsembleResult | None = None   # the scenario as loaded, run once
        self._lock = threading.Lock()   # one ensemble at a time on the session's workers

    def _open_runner(self) -> Runner:
        if self._runner is None:
            self._runner = Runner(self.executor, min(self.workers, self.runs)).__enter__()
        return self._runner

    def _drop_runner(self, error: BaseException | None = None) -> None:
        """Close the workers; after a cancel they are terminated (their queued runs are dropped)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.__exit__(type(error) if error else None, error, None)

    def close(self) -> None:
        """Stop the workers now, dropping any run still queued (the server is stopping)."""
        self._drop_runner(Cancelled())

    def _ensemble(self, spec: Scenario, what: str, progress: Progress, cancelled: threading.Event) -> EnsembleResult:
        done = 0

        def on_result(_: RunResult) -> None:
            nonlocal done
            done += 1
            progress(what, done, self.runs)
            if cancelled.is_set():
                raise Cancelled

        if cancelled.is_set():
            raise Cancelled
        progress(what, 0, self.runs)
        return run_ensemble(spec, runs=self.runs, scale=self.scale, seed=self.seed,
                            on_result=on_result, runner=self._open_runner())

    def _as_loaded(self, spec: Scenario) -> bool:
        """Whether a scenario is the one as loaded (its baseline's runs are then its own)."""
        return spec.model_dump(exclude={"source_file"}) == self.base.model_dump(exclude={"source_file"})

    def baseline(self, progress: Progress, cancelled: threading.Event) -> EnsembleResult:
        if self._baseline is None:
            self._baseline = self._ensemble(self.base, "the scenario as loaded", progress, cancelled)
        return self._baseline

    def run(self, spec: Scenario, progress: Progress | None = None,
            cancelled: threading.Event | None = None) -> Outcome:
        """The plan's ensemble (and the baseline's, the first time), judged and compared.
        Raises Cancelled if `cancelled` is set before it ends (the workers are then restarted)."""
        progress = progress or (lambda what, done, total: None)
        cancelled = cancelled or threading.Event()
        t0 = time.perf_counter()
        with self._lock:
            try:
                base = self.baseline(progress, cancelled)
                result = base if self._as_loaded(spec) else self._ensemble(spec, "your plan", progress, cancelled)
                without = None
                if has_pilots(spec):
                    counterfactual = without_pilots(spec)
                    without = base if self._as_loaded(counterfactual) else \
                        self._ensemble(counterfactual, "your plan without the pilot", progress, cancelled)
            except BaseException as exc:  # a cancel, an error, an interrupt: drop the queued runs
                self._drop_runner(exc)
                raise
        items = verdicts(self.targets, result)
        drivers = (drivers_from_folder(Path("results") / f"{self.base.name}_sensitivity", self.base, self.targets)
                   or rank_drivers(self.targets, result.runs))
        for v in items:
            v.drivers = drivers.by_target.get(v.id, [])
        pilot = None
        if without is not None:
            first = mapped(items)
            pilot = pilot_report(spec, result.geography, result, without,
                                 first[0].indicator if first else "online_services_uptake")
        return Outcome(spec=spec, targets=self.targets, result=result, verdicts=items, baseline=base,
                       comparison=paired_differences(self.targets, result, base), drivers=drivers,
                       changed=changes(self.base, spec), without_pilot=without, pilot=pilot,
                       seconds=time.perf_counter() - t0)

    def output_zip(self, outcome: Outcome) -> bytes:
        """The run's output folder, as `citytwin run` writes it (tables, verdict, manifest,
        figures, pilot effects), with the plan's scenario.toml, as a zip archive."""
        spec = outcome.spec
        with tempfile.TemporaryDirectory(prefix="citytwin-app-") as tmp:
            out = OutputFolder(Path(tmp) / spec.name, kind="run")
            meta = manifest(spec, outcome.result, self.seed, self.scale, ["citytwin app"]) | {
                "drivers": outcome.drivers.describe(), "changed_in_dashboard": outcome.changed}
            with out.locked():
                write_outputs(out, spec, outcome.result, outcome.verdicts, meta, outcome.without_pilot)
            (out.path / "scenario.toml").write_text(
                scenario_toml(spec, self.base.source_file, outcome.changed), encoding="utf-8")
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(out.path.rglob("*")):
                    if path.is_file() and not path.name.startswith("."):
                        archive.write(path, Path(spec.name) / path.relative_to(out.path))
            return buffer.getvalue()


def money_bought(outcome: Outcome) -> pd.DataFrame:
    """What the money bought by the end of the horizon: money spent by programme and the
    physical outputs, median over runs, the plan beside the scenario as loaded."""
    rows = []
    names = [f"dx_spent_{p}_vnd" for p in PROGRAMMES] + ["dx_unabsorbed_vnd"] + list(OUTPUT_INDICATORS)
    for name in names:
        mine, base = outcome.result.year_end(name), outcome.baseline.year_end(name)
        year = int(mine.columns.max())
        rows.append({"what": name, "year": year, "plan": float(np.median(mine[year])),
                     "plan_p5": float(np.percentile(mine[year], 5)), "plan_p95": float(np.percentile(mine[year], 95)),
                     "as_loaded": float(np.median(base[year]))})
    return pd.DataFrame(rows)
