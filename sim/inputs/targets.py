"""Targets: the goals a scenario is judged against, read from seeds/goals.toml by id.

Scenario files reference seed goals (`targets.goals = ["dak_lak.cashless_2030"]`)
instead of retyping numbers, so every threshold traces to an article and a quote.
"""

from __future__ import annotations

import operator
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from sim.errors import ScenarioError
from sim.schema import Scenario

# Work on numbers and on numpy arrays alike (elementwise).
COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
}


class MapGoal(NamedTuple):
    """A goal as a commune map marks it: communes whose value misses `comparison threshold` are listed."""

    threshold: float
    comparison: str = ">="
    id: str | None = None  # the target's id, shown in the title


@dataclass(frozen=True)
class Target:
    id: str
    indicator: str
    comparison: str
    threshold: float
    year: int
    source: str
    every_year: bool = False
    modelled: bool = True
    note: str = ""

    def holds(self, value: Any) -> Any:
        """Whether a value (a number, or an array elementwise) meets the target.

        A tiny tolerance so that "exactly 3%" meets ">= 3%" despite float arithmetic."""
        eps = 1e-9
        if self.comparison in (">=", ">"):
            return COMPARISONS[self.comparison](value + eps, self.threshold)
        return COMPARISONS[self.comparison](value - eps, self.threshold)

    @property
    def label(self) -> str:
        when = f"every year from {self.year}" if self.every_year else str(self.year)
        return f"{self.indicator} {self.comparison} {self.threshold:g} ({when})"


def seeds_dir() -> Path:
    """The project's seeds/ folder (beside the `sim` package)."""
    return Path(__file__).resolve().parents[2] / "seeds"


@lru_cache(maxsize=4)
def seed_goals(path: str | None = None) -> dict[str, dict]:
    file = Path(path) if path else seeds_dir() / "goals.toml"
    with file.open("rb") as fh:
        goals = tomllib.load(fh)["goal"]
    return {g["id"]: g for g in goals}


def _source_of(goal: dict) -> str:
    url = f" {goal['url']}" if goal.get("url") else ""
    return f"{goal['seed_file']}{url}: \"{goal['quote']}\" ({goal['gloss']})"


def resolve_targets(scenario: Scenario, file: str = "scenario") -> list[Target]:
    """Every target of a scenario, seed goals first; unknown ids and years outside the horizon are errors."""

    goals = seed_goals()
    lo, hi = scenario.time.start_year, scenario.time.end_year
    # A target is judged at the end of its year: the horizon must hold that December.
    last = hi if scenario.time.end.endswith("-12") else hi - 1
    out: list[Target] = []
    for i, gid in enumerate(scenario.targets.goals):
        if gid not in goals:
            raise ScenarioError(f"{file}: targets.goals.{i}: unknown goal id {gid!r}; allowed: ids in seeds/goals.toml")
        g = goals[gid]
        year = max(int(g["year"]), lo) if g.get("every_year") else int(g["year"])
        if not lo <= year <= hi:
            raise ScenarioError(f"{file}: targets.goals.{i}: goal {gid!r} is for {year}, outside the horizon {lo}-{hi}")
        if year > last and g.get("modelled", True):
            raise ScenarioError(f"{file}: targets.goals.{i}: goal {gid!r} is judged in December {year}; the horizon "
                                f"ends in {scenario.time.end}")
        if gid in scenario.targets.goals[:i]:
            raise ScenarioError(f"{file}: targets.goals.{i}: goal {gid!r} is listed twice")
        out.append(Target(id=gid, indicator=g["indicator"], comparison=g["comparison"],
                          threshold=float(g["threshold"]), year=year, source=_source_of(g),
                          every_year=bool(g.get("every_year", False)),
                          modelled=bool(g.get("modelled", True)), note=g.get("note", "")))
    for i, t in enumerate(scenario.targets.custom):
        if t.id in {o.id for o in out}:
            raise ScenarioError(f"{file}: targets.custom.{i}.id: {t.id!r} is already the id of another target")
        if t.year > last:
            raise ScenarioError(f"{file}: targets.custom.{i}: judged in December {t.year}; the horizon ends in "
                                f"{scenario.time.end}")
        out.append(Target(id=t.id, indicator=t.indicator, comparison=t.comparison, threshold=t.threshold,
                          year=t.year, source=t.source, every_year=t.every_year))
    return out
