"""Where and how an experiment's runs execute: one `Execution`, passed to every experiment.

An experiment (an ensemble, a goal seek, a sweep, discovery, sensitivity, calibration) says
what to run; its `Execution` says where (this process, local worker processes, a dask
cluster), on how many workers at most, and whether to show progress. Results never depend on
it: each run carries its own seed.

>>> Execution("inline").workers_for(runs=10, scenario_workers=None)
1
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tqdm import tqdm

from sim.experiments.runner import EXECUTORS, Runner, default_workers

if TYPE_CHECKING:
    from sim.schema import Scenario


@dataclass(frozen=True)
class Execution:
    """executor: `inline` (this process, every core to numba), `processes` (local workers, one
    numba thread each) or `dask` (the cluster at `scheduler`, else $CITYTWIN_DASK_SCHEDULER,
    else a local cluster); workers: at most this many runs at once (None: the scenario's
    `ensemble.workers`, else every core); progress: a progress bar on standard error."""

    executor: str = "processes"
    workers: int | None = None
    scheduler: str | None = None
    progress: bool = False

    def __post_init__(self) -> None:
        if self.executor not in EXECUTORS:
            raise ValueError(f"executor must be one of {EXECUTORS}")
        if self.workers is not None and self.workers < 1:
            raise ValueError("workers must be at least 1")

    def workers_for(self, runs: int, scenario_workers: int | None) -> int:
        """How many runs execute at once: the asked-for workers (else the scenario's, else every
        core), never more than the runs; one for the inline executor."""
        if self.executor == "inline":
            return 1
        return max(1, min(self.workers or scenario_workers or default_workers(), runs))

    def planned(self, spec: Scenario, runs: int | None = None) -> int:
        """`workers_for` a scenario's runs (by default its `ensemble.runs`)."""
        return self.workers_for(spec.ensemble.runs if runs is None else runs, spec.ensemble.workers)

    def runner(self, spec: Scenario, runs: int) -> Runner:
        """A `Runner` for `runs` runs of `spec` (open it with `with`)."""
        return Runner(self.executor, self.planned(spec, runs), self.scheduler)

    def bar(self, desc: str, total: int | None = None, initial: int = 0) -> tqdm:
        """A progress bar (shown only with `progress`)."""
        return tqdm(total=total, initial=initial, desc=desc, unit="run", disable=not self.progress, leave=False)


# Every experiment's default: local worker processes (the scenario's number, else every core), quiet.
DEFAULT_EXECUTION = Execution()


@dataclass(kw_only=True)
class ExperimentResult:
    """What every experiment's result ends with: where its runs executed, how long it took, and
    notes for the reader (`sim.outputs.report.experiment_manifest` writes them for every command)."""

    wall_seconds: float = 0.0
    workers: int = 1
    executor: str = "inline"
    notes: list[str] = field(default_factory=list)
