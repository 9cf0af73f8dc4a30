"""Plausibility (issue 29, point 6): a plan far outside anything sourced runs with a one-line
warning; a per cent written as a per cent is refused with the unit's hint."""

from __future__ import annotations

import pytest
from conftest import DAK_LAK, ROOT, citytwin

from sim.inputs.nation import is_nation, load_nation
from sim.inputs.plausibility import RULES, implausible
from sim.inputs.scenario import load_scenario
from sim.schema import bounds

SHIPPED = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "scenarios").rglob("*.toml")
                 if p.parent.name != "common")
SHORT = ["--runs", "1", "--set", "ensemble.scale=0.002", "--set", 'time.end="2025-12"',
         "--set", 'targets.goals=["dak_lak.budget_floor"]', "--quiet"]


@pytest.mark.parametrize("path", SHIPPED)
def test_every_shipped_plan_is_plausible(path: str) -> None:
    specs = load_nation(ROOT / path).provinces if is_nation(ROOT / path) else [load_scenario(ROOT / path)]
    assert [line for s in specs for line in implausible(s)] == []


def test_each_span_is_a_lever_the_schema_allows_and_narrower() -> None:
    for rule in RULES:
        low, high = bounds(rule.key)  # KeyError for a key the schema does not have
        assert low <= rule.low < rule.high <= high, rule.key


@pytest.mark.parametrize(("sets", "expected"), [
    (["budget.dx_share=0.5"], "Resolution 57 share of the budget (budget.dx_share = 0.5, 50.0%) is far outside "
                              "anything sourced"),
    (["budget.dx_share=0.005"], "(budget.dx_share = 0.005, 0.5%) is far outside"),
    (["budget.growth=0.45"], "a growth rate is a fraction: 0.07 = 7% a year"),
    (["infrastructure.five_g_start_year=2040"],
     "5G start year (infrastructure.five_g_start_year = 2040) is far outside"),
])
def test_a_plan_far_outside_anything_sourced_runs_with_a_warning(tmp_path, sets: list[str], expected: str) -> None:
    args = [a for s in sets for a in ("--set", s)]
    proc = citytwin("run", str(DAK_LAK), *SHORT, *args, "--out", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    warned = [line for line in proc.stderr.splitlines() if line.startswith("citytwin: warning:")]
    assert len(warned) == 1 and expected in warned[0], proc.stderr
    assert (tmp_path / "r" / "verdict.json").is_file()


def test_a_plausible_plan_is_not_warned_of(tmp_path) -> None:
    proc = citytwin("run", str(DAK_LAK), *SHORT, "--set", "budget.dx_share=0.05", "--out", str(tmp_path / "r"))
    assert proc.returncode == 0 and "warning" not in proc.stderr, proc.stderr


@pytest.mark.parametrize(("value", "hint"), [("5", "a share is a fraction: 0.05 = 5%"),
                                             ("5%", "write 5% as 0.05"),
                                             ("12.5 %", "write 12.5% as 0.125")])
def test_a_per_cent_written_as_a_per_cent_is_refused_with_the_hint(tmp_path, value: str, hint: str) -> None:
    proc = citytwin("run", str(DAK_LAK), *SHORT, "--set", f"budget.dx_share={value}", "--out", str(tmp_path / "r"))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("citytwin: error:") and hint in proc.stderr
    assert not (tmp_path / "r").exists()
