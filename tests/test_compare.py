"""Comparison as a first-class answer (issue 29, point 2): `citytwin compare A B` runs both plans
on the same runs and prints, per target, the paired change with its interval; `--set` without
`--out` never replaces the plan's own results."""

from __future__ import annotations

import json

import pytest
from conftest import DAK_LAK, ROOT, citytwin

from sim.experiments.outcomes import paired_change_interval
from sim.outputs.outfolder import changed_name

SHORT = ['time.end="2026-12"', "ensemble.scale=0.002",
         'targets.goals=["dak_lak.budget_floor", "national.smartphone_2025"]']
SETS = [a for s in SHORT for a in ("--set", s)]


def _variant(tmp_path, share: float):
    path = tmp_path / "more.toml"
    path.write_text(f'extends = "{DAK_LAK.as_posix()}"\nname = "dak_lak_more"\n[budget]\ndx_share = {share}\n',
                    encoding="utf-8")
    return path


def test_a_plan_against_more_money_prints_the_paired_change(tmp_path) -> None:
    out = tmp_path / "c"
    proc = citytwin("compare", str(DAK_LAK), str(_variant(tmp_path, 0.05)), "--runs", "4", "--out", str(out),
                    "--quiet", *SETS)
    assert proc.returncode == 0, proc.stderr
    answer = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert answer["paired"] and answer["runs"] == 4
    floor = next(t for t in answer["targets"] if t["indicator"] == "dx_budget_share")
    assert floor["difference_median"] == pytest.approx(0.02) and floor["share_better"] == 1.0
    assert floor["p_reach_change"] == 0.0  # 3% and 5% both meet the 3% floor
    assert "+2.0 pt" in proc.stdout and "moved most by 2026" in proc.stdout
    assert any(m["indicator"].startswith("dx_spent") for m in answer["moved_most"])
    assert (out / "compare.csv").is_file() and (out / "manifest.json").is_file()


def test_a_plan_against_itself_changes_nothing(tmp_path) -> None:
    out = tmp_path / "c"
    proc = citytwin("compare", str(DAK_LAK), str(DAK_LAK), "--runs", "3", "--out", str(out), "--quiet", *SETS)
    assert proc.returncode == 0, proc.stderr
    answer = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert all(t["difference_median"] == 0 and t["share_better"] == t["share_worse"] == 0 for t in answer["targets"])
    assert answer["moved_most"] == [] and "no indicator moved" in proc.stdout


def test_two_provinces_are_not_compared(tmp_path) -> None:
    proc = citytwin("compare", str(DAK_LAK), str(ROOT / "scenarios" / "da_nang.toml"), "--runs", "2",
                    "--out", str(tmp_path / "c"))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "the same province" in proc.stderr and not (tmp_path / "c").exists()


def test_the_paired_interval_is_narrower_than_two_independent_ones() -> None:
    """Pairing is the point: runs that move together give a change known far better than two
    separate Wilson intervals would say (here 6 of 20 runs gain the goal, none lose it)."""
    low, high = paired_change_interval(both=4, only_b=6, only_a=0, neither=10)
    assert 0.0 < low < 0.3 < high < 0.55
    low0, high0 = paired_change_interval(both=0, only_b=0, only_a=0, neither=20)
    assert low0 < 0 < high0


def test_set_without_out_writes_beside_the_plans_own_results(tmp_path) -> None:
    proc = citytwin("run", str(DAK_LAK), "--runs", "1", "--quiet", *SETS, "--set", "budget.dx_share=0.05",
                    cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    made = sorted(p.name for p in (tmp_path / "results").iterdir() if not p.name.startswith("."))
    assert made == [changed_name("dak_lak", [*SHORT, "budget.dx_share=0.05"])], made
    assert made[0].startswith("dak_lak__time.end-2026-12__")
    assert (tmp_path / "results" / made[0] / "verdict.json").is_file()


def test_a_variant_run_prints_what_it_changes_from_the_plans_saved_runs(tmp_path) -> None:
    """A planner's journey: a variant run before its plan says how to compare; once the plan's own
    results are saved, every variant run (a file that extends it, or the plan under --set) prints
    the paired change against them; runs that are not the same runs are never compared."""
    plan = tmp_path / "plan.toml"
    plan.write_text(f'extends = "{DAK_LAK.as_posix()}"\nname = "plan"\n[time]\nend = "2026-12"\n'
                    '[ensemble]\nruns = 3\nscale = 0.002\n'
                    '[targets]\ngoals = ["dak_lak.budget_floor", "national.smartphone_2025"]\n', encoding="utf-8")
    (tmp_path / "variant.toml").write_text('extends = "plan.toml"\nname = "variant"\n[budget]\ndx_share = 0.05\n',
                                           encoding="utf-8")

    def run(*args: str) -> str:
        proc = citytwin("run", *args, "--quiet", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    first = run("variant.toml")
    assert "citytwin compare plan.toml variant.toml" in first and "results/plan/ holds no results" in first
    assert "plan changes dak_lak: to see what it changes" in run("plan.toml")  # it varies the shipped plan
    shown = run("variant.toml")
    assert "What variant changes against plan, the same runs:" in shown and "3 runs each, the same seeds" in shown
    floor = next(line for line in shown.splitlines() if line.startswith("Resolution 57 share") and "->" in line)
    assert "3.0% -> 5.0%" in floor and "+2.0 pt" in floor and "100% / 0%" in floor
    changed = run("plan.toml", "--set", "budget.dx_share=0.05")
    assert "What plan with budget.dx_share=0.05 changes against plan" in changed and "+2.0 pt" in changed
    assert "not these 2 at 0.002" in run("variant.toml", "--runs", "2")
    plan.write_text(plan.read_text(encoding="utf-8").replace("runs = 3", "runs = 3\nseed = 7"), encoding="utf-8")
    assert "holds 3 runs at scale 0.002, not these 3" in run("variant.toml")  # other seeds: other runs
    plan.write_text(plan.read_text(encoding="utf-8") + '[infrastructure]\nfive_g_start_year = 2030\n',
                    encoding="utf-8")
    run("plan.toml")
    plan.write_text(plan.read_text(encoding="utf-8").replace("2030", "2031"), encoding="utf-8")
    assert "results of another version of plan" in run("variant.toml")


@pytest.mark.parametrize("name", ["x" * 300 + ".toml", "y" * 300])
@pytest.mark.parametrize("command", ["run", "compare"])
def test_a_scenario_name_too_long_for_the_file_system_is_one_line(tmp_path, name: str, command: str) -> None:
    """The name is read before anything else (is it a province's code? a nation?): a name longer
    than the file system allows is refused in one line, not a traceback."""
    before = [str(DAK_LAK)] if command == "compare" else []
    proc = citytwin(command, *before, str(tmp_path / name), "--runs", "1", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and proc.stderr.startswith("citytwin: error:"), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / "o").exists()


@pytest.mark.parametrize("table", ["", "run,year\n0,2025\n", "run,year,month,indicator,value\n7,2025,1,x,0.1\n"])
def test_a_saved_folder_edited_or_cut_short_is_never_compared(tmp_path, table: str) -> None:
    """An empty, headless or foreign indicators.csv: one reason, no traceback, nothing compared."""
    from sim.inputs.scenario import load_scenario
    from sim.outputs.saved import saved_runs

    spec = load_scenario(DAK_LAK)
    (tmp_path / "manifest.json").write_text(json.dumps({"resolved_scenario": spec.model_dump(mode="json"),
                                                        "scale": 0.01, "run_seeds": [1, 2], "runs": 2}))
    (tmp_path / "indicators.csv").write_text(table)
    runs, why = saved_runs(tmp_path, spec, 0.01, [1, 2])
    assert runs is None and "indicators.csv" in why and "\n" not in why, why
