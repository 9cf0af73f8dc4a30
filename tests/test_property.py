"""The bad-input contract under mutation (issue 9, point 5), with Hypothesis.

Start from Dak Lak (small and short, so a valid example runs in about a second), apply
one or two mutations a hostile but fair user might make (wrong TOML types, non-finite and
extreme numbers, missing and extra keys, broken references), run `citytwin run`, and check:

* exit 0 with every output present and marked, or exit 2 with one line naming the
  problem ("citytwin: error: ..."), never exit 1, never a traceback;
* on refusal nothing is written (no output folder, no lock, no leftovers);
* a wrong type or a non-finite number is refused, naming the key it was put at.

About a third of the examples scale a number by a factor (0 to 1000), so many mutants are
valid and run: the contract is checked on what runs, not only on what is refused.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import io
import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from conftest import DAK_LAK
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.app.cli import main
from sim.inputs.scenario import scenario_dict
from sim.outputs.outfolder import MARKER

BASE, _ = scenario_dict(DAK_LAK, ["ensemble.runs=1", "ensemble.scale=0.002", 'time.end="2030-12"'])
BASE.pop("source_file")
# Two goals (one with a commune map) are enough for the contract; each map costs ~0.5 s a run.
BASE["targets"]["goals"] = BASE["targets"]["goals"][:2]


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path in the scenario data, sections and leaves, list items by index."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            out += _paths(v, prefix + (i,))
    return out


def _get(data: Any, path: tuple) -> Any:
    for k in path:
        data = data[k]
    return data


PATHS = _paths(BASE)
NUMERIC = [p for p in PATHS if isinstance(_get(BASE, p), (int, float)) and not isinstance(_get(BASE, p), bool)]
SECTIONS = [p for p in PATHS if isinstance(_get(BASE, p), dict)]
WRONG_TYPES = ["text", True, [1, 2], {"a": 1}, datetime.date(2025, 1, 1)]
NON_FINITE = [math.inf, -math.inf, math.nan]
EXTREME = [0, -1, 1e-300, 1e308, -1e308, 2**62, 0.5, 1.5, 1e6]


def _set(data: Any, path: tuple, value: Any) -> None:
    parent = _get(data, path[:-1])
    if isinstance(parent, tuple):  # tuples from the schema's defaults: rebuild as a list
        parent = list(parent)
        _set(data, path[:-1], parent)
    parent[path[-1]] = value


def _delete(data: Any, path: tuple) -> None:
    parent = _get(data, path[:-1])
    if isinstance(parent, dict):
        del parent[path[-1]]
    else:
        _set(data, path[:-1], [v for i, v in enumerate(parent) if i != path[-1]])


FACTORS = [0.0, 0.01, 0.5, 2.0, 10.0, 1000.0]

mutation = st.one_of(
    st.tuples(st.just("scaled"), st.sampled_from(NUMERIC), st.sampled_from(FACTORS)),
    st.tuples(st.just("type"), st.sampled_from(PATHS), st.sampled_from(WRONG_TYPES)),
    st.tuples(st.just("non-finite"), st.sampled_from(NUMERIC), st.sampled_from(NON_FINITE)),
    st.tuples(st.just("extreme"), st.sampled_from(NUMERIC), st.sampled_from(EXTREME)),
    st.tuples(st.just("delete"), st.sampled_from(PATHS), st.none()),
    st.tuples(st.just("extra"), st.sampled_from(SECTIONS), st.sampled_from(["colour", "p_", "valeu"])),
    st.tuples(st.just("reference"), st.sampled_from([
        ("extends", "missing.toml"), ("extends", "blob.toml"), ("province", "geojson", "table.csv"),
        ("province", "communes_csv", "blob.toml"), ("targets", "goals", 0, "dak_lak.nowhere"),
        ("policies", "Atlantis"), ("custom_indicator", "happiness")]), st.none()),
)


def _apply(data: dict, kind: str, path: Any, value: Any) -> None:
    if kind in ("type", "non-finite", "extreme"):
        _set(data, path, value)
    elif kind == "scaled":
        old = _get(data, path)
        _set(data, path, type(old)(old * value))
    elif kind == "delete":
        _delete(data, path)
    elif kind == "extra":
        _get(data, path)[value] = 1
    elif path[0] == "extends":
        data["extends"] = path[1]
    elif path[0] == "policies":
        data["policies"] = [{"name": "pilot", "programme": "skills", "amount_vnd_per_year": 1e9, "start": "2026-01",
                             "end": "2027-12", "communes": [path[1]]}]
    elif path[0] == "custom_indicator":
        data.setdefault("targets", {})["custom"] = [{"id": "x", "indicator": path[1], "comparison": ">=",
                                                      "threshold": 0.5, "year": 2030, "source": "test"}]
    else:
        _set(data, path[:-1], path[-1])


def _toml(data: Any) -> Any:
    """tomli_w writes no None: leave such keys out (the schema's default or a missing key)."""
    if isinstance(data, dict):
        return {k: _toml(v) for k, v in data.items() if v is not None}
    if isinstance(data, (list, tuple)):
        return [_toml(v) for v in data if v is not None]
    return data


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("property")
    (folder / "blob.toml").write_bytes(b"\x00\x01binary\xff")
    (folder / "table.csv").write_text("code,population\n1,2\n", encoding="utf-8")
    return folder


# CI replays the same examples (derandomize); CITYTWIN_EXPLORE=N explores N fresh examples instead.
EXPLORE = int(os.environ.get("CITYTWIN_EXPLORE", "0"))


@settings(max_examples=EXPLORE or 60, deadline=None, derandomize=not EXPLORE, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(mutations=st.lists(mutation, min_size=1, max_size=2))
def test_mutated_scenarios_keep_the_contract(folder, mutations):
    data = copy.deepcopy(BASE)
    for kind, path, value in mutations:
        try:
            _apply(data, kind, path, value)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation removed or replaced what this one aims at
    scenario = folder / "mutant.toml"
    scenario.write_text(tomli_w.dumps(_toml(data)), encoding="utf-8")
    out = folder / "out"
    before = sorted(p.name for p in folder.iterdir())
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["run", str(scenario), "--out", str(out), "--quiet", "--executor", "inline"])
    lines = err.getvalue().strip().splitlines()
    assert code in (0, 2), (mutations, err.getvalue())
    assert "Traceback" not in err.getvalue()
    if code == 2:
        assert len(lines) == 1 and lines[0].startswith("citytwin: error: "), (mutations, lines)
        assert sorted(p.name for p in folder.iterdir()) == before  # nothing written
        if len(mutations) == 1 and mutations[0][0] in ("type", "non-finite"):
            key = ".".join(str(k) for k in mutations[0][1])
            assert key in lines[0], (mutations, lines[0])
    else:
        if len(mutations) == 1 and mutations[0][0] == "non-finite":
            pytest.fail(f"a non-finite number was accepted: {mutations}")
        names = {p.name for p in out.iterdir()}
        assert {"indicators.csv", "communes.csv", "verdict.json", "manifest.json", "figures", MARKER} <= names
        modelled = [v for v in json.loads((out / "verdict.json").read_text()) if v["status"] != "NOT MODELLED"]
        figures = {p.name for p in (out / "figures").iterdir()}
        assert "budget_by_programme.png" in figures and {f"fan_{v['id']}.png" for v in modelled} <= figures
        shutil.rmtree(out)
        (folder / ".out.lock").unlink()


# ----------------------------------------------------------------------------- valid extremes

CANDIDATES = [0, 1e-9, 1e-3, 1, 100, 1e4, 1e6, 1e9, 1e15, 1e17]


def _extreme(data: dict, path: tuple, value: float) -> None:
    """Set a number; a sourced number loses its range (so the value alone is checked)."""
    if path[-1] == "value":
        node = _get(data, path[:-1])
        node.update(value=value, source="test: an extreme value", range=None)
    else:
        old = _get(data, path)
        _set(data, path, type(old)(value))


@pytest.fixture(scope="module")
def valid_extremes() -> list[tuple[tuple, float]]:
    """Every (number, candidate) the schema accepts on its own: the edges of what may run."""
    from sim.errors import ScenarioError
    from sim.inputs.scenario import validate_scenario, with_province_data
    from sim.schema import Scenario

    out = []
    for path in NUMERIC:
        if "range" in path or path[0] in ("ensemble", "targets"):
            continue
        for value in CANDIDATES:
            data = copy.deepcopy(BASE)
            _extreme(data, path, value)
            data["source_file"] = str(DAK_LAK)
            try:
                Scenario.model_validate(with_province_data(data))  # the schema alone: fast
                validate_scenario(data)
            except (ScenarioError, ValueError):
                continue
            out.append((path, value))
    return out


# Ten replayed examples (one to three extremes each); tests/test_hostile.py holds the refusals.
@settings(max_examples=EXPLORE or 10, deadline=None, derandomize=not EXPLORE, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(draw=st.data())
def test_every_accepted_extreme_runs(folder, valid_extremes, draw):
    """Values at the edges of what the schema accepts, one to three at once, either run to
    complete outputs or are refused by the cost check: never a crash."""
    chosen = draw.draw(st.lists(st.sampled_from(valid_extremes), min_size=1, max_size=3))
    data = copy.deepcopy(BASE)
    for path, value in chosen:
        _extreme(data, path, value)
    scenario = folder / "extreme.toml"
    scenario.write_text(tomli_w.dumps(_toml(data)), encoding="utf-8")
    out = folder / "out_extreme"
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["run", str(scenario), "--out", str(out), "--quiet", "--executor", "inline"])
    assert "Traceback" not in err.getvalue()
    assert code == 0 or (code == 2 and "ensemble.scale" in err.getvalue()), (chosen, err.getvalue())
    if code == 0:
        assert (out / MARKER).is_file() and (out / "verdict.json").is_file()
        shutil.rmtree(out)
