"""Sweeps: the ensemble at every point of a design over levers, into a resumable Parquet store.

A design is a grid (N values per lever), a Latin hypercube or a scrambled Sobol' sequence
(`scipy.stats.qmc`, seeded) over the ranges given. Run r of every point uses seed
`ensemble.seed + r`, so points are compared on the same draws (common random numbers).

The store is a folder that `pandas.read_parquet(folder)` reads whole: one row per point x run x
indicator x year (the value at the end of the year), with `point`, `run`, `seed`, `indicator`,
`year`, `value` and one column per lever. Each run is one Parquet file, written to a hidden name
and renamed into place when complete, so a file is there whole or not at all. Beside them, files
that pyarrow's dataset reader skips (a leading `_` or `.`): `_design.parquet` (the points),
`_sweep.json` (what was asked: a resumed command must ask the same), `_reach.csv` and
`_figures/` (P(reach) per point, rewritten at the end).

Resuming: the same command on the same store runs only the (point, run) pairs whose file is not
there; an interrupted sweep (Ctrl-C, `kill -9`) loses at most the runs in progress and computes
none twice.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.ensemble import run_one
from sim.errors import ScenarioError
from sim.files import MARKER
from sim.outcomes import reaches, wilson, year_ends
from sim.runner import Runner
from sim.scenario import check_lever, with_levers
from sim.schema import Scenario
from sim.targets import Target

DESIGNS = ("grid", "lhs", "sobol")
GRID_DEFAULT = 5       # values per lever on a grid, when N is not given
POINTS_DEFAULT = 16    # points of a Latin hypercube or Sobol' design
DESIGN_FILE, SWEEP_FILE, REACH_FILE = "_design.parquet", "_sweep.json", "_reach.csv"


@dataclass(frozen=True)
class Vary:
    key: str
    low: float
    high: float
    n: int | None = None   # grid values (None: the default)


def parse_vary(text: str) -> Vary:
    """`KEY=LOW:HIGH` or `KEY=LOW:HIGH:N`.

    >>> parse_vary("budget.dx_share=0.02:0.08:4")
    Vary(key='budget.dx_share', low=0.02, high=0.08, n=4)
    """
    key, sep, rest = text.partition("=")
    parts = rest.split(":")
    try:
        if not key.strip() or not sep or len(parts) not in (2, 3):
            raise ValueError
        low, high = float(parts[0]), float(parts[1])
        n = int(parts[2]) if len(parts) == 3 else None
    except ValueError:
        raise ScenarioError(f"--vary {text!r}: expected KEY=LOW:HIGH or KEY=LOW:HIGH:N, "
                            f"e.g. --vary budget.dx_share=0.02:0.08:4") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ScenarioError(f"--vary {text!r}: LOW and HIGH must be finite numbers")
    if n is not None and not 2 <= n <= 1000:
        raise ScenarioError(f"--vary {text!r}: N must be between 2 and 1000")
    return Vary(key.strip(), low, high, n)


def make_design(spec: Scenario, varies: list[Vary], kind: str = "grid", points: int | None = None,
                seed: int = 0) -> pd.DataFrame:
    """The design's points (one row each, one column per lever), checked against the schema."""
    if kind not in DESIGNS:
        raise ScenarioError(f"--design {kind}: expected one of {', '.join(DESIGNS)}")
    if not varies:
        raise ScenarioError("--vary: give at least one KEY=LOW:HIGH[:N]")
    keys = [v.key for v in varies]
    if len(set(keys)) != len(keys):
        raise ScenarioError("--vary: a key is given twice")
    for v in varies:
        check_lever(spec, v.key, v.low, v.high, option="--vary")
    lows, highs = np.array([v.low for v in varies]), np.array([v.high for v in varies])
    if kind == "grid":
        if points is not None:
            raise ScenarioError("--points: for --design lhs or sobol; a grid takes N per lever (KEY=LOW:HIGH:N)")
        axes = [np.linspace(v.low, v.high, v.n or GRID_DEFAULT) for v in varies]
        values = np.array(list(itertools.product(*axes)), dtype=np.float64)
    else:
        from scipy.stats import qmc

        n = POINTS_DEFAULT if points is None else points
        if not 1 <= n <= 100_000:
            raise ScenarioError(f"--points {n}: expected 1 to 100000")
        if kind == "lhs":
            unit = qmc.LatinHypercube(d=len(varies), seed=seed).random(n)
        else:
            if n & (n - 1):
                raise ScenarioError(f"--points {n}: a Sobol' design takes a power of 2 (e.g. {1 << n.bit_length()})")
            unit = qmc.Sobol(d=len(varies), scramble=True, seed=seed).random_base2(int(math.log2(n)))
        values = qmc.scale(unit, lows, highs)
    if len(values) > 100_000:
        raise ScenarioError(f"--vary: the grid has {len(values):,} points; at most 100,000")
    frame = pd.DataFrame(values, columns=keys)
    frame.index.name = "point"
    return frame


# ----------------------------------------------------------------------------- the store


class Store:
    """A sweep's Parquet folder (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @staticmethod
    def part(point: int, run: int) -> str:
        return f"p{point:06d}-r{run:06d}.parquet"

    def done(self) -> set[tuple[int, int]]:
        """The (point, run) pairs whose file is in the store."""
        out = set()
        for p in self.path.glob("p*-r*.parquet"):
            try:
                out.add((int(p.name[1:7]), int(p.name[9:15])))
            except ValueError:
                continue
        return out

    def begin(self, what: dict, design: pd.DataFrame) -> None:
        """Start a new sweep here, or check that the one here is the same (to resume it)."""
        file = self.path / SWEEP_FILE
        if file.exists():
            try:
                before = json.loads(file.read_text(encoding="utf-8"))
            except ValueError:
                before = None
            if not isinstance(before, dict) or before.get("fingerprint") != what["fingerprint"]:
                raise ScenarioError(f"--store {self.path}: holds a different sweep (another scenario, design, runs, "
                                    "seed or scale); choose another --store to keep it, or delete it")
            return
        if self.done():
            raise ScenarioError(f"--store {self.path}: holds runs but no {SWEEP_FILE}; choose another --store")
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / MARKER).touch()  # a citytwin output: a later command may write here
        _atomic(self.path / DESIGN_FILE, lambda tmp: design.to_parquet(tmp))
        _atomic(file, lambda tmp: tmp.write_text(json.dumps(what, indent=2, ensure_ascii=False), encoding="utf-8"))

    def write(self, point: int, run: int, frame: pd.DataFrame) -> None:
        _atomic(self.path / self.part(point, run), lambda tmp: frame.to_parquet(tmp, index=False))

    def read(self) -> pd.DataFrame:
        return pd.read_parquet(self.path)


def _atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Write a file under a hidden name, then rename it into place (whole or not at all)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(tmp)
    os.replace(tmp, path)


# ----------------------------------------------------------------------------- running


def _year_ends(job: tuple) -> tuple[int, int, int, np.ndarray, list[str], np.ndarray]:
    """One run of one point, in a worker: every indicator's value at the end of every year."""
    point, spec, run, scale, seed, threads = job
    result = run_one(spec, run, scale, seed, threads)
    years, values = year_ends(result)
    return point, run, result.seed, years, result.names, values


def _rows(point: int, run: int, seed: int, years: np.ndarray, names: list[str], values: np.ndarray,
          levers: dict[str, float]) -> pd.DataFrame:
    """The store's rows of one run: one per indicator and year."""
    k = len(names)
    frame = pd.DataFrame({
        "point": np.int32(point), "run": np.int32(run), "seed": np.int64(seed),
        "indicator": pd.Categorical(np.tile(names, len(years))),
        "year": np.repeat(years.astype(np.int16), k), "value": values.ravel()})
    for key, value in levers.items():
        frame[key] = value
    return frame


@dataclass
class SweepResult:
    design: pd.DataFrame
    reach: pd.DataFrame      # point, the levers, target, reached, runs, probability, low, high
    runs_done: int           # by this command (the rest were in the store already)
    runs_total: int
    wall_seconds: float
    workers: int
    executor: str


def record(spec: Scenario, design: pd.DataFrame, about: dict | None = None) -> dict:
    """What `_sweep.json` holds: the sweep asked for (and its fingerprint, which a resumed command must match)."""
    e = spec.ensemble
    return {"scenario": spec.name, "fingerprint": fingerprint(spec, design), "levers": list(design.columns),
            "points": len(design), "runs": e.runs, "seed": e.seed, "scale": e.scale} | (about or {})


def fingerprint(spec: Scenario, design: pd.DataFrame) -> str:
    """What makes two sweeps the same: the resolved scenario (with runs, seed and scale) and the design."""
    data = json.dumps(spec.model_dump(mode="json", exclude={"source_file"}), sort_keys=True)
    return hashlib.sha256((data + design.to_json()).encode()).hexdigest()


def run_sweep(spec: Scenario, design: pd.DataFrame, store: Store, targets: list[Target], workers: int = 1,
              executor: str = "processes", scheduler: str | None = None,
              progress: Callable[[int], None] | None = None, about: dict | None = None) -> SweepResult:
    """Start the sweep in the store (or check that the store holds this very sweep, to resume
    it; `about` adds to what `_sweep.json` records), run every (point, run) not yet there,
    writing each run as it finishes, then compute P(reach) per point and target from the whole
    store."""
    e = spec.ensemble
    store.begin(record(spec, design, about), design)
    done = store.done()
    todo = [(p, r) for p in range(len(design)) for r in range(e.runs) if (p, r) not in done]
    levers = design.to_dict(orient="index")
    t0 = time.perf_counter()
    with Runner(executor, min(workers, max(1, len(todo))), scheduler) as runner:
        specs: dict[int, Scenario] = {}

        def jobs():
            for p, r in todo:  # each point's scenario is built (and validated) once, when first needed
                if p not in specs:
                    specs.clear()
                    specs[p] = with_levers(spec, levers[p])
                yield p, specs[p], r, e.scale, e.seed, runner.threads

        for point, run, seed, years, names, values in runner.imap(_year_ends, jobs()):
            store.write(point, run, _rows(point, run, seed, years, names, values, levers[point]))
            if progress:
                progress(1)
        used = runner.executor
    wall = time.perf_counter() - t0
    return SweepResult(design=design, reach=reach_table(store.read(), design, targets, e.runs),
                       runs_done=len(todo), runs_total=len(design) * e.runs, wall_seconds=wall,
                       workers=min(workers, max(1, len(todo))), executor=used)


def reach_table(rows: pd.DataFrame, design: pd.DataFrame, targets: list[Target], runs: int) -> pd.DataFrame:
    """P(reach) per point and target from the store's rows (`sim.outcomes.reaches`)."""
    out = []
    for t in targets:
        part = rows[rows.indicator == t.indicator]
        table = part.pivot_table(index=["point", "run"], columns="year", values="value", observed=True)
        ok = pd.Series(reaches(t, table.columns.to_numpy(), table.to_numpy()), index=table.index)
        for point, hits in ok.groupby(level="point"):
            k, n = int(hits.sum()), int(hits.size)
            low, high = wilson(k, n)
            out.append({"point": int(point), **design.loc[point].to_dict(), "target": t.id, "reached": k, "runs": n,
                        "probability": k / n, "probability_low": low, "probability_high": high})
    return pd.DataFrame(out)
