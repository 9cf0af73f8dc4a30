"""The verdict: for each target, how likely the ensemble says it is reached.

Status follows DESIGN §3.7: ON TRACK when P >= 0.8, OFF TRACK when P < 0.2,
AT RISK in between; goals the model does not represent are NOT MODELLED.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from sim.ensemble import EnsembleResult
from sim.targets import Target


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
    # The top uncertain factors behind the spread of the value (sim.sensitivity): from a
    # sensitivity analysis of the scenario, else by rank correlation over the ensemble's draws.
    drivers: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def status_of(probability: float) -> str:
    if probability >= 0.8:
        return "ON TRACK"
    if probability < 0.2:
        return "OFF TRACK"
    return "AT RISK"


def judge(target: Target, result: EnsembleResult) -> Verdict:
    base = dict(id=target.id, indicator=target.indicator, comparison=target.comparison,
                threshold=target.threshold, year=target.year, source=target.source, every_year=target.every_year)
    if not target.modelled:
        return Verdict(**base, probability=None, median=None, p5=None, p95=None, year_reached=None,
                       status="NOT MODELLED")
    table = result.year_end(target.indicator)  # runs x years
    holds = np.vectorize(target.holds)(table.to_numpy())
    col = list(table.columns).index(target.year)
    if target.every_year:
        # The floor must hold in its year and in every year after it.
        ok = holds[:, col:].all(axis=1)
    else:
        ok = holds[:, col]
    values = table[target.year].to_numpy()
    medians = table.median(axis=0)
    reached = [int(y) for y, v in medians.items() if target.holds(v)]
    if target.every_year:
        reached = [y for y in reached if all(target.holds(v) for yy, v in medians.items() if yy >= y)]
    probability = float(ok.mean())
    return Verdict(**base, probability=probability, median=float(np.median(values)),
                   p5=float(np.percentile(values, 5)), p95=float(np.percentile(values, 95)),
                   year_reached=reached[0] if reached else None, status=status_of(probability))


def verdicts(targets: list[Target], result: EnsembleResult) -> list[Verdict]:
    return [judge(t, result) for t in targets]


def _fmt(v: float | None, indicator: str) -> str:
    if v is None:
        return "-"
    return f"{v:.1%}" if abs(v) <= 1.5 and not indicator.endswith("_vnd") else f"{v:.3g}"


def verdict_table(items: list[Verdict]) -> str:
    """A plain-text table for the terminal (with a last column of drivers when any target has them)."""
    header: tuple[str, ...] = ("target", "year", "goal", "median [5-95%]", "P(reach)", "reached", "status")
    with_drivers = any(v.drivers for v in items)
    if with_drivers:
        header += ("drivers",)
    rows = []
    for v in items:
        when = f"{v.year}+" if v.every_year else str(v.year)
        band = ("-" if v.median is None else
                f"{_fmt(v.median, v.indicator)} [{_fmt(v.p5, v.indicator)}-{_fmt(v.p95, v.indicator)}]")
        prob = "-" if v.probability is None else f"{v.probability:.2f}"
        row = (v.indicator, when, f"{v.comparison} {_fmt(v.threshold, v.indicator)}", band, prob,
               str(v.year_reached or "-"), v.status)
        rows.append(row + ((", ".join(v.drivers) or "-",) if with_drivers else ()))
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(tuple("-" * w for w in widths))] + [line(r) for r in rows])

