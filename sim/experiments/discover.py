"""Scenario discovery: in which region of the uncertain assumptions does a target fail?

Each run of the ensemble draws every ranged assumption, prior and calibrated parameter afresh
(`sim.inputs.uncertainty`); whether it reaches the target is judged as the verdict judges it
(`sim.experiments.outcomes`). PRIM, the patient rule induction method (Friedman & Fisher 1999; the
implementation of the EMA Workbench, as used for scenario discovery by Bryant & Lempert 2010),
then peels the space of draws towards the runs that fail, one small slice at a time, tracing a
trajectory of boxes from "everything" (all the failures, at the base rate) to small boxes where
nearly every run fails. Each box has a **coverage** (the share of all failures that lie inside
it) and a **density** (the share of the runs inside it that fail).

The box reported is the one on the trajectory with the best balance of the two (the largest
harmonic mean of coverage and density) among those restricting at most three assumptions, so
that a planner can read it ("fails mainly when ..."). Each restriction carries PRIM's quasi-p
value (how likely a limit that tight would be by chance); a restriction with a quasi-p value above
0.05 is dropped from the box (and named in a note), and the box's coverage, density and mass are
then counted afresh on the runs.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sim.experiments.ensemble import run_one
from sim.experiments.execution import DEFAULT_EXECUTION, Execution, ExperimentResult
from sim.experiments.outcomes import horizon, run_reaches
from sim.inputs.targets import Target
from sim.schema import Scenario

DEFAULT_RUNS = 200   # PRIM needs failures and successes in numbers; 60 runs seldom give enough
MIN_DISCOVERY_RUNS = 10  # fewer cannot hold a box of failures with a count to test it by
MAX_RESTRICTED = 3   # a box a planner can read
WEAK_QP = 0.05


def _drawn_and_reached(job: tuple) -> tuple[int, dict[str, float], bool]:
    """One run in a worker: what it drew and whether it reached every target asked for."""
    spec, run, scale, seed, threads, targets = job
    result = run_one(spec, run, scale, seed, threads)
    return run, result.parameters, bool(run_reaches(targets, result).all())


@dataclass
class Discovery(ExperimentResult):
    scenario: str
    target: str                    # a target id, or "all"
    runs: int
    seed: int
    scale: float
    x: pd.DataFrame                # runs x drawn assumptions
    fails: NDArray[np.bool_]       # per run
    trajectory: pd.DataFrame       # PRIM's peeling trajectory: coverage, density, mass, res_dim
    chosen: int | None             # the row of the trajectory reported (None: nothing to find)
    limits: pd.DataFrame           # per restricted assumption: low, high, drawn_low, drawn_high, qp
    box_stats: dict[str, float] = field(default_factory=dict)  # coverage, density, mass of the box reported

    @property
    def stats(self) -> dict[str, float]:
        return self.box_stats

    def conditions(self) -> list[str]:
        """The box as words: "a < 0.12", "b > 0.4", "0.2 < c < 0.3"."""
        out = []
        for name, r in self.limits.iterrows():
            lower = r["low"] > r["drawn_low"] + 1e-12
            upper = r["high"] < r["drawn_high"] - 1e-12
            text = (f"{r['low']:.4g} < {name} < {r['high']:.4g}" if lower and upper
                    else f"{name} < {r['high']:.4g}" if upper else f"{name} > {r['low']:.4g}")
            out.append(text)
        return out

    def summary(self) -> str:
        what = "every modelled target" if self.target == "all" else self.target
        n_fail = int(self.fails.sum())
        head = f"{what}: fails in {n_fail} of {self.runs} runs"
        if self.chosen is None:
            return f"{head}; {self.notes[0] if self.notes else 'no region found'}"
        s = self.stats
        return (f"{head}; mainly when {' and '.join(self.conditions())}: coverage {s['coverage']:.2f} (that share "
                f"of the failures lies in this region), density {s['density']:.2f} (that share of the runs in it "
                f"fail), {s['mass']:.0%} of the runs.")

    def as_json(self) -> dict:
        return {"scenario": self.scenario, "target": self.target, "runs": self.runs, "seed": self.seed,
                "scale": self.scale, "failures": int(self.fails.sum()), "factors": list(self.x.columns),
                "box": [{"factor": name, **{k: float(v) for k, v in r.items()}} for name, r in self.limits.iterrows()],
                "conditions": self.conditions() if self.chosen is not None else [],
                **self.stats, "summary": self.summary(), "notes": self.notes}


def discover(spec: Scenario, targets: list[Target], target: str, execution: Execution = DEFAULT_EXECUTION) -> Discovery:
    """Run the ensemble (`ensemble.runs`, seeds from `ensemble.seed`, every uncertainty drawn)
    where `execution` says, and find the region of the draws where the target(s) fail (module
    docstring)."""
    spec = horizon(spec, targets)
    e = spec.ensemble
    t0 = time.perf_counter()
    drawn: dict[int, dict[str, float]] = {}
    reached = np.zeros(e.runs, dtype=bool)
    with execution.runner(spec, e.runs) as runner, execution.bar(f"{spec.name}: discover", e.runs) as bar:
        jobs = [(spec, r, e.scale, e.seed, runner.threads, targets) for r in range(e.runs)]
        for run, parameters, ok in runner.imap(_drawn_and_reached, jobs):
            drawn[run], reached[run] = parameters, ok
            bar.update(1)
        used, workers = runner.executor, runner.workers
    x = pd.DataFrame([drawn[r] for r in range(e.runs)]).astype(np.float64)
    x = x.loc[:, x.nunique() > 1]  # an assumption drawn the same in every run tells nothing
    fails = ~reached
    empty = pd.DataFrame(columns=["low", "high", "drawn_low", "drawn_high", "qp"], dtype=float)
    found = Discovery(spec.name, target, e.runs, e.seed, e.scale, x, fails, pd.DataFrame(), None, empty,
                      wall_seconds=time.perf_counter() - t0, workers=workers, executor=used)
    if x.empty:
        found.notes.append("nothing is drawn (no ranged assumption or prior, or ensemble.uncertainty = false)")
    elif not fails.any():
        found.notes.append("it never fails: there is no region to find")
    elif fails.all():
        found.notes.append("it fails in every run: no region of the assumptions saves it")
    else:
        _prim(found)
    return found


def _prim(found: Discovery) -> None:
    """PRIM's first box: of the boxes on its peeling trajectory, each without its weak restrictions
    (quasi-p > 0.05) and counted afresh on the runs, the one with the best balance of coverage and
    density among those restricting one to three assumptions."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the workbench warns about optional parallel back-ends on import
        from ema_workbench.analysis import prim

        box = prim.Prim(found.x, found.fails.astype(int)).find_box()
    if box is None:
        found.notes.append("PRIM found no box")
        return
    found.trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].astype(float)
    fails = found.fails
    best: tuple[float, int, pd.DataFrame, dict] | None = None
    for i in found.trajectory.index[found.trajectory.res_dim >= 1]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = box.inspect(int(i), style="data")[0][1]  # per restricted assumption: min, max, quasi-p values
        lims = box.box_lims[int(i)]
        rows = [{"factor": name, "low": float(lims.loc[0, name]), "high": float(lims.loc[1, name]),
                 "drawn_low": float(found.x[name].min()), "drawn_high": float(found.x[name].max()),
                 "qp": float(np.nanmax(table.loc[name].iloc[2:].to_numpy(dtype=float)))} for name in table.index]
        limits = pd.DataFrame(rows).set_index("factor")
        strong = limits[limits.qp <= WEAK_QP]
        if not 1 <= len(strong) <= MAX_RESTRICTED:
            continue
        inside = np.ones(len(found.x), dtype=bool)
        for name, r in strong.iterrows():
            inside &= found.x[name].between(r["low"], r["high"]).to_numpy()
        coverage = float(fails[inside].sum() / fails.sum())
        density = float(fails[inside].mean()) if inside.any() else 0.0
        f1 = 2 * coverage * density / (coverage + density) if coverage + density > 0 else 0.0
        if best is None or f1 > best[0] + 1e-12:
            stats = {"coverage": coverage, "density": density, "mass": float(inside.mean()), "res_dim": len(strong)}
            best = (f1, int(i), strong, stats)
    if best is None:
        found.notes.append(f"no region: no box on PRIM's trajectory has 1 to {MAX_RESTRICTED} restrictions with "
                           f"quasi-p <= {WEAK_QP}; the {int(fails.sum())} failures are spread over the assumptions")
        return
    _, found.chosen, found.limits, found.box_stats = best
