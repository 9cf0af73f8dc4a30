"""What happened: observed outcomes after the scenarios' start (`seeds/outcomes.toml`), each
matched to the model's indicator by definition or marked not comparable with why (issue 28: the
forecasts are scored against the comparable ones, `sim.experiments.scoring`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from sim.inputs.targets import seeds_dir
from sim.schema import INDICATORS


@dataclass(frozen=True)
class Outcome:
    id: str
    province: int       # official code; 0 = the nation
    indicator: str      # the model's indicator it is compared with
    year: int
    month: int          # the month the figure describes (12 for a year's figure)
    value: float
    published: date
    comparable: bool
    why: str            # the definition matched, or why it is not comparable
    research: str       # its row in seeds/research/outcomes.csv: "indicator period"


@lru_cache(maxsize=4)
def load_outcomes(path: str | None = None) -> tuple[Outcome, ...]:
    """Every outcome of seeds/outcomes.toml; an indicator the model does not record is an error."""
    file = path or str(seeds_dir() / "outcomes.toml")
    with open(file, "rb") as fh:
        rows = tomllib.load(fh)["outcome"]
    out = []
    for r in rows:
        if r["indicator"] not in INDICATORS:
            raise ValueError(f"{file}: outcome {r['id']}: unknown indicator {r['indicator']!r}")
        out.append(Outcome(r["id"], int(r["province"]), r["indicator"], int(r["year"]), int(r["month"]),
                           float(r["value"]), date.fromisoformat(r["published"]), bool(r["comparable"]), r["why"],
                           r["research"]))
    return tuple(out)


def comparable(province: int, after: date) -> list[Outcome]:
    """The comparable outcomes of a province (0: the nation) published after `after`."""
    return [o for o in load_outcomes() if o.comparable and o.province == province and o.published > after]


@lru_cache(maxsize=4)
def load_history(path: str | None = None) -> tuple[Outcome, ...]:
    """seeds/history.toml: what was published before the forecasts, for the naive forecasts (each a
    comparable observation of its indicator; `research` names its parts in seeds/research/history.csv)."""
    file = path or str(seeds_dir() / "history.toml")
    with open(file, "rb") as fh:
        rows = tomllib.load(fh)["history"]
    out = []
    for r in rows:
        if r["indicator"] not in INDICATORS:
            raise ValueError(f"{file}: history {r['id']}: unknown indicator {r['indicator']!r}")
        parts = "; ".join(f"{p['old'] or 'the unit'} {p['period']}" for p in r["parts"])
        out.append(Outcome(r["id"], int(r["province"]), r["indicator"], int(r["year"]), int(r.get("month", 12)),
                           float(r["value"]), date.fromisoformat(r["published"]), True, r["why"], parts))
    return tuple(out)
