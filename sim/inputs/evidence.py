"""What a scenario knows, and since when: the published figures its numbers cite
(`seeds/figures.toml#ID` in a `source`), each with the date it was published (`published` in
seeds/figures.toml). A forecast made "as of" a date may use only figures published by then; this
module finds the ones it may not (issue 28: `--as-of` and the hindcast build on it).

Example:
    >>> from sim.inputs.scenario import load_scenario
    >>> later = published_after(load_scenario("scenarios/dak_lak.toml"), date(2024, 12, 31))
    >>> any(c.figure == "national.findex_account_2024" for c in later)  # Findex 2024 came out in July 2025
    True
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sim.inputs.targets import seeds_dir
from sim.schema import Scenario

FIGURE_REF = re.compile(r"seeds/figures\.toml#([A-Za-z0-9_.]+[A-Za-z0-9_])")


@dataclass(frozen=True)
class Citation:
    key: str          # the dotted key of the scenario whose source cites the figure
    figure: str       # its id in seeds/figures.toml
    published: date


@lru_cache(maxsize=4)
def figure_dates(path: str | None = None) -> dict[str, date]:
    """Every figure's publication date, by id."""
    file = path or str(seeds_dir() / "figures.toml")
    with open(file, "rb") as fh:
        figures = tomllib.load(fh)["figure"]
    return {f["id"]: date.fromisoformat(f["published"]) for f in figures}


@lru_cache(maxsize=4)
def figure_values(path: str | None = None) -> dict[str, float]:
    """Every numeric figure's value, by id."""
    file = path or str(seeds_dir() / "figures.toml")
    with open(file, "rb") as fh:
        figures = tomllib.load(fh)["figure"]
    return {f["id"]: float(f["value"]) for f in figures if isinstance(f.get("value"), (int, float))}


def _sources(node: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(dotted key, source text) of every `source` in the scenario's data, lists included."""
    out: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            if k == "source" and isinstance(v, str):
                out.append((prefix, v))
            else:
                out.extend(_sources(v, key))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_sources(v, f"{prefix}.{i}"))
    return out


def citations(spec: Scenario) -> list[Citation]:
    """Every figure the scenario's sources cite, with where and when it was published (a cited id
    that seeds/figures.toml does not hold is an error: tests/test_mechanisms.py checks them all)."""
    dates = figure_dates()
    return [Citation(key, fid, dates[fid]) for key, text in _sources(spec.model_dump())
            for fid in FIGURE_REF.findall(text) if fid in dates]


def published_after(spec: Scenario, as_of: date) -> list[Citation]:
    """The citations a forecast made on `as_of` could not have used."""
    return [c for c in citations(spec) if c.published > as_of]
