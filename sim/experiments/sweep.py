"""Sweeps: the ensemble at every point of a design over levers, into a resumable Parquet store.

A design is a grid (N values per lever), a Latin hypercube or a scrambled Sobol' sequence
(`scipy.stats.qmc`, seeded) over the ranges given. Run r of every point uses seed
`run_seed(ensemble.seed, r)`, so points are compared on the same draws (common random numbers).

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
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sim.errors import ScenarioError
from sim.experiments.ensemble import run_one
from sim.experiments.execution import DEFAULT_EXECUTION, Execution, ExperimentResult
from sim.experiments.outcomes import reaches, wilson, year_ends
from sim.files import MARKER
from sim.inputs.scenario import check_lever, is_whole, with_levers
from sim.inputs.targets import Target
from sim.schema import Scenario

DESIGNS = ("grid", "lhs", "sobol")
GRID_DEFAULT = 5       # values per lever on a grid, when N is not given
POINTS_DEFAULT = 16    # points of a Latin hypercube or Sobol' design
MAX_POINTS = 100_000   # points of any design (each point is an ensemble)
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
        size = math.prod(v.n or GRID_DEFAULT for v in varies)  # counted before anything is built
        if size > MAX_POINTS:
            raise ScenarioError(f"--vary: the grid has {size:,} points; at most {MAX_POINTS:,} (fewer values per "
                                "lever, or --design lhs/sobol with --points)")
        axes = [np.linspace(v.low, v.high, v.n or GRID_DEFAULT) for v in varies]
        values = np.array(list(itertools.product(*axes)), dtype=np.float64)
    else:
        from scipy.stats import qmc

        n = POINTS_DEFAULT if points is None else points
        if not 1 <= n <= MAX_POINTS:
            raise ScenarioError(f"--points {n}: expected 1 to {MAX_POINTS}")
        if kind == "lhs":
            unit = qmc.LatinHypercube(d=len(varies), seed=seed).random(n)
        else:
            if n & (n - 1):
                raise ScenarioError(f"--points {n}: a Sobol' design takes a power of 2 (e.g. {1 << n.bit_length()})")
            unit = qmc.Sobol(d=len(varies), scramble=True, seed=seed).random_base2(int(math.log2(n)))
        values = qmc.scale(unit, lows, highs)
    for j, v in enumerate(varies):  # a whole-number key runs rounded: label the points with what runs
        if is_whole(spec, v.key):
            if kind == "grid" and not np.all(values[:, j] == np.round(values[:, j])):
                raise ScenarioError(f"--vary {v.key}={v.low:g}:{v.high:g}:{v.n or GRID_DEFAULT}: {v.key} is a whole "
                                    f"number; give N values that are whole (at most {int(v.high - v.low) + 1})")
            values[:, j] = np.round(values[:, j])
    frame = pd.DataFrame(values, columns=keys)
    frame.index.name = "point"
    return frame


# ----------------------------------------------------------------------------- the store


PART = re.compile(r"p([0-9]{6})-r([0-9]{6})\.parquet")
# What else a store may hold: its own files (pyarrow's reader skips a leading `_` or `.`).
OWN = {MARKER, DESIGN_FILE, SWEEP_FILE, REACH_FILE, "_figures"}


class Store:
    """A sweep's Parquet folder (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @staticmethod
    def part(point: int, run: int) -> str:
        return f"p{point:06d}-r{run:06d}.parquet"

    def _parts(self) -> dict[tuple[int, int], Path]:
        out = {}
        for p in self.path.iterdir() if self.path.is_dir() else ():
            found = PART.fullmatch(p.name)
            if found:
                out[(int(found.group(1)), int(found.group(2)))] = p
        return out

    def done(self) -> set[tuple[int, int]]:
        """The (point, run) pairs whose file is in the store."""
        return set(self._parts())

    def check(self, points: int, runs: int) -> list[str]:
        """Before a resumed sweep runs anything: refuse a file that is not the store's (pandas
        could no longer read the store whole), and repair damaged run files (truncated, not
        Parquet, another run's rows, or rows missing against the other runs): each is removed,
        so the run is made again, and named in the notes returned. Half-written hidden files
        of killed runs are removed too."""
        import pyarrow.parquet as pq

        notes: list[str] = []
        for p in sorted(self.path.iterdir()):
            if p.name in OWN or PART.fullmatch(p.name):
                continue
            if p.name.startswith(".") and p.name.endswith(".tmp") and p.is_file():
                p.unlink()  # a killed run's half-written file (written under a hidden name, never renamed)
                continue
            raise ScenarioError(f"--store {self.path}: {p.name} is not part of a sweep (pandas could not read the "
                                "store whole); move it out of the store")
        rows: dict[tuple[int, int], int] = {}
        for (point, run), p in sorted(self._parts().items()):
            why = None
            if point >= points or run >= runs:
                why = "a point or run outside this sweep's design"
            else:
                try:
                    meta = pq.read_metadata(p)
                    cols = {meta.schema.column(i).name: i for i in range(meta.num_columns)}
                    for key, want in (("point", point), ("run", run)):
                        stats = [meta.row_group(g).column(cols[key]).statistics for g in range(meta.num_row_groups)]
                        if not stats or any(st is None or st.min != want or st.max != want for st in stats):
                            why = f"its rows are not those of point {point}, run {run}"
                    if meta.num_rows == 0:
                        why = "no rows"
                    rows[(point, run)] = meta.num_rows
                except (OSError, ValueError, KeyError, IndexError) as exc:
                    why = f"unreadable ({type(exc).__name__})"
            if why:
                p.unlink()
                rows.pop((point, run), None)
                notes.append(f"{p.name} was damaged ({why}); its run is made again")
        if rows:  # every run records the same indicators and years: fewer rows is a damaged file
            usual = max(set(rows.values()), key=list(rows.values()).count)
            for (point, run), n in rows.items():
                if n != usual:
                    (self.path / self.part(point, run)).unlink()
                    notes.append(f"{self.part(point, run)} was damaged ({n} rows, the others {usual}); its run is "
                                 "made again")
        return notes

    def begin(self, what: dict, design: pd.DataFrame) -> list[str]:
        """Start a new sweep here, or check that the one here is the same (to resume it) and
        repair its damaged run files (`check`; the notes say which)."""
        file = self.path / SWEEP_FILE
        if file.exists():
            try:
                before = json.loads(file.read_text(encoding="utf-8")) if file.stat().st_size < 1_000_000 else None
            except (OSError, ValueError, RecursionError):
                before = None
            if not isinstance(before, dict) or before.get("fingerprint") != what["fingerprint"]:
                raise ScenarioError(f"--store {self.path}: holds a different sweep (another scenario, design, runs, "
                                    "seed or scale); choose another --store to keep it, or delete it")
            if not (self.path / DESIGN_FILE).is_file():
                _atomic(self.path / DESIGN_FILE, lambda tmp: design.to_parquet(tmp))
            return self.check(len(design), int(what["runs"]))
        if self.done():
            raise ScenarioError(f"--store {self.path}: holds runs but no {SWEEP_FILE}; choose another --store")
        self.path.mkdir(parents=True, exist_ok=True)
        # A citytwin output of the sweep kind: a later sweep may resume it, no other command replace it.
        (self.path / MARKER).write_text(json.dumps({"kind": "sweep"}) + "\n", encoding="utf-8")
        _atomic(self.path / DESIGN_FILE, lambda tmp: design.to_parquet(tmp))
        _atomic(file, lambda tmp: tmp.write_text(json.dumps(what, indent=2, ensure_ascii=False), encoding="utf-8"))
        return []

    def write(self, point: int, run: int, frame: pd.DataFrame) -> None:
        _atomic(self.path / self.part(point, run), lambda tmp: frame.to_parquet(tmp, index=False))

    def read(self) -> pd.DataFrame:
        """Every run's rows (the run files only: nothing else in the folder is read)."""
        import pyarrow.parquet as pq

        files = [str(p) for _, p in sorted(self._parts().items())]
        return pq.read_table(files).to_pandas() if files else pd.DataFrame()


def _atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Write a file under a hidden name, then rename it into place (whole or not at all)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    write(tmp)
    os.replace(tmp, path)


# ----------------------------------------------------------------------------- running


def _year_ends(job: tuple) -> tuple[int, int, int, NDArray[np.int64], list[str], NDArray[np.float64]]:
    """One run of one point, in a worker: every indicator's value at the end of every year."""
    point, spec, run, scale, seed, threads = job
    result = run_one(spec, run, scale, seed, threads)
    years, values = year_ends(result)
    return point, run, result.seed, years, result.names, values


def _rows(point: int, run: int, seed: int, years: NDArray[np.int64], names: list[str], values: NDArray[np.float64],
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
class SweepResult(ExperimentResult):
    design: pd.DataFrame
    reach: pd.DataFrame      # point, the levers, target, reached, runs, probability, low, high
    runs_done: int           # by this command (the rest were in the store already)
    runs_total: int


def record(spec: Scenario, design: pd.DataFrame, about: dict | None = None) -> dict:
    """What `_sweep.json` holds: the sweep asked for (and its fingerprint, which a resumed command must match)."""
    e = spec.ensemble
    return {"scenario": spec.name, "fingerprint": fingerprint(spec, design), "levers": list(design.columns),
            "points": len(design), "runs": e.runs, "seed": e.seed, "scale": e.scale} | (about or {})


def fingerprint(spec: Scenario, design: pd.DataFrame) -> str:
    """What makes two sweeps the same: the resolved scenario (with runs, seed and scale) and the design."""
    data = json.dumps(spec.model_dump(mode="json", exclude={"source_file"}), sort_keys=True)
    return hashlib.sha256((data + design.to_json()).encode()).hexdigest()


def run_sweep(spec: Scenario, design: pd.DataFrame, store: Store, targets: list[Target],
              execution: Execution = DEFAULT_EXECUTION, about: dict | None = None) -> SweepResult:
    """Start the sweep in the store (or check that the store holds this very sweep, to resume
    it; `about` adds to what `_sweep.json` records), run every (point, run) not yet there where
    `execution` says, writing each run as it finishes, then compute P(reach) per point and
    target from the whole store."""
    e = spec.ensemble
    store.begin(record(spec, design, about), design)  # repairs happen here, before the runs
    done = store.done()
    todo = [(p, r) for p in range(len(design)) for r in range(e.runs) if (p, r) not in done]
    levers = design.to_dict(orient="index")
    t0 = time.perf_counter()
    bar = execution.bar(f"{spec.name}: sweep", total=len(design) * e.runs, initial=len(done))
    with execution.runner(spec, max(1, len(todo))) as runner, bar:
        specs: dict[int, Scenario] = {}

        def jobs() -> Iterator[tuple[int, Scenario, int, float, int, int | None]]:
            for p, r in todo:  # each point's scenario is built (and validated) once, when first needed
                if p not in specs:
                    specs.clear()
                    specs[p] = with_levers(spec, levers[p])
                yield p, specs[p], r, e.scale, e.seed, runner.threads

        for point, run, seed, years, names, values in runner.imap(_year_ends, jobs()):
            store.write(point, run, _rows(point, run, seed, years, names, values, levers[point]))
            bar.update(1)
        used, workers = runner.executor, runner.workers
    wall = time.perf_counter() - t0
    return SweepResult(design=design, reach=reach_table(store.read(), design, targets, e.runs),
                       runs_done=len(todo), runs_total=len(design) * e.runs, wall_seconds=wall,
                       workers=workers, executor=used)


def reach_table(rows: pd.DataFrame, design: pd.DataFrame, targets: list[Target], runs: int) -> pd.DataFrame:
    """P(reach) per point and target from the store's rows (`sim.experiments.outcomes.reaches`), only if every
    point holds every run: a probability is never computed from fewer runs than the sweep says."""
    have = rows.groupby("point", observed=True)["run"].nunique() if len(rows) else pd.Series(dtype=int)
    short = [p for p in range(len(design)) if have.get(p, 0) != runs]
    if short:
        raise ScenarioError(f"the store holds {int(have.get(short[0], 0))} of {runs} runs of point {short[0]} "
                            f"({len(short)} points short); run the same command again to complete it")
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
