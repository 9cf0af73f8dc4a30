"""Goal seeking: the smallest value of a lever at which a target is reached with a required
probability, with the Monte Carlo uncertainty of that value.

The question is a quantile. With common random numbers, run r of the ensemble draws the same
assumptions and the same random paths at every lever value (its seed and named streams do not
depend on the lever), so it has its own *threshold* t_r: the smallest lever value at which it
reaches the target. P(reach | x) is the share of runs with t_r <= x, and the answer is the
k-th smallest threshold, k = ceil(p R) of R runs.

Search (a bisection on the lever that evaluates only the runs it needs): a run that reaches the
target at x is taken to reach it at any larger x, and one that fails at x to fail at any smaller
x (more money never hurts: tests/test_mechanisms.py). So at a candidate x only the runs whose
outcome is not yet implied are run; as the bracket narrows, few are. The answer is then checked
directly: every run is run at the value found, and the search goes on above it if the check
falls short (an outcome that did not follow the monotone rule counts as run, never as implied).

Interval: the test-inversion interval of the quantile, the lever values at which the data are
consistent with P(reach) = p: from the smallest x whose 95% Wilson interval of P still reaches p
(rank k_low) to the smallest x whose Wilson interval lies wholly at or above p (rank k_high).
Both are thresholds of the same runs, found by the same search. This is the distribution-free
confidence interval of a quantile (order statistics), with Wilson's score bounds for the ranks.

Outcomes are judged as the verdict judges them (`sim.experiments.outcomes`); a run stops at the end of the
last year the targets need (its outcome is identical to the full run's: tests/test_seek.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.errors import ScenarioError
from sim.experiments.execution import DEFAULT_EXECUTION, Execution, ExperimentResult
from sim.experiments.outcomes import horizon, reach_job, wilson
from sim.inputs.scenario import check_lever, with_levers
from sim.inputs.targets import Target
from sim.schema import Scenario, lookup

DEFAULT_LEVER = "budget.dx_share"
# assumption: from nothing to more than three times the Resolution 57 floor of 3% of spending
# (range of the default: any [low, high] may be given with --lever KEY=LOW:HIGH).
DEFAULT_RANGE = (0.0, 0.10)
STEPS = 7  # bisection halvings: the answer to within (high - low) / 128


@dataclass
class SeekResult(ExperimentResult):
    scenario: str
    lever: str
    low: float
    high: float
    target: str                   # a target id, or "all"
    targets: list[str]            # the ids the outcome requires (all of them, in one run)
    probability: float            # the probability required
    current: float                # the lever's value in the scenario
    runs: int
    seed: int
    scale: float
    reachable: bool
    value: float | None           # the smallest lever value found (None: out of reach)
    interval: tuple[float | None, float | None] | None  # None at an end: beyond the range
    probability_at_value: float | None      # measured directly: every run at `value`
    probability_at_value_interval: tuple[float, float] | None
    probability_at_high: float
    candidates: list[float]       # every lever value examined, ascending
    reached: list[int]            # runs reaching the target(s) at each candidate
    evaluated: list[int]          # runs actually run at each candidate (the rest were implied)
    evaluations: int              # runs done in all
    not_monotone: int             # runs found reaching at one value and failing at a larger one

    def as_json(self) -> dict:
        """What `seek.json` holds."""
        return {
            "scenario": self.scenario, "lever": self.lever, "range": [self.low, self.high],
            "scenario_value": self.current, "target": self.target, "targets": self.targets,
            "probability": self.probability,
            "reachable": self.reachable, "value": self.value,
            "interval": None if self.interval is None else list(self.interval),
            "probability_at_value": self.probability_at_value,
            "probability_at_value_interval": (None if self.probability_at_value_interval is None
                                              else list(self.probability_at_value_interval)),
            "probability_at_high": self.probability_at_high,
            "runs": self.runs, "seed": self.seed, "scale": self.scale, "evaluations": self.evaluations,
            "not_monotone": self.not_monotone, "notes": self.notes,
            "curve": [{"value": x, "reached": k, "runs": self.runs, "evaluated": e}
                      for x, k, e in zip(self.candidates, self.reached, self.evaluated)],
        }

    def summary(self) -> str:
        """The answer in one or two lines."""
        what = "every modelled target" if self.target == "all" else self.target
        if not self.reachable:
            return (f"{what}: out of reach within {self.lever} = {_fmt(self.low)}..{_fmt(self.high)}: at "
                    f"{_fmt(self.high)}, P(reach) = {self.probability_at_high:.2f} < {self.probability:g} "
                    f"({self.runs} runs).")
        assert self.value is not None and self.interval is not None and self.probability_at_value is not None
        lo, hi = self.interval
        upper = _fmt(hi) if hi is not None else f"above {_fmt(self.high)} (more runs would bound it)"
        p_lo, p_hi = self.probability_at_value_interval or (math.nan, math.nan)
        return (f"{what}: P(reach) >= {self.probability:g} from {self.lever} = {_fmt(self.value)}, 95% interval "
                f"{_fmt(lo) if lo is not None else _fmt(self.low)} to {upper} over {self.runs} runs; "
                f"at {_fmt(self.value)}, {round(self.probability_at_value * self.runs)} of {self.runs} runs reach it "
                f"(P = {self.probability_at_value:.2f} [{p_lo:.2f}-{p_hi:.2f}]).")


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def lever_range(spec: Scenario, lever: str, low: float | None, high: float | None) -> tuple[float, float]:
    """The range searched (the default lever's default range when none is given), checked
    (`sim.inputs.scenario.check_lever`)."""
    if low is None or high is None:
        if lever != DEFAULT_LEVER:
            raise ScenarioError(f"--lever {lever}: give the range to search, e.g. --lever {lever}=LOW:HIGH")
        low, high = DEFAULT_RANGE
    check_lever(spec, lever, low, high)
    return float(low), float(high)


def parse_lever(text: str) -> tuple[str, float | None, float | None]:
    """`KEY` or `KEY=LOW:HIGH`.

    >>> parse_lever("budget.dx_share=0.01:0.08")
    ('budget.dx_share', 0.01, 0.08)
    """
    key, sep, rest = text.partition("=")
    if not key.strip():
        raise ScenarioError(f"--lever {text!r}: expected KEY=LOW:HIGH, e.g. --lever budget.dx_share=0.02:0.08")
    if not sep:
        return key.strip(), None, None
    try:
        low_s, high_s = rest.split(":")
        low, high = float(low_s), float(high_s)
    except ValueError:
        raise ScenarioError(f"--lever {text!r}: expected KEY=LOW:HIGH with two numbers, "
                            f"e.g. --lever budget.dx_share=0.02:0.08") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ScenarioError(f"--lever {text!r}: LOW and HIGH must be finite numbers")
    return key.strip(), low, high


def ranks(runs: int, probability: float) -> tuple[int, int, int]:
    """How many of `runs` must reach the target: at the answer (ceil(p R)) and at the ends of its
    interval (the fewest successes whose Wilson interval still reaches p; the fewest whose Wilson
    interval lies wholly at or above p, capped at R).

    >>> ranks(60, 0.8)
    (48, 42, 55)
    """
    k = math.ceil(probability * runs - 1e-9)
    k_low = min(k, next((s for s in range(runs + 1) if wilson(s, runs)[1] >= probability - 1e-12), k))
    k_high = next((s for s in range(runs + 1) if wilson(s, runs)[0] >= probability - 1e-12), runs + 1)
    return k, k_low, k_high


class Outcomes:
    """What is known of each run at each lever value: run (True/False), or implied by the
    monotone rule from its runs at other values."""

    def __init__(self, runs: int) -> None:
        self.runs = runs
        self.direct: dict[float, NDArray[np.int8]] = {}  # value -> int8 per run: -1 not run, 0 fails, 1 reaches

    def at(self, x: float) -> NDArray[np.int8]:
        """Per run: 1 reaches, 0 fails, -1 unknown (not run at x, and not implied without conflict)."""
        out = self.direct.get(x, np.full(self.runs, -1, np.int8)).copy()
        up = np.zeros(self.runs, bool)    # reaches at some value <= x
        down = np.zeros(self.runs, bool)  # fails at some value >= x
        for v, known in self.direct.items():
            if v <= x:
                up |= known == 1
            if v >= x:
                down |= known == 0
        free = out == -1
        out[free & up & ~down] = 1
        out[free & down & ~up] = 0
        return out

    def record(self, x: float, run: int, reached: bool) -> None:
        self.direct.setdefault(x, np.full(self.runs, -1, np.int8))[run] = int(reached)

    def not_monotone(self) -> int:
        """Runs that reached at some value and failed at a larger one."""
        bad = 0
        values = sorted(self.direct)
        for r in range(self.runs):
            seen = [self.direct[v][r] for v in values if self.direct[v][r] >= 0]
            bad += any(a == 1 and b == 0 for i, a in enumerate(seen) for b in seen[i + 1:])
        return bad


def _smallest(evaluate: Callable[[float], NDArray[np.int8]], rank: int, lo: float, hi: float,
              span: tuple[float, float], integer: bool) -> float:
    """The smallest candidate with at least `rank` runs reaching, by bisection in (lo, hi]: hi is
    known to have them, lo to have fewer (or lo is the range's low end `span[0]`, not run);
    `evaluate(x)` gives every run's outcome at x (-1 unknown, 0 fails, 1 reaches)."""
    low, high = span
    for _ in range(STEPS + 2):
        if hi - lo <= (high - low) / 2 ** STEPS or (integer and hi - lo <= 1):
            break
        mid = (lo + hi) / 2
        mid = float(round(mid)) if integer else mid
        if mid in (lo, hi):
            break
        if (evaluate(mid) == 1).sum() >= rank:
            hi = mid
        else:
            lo = mid
    # The end of the range itself, when the bracket reached it.
    if lo == low and (evaluate(low) == 1).sum() >= rank:
        return low
    return hi


def seek(spec: Scenario, targets: list[Target], target: str, lever: str = DEFAULT_LEVER,
         low: float | None = None, high: float | None = None, probability: float = 0.8,
         execution: Execution = DEFAULT_EXECUTION) -> SeekResult:
    """The smallest value of `lever` in [low, high] at which the runs of the ensemble
    (`ensemble.runs`, seeds from `ensemble.seed`, with their drawn assumptions) reach the
    targets with probability >= `probability`; see the module docstring. Runs execute where
    `execution` says."""
    if not 0.0 < probability <= 1.0:
        raise ScenarioError(f"--probability {probability:g}: expected a number in (0, 1]")
    low, high = lever_range(spec, lever, low, high)
    integer = isinstance(lookup(spec.model_dump(), lever), int)
    spec = horizon(spec, targets)
    runs, seed, scale = spec.ensemble.runs, spec.ensemble.seed, spec.ensemble.scale
    k, k_low, k_high = ranks(runs, probability)
    known = Outcomes(runs)
    t0 = time.perf_counter()

    bar = execution.bar(f"{spec.name}: seek")
    with execution.runner(spec, runs) as runner, bar:
        def evaluate(x: float, which: NDArray[np.int64] | None = None) -> NDArray[np.int8]:
            """Run the unknown runs (or those in `which`) at x; the outcomes at x, all known."""
            todo = np.flatnonzero(known.at(x) == -1) if which is None else which
            if len(todo):
                at_x = with_levers(spec, {lever: x})
                jobs = [(x, at_x, int(r), scale, seed, runner.threads, targets) for r in todo]
                for xv, r, ok in runner.imap(reach_job, jobs):
                    known.record(xv, r, ok)
                    bar.update(1)
            return known.at(x)

        def smallest(rank: int, lo: float, hi: float) -> float:
            return _smallest(evaluate, rank, lo, hi, (low, high), integer)

        at_high = evaluate(high)
        p_high = float((at_high == 1).mean())
        value = interval = p_value = p_band = None
        reachable = int((at_high == 1).sum()) >= k
        if reachable:
            value = smallest(k, low, high)
            # Check the answer directly: every run at `value` (none implied); go on above it if short.
            while True:
                direct = evaluate(value, np.flatnonzero(known.direct.get(value, np.full(runs, -1)) == -1))
                if (direct == 1).sum() >= k or value >= high:
                    break
                above = min(v for v in known.direct if v > value)
                value = smallest(k, value, above)
            hits = int((known.direct[value] == 1).sum())
            p_value, p_band = hits / runs, wilson(hits, runs)
            lower = smallest(k_low, low, value) if k_low <= k else value
            if (known.at(value) == 1).sum() >= k_high:
                upper: float | None = value
            else:
                upper = smallest(k_high, value, high) if k_high <= int((at_high == 1).sum()) else None
            interval = (lower, upper)
        executor_used, workers = runner.executor, runner.workers

    candidates = sorted(known.direct)
    notes = []
    if known.not_monotone():
        notes.append(f"{known.not_monotone()} of {runs} runs reached the target at one value and failed at a "
                     f"larger one (their outcomes were run, not implied)")
    return SeekResult(
        scenario=spec.name, lever=lever, low=low, high=high, target=target, targets=[t.id for t in targets],
        probability=probability, current=float(spec.number_at(lever) or 0.0), runs=runs, seed=seed, scale=scale,
        reachable=reachable, value=value,
        interval=interval, probability_at_value=p_value, probability_at_value_interval=p_band,
        probability_at_high=p_high, candidates=candidates,
        reached=[int((known.at(x) == 1).sum()) for x in candidates],
        evaluated=[int((known.direct[x] >= 0).sum()) for x in candidates],
        evaluations=int(sum((known.direct[x] >= 0).sum() for x in candidates)),
        not_monotone=known.not_monotone(), wall_seconds=time.perf_counter() - t0,
        workers=workers, executor=executor_used, notes=notes)
