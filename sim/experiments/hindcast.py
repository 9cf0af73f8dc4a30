"""A forecast made on a past date, scored against what was published since (issue 28).

The ensemble of a scenario restricted to the evidence of `as_of` (`sim.inputs.as_of`) is read at
every later observation of the same place that measures one of the model's indicators by
definition: the outcomes in `seeds/outcomes.toml`, and the scenario's own `[[observed]]` values
that the cutoff withheld. Each gets the ensemble's median and 90% interval, whether the interval
covers it, its CRPS and interval score (`sim.experiments.scoring`), and the same for two naive
forecasts from the history published by `as_of` (no change; the last trend). Outcomes that
measure something else are listed as not comparable, with why. The goals whose deadline has
passed and whose outcome is published (`outcome` in seeds/goals.toml) get the ensemble's
P(reach), scored by Brier and log scores against the base rate.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sim.experiments.ensemble import RunTable
from sim.experiments.outcomes import run_reaches
from sim.experiments.scoring import (
    FigureScore,
    ProbabilityScore,
    coverage,
    last_trend,
    no_change,
    point_crps,
    score_figure,
    score_probabilities,
)
from sim.inputs.evidence import FIGURE_REF, figure_dates, figure_values
from sim.inputs.outcomes import load_history, load_outcomes
from sim.inputs.targets import Target, seeds_dir
from sim.schema import INDICATORS, ObservedSpec, Scenario, year_month

NAIVE = {"no_change": no_change, "last_trend": last_trend}


@dataclass(frozen=True)
class Observation:
    """A published figure of one of the model's indicators, for one place and month."""

    id: str
    province: int          # official code; 0 the nation
    indicator: str
    year: int
    month: int
    value: float
    published: date
    source: str
    comparable: bool = True
    why: str = ""

    @property
    def when(self) -> float:
        """The figure's time as a year fraction: the end of the month it describes."""
        return self.year + self.month / 12.0


@dataclass
class ScoredObservation:
    obs: Observation
    score: FigureScore
    naive: dict[str, tuple[float, float]]  # name -> (forecast, CRPS = absolute error)


@dataclass
class GoalScore:
    id: str
    indicator: str
    year: int
    probability: float
    reached: bool
    outcome: str           # the outcome as published, in words
    source: str


@dataclass
class Hindcast:
    scenario: str
    province: int
    as_of: date
    runs: int
    scored: list[ScoredObservation]
    not_comparable: list[Observation]
    outside: list[tuple[Observation, str]]   # comparable but not scorable here, with why
    goals: list[GoalScore]
    restriction: dict[str, Any] = field(default_factory=dict)
    goals_not_comparable: list[tuple[str, str]] = field(default_factory=list)  # (goal id, why)

    @property
    def coverage(self) -> float:
        return coverage([s.score for s in self.scored])

    @property
    def probabilities(self) -> ProbabilityScore | None:
        if not self.goals:
            return None
        return score_probabilities([g.probability for g in self.goals], [g.reached for g in self.goals])

    def entries(self) -> list[dict[str, Any]]:
        """One entry per observation: the forecast, the naive ones and their scores (hindcast.json)."""
        out = []
        for s in self.scored:
            o, f = s.obs, s.score
            out.append({"id": o.id, "indicator": o.indicator, "province": o.province, "year": o.year,
                        "month": o.month, "observed": o.value, "published": o.published.isoformat(),
                        "source": o.source, "median": f.median, "p5": f.low, "p95": f.high, "error": f.error,
                        "covered": f.covered, "score": {"crps": f.crps, "interval": f.interval_score},
                        "naive_scores": {k: {"forecast": _num(v), "crps": _num(c)} for k, (v, c) in s.naive.items()}})
        return out

    def table(self) -> pd.DataFrame:
        """hindcast.csv: the entries flat, one row per observation."""
        rows = []
        for e in self.entries():
            row = {k: e[k] for k in ("id", "indicator", "province", "year", "month", "observed", "median", "p5",
                                     "p95", "error", "covered")}
            row |= {"crps": e["score"]["crps"], "interval_score": e["score"]["interval"]}
            for k, v in e["naive_scores"].items():
                row |= {f"{k}_forecast": v["forecast"], f"{k}_crps": v["crps"]}
            row |= {"published": e["published"], "source": e["source"]}
            rows.append(row)
        return pd.DataFrame(rows)

    def summary(self) -> dict[str, Any]:
        """The scores over every observation: coverage, mean CRPS of the ensemble and of each naive
        forecast (over the observations both have), and the goals' probability scores."""
        out: dict[str, Any] = {"observations": len(self.scored), "coverage_90": _num(self.coverage),
                               "crps": _num(np.mean([s.score.crps for s in self.scored])) if self.scored else None}
        for name in NAIVE:
            both = [s for s in self.scored if not math.isnan(s.naive[name][1])]
            out[f"{name}_observations"] = len(both)
            out[f"{name}_crps"] = _num(np.mean([s.naive[name][1] for s in both])) if both else None
            out[f"crps_vs_{name}"] = _num(np.mean([s.score.crps for s in both])) if both else None
        p = self.probabilities
        if p is not None:
            out["goals"] = {"scored": p.goals, "reached": p.reached, "brier": p.brier, "brier_base": p.brier_base,
                            "brier_skill": _num(p.brier_skill), "log": p.log, "log_base": p.log_base,
                            "log_skill": _num(p.log_skill)}
        return out


def _num(v: float) -> float | None:
    return None if v is None or not math.isfinite(float(v)) else float(v)


def _published(source: str, year: int, month: int) -> date:
    """When an observed value of a scenario was published: its cited figure's date, else (no
    figure cited) the end of the month it describes, the earliest it could have been."""
    dates = figure_dates()
    cited = [dates[f] for f in FIGURE_REF.findall(source) if f in dates]
    if cited:
        return max(cited)
    return date(year + (month == 12), month % 12 + 1, 1)


def from_observed(observed: list[ObservedSpec], province: int) -> list[Observation]:
    """A scenario's `[[observed]]` values as observations."""
    return [Observation(f"observed.{i}", province, o.indicator, o.year, o.month, o.value,
                        _published(o.source, o.year, o.month), o.source) for i, o in enumerate(observed)]


def from_baseline(spec: Scenario, province: int) -> list[Observation]:
    """The scenario's starting value of an indicator where it is a published reading (its source
    cites one figure, of the same value): the first point of the history naive forecasts use."""
    values, dates = figure_values(), figure_dates()
    year, month = year_month(spec.time.start)
    out = []
    for name in type(spec.baseline).model_fields:
        node = getattr(spec.baseline, name)
        cited = FIGURE_REF.findall(str(getattr(node, "source", "")))
        if (name in INDICATORS and len(cited) == 1 and cited[0] in values
                and abs(values[cited[0]] - float(node.value)) < 1e-9):
            out.append(Observation(f"baseline.{name}", province, name, year, month, float(node.value),
                                   dates[cited[0]], str(node.source)))
    return out


def outcomes_of(province: int) -> list[Observation]:
    """seeds/outcomes.toml's and seeds/history.toml's rows for a place (0: the nation), comparable
    or not: the outcomes to score and the history the naive forecasts are made from."""
    return [Observation(o.id, o.province, o.indicator, o.year, o.month, o.value, o.published,
                        f"seeds/{file}#{o.id} ({o.research})", o.comparable, o.why)
            for file, rows in (("outcomes.toml", load_outcomes()), ("history.toml", load_history()))
            for o in rows if o.province == province]


@lru_cache(maxsize=4)
def goal_outcomes(path: str | None = None) -> dict[str, dict[str, Any]]:
    """The published outcome of each goal that has one (`outcome` in seeds/goals.toml)."""
    file = path or str(seeds_dir() / "goals.toml")
    with open(file, "rb") as fh:
        goals = tomllib.load(fh)["goal"]
    return {g["id"]: g["outcome"] | {"province": g["province"]} for g in goals if "outcome" in g}


def place_name(code: int) -> str:
    """How seeds/goals.toml names a place: "national", or the province's file name (dong_nai)."""
    from sim.inputs.catalogue import province_files

    path = province_files().get(code)
    return "national" if code == 0 or path is None else path.stem[3:]


def _draws(result: RunTable, indicator: str, year: int, month: int) -> NDArray[np.float64] | None:
    df = result.indicators
    hit = df[(df.indicator == indicator) & (df.year == year) & (df.month == month)]
    return hit.value.to_numpy() if len(hit) else None


def _only(restriction: dict[str, Any] | None, place: int, province: int) -> list[str] | None:
    """The indicators an as-of forecast of `place` holds for when it kept inert later numbers
    (`sim.inputs.as_of`), None when it holds for all: a nation's restriction is by province."""
    if not restriction:
        return None
    if "provinces" in restriction:
        return (restriction["provinces"].get(place) or {}).get("only")
    return restriction.get("only") if place == province else None


def score(results: dict[int, RunTable], province: int, as_of: date, observations: list[Observation],
          targets: list[Target], scenario: str = "", restriction: dict[str, Any] | None = None) -> Hindcast:
    """Score ensembles made with the evidence of `as_of` against every observation published after
    it: `results` holds the runs of each place forecast (a province's own; a nation's, 0, and each of
    its provinces'), `province` is the place the scenario is about, whose goals in `targets` get
    P(reach) scored against their published outcomes."""
    known = [o for o in observations if o.published <= as_of and o.comparable]
    later = [o for o in observations if o.published > as_of]
    scored: list[ScoredObservation] = []
    outside: list[tuple[Observation, str]] = []
    for o in sorted((o for o in later if o.comparable),
                    key=lambda o: (o.indicator, o.province != province, o.province, o.year, o.month, o.id)):
        result = results.get(o.province)
        if result is None:
            outside.append((o, "the place was not run"))
            continue
        only = _only(restriction, o.province, province)
        if only is not None and o.indicator not in only:
            outside.append((o, f"the as-of scenario keeps later numbers proven inert for {', '.join(only)} only "
                               "(seeds/as_of.toml)"))
            continue
        if o.indicator not in set(result.runs[0].names):
            outside.append((o, f"the model does not record {o.indicator} here"))
            continue
        draws = _draws(result, o.indicator, o.year, o.month)
        if draws is None:
            outside.append((o, f"{o.year}-{o.month:02d} is outside the scenario's horizon"))
            continue
        history = [(h.when, h.value) for h in known if h.indicator == o.indicator and h.province == o.province]
        naive = {}
        for name, rule in NAIVE.items():
            try:
                f = rule(history, o.when)
                naive[name] = (f, point_crps(f, o.value))
            except ValueError:  # nothing published before: no naive forecast to compare with
                naive[name] = (float("nan"), float("nan"))
        scored.append(ScoredObservation(o, score_figure(draws, o.value), naive))
    goals, goals_not_comparable = [], []
    outcomes = goal_outcomes()
    main = results[province]
    years = {int(y) for y in main.runs[0].years}
    for t in targets:
        out = outcomes.get(t.id)
        # A goal's outcome is of its own place: the nation's goals are not scored on a province's runs.
        if (out is None or not t.modelled or out["province"] != place_name(province)
                or date.fromisoformat(str(out["published"])) <= as_of or t.year not in years):
            continue
        if not out.get("comparable", True):
            goals_not_comparable.append((t.id, str(out["why"])))
            continue
        only = _only(restriction, province, province)
        if only is not None and t.indicator not in only:
            goals_not_comparable.append((t.id, f"the as-of scenario keeps later numbers proven inert for "
                                               f"{', '.join(only)} only"))
            continue
        # The outcome is of the deadline's year: a goal held every year after is scored for that year.
        once = replace(t, every_year=False)
        p = float(np.mean([run_reaches([once], r)[0] for r in main.runs]))
        goals.append(GoalScore(t.id, t.indicator, t.year, p, bool(out["reached"]), str(out["what"]),
                               str(out["source"])))
    return Hindcast(scenario, province, as_of, len(main.runs), scored,
                    [o for o in later if not o.comparable], outside, goals, restriction or {}, goals_not_comparable)
