"""What a pilot showed: the paired counterfactual of commune-limited policies.

Comparing pilot communes with the rest measures the kind of place (a central ward against
mountain communes), not the pilot. Instead the ensemble is run a second time without the
pilot policies (`without_pilots`), with the same seeds, the same run seeds and the same
assumption draws (`sim.experiments.ensemble.run_one`: run r's seed is a hash of (seed, r), and
its draws depend only on that seed and each assumption's key; the world on the base seed). Every random stream is
named per component (`CityModel.stream`, one per programme), so the two arms share every
draw the pilot does not touch, and a pilot without money is an exact no-op.

The effect, per run r, year y and commune indicator, is a paired difference-in-differences
of the population-weighted mean over a group of communes:

    effect(r, y) = [with(r, y) - without(r, y)] - [with(r, y0) - without(r, y0)]

y0 is the last recorded year before the first pilot starts; with no such year both arms
start from one world (same seed, the pilots not yet active), so the start difference is 0.
The groups are the pilot communes and their neighbours outside the pilot (spillover:
`sim.world.adjacency`). Reported per indicator and year: the median over runs and the 5th-95th
percentiles of the per-run effects, with the two arms' medians beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sim.experiments.ensemble import paired
from sim.names import COMMUNE_INDICATORS
from sim.schema import PolicySpec, Scenario
from sim.world.adjacency import neighbours
from sim.world.geography import Geography

if TYPE_CHECKING:
    from pandas.core.groupby import SeriesGroupBy

    from sim.experiments.ensemble import EnsembleResult

GROUPS = ("pilot", "neighbours")
COLUMNS = ["group", "indicator", "year", "effect_median", "effect_p5", "effect_p95", "with_median",
           "without_median", "communes", "people"]
# Indicators measured in days, not shares: reported as days, never chosen to lead the line.
DAYS = ("backoffice_wait_days",)


def pilot_policies(spec: Scenario) -> list[PolicySpec]:
    """The commune-limited policies (pilots)."""
    return [p for p in spec.policies if p.communes]


def has_pilots(spec: Scenario) -> bool:
    return bool(pilot_policies(spec))


def without_pilots(spec: Scenario) -> Scenario:
    """The counterfactual: the scenario with its pilot policies dropped, validated like any
    other; province-wide policies stay."""
    data = spec.model_dump()
    data["policies"] = [p for p in data["policies"] if not p["communes"]]
    return Scenario.model_validate(data)


def pilot_indices(spec: Scenario, geo: Geography) -> NDArray[np.int64]:
    """Sorted indices of the communes any pilot policy names."""
    found = [geo.lookup(p.communes, spec.source_file, f"policies.{i}.communes")
             for i, p in enumerate(spec.policies) if p.communes]
    return np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)


def pilot_year(spec: Scenario) -> int:
    """The year a pilot is judged: the end of the last pilot, within the horizon."""
    return min(max((int(p.end[:4]) for p in pilot_policies(spec)), default=spec.time.end_year),
               spec.time.end_year)


def baseline_year(spec: Scenario, years: NDArray[np.int64]) -> int | None:
    """The last recorded year before the first pilot starts, or None if the first record is
    already after the start (the start difference is then 0 by construction)."""
    start = min(int(p.start[:4]) for p in pilot_policies(spec))
    before = [int(y) for y in years if y < start]
    return max(before) if before else None


def check_paired(with_: EnsembleResult, without: EnsembleResult) -> None:
    """The two arms must be the same runs: same seeds and the same assumption draws."""
    if not paired(with_, without):
        raise ValueError("the pilot and its counterfactual are not paired (different runs, seeds or draws)")


def _group_means(communes: pd.DataFrame, idx: NDArray[np.int64], geo: Geography) -> pd.DataFrame:
    """Population-weighted mean of every commune indicator over the communes `idx`, per run and year."""
    weight = pd.Series(geo.population[idx], index=geo.codes[idx].astype(np.int64))
    df = communes[communes.code.isin(weight.index)]
    w = df.code.map(weight)
    keys = [df.run, df.year]
    num = df[list(COMMUNE_INDICATORS)].mul(w, axis=0).groupby(keys).sum()
    return num.div(w.groupby(keys).sum(), axis=0)


def _by_year(table: pd.DataFrame) -> SeriesGroupBy:
    """A (run, year) x indicator table grouped by indicator and year, over runs."""
    return table.stack().rename_axis(["run", "year", "indicator"]).groupby(["indicator", "year"])


def pilot_effects(spec: Scenario, geo: Geography, with_: EnsembleResult, without: EnsembleResult) -> pd.DataFrame:
    """pilot.csv: per group, indicator and year the effect's median and 90% interval over runs
    and the two arms' medians (long form, `COLUMNS`)."""
    check_paired(with_, without)
    pilot = pilot_indices(spec, geo)
    groups = {"pilot": pilot, "neighbours": neighbours(geo, pilot)}
    y0 = baseline_year(spec, np.unique(with_.communes.year))
    frames = []
    for group, idx in groups.items():
        if len(idx) == 0:
            continue  # a pilot that covers the province has no neighbours
        w, wo = _group_means(with_.communes, idx, geo), _group_means(without.communes, idx, geo)
        diff = w - wo
        if y0 is not None:
            diff = diff - diff.xs(y0, level="year").reindex(diff.index, level="run")
        stats = _by_year(diff).agg(effect_median="median",
                                  effect_p5=lambda v: np.percentile(v, 5),
                                  effect_p95=lambda v: np.percentile(v, 95))
        stats["with_median"] = _by_year(w).median()
        stats["without_median"] = _by_year(wo).median()
        stats = stats.reset_index()
        stats.insert(0, "group", group)
        stats["communes"] = len(idx)
        stats["people"] = round(float(geo.population[idx].sum()))
        frames.append(stats)
    return pd.concat(frames, ignore_index=True)[COLUMNS]


def lead_indicator(effects: pd.DataFrame, year: int, fallback: str) -> str:
    """The share indicator the pilot moves most in its own communes (largest |median effect| in
    `year`); `fallback` (the headline indicator) when it moves none."""
    t = effects[(effects.group == "pilot") & (effects.year == year) & ~effects.indicator.isin(DAYS)]
    size = t.set_index("indicator").effect_median.abs()
    if not len(size) or size.max() <= 0:
        return fallback
    # Near ties (within a tenth: at small scales effects come in whole agents, often the same
    # few in several indicators) go to the headline, then to the order of COMMUNE_INDICATORS.
    top = set(size.index[size >= 0.9 * size.max()])
    return fallback if fallback in top else next(k for k in COMMUNE_INDICATORS if k in top)


def _fmt(v: float, indicator: str) -> str:
    return f"{v:+.1f}" if indicator in DAYS else f"{100 * v:+.1f}"


def describe(spec: Scenario, geo: Geography) -> str:
    """'Phường Hải Châu, skills 2026-2030': where and what the pilots are."""
    names = [geo.names[i] for i in pilot_indices(spec, geo)]
    where = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    what = []
    for p in pilot_policies(spec):
        years = p.start[:4] if p.start[:4] == p.end[:4] else f"{p.start[:4]}-{p.end[:4]}"
        if f"{p.programme} {years}" not in what:
            what.append(f"{p.programme} {years}")
    return f"{where}, {' + '.join(what)}"


@dataclass
class PilotReport:
    effects: pd.DataFrame     # pilot.csv
    indicator: str           # the indicator the line leads with
    year: int
    baseline_year: int | None
    line: str
    summary: dict            # manifest.json "pilot"


def pilot_report(spec: Scenario, geo: Geography, with_: EnsembleResult, without: EnsembleResult,
                 fallback: str) -> PilotReport:
    """The effects table, and one line saying what the pilot showed: the indicator the pilot
    moves most in its communes (`lead_indicator`; `fallback`, the headline, if none moves) at the
    end of the pilot, with the neighbours' effect on the same indicator, and the pilot money
    absorbed (with minus without, cumulative spending) against what the pilot allocated."""
    effects = pilot_effects(spec, geo, with_, without)
    year = pilot_year(spec)
    if year not in set(effects.year):
        year = int(effects.year.max())
    indicator = lead_indicator(effects, year, fallback)
    unit = "days" if indicator in DAYS else "points"
    at = effects[(effects.indicator == indicator) & (effects.year == year)].set_index("group")

    def band(group: str, then: str = "") -> str:
        def of(column: str) -> str:
            return _fmt(float(at.loc[group, column]), indicator)
        return f"{of('effect_median')}{then} [90%: {of('effect_p5')} to {of('effect_p95')}]"

    spent = (with_.year_end("dx_spent_vnd") - without.year_end("dx_spent_vnd"))[year]
    allocated = sum(p.amount_vnd_per_year * _months_within(p, spec, year) / 12 for p in pilot_policies(spec))
    absorbed = float(spent.median())
    effect = band("pilot", f" {unit} by {year}")
    line = f"Pilot ({describe(spec, geo)}): {indicator} {effect} vs the same runs without it"
    if "neighbours" in at.index:
        line += f"; neighbours ({int(at.loc['neighbours', 'communes'])} communes) {band('neighbours')}"
    line += f"; it absorbed VND {absorbed / 1e9:,.1f} bn of {allocated / 1e9:,.1f} bn allocated"
    first_year = baseline_year(spec, np.unique(with_.communes.year))
    summary = {
        "line": line,
        "method": "paired difference-in-differences: the same runs (seeds, assumption draws) with and without "
                  "the pilot policies; population-weighted means over the group's communes; median and 5-95% "
                  "of the per-run effects",
        "indicator": indicator,
        "year": year,
        "baseline_year": first_year,
        "communes": [geo.names[i] for i in pilot_indices(spec, geo)],
        "neighbours": [geo.names[i] for i in neighbours(geo, pilot_indices(spec, geo))],
        "effect": {g: {k: float(at.loc[g, k]) for k in ("effect_median", "effect_p5", "effect_p95", "with_median",
                                                         "without_median")} for g in at.index},
        "absorbed_vnd_median": absorbed,
        "allocated_vnd": allocated,
        "counterfactual_wall_seconds": round(without.wall_seconds, 3),
    }
    return PilotReport(effects, indicator, year, first_year, line, summary)


def _months_within(p: PolicySpec, spec: Scenario, year: int) -> int:
    """Months of the policy within the horizon and up to the end of `year`."""
    def index(ym: str) -> int:
        y, m = int(ym[:4]), int(ym[5:7])
        return y * 12 + m - 1
    last = min(index(p.end), index(spec.time.end), year * 12 + 11)
    return max(0, last - index(p.start) + 1)
