"""The dashboard's logic without a browser (sim.app.session): levers bounded by the schema,
splits kept summing to one, the plan checked like a file, the downloaded TOML accepted unchanged,
uploads confined and refused in one line, a cancellable ensemble compared with the same runs."""

from __future__ import annotations

import threading
import zipfile
from dataclasses import replace
from io import BytesIO

import pytest
from conftest import DAK_LAK, ROOT

from sim.app.session import (
    Cancelled,
    Session,
    changes,
    controls,
    default_pilot,
    lever_values,
    money_bought,
    plan,
    read_scenario_text,
    rebalance,
    scenario_toml,
)
from sim.errors import ScenarioError
from sim.inputs.scenario import load_scenario
from sim.schema import bounds
from sim.world.geography import build_geography, world_rng

SHORT = ["ensemble.scale=0.002", 'time.end="2027-12"', 'targets.goals=["dak_lak.budget_floor"]',
         "targets.custom=[{id=\"uptake\", indicator=\"online_services_uptake\", comparison=\">=\", threshold=0.5, "
         "year=2027, source=\"test\"}]"]


@pytest.fixture(scope="module")
def base():
    return load_scenario(DAK_LAK, SHORT)


def test_controls_stay_inside_the_schema_and_the_horizon(base):
    cs = controls(base)
    keys = {c.key for c in cs}
    assert {"budget.dx_share", "budget.disbursement", "infrastructure.five_g_start_year",
            "budget.incentives_mix.fee_discount", "budget.incentives_mix.merchant_onboarding"} <= keys
    assert {k for k in keys if k.startswith("budget.allocation.")} == {f"budget.allocation.{p}" for p in
                                                                        base.budget.allocation}
    for c in cs:
        low, high = bounds(c.key)
        assert low <= c.low < c.high <= high, c
        assert c.low <= lever_values(base)[c.key] <= c.high, c
    year = next(c for c in cs if c.key == "infrastructure.five_g_start_year")
    assert (year.low, year.high) == (base.time.start_year, base.time.end_year + 1)


def test_a_split_moved_by_one_key_still_sums_to_one():
    split = {"a.x": 0.35, "a.y": 0.3, "a.z": 0.35}
    for v in (0.0, 0.2, 0.9, 1.0, 1.3, -0.1):
        out = rebalance(split, "a.y", v)
        assert sum(out.values()) == pytest.approx(1.0)
        assert out["a.y"] == min(max(v, 0.0), 1.0)
        if v < 1.0:  # the others keep their proportions
            assert out["a.x"] == pytest.approx(out["a.z"])
    assert rebalance({"a.x": 1.0, "a.y": 0.0, "a.z": 0.0}, "a.x", 0.4) == {"a.x": 0.4, "a.y": 0.3, "a.z": 0.3}


def test_a_plan_is_checked_like_a_file(base):
    v = lever_values(base)
    assert plan(base, v).model_dump(exclude={"source_file"}) == base.model_dump(exclude={"source_file"})
    for key, value, words in [("budget.dx_share", 1.5, ["budget.dx_share", "1.5"]),
                              ("budget.dx_share", float("nan"), ["budget.dx_share", "number"]),
                              ("budget.allocation.skills", 0.9, ["budget.allocation"]),  # no longer sums to 1
                              ("budget.nonsense", 0.1, ["budget.nonsense", "not a lever"])]:
        with pytest.raises(ScenarioError) as err:
            plan(base, v | {key: value})
        assert "\n" not in str(err.value) and all(w in str(err.value) for w in words), str(err.value)
    pilot = replace(default_pilot(base), communes=("Nowhere at all",))
    with pytest.raises(ScenarioError, match="Nowhere at all"):
        plan(base, v, pilot)
    with pytest.raises(ScenarioError, match="YYYY-MM"):
        plan(base, v, replace(default_pilot(base), communes=("Phường Buôn Ma Thuột",), start="2027-13"))


def test_the_downloaded_scenario_is_the_plan_and_runs_unchanged(base, tmp_path):
    v = lever_values(base) | {"budget.dx_share": 0.05, "infrastructure.five_g_start_year": 2026}
    v |= rebalance({k: x for k, x in v.items() if k.startswith("budget.allocation.")}, "budget.allocation.skills", 0.4)
    geo = build_geography(base, world_rng(base.ensemble.seed))
    code = str(int(geo.codes[0]))  # a commune by its code, as the map sends it
    spec = plan(base, v, replace(default_pilot(base), communes=(code,)))
    said = changes(base, spec)
    assert any(s.startswith("budget.dx_share: 0.03 -> 0.05") for s in said)
    assert any(s.startswith("policies: + dashboard pilot") for s in said)
    text = scenario_toml(spec, str(DAK_LAK), said)
    assert "budget.dx_share: 0.03 -> 0.05" in text.splitlines()[3]
    path = tmp_path / "elsewhere" / "plan.toml"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    again = load_scenario(path)  # saved anywhere: no extends to follow
    assert again.model_dump(exclude={"source_file"}) == spec.model_dump(exclude={"source_file"})


def test_uploads_pass_the_same_schema_and_stay_confined(base, tmp_path):
    good = scenario_toml(base, "test", [])
    assert read_scenario_text(good, roots=(ROOT / "scenarios",)).model_dump(exclude={"source_file"}) == \
        base.model_dump(exclude={"source_file"})
    cases = [(good.replace("dx_share = 0.03", "dx_share = 3"), ["budget.dx_share"]),
             (good.replace("[budget]", "[budget]\nbudjet = 1", 1), ["budjet", "unknown key"]),
             ("this is = = not toml", ["uploaded.toml"]),
             ('extends = "/etc/passwd"\n' + good, ["extends"]),
             (b"\xff\xfe", ["uploaded.toml"])]
    for text, words in cases:
        with pytest.raises(ScenarioError) as err:
            read_scenario_text(text, roots=(ROOT / "scenarios",))
        assert "\n" not in str(err.value) and all(w in str(err.value) for w in words), str(err.value)


@pytest.fixture(scope="module")
def session(base):
    s = Session(base, runs=4, executor="inline")
    yield s
    s.close()


def test_a_plan_is_compared_with_the_same_runs_of_the_scenario_as_loaded(session, base):
    seen: list[tuple[str, int, int]] = []
    same = session.run(base, lambda what, done, total: seen.append((what, done, total)))
    assert [s for s in seen if s[1] == s[2]] == [("the scenario as loaded", 4, 4)]
    assert same.result is same.baseline and not same.changed
    assert (same.comparison.difference_median == 0).all() and (same.comparison.p_reach_change == 0).all()
    more = session.run(plan(base, lever_values(base) | {"budget.dx_share": 0.06}))
    assert more.changed and more.baseline is same.baseline  # the baseline ran once
    floor = more.comparison.set_index("id").loc["dak_lak.budget_floor"]
    assert floor.difference_median == pytest.approx(0.03, abs=1e-6) and floor.share_better == 1.0
    money = money_bought(more)
    spent = money[money.what.str.startswith("dx_spent_")]
    assert spent.plan.sum() > spent.as_loaded.sum()  # twice the share: more money spent


def test_a_cancelled_run_stops_and_the_next_one_runs(session, base):
    cancelled = threading.Event()

    def cancel_after_first(what: str, done: int, total: int) -> None:
        if done >= 1:
            cancelled.set()

    spec = plan(base, lever_values(base) | {"budget.dx_share": 0.04})
    with pytest.raises(Cancelled):
        session.run(spec, cancel_after_first, cancelled)
    assert session.run(spec).changed  # the session still works


def test_the_zip_holds_the_output_folder_and_the_scenario(session, base):
    geo = build_geography(base, world_rng(base.ensemble.seed))
    spec = plan(base, lever_values(base), replace(default_pilot(base), communes=(str(int(geo.codes[3])),)))
    outcome = session.run(spec)
    assert outcome.pilot is not None and outcome.without_pilot is not None
    names = zipfile.ZipFile(BytesIO(session.output_zip(outcome))).namelist()
    folder = spec.name + "/"
    for name in ("verdict.json", "indicators.csv", "communes.csv", "manifest.json", "pilot.csv", "scenario.toml"):
        assert folder + name in names
    assert any(n.startswith(folder + "figures/fan_") for n in names)


def test_the_page_breaks_no_rule_of_hooks() -> None:
    """Solara checks each component's hooks when the page is imported: a hook after an early return
    (a different number of hooks from one render to the next) is a warning on every start."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-W", "default", "-c", "import sim.app.page"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "rules-of-hooks" not in proc.stderr and "early return" not in proc.stderr, proc.stderr
