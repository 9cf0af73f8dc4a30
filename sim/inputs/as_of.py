"""A scenario as it could have been written on a past date (`--as-of DATE`, issue 28).

Every number of a scenario that cites a published figure (`seeds/figures.toml#ID` in its `source`)
is checked against the figure's publication date. A number citing a figure published after the
date is settled by `seeds/as_of.toml`, which says for each such figure what a modeller had before it:

- `replace`: the fields in `set` (its value, range, ...) rest on figures published by
  `basis_published`, named in the new `source`: the number is overwritten.
- `restated`: the value rests on earlier evidence too, named in the new `source`; the later figure
  only confirmed it: kept, its source re-attributed, and listed.
- `frame`: the figure defines the unit the forecast is about (the merged province's area and
  people, restating its predecessors' statistics published by `basis_published`): kept.
- `policy`: a rule decided after the date (a tax reform, a new fee rule); citytwin's forecasts
  are conditional on the policy a scenario states, as every scenario model's are: kept, and
  listed with every as-of run so a reader sees which later decisions it assumes.
- `inert`: in a scenario built on one of the entry's `scenarios` files, the number cannot move
  the entry's `indicators` (tests/test_as_of.py runs the scenario with every inert number at both
  ends of its range, forcing points included, and finds those indicators unchanged to the bit):
  kept at any date, and the as-of forecast holds for those indicators only (`only`), so a
  hindcast scores no other.

An observed value (`[[observed]]`) or a forcing point citing a later figure, or dated after the
date, is dropped: it was not known. A posterior fitted to a dropped observation is refused
(calibrate with the same `--as-of` first). A later figure with no entry is an error: nothing
later slips into an as-of scenario silently.

Example:
    >>> from datetime import date
    >>> from sim.inputs.scenario import load_scenario
    >>> s = load_scenario("scenarios/dak_lak.toml", as_of=date(2024, 12, 31))
    >>> s.as_of.date, "baseline.account_ownership" in s.as_of.replaced
    ('2024-12-31', True)
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError
from sim.inputs.evidence import FIGURE_REF, figure_dates
from sim.inputs.targets import seeds_dir

KINDS = ("replace", "restated", "frame", "policy", "inert")
# Subtrees whose sources are not evidence: goals and custom targets cite the plan that sets them.
NOT_EVIDENCE = ("targets", "free", "ensemble", "time", "name", "description", "posterior")
# Lists whose items are observations in time: an item not known by the date is dropped, not replaced.
DROPPABLE = ("observed", "forcing.procedures_online")


@dataclass(frozen=True)
class Earlier:
    """One entry of seeds/as_of.toml."""

    figures: tuple[str, ...]
    keys: tuple[str, ...]           # the scenario keys it settles; empty: every key citing the figures
    kind: str
    basis_published: date           # the latest publication it rests on: no use before this date
    why: str
    set: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    also: dict[str, Any] = field(default_factory=dict)  # plain numbers elsewhere that rest on the same figure
    files: tuple[str, ...] = ()     # only where one of these files (by name) set the key; empty: anywhere
    scenarios: tuple[str, ...] = ()  # inert: the scenario files (by name) whose runs it was proven in
    indicators: tuple[str, ...] = ()  # inert: what the number cannot move there

    def settles(self, key: str, figure: str, file: str = "") -> bool:
        return (figure in self.figures and (not self.keys or key in self.keys)
                and (not self.files or Path(file).name in self.files))


@lru_cache(maxsize=4)
def load_earlier(path: str | None = None) -> tuple[Earlier, ...]:
    """Every entry of seeds/as_of.toml, checked: known kinds and figures, a replacement with
    something to set and a source."""
    file = path or str(seeds_dir() / "as_of.toml")
    with open(file, "rb") as fh:
        rows = tomllib.load(fh).get("earlier", [])
    dates = figure_dates()
    out = []
    for i, r in enumerate(rows):
        where = f"{file}: earlier.{i}"
        figures = (r["figure"],) if isinstance(r.get("figure"), str) else tuple(r.get("figures", ()))
        if not figures or any(f not in dates for f in figures):
            raise ValueError(f"{where}: figure(s) {figures} not all in seeds/figures.toml")
        if r.get("kind") not in KINDS:
            raise ValueError(f"{where}: kind {r.get('kind')!r}; expected one of {KINDS}")
        if r["kind"] == "replace" and (not r.get("set") or not r.get("source")):
            raise ValueError(f"{where}: a replacement needs `set` and `source`")
        if r["kind"] == "restated" and not r.get("source"):
            raise ValueError(f"{where}: a restated value needs the `source` it rests on instead")
        if (r["kind"] == "inert") != bool(r.get("scenarios") and r.get("indicators") and r.get("keys")):
            raise ValueError(f"{where}: an inert entry needs its `keys`, the `scenarios` and the `indicators` "
                             "they cannot move (and only an inert entry has them)")
        # A frame is the unit the question is about, not evidence: it holds at any date.
        basis = date.fromisoformat(str(r.get("basis_published", "0001-01-01")))
        for f in FIGURE_REF.findall(r.get("source", "")):
            if f not in dates or dates[f] > basis:
                raise ValueError(f"{where}: source cites {f}, published after basis_published {basis}")
        out.append(Earlier(figures, tuple(r.get("keys", ())), r["kind"], basis, r["why"],
                           dict(r.get("set", {})), r.get("source", ""), dict(r.get("also", {})),
                           tuple(r.get("files", ())), tuple(r.get("scenarios", ())),
                           tuple(r.get("indicators", ()))))
    return tuple(out)


@dataclass
class Restriction:
    """What `restrict` did: each key replaced, kept (frame, policy) or dropped, with the figure."""

    date: str
    replaced: dict[str, str] = field(default_factory=dict)   # key -> the later figure(s) it no longer uses
    kept: dict[str, str] = field(default_factory=dict)       # key -> "kind: figure(s)"
    dropped: dict[str, str] = field(default_factory=dict)    # list item -> why
    only: list[str] | None = None  # inert numbers kept: the indicators the forecast still holds for

    def as_dict(self) -> dict[str, Any]:
        return {"date": self.date, "replaced": self.replaced, "kept": self.kept, "dropped": self.dropped,
                "only": self.only}


def _origin_of(key: str, origin: dict[str, str]) -> str:
    """The file that set a dotted key (or the table holding it), as `scenario_dict` records it."""
    parts = key.split(".")
    for n in range(len(parts), 0, -1):
        where = origin.get(".".join(parts[:n]))
        if where:
            return where
    return ""


def _later(source: str, as_of: date) -> list[str]:
    dates = figure_dates()
    return [f for f in FIGURE_REF.findall(source) if f in dates and dates[f] > as_of]


def _when(item: dict[str, Any]) -> tuple[int, int]:
    return int(item.get("year", 0)), int(item.get("month", 12))


class _Restrictor:
    """One walk over a scenario's data, settling every later figure it cites (`restrict`)."""

    def __init__(self, data: dict[str, Any], as_of: date, file: str, origin: dict[str, str]) -> None:
        self.data, self.as_of, self.file, self.origin = data, as_of, file, origin
        chain = {Path(f).name for f in (file, *origin.values())}  # the files this scenario is built on
        self.entries = tuple(e for e in load_earlier() if e.kind != "inert" or chain & set(e.scenarios))
        self.done = Restriction(as_of.isoformat())

    def inert(self, key: str, later: list[str]) -> bool:
        """Whether every later figure `key` cites is settled by an inert entry of this scenario: kept,
        and the forecast narrowed to the indicators the entries name."""
        hits = [e for f in later for e in self.entries if e.kind == "inert" and e.settles(key, f)]
        if not later or len({f for f in later for e in hits if f in e.figures}) < len(later):
            return False
        for e in hits:
            only = set(e.indicators) if self.done.only is None else set(self.done.only) & set(e.indicators)
            self.done.only = sorted(only)
        self.done.kept[key] = f"inert for {', '.join(sorted({i for e in hits for i in e.indicators}))}: " \
                              f"{', '.join(later)}"
        return True

    def usable(self, key: str, later: list[str]) -> bool:
        """Whether entries other than inert ones settle every later figure `key` cites by the date."""
        where = _origin_of(key, self.origin) or self.file
        return all(any(e.kind != "inert" and e.settles(key, f, where) and e.basis_published <= self.as_of
                       for e in self.entries) for f in later)

    def hits(self, key: str, later: list[str]) -> list[Earlier]:
        """The entries settling each later figure `key` cites, checked usable by the date."""
        where = _origin_of(key, self.origin) or self.file
        missing = [f for f in later if not any(e.kind != "inert" and e.settles(key, f, where) for e in self.entries)]
        if missing:
            raise ScenarioError(f"{where}: {key} cites seeds/figures.toml#{missing[0]}, published "
                                f"{figure_dates()[missing[0]]}, after --as-of {self.as_of}; seeds/as_of.toml says "
                                "nothing about what was known before it")
        hits = list({id(e): e for e in self.entries for f in later
                     if e.kind != "inert" and e.settles(key, f, where)}.values())
        early = [e for e in hits if e.basis_published > self.as_of]
        if early:
            raise ScenarioError(f"{where}: {key}: what seeds/as_of.toml puts in place of {', '.join(later)} rests on "
                                f"figures published {early[0].basis_published}, after --as-of {self.as_of}: "
                                "no forecast of this scenario can be made that early")
        for kind in ("replace", "restated"):
            if sum(e.kind == kind for e in hits) > 1:
                raise ScenarioError(f"seeds/as_of.toml: two {kind} entries for {key} ({', '.join(later)}): give one")
        return hits

    def settle(self, node: dict[str, Any], key: str) -> None:
        later = _later(str(node.get("source", "")), self.as_of)
        # What was known replaces a later figure where it can; an inert entry keeps it where nothing can.
        if not later or not self.usable(key, later) and self.inert(key, later):
            return
        hits = self.hits(key, later)
        entry = next((e for e in hits if e.kind == "replace"), None)
        if entry is None:
            restated = next((e for e in hits if e.kind == "restated"), None)
            if restated is not None:  # the value stands on earlier evidence: its source says which
                node["source"] = restated.source
            self.done.kept[key] = "; ".join(sorted({f"{e.kind}: {', '.join(f for f in later if f in e.figures)}"
                                                    for e in hits}))
            return
        if {"value", "per_person"} & set(entry.set):  # a value replaces a per-person figure and back
            node.pop("value", None)
            node.pop("per_person", None)
        node.update(entry.set)
        node["source"] = entry.source
        self.done.replaced[key] = ", ".join(later)
        for dotted, value in entry.also.items():
            *path, last = dotted.split(".")
            target = self.data
            for part in path:
                target = target.setdefault(part, {})
            target[last] = value
            self.done.replaced[dotted] = ", ".join(later)

    def drop_unknown(self, items: list[Any], key: str) -> None:
        """Keep the observations (forcing points) of a list that were known by the date."""
        kept = []
        for i, item in enumerate(items):
            when = _when(item) if isinstance(item, dict) else (0, 12)
            later = _later(str(item.get("source", "")) if isinstance(item, dict) else "", self.as_of)
            if key != "observed" and self.inert(key, later):  # an inert forcing point is kept, whatever its date
                kept.append(item)
            elif later:
                self.done.dropped[f"{key}.{i}"] = (f"{when[0]}-{when[1]:02d}: cites {', '.join(later)}, "
                                                   f"published after {self.as_of}")
            elif when > (self.as_of.year, self.as_of.month):
                self.done.dropped[f"{key}.{i}"] = f"{when[0]}-{when[1]:02d}: after {self.as_of}"
            else:
                kept.append(item)
        items[:] = kept

    def walk(self, node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            if isinstance(node.get("source"), str):
                self.settle(node, key)
            for k, v in list(node.items()):
                if key or k not in NOT_EVIDENCE:
                    self.walk(v, f"{key}.{k}" if key else str(k))
        elif isinstance(node, list):
            if key in DROPPABLE:
                self.drop_unknown(node, key)
            else:
                for i, v in enumerate(node):
                    self.walk(v, f"{key}.{i}")


def restrict(data: dict[str, Any], as_of: date, file: str = "scenario",
             origin: dict[str, str] | None = None) -> Restriction:
    """Make the merged raw scenario `data` use only figures published by `as_of`, in place."""
    walker = _Restrictor(data, as_of, file, origin or {})
    walker.walk(data)
    done = walker.done
    if not data.get("forcing", {}).get("procedures_online", [1]):
        raise ScenarioError(f"{file}: forcing.procedures_online: no point of it was published by --as-of {as_of}")
    if data.get("posterior") and not _posterior_known(data["posterior"], done, as_of):
        raise ScenarioError(f"{file}: posterior: fitted to observations published after --as-of {as_of}; "
                            f"calibrate the uncalibrated scenario with --as-of {as_of} first")
    return done


def _posterior_known(posterior: Any, done: Restriction, as_of: date) -> bool:
    """Whether a posterior was fitted only to what was known by `as_of`: no observation was
    dropped, or the calibration that wrote it said `--as-of` an earlier date or `--until` a year
    before every dropped one (its `source` holds the command)."""
    dropped = [k for k in done.dropped if k.startswith("observed.")]
    if not dropped:
        return True
    source = str(posterior.get("source", "")) if isinstance(posterior, dict) else ""
    said = re.search(r"--as-of[ =](\d{4}-\d{2}-\d{2})", source)
    if said and date.fromisoformat(said.group(1)) <= as_of:
        return True
    until = re.search(r"--until[ =](\d{4})", source)
    if until is None:
        return False
    return all(int(done.dropped[k][:4]) > int(until.group(1)) for k in dropped)
