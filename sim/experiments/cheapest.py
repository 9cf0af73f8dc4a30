"""The cheapest way to a goal: the budget share and its split among the DX programmes that reach
the target(s) with the required probability for the least money, and the trade-off between cost
and probability.

Each trial sets `budget.dx_share` (the cost: that share of the province's yearly spending) and a
weight per DX programme (`budget.allocation.*`, divided by their sum: `sim.inputs.scenario.with_levers`),
and runs the ensemble's runs on them, the same runs in every trial (common random numbers): its
P(reach) is the share of runs reaching the target(s), judged as the verdict judges them. Optuna's
multi-objective TPE sampler (seeded: the same command finds the same trials) proposes the trials,
minimising cost and maximising P(reach); the answer is the cheapest trial whose P(reach) reaches
the required probability, the trade-off its Pareto front. The scenario's own split is always
tried at the answer's share, so the saving from re-splitting is measured, not assumed.

The cheapest of many noisy trials is optimistic (the winner's curse: a trial can clear the bar by
luck of its runs), so the answer is run again on as many fresh runs (the next seeds), and that
confirmation's P(reach), with its interval, is reported beside it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd

from sim.experiments.execution import DEFAULT_EXECUTION, Execution, ExperimentResult
from sim.experiments.outcomes import horizon, reach_job, wilson
from sim.inputs.scenario import check_lever, with_levers
from sim.inputs.targets import Target
from sim.schema import DX_PROGRAMMES, Scenario

SHARE = "budget.dx_share"
WEIGHT_LOW = 0.02  # assumption: every programme keeps at least a token weight (range 0-0.05), so a split stays a split
TRIALS = 40


@dataclass
class CostResult(ExperimentResult):
    scenario: str
    target: str
    probability: float
    runs: int
    spending_vnd: float            # the province's yearly spending: cost = share x spending
    trials: pd.DataFrame           # one row per trial: share, the split, cost, reached, P and its interval, front
    best: int | None               # the cheapest trial reaching the probability (None: none did)
    own_split: int | None          # the scenario's own split at the best trial's share
    confirmed: int | None = None   # runs reaching the target(s) at the answer, of `runs` fresh ones

    def summary(self) -> str:
        what = "every modelled target" if self.target == "all" else self.target
        if self.best is None:
            top = self.trials.loc[self.trials.probability.idxmax()]
            return (f"{what}: no split tried reaches P >= {self.probability:g} ({len(self.trials)} trials); the "
                    f"best, P = {top.probability:.2f}, costs {top.cost_vnd / 1e9:,.0f} bn VND a year "
                    f"(dx_share {top[SHARE]:.4g}).")
        b = self.trials.loc[self.best]
        split = ", ".join(f"{p} {b[f'budget.allocation.{p}']:.0%}" for p in DX_PROGRAMMES)
        text = (f"{what}: cheapest with P >= {self.probability:g}: dx_share {b[SHARE]:.4g} = "
                f"{b.cost_vnd / 1e9:,.0f} bn VND a year, split {split}; P = {b.probability:.2f} "
                f"[{b.probability_low:.2f}-{b.probability_high:.2f}] over {self.runs} runs.")
        if self.confirmed is not None:
            lo, hi = wilson(self.confirmed, self.runs)
            text += (f" On {self.runs} fresh runs: P = {self.confirmed / self.runs:.2f} [{lo:.2f}-{hi:.2f}]"
                     + (" (below the bar: the answer is optimistic; give more --runs)"
                        if self.confirmed / self.runs < self.probability - 1e-12 else "") + ".")
        if self.own_split is not None:
            own = self.trials.loc[self.own_split]
            text += f" The scenario's own split at the same share: P = {own.probability:.2f}."
        return text


def cheapest(spec: Scenario, targets: list[Target], target: str, probability: float = 0.8,
             low: float = 0.0, high: float = 0.1, trials: int = TRIALS,
             execution: Execution = DEFAULT_EXECUTION) -> CostResult:
    """Search dx_share in [low, high] and the DX programmes' split (module docstring); runs
    execute where `execution` says."""
    import optuna

    check_lever(spec, SHARE, low, high)
    spec = horizon(spec, targets)
    e = spec.ensemble
    keys = {f"budget.allocation.{p}": p for p in DX_PROGRAMMES}  # lever key -> programme
    rows: list[dict] = []
    t0 = time.perf_counter()
    # The trials, the scenario's own split at the answer, the confirmation.
    bar = execution.bar(f"{spec.name}: cheapest", total=e.runs * (trials + 2))
    with execution.runner(spec, e.runs) as runner, bar:

        def reached(point: dict[str, float], first: int = 0) -> tuple[int, Scenario]:
            """Runs first..first + R - 1 at the point: how many reach the target(s); the scenario there."""
            at = with_levers(spec, point)
            jobs = [(point[SHARE], at, r, e.scale, e.seed, runner.threads, targets)
                    for r in range(first, first + e.runs)]
            hits = 0
            for _, _, ok in runner.imap(reach_job, jobs):
                hits += ok
                bar.update(1)
            return hits, at

        def measure(point: dict[str, float]) -> float:
            hits, at = reached(point)
            low_p, high_p = wilson(hits, e.runs)
            split = at.budget.allocation
            rows.append({SHARE: point[SHARE], **{k: split[p] for k, p in keys.items()},
                         "cost_vnd": point[SHARE] * spec.budget.spending_vnd.value, "reached": hits,
                         "probability": hits / e.runs, "probability_low": low_p, "probability_high": high_p})
            return hits / e.runs

        stopped: list[KeyboardInterrupt] = []

        def objective(trial: optuna.Trial) -> tuple[float, float]:
            point = {SHARE: trial.suggest_float(SHARE, low, high)}
            point |= {k: trial.suggest_float(k, WEIGHT_LOW, 1.0) for k in keys}
            try:
                p = measure(point)
            except KeyboardInterrupt as interrupt:
                # Optuna logs an objective's KeyboardInterrupt as a failed trial with its traceback
                # before raising it again: end the study quietly instead and raise it after.
                stopped.append(interrupt)
                trial.study.stop()
                raise optuna.TrialPruned() from None
            return point[SHARE], p

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler = optuna.samplers.TPESampler(seed=e.seed % 2**32, multivariate=True)
        study = optuna.create_study(directions=["minimize", "maximize"], sampler=sampler)
        # Start from the scenario as it is: its share and split.
        study.enqueue_trial({SHARE: min(max(spec.budget.dx_share, low), high)}
                            | {k: max(spec.budget.allocation[p], WEIGHT_LOW) for k, p in keys.items()})
        study.optimize(objective, n_trials=trials)
        if stopped:
            raise stopped[0]
        table = pd.DataFrame(rows)
        front = {t.number for t in study.best_trials}
        table["pareto_front"] = [i in front for i in range(len(table))]
        ok = table[table.probability >= probability - 1e-12]
        best = int(ok.cost_vnd.idxmin()) if len(ok) else None
        own = confirmed = None
        if best is not None:
            answer = {SHARE: float(table.loc[best, SHARE])} | {k: float(table.loc[best, k]) for k in keys}
            confirmed = reached(answer, first=e.runs)[0]
            # The scenario's own split at the answer's share: what re-splitting saves.
            measure({SHARE: float(table.loc[best, SHARE])}
                    | {k: spec.budget.allocation[p] for k, p in keys.items()})
            own = len(rows) - 1
            table = pd.DataFrame(rows).assign(pareto_front=list(table.pareto_front) + [False])
        used, workers = runner.executor, runner.workers
    table.index.name = "trial"
    return CostResult(scenario=spec.name, target=target, probability=probability, runs=e.runs,
                      spending_vnd=spec.budget.spending_vnd.value, trials=table, best=best, own_split=own,
                      confirmed=confirmed,
                      wall_seconds=time.perf_counter() - t0, workers=workers, executor=used)


def frontier(table: pd.DataFrame) -> pd.DataFrame:
    """The Pareto front (cheaper or likelier than every other trial), by cost."""
    return table[table.pareto_front].sort_values("cost_vnd")

