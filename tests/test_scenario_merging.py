"""Scenario merging on tiny hand-built files: `extends` chains, sourced numbers replaced whole,
`--set` overrides, and where each key came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.inputs.scenario import _merge, apply_override, parse_override, scenario_dict


def test_merge_is_deep_and_records_the_file_of_each_key() -> None:
    base = {"a": {"x": 1, "y": 2}, "b": 3}
    origin: dict[str, str] = {}
    _merge(base, {"a": {"y": 20, "z": 30}}, origin, "top.toml")
    assert base == {"a": {"x": 1, "y": 20, "z": 30}, "b": 3}
    assert origin == {"a.y": "top.toml", "a.z": "top.toml"}


def test_a_sourced_number_is_replaced_whole() -> None:
    """A new source never inherits the old range (nor a per-person figure its total)."""
    base = {"k": {"value": 0.5, "source": "assumption: old", "range": [0.4, 0.6]}}
    _merge(base, {"k": {"value": 0.7, "source": "a survey"}}, {}, "top.toml")
    assert base == {"k": {"value": 0.7, "source": "a survey"}}
    _merge(base, {"k": {"per_person": 2.0, "source": "national"}}, {}, "top.toml")
    assert base == {"k": {"per_person": 2.0, "source": "national"}}


def test_merging_copies_so_the_parent_is_not_shared() -> None:
    top = {"t": {"list": [1, 2]}}
    base: dict = {}
    _merge(base, top, {}, "top.toml")
    base["t"]["list"].append(3)
    assert top == {"t": {"list": [1, 2]}}


def test_extends_chain_child_wins_and_paths_are_relative_to_each_file(tmp_path: Path) -> None:
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "base.toml").write_text('name = "base"\n[time]\nstart = "2025-01"\nend = "2030-12"\n'
                                                   '[ensemble]\nruns = 4\nseed = 1\n', encoding="utf-8")
    (tmp_path / "mid.toml").write_text('extends = "common/base.toml"\n[ensemble]\nruns = 8\n', encoding="utf-8")
    (tmp_path / "top.toml").write_text('extends = "mid.toml"\nname = "top"\n[time]\nend = "2035-12"\n',
                                       encoding="utf-8")
    data, origin = scenario_dict(tmp_path / "top.toml", ["ensemble.seed=7"])
    assert data["name"] == "top" and data["time"] == {"start": "2025-01", "end": "2035-12"}
    assert data["ensemble"] == {"runs": 8, "seed": 7}
    assert origin["ensemble.runs"].endswith("mid.toml") and origin["time.end"].endswith("top.toml")
    assert origin["time"].endswith("base.toml")  # a table first set whole by the base file
    assert origin["ensemble.seed"] == "--set ensemble.seed=7"


def test_an_extends_cycle_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="extends: cycle through"):
        scenario_dict(tmp_path / "a.toml")


@pytest.mark.parametrize("text,keys,value", [
    ("ensemble.runs=12", ["ensemble", "runs"], 12),
    ("budget.dx_share=0.05", ["budget", "dx_share"], 0.05),
    ('name="x y"', ["name"], "x y"),
    ("targets.goals=[]", ["targets", "goals"], []),
    ('free={"a.b" = [0.0, 1.0]}', ["free"], {"a.b": [0.0, 1.0]}),
])
def test_set_parses_toml_values(text: str, keys: list[str], value: object) -> None:
    assert parse_override(text) == (keys, value)


def test_set_keeps_a_sourced_number_sourced() -> None:
    """--set on a sourced number sets its value, and its source then says where the value came
    from (the command line) and what the file's source was: the file's source described the
    file's value. The range stays, and an assumption stays an assumption (drawn from it)."""
    data = {"baseline": {"digital_skill": {"value": 0.4, "source": "a survey", "range": [0.3, 0.5]},
                         "staff": {"value": 2.9, "source": "assumption: a guess", "range": [2.4, 3.6]}}}
    apply_override(data, ["baseline", "digital_skill"], 0.45, "baseline.digital_skill=0.45")
    skill = data["baseline"]["digital_skill"]
    assert skill["value"] == 0.45 and skill["range"] == [0.3, 0.5]
    assert skill["source"] == ("set on the command line: --set baseline.digital_skill=0.45 (the scenario had 0.4, "
                               "source: a survey)")
    apply_override(data, ["baseline", "staff"], 3.0, "baseline.staff=3.0")
    assert data["baseline"]["staff"]["source"].startswith("assumption: set on the command line")
    apply_override(data, ["baseline", "staff"], 3.0, "baseline.staff=3.0")  # the same value: unchanged
    assert data["baseline"]["staff"]["source"].count("set on the command line") == 1


def test_set_reaches_a_number_the_shipped_data_fill_in(root) -> None:
    """A false refusal of round one: Gia Lai takes its population from the shipped data, and
    `--set province.population=...` sets that number (per-person totals, 5G sites, follow it), instead of
    failing on a key the file does not spell out."""
    from sim.inputs.scenario import load_scenario

    base = load_scenario(root / "scenarios" / "gia_lai.toml")
    fewer = base.province.population.range[0] + 1000
    spec = load_scenario(root / "scenarios" / "gia_lai.toml", [f"province.population={fewer}"])
    assert spec.province.population.value == fewer and "set on the command line" in spec.province.population.source
    assert spec.baseline.sites_5g.value / base.baseline.sites_5g.value == pytest.approx(
        fewer / base.province.population.value)
