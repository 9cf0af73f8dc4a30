"""The verdict: for each target, how likely the ensemble says it is reached, and how sure that is.

P(reach) is the share of runs that reach the target; its Monte Carlo error is the 95% Wilson
score interval over runs (`wilson`). Status follows DESIGN §3.7, called only when the interval
lies on one side of the 0.2 and 0.8 lines: ON TRACK when it lies at or above 0.8, OFF TRACK
below 0.2, AT RISK between; otherwise UNDECIDED, with about how many runs would decide it at
the observed share (`runs_to_decide`). Goals the model does not represent are NOT MODELLED.
A target on a share the plan itself sets (the Resolution 57 floor) is decided by the plan, not
estimated from runs: when it is the same in every run, P(reach) is 0 or 1 exactly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.experiments.ensemble import RunTable
from sim.experiments.outcomes import reaches, wilson
from sim.inputs.targets import Target
from sim.labels import definition, label
from sim.parameter_labels import parameter_label, parameter_labels
from sim.schema import PERCENT_INDICATORS

LINES = (0.2, 0.8)
# The Resolution 57 floor: money counts towards it whether or not the model represents its effect.
FLOOR = "dx_budget_share"
# Indicators the plan sets rather than the runs produce (no drawn assumption moves them).
SET_BY_THE_PLAN = frozenset({FLOOR})


@dataclass
class Verdict:
    id: str
    indicator: str
    comparison: str
    threshold: float
    year: int
    probability: float | None
    median: float | None
    p5: float | None
    p95: float | None
    year_reached: int | None
    status: str
    source: str
    every_year: bool = False
    probability_low: float | None = None    # 95% Wilson interval of P(reach) over runs
    probability_high: float | None = None
    runs: int | None = None                 # runs the probability is over
    # The top uncertain factors behind the spread of the value (sim.experiments.sensitivity): from a
    # sensitivity analysis of the scenario, else by rank correlation over the ensemble's draws.
    drivers: list[str] = field(default_factory=list)
    # What the indicator measures (`sim.schema.INDICATORS`): the goal as the model reads it.
    definition: str = ""
    # The indicator's name as a planner reads it (`sim.labels`), shown in place of the id.
    label: str = ""
    # Beside the floor: money spent by the end of the horizon (median, VND) and the part of it
    # whose effect the model does not represent ("spent, effect not modelled").
    spent_vnd: float | None = None
    spent_effect_not_modelled_vnd: float | None = None
    horizon_year: int | None = None
    # Where the indicator's starting value comes from (sim.inputs.provenance.BASES): a provincial
    # figure, a small-area estimate, a national default, ...
    start_basis: str | None = None

    def as_dict(self) -> dict:
        """The verdict as verdict.json writes it: every field, and the drivers' labels beside their keys."""
        return asdict(self) | {"driver_labels": parameter_labels(self.drivers)}


def _side(low: float, high: float) -> str | None:
    """The status the interval supports, or None when it straddles a line."""
    if low >= LINES[1]:
        return "ON TRACK"
    if high < LINES[0]:
        return "OFF TRACK"
    if low >= LINES[0] and high < LINES[1]:
        return "AT RISK"
    return None


def runs_to_decide(p: float, n: int, limit: int = 100_000) -> int | None:
    """About how many runs would put the Wilson interval on one side of the lines, if the share
    of runs reaching the target stayed p (None: p sits on a line, no number of runs decides it).

    >>> runs_to_decide(0.05, 20)
    25
    """
    m = n
    while m <= limit:
        if _side(*wilson(round(p * m), m)) is not None:
            return m
        m = m + 1 if m < 2000 else int(m * 1.05)  # exact where it matters, then in 5% steps
    return None


def status_of(successes: int, n: int) -> str:
    """Status from the interval (see the module docstring).

    >>> status_of(0, 20), status_of(20, 20), status_of(1, 20)
    ('OFF TRACK', 'ON TRACK', 'UNDECIDED (about 25 runs would decide)')
    """
    side = _side(*wilson(successes, n))
    if side is not None:
        return side
    more = runs_to_decide(successes / n, n)
    return ("UNDECIDED (P(reach) sits on a status line)" if more is None
            else f"UNDECIDED (about {more} runs would decide)")


def judge(target: Target, result: RunTable) -> Verdict:
    base: dict[str, Any] = dict(id=target.id, indicator=target.indicator, comparison=target.comparison,
                                threshold=target.threshold, year=target.year, source=target.source,
                                every_year=target.every_year, definition=definition(target.indicator),
                                label=label(target.indicator))
    if not target.modelled:
        return Verdict(**base, probability=None, median=None, p5=None, p95=None, year_reached=None,
                       status="NOT MODELLED")
    table = result.year_end(target.indicator)  # runs x years
    ok = reaches(target, table.columns.to_numpy(), table.to_numpy())
    values = table[target.year].to_numpy()
    medians = [(int(str(y)), float(v)) for y, v in table.median(axis=0).items()]
    reached = [y for y, v in medians if target.holds(v)]
    if target.every_year:
        reached = [y for y in reached if all(target.holds(v) for yy, v in medians if yy >= y)]
    probability = float(ok.mean())
    low, high = wilson(int(ok.sum()), len(ok))
    status = status_of(int(ok.sum()), len(ok))
    if target.indicator in SET_BY_THE_PLAN and _alike(table.to_numpy()):
        # The plan decides it: every run meets it or none does, and more runs would change nothing.
        low = high = probability
        status = "ON TRACK" if probability == 1.0 else "OFF TRACK"
    if target.indicator == FLOOR:
        base |= _beside_the_floor(result)
    return Verdict(**base, probability=probability, median=float(np.median(values)),
                   p5=float(np.percentile(values, 5)), p95=float(np.percentile(values, 95)),
                   year_reached=reached[0] if reached else None, status=status,
                   probability_low=low, probability_high=high, runs=len(ok))


def _alike(values: NDArray[np.float64]) -> bool:
    """Whether every run (row) has the same path, to rounding."""
    return bool(np.all(np.abs(values - values[:1]) <= 1e-12 * max(1.0, float(np.abs(values).max(initial=0.0)))))


def _beside_the_floor(result: RunTable) -> dict[str, Any]:
    """What the money counted towards the floor bought nothing the model represents, by the end
    of the horizon (medians over runs)."""
    spent = result.year_end("dx_spent_vnd")
    last = int(spent.columns.max())
    unmodelled = result.year_end("dx_spent_unmodelled_vnd")[last]
    return dict(spent_vnd=float(np.median(spent[last])), spent_effect_not_modelled_vnd=float(np.median(unmodelled)),
                horizon_year=last)


def verdicts(targets: list[Target], result: RunTable) -> list[Verdict]:
    return [judge(t, result) for t in targets]


def format_value(v: float | None, indicator: str) -> str:
    """A value as a planner reads it: shares and growth rates in per cent, anything else (days,
    ranks, counts, money, the 1 of an achieved goal) as a number."""
    if v is None:
        return "-"
    if indicator.endswith("_rank"):
        return f"{v:.0f}"  # a band's end interpolated between two ranks reads as the nearer rank
    if indicator.endswith("_vnd"):
        return f"VND {v / 1e9:,.0f} bn"  # budgets are planned in billions of dong
    if indicator in PERCENT_INDICATORS:
        return f"{v:.1%}"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.3g}"  # a count in full, not 1.2e+04



def with_start_basis(items: list[Verdict], starting: list[dict]) -> list[Verdict]:
    """Each verdict told where its indicator's starting value comes from (`starting`:
    `sim.inputs.provenance.starting_values`)."""
    from sim.inputs.provenance import INDICATOR_START

    by_key = {i["key"]: i["basis"] for i in starting}
    for v in items:
        v.start_basis = by_key.get(INDICATOR_START.get(v.indicator, ""))
    return items


def verdict_table(items: list[Verdict], starting: str | None = None) -> str:
    """A plain-text table for the terminal (with a last column of drivers when any target has
    them), then what each modelled indicator measures: the goal as the model reads it."""
    header: tuple[str, ...] = ("target", "year", "goal", "median [5-95%]", "P(reach) [95%]", "reached", "status")
    with_drivers = any(v.drivers for v in items)
    if with_drivers:
        header += ("drivers",)
    rows = []
    for v in items:
        when = f"{v.year}+" if v.every_year else str(v.year)
        median, p5, p95 = (format_value(x, v.indicator) for x in (v.median, v.p5, v.p95))
        band = "-" if v.median is None else f"{median} [{p5}-{p95}]"
        prob = "-" if v.probability is None else \
            f"{v.probability:.2f} [{v.probability_low:.2f}-{v.probability_high:.2f}]"
        row = (v.label or v.indicator, when, f"{v.comparison} {format_value(v.threshold, v.indicator)}", band, prob,
               str(v.year_reached or "-"), v.status)
        rows.append(row + (("; ".join(parameter_labels(v.drivers)) or "-",) if with_drivers else ()))
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    table = [line(header), line(tuple("-" * w for w in widths))] + [line(r) for r in rows]
    defined = {f"{v.label or v.indicator} ({v.indicator})": v.definition for v in items
               if v.definition and v.status != "NOT MODELLED"}
    for v in items:
        if v.spent_vnd and v.spent_effect_not_modelled_vnd is not None:
            table += ["", f"{v.label or v.indicator}: of VND {v.spent_vnd / 1e9:,.0f} bn spent by {v.horizon_year} "
                          "(median), "
                          f"VND {v.spent_effect_not_modelled_vnd / 1e9:,.0f} bn "
                          f"({v.spent_effect_not_modelled_vnd / v.spent_vnd:.0%}) is spent, effect not modelled "
                          "(science and technology beyond the Resolution 57 tasks)"]
            break
    if defined:
        table += ["", "where"] + [f"  {name}: {what}" for name, what in defined.items()]
    keys = list(dict.fromkeys(k for v in items for k in v.drivers))
    if keys:  # what --set, sensitivity and the scenario files call each driver
        table += ["", "drivers, as the scenario names them"] + [f"  {parameter_label(k)}: {k}" for k in keys]
    if starting:
        table += ["", starting]
    return "\n".join(table)

