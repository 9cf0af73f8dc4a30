"""The nation (issue 26, point 3 and check 7): run r of every province combined into national run
r, each indicator weighted as its definition requires; levers for every province or one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import citytwin

from sim.experiments.ensemble import run_one
from sim.experiments.execution import Execution
from sim.experiments.national import run_nation, weight_kind
from sim.inputs.nation import is_nation, load_nation
from sim.schema import INDICATORS, SHARE_INDICATORS

ROOT = Path(__file__).resolve().parent.parent
PROVINCES = {12: "lai_chau", 4: "cao_bang"}


@pytest.fixture(scope="module")
def nation_file(tmp_path_factory) -> Path:
    """A nation of two small provinces (their shipped scenarios), two runs at a small scale."""
    root = tmp_path_factory.mktemp("nation")
    (root / "p").mkdir()
    for code, slug in PROVINCES.items():
        shipped = ROOT / "scenarios" / "provinces" / f"{code:02d}_{slug}.toml"
        (root / "p" / shipped.name).write_text(f'extends = "{shipped}"\n')
    (root / "two.toml").write_text(
        'name = "two"\n[nation]\nprovinces = "p"\ngoals = ["national.online_services_2030", '
        '"national.digital_economy_2030", "national.budget_floor"]\n'
        '[ensemble]\nruns = 2\nseed = 5\nscale = 0.004\n')
    return root / "two.toml"


def test_every_indicator_has_a_rule_and_no_share_is_summed() -> None:
    for name in INDICATORS:
        kind = weight_kind(name)
        assert kind in ("sum", "min", "adults", "businesses", "grdp", "spending", "exports", "ratio")
        if name in SHARE_INDICATORS:
            assert kind != "sum", name
    assert weight_kind("digital_economy_share") == "grdp" and weight_kind("dx_budget_share") == "spending"
    assert weight_kind("merchant_acceptance") == "businesses" and weight_kind("dx_spent_vnd") == "sum"
    assert weight_kind("hightech_export_share") == "exports" and weight_kind("tfp_contribution_share") == "ratio"


def test_national_run_r_combines_provincial_runs_r(nation_file: Path) -> None:
    nation = load_nation(nation_file)
    assert is_nation(nation_file) and not is_nation(ROOT / "scenarios" / "dak_lak.toml")
    result = run_nation(nation, execution=Execution(executor="inline"))
    own = {s.province.code: [run_one(s, r) for r in range(nation.runs)] for s in nation.provinces}
    names = result.runs[0].names
    for r, national in enumerate(result.runs):
        rows = {code: runs[r] for code, runs in own.items()}
        for j, name in enumerate(names):
            kind = weight_kind(name)
            vals = np.stack([rows[s.province.code].values[:, j] for s in nation.provinces])
            if kind == "sum":
                expected = vals.sum(axis=0)
            elif kind == "min":
                expected = vals.min(axis=0)
            elif kind == "ratio":  # the nation's TFP growth over its GRDP growth, each weighted by GRDP
                grdp = [s.province.grdp_vnd.value for s in nation.provinces]
                part = [np.stack([rows[s.province.code].values[:, names.index(k)] for s in nation.provinces])
                        for k in ("tfp_growth", "grdp_growth_average")]
                expected = np.average(part[0], axis=0, weights=grdp) / np.average(part[1], axis=0, weights=grdp)
            else:
                w = {"adults": [rows[s.province.code].citizens / s.ensemble.scale for s in nation.provinces],
                     "businesses": [rows[s.province.code].businesses / s.ensemble.scale for s in nation.provinces],
                     "grdp": [s.province.grdp_vnd.value for s in nation.provinces],
                     "spending": [s.budget.spending_vnd.value for s in nation.provinces],
                     "exports": [s.economy.exports.exports_usd.value for s in nation.provinces]}[kind]
                expected = np.average(vals, axis=0, weights=w)
            np.testing.assert_allclose(national.values[:, j], expected, rtol=1e-12, err_msg=name)
        assert national.seed == rows[12].seed == rows[4].seed  # the same seeds in every province
    # The nation lies between its provinces for a weighted share.
    j = names.index("online_services_adoption")
    lo = min(own[c][0].values[-1, j] for c in own)
    hi = max(own[c][0].values[-1, j] for c in own)
    assert lo <= result.runs[0].values[-1, j] <= hi


def test_a_lever_for_one_province_or_for_all(nation_file: Path) -> None:
    one = load_nation(nation_file, ["provinces.12.budget.dx_share=0.05"])
    share = {s.province.code: s.budget.dx_share for s in one.provinces}
    assert share[12] == 0.05 and share[4] != 0.05
    every = load_nation(nation_file, ["budget.dx_share=0.05"])
    assert all(s.budget.dx_share == 0.05 for s in every.provinces)


def test_the_command_writes_the_national_verdict_provinces_and_maps(nation_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "two"
    proc = citytwin("run", str(nation_file), "--out", str(out), "--set", "provinces.4.budget.dx_share=0.04")
    assert proc.returncode == 0, proc.stderr
    assert "ranking of the provinces" in proc.stdout and "Lai Châu" in proc.stdout
    verdict = json.loads((out / "verdict.json").read_text())
    assert [v["id"] for v in verdict] == ["national.online_services_2030", "national.digital_economy_2030",
                                         "national.budget_floor"]
    import pandas as pd

    table = pd.read_csv(out / "provinces.csv")
    assert sorted(table.province_code.unique()) == [4, 12] and set(table["rank"]) == {1, 2}
    assert (out / "figures" / "provinces_national_online_services_2030.png").stat().st_size > 10_000
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"] == "two" and len(manifest["provinces"]) == 2


def test_a_bad_province_lever_is_one_line(nation_file: Path, tmp_path: Path) -> None:
    proc = citytwin("run", str(nation_file), "--out", str(tmp_path / "x"), "--set", "provinces.99.budget.dx_share=1")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "provinces.<code>" in proc.stderr
    assert not (tmp_path / "x").exists()


def test_admission_keeps_running_worlds_within_the_budget() -> None:
    """The memory-aware dispatch: the largest waiting task that fits, any task when none runs (one
    larger than the budget runs alone), and every task handed out once."""
    import threading
    import time as clock

    from sim.experiments.admission import Admission

    costs = {"huge": 5.0, "big": 3.0, "mid": 2.0, "a": 1.0, "b": 1.0, "c": 0.5}
    gate = Admission(list(costs), costs.__getitem__, budget=4.0)
    seen: list[str] = []
    running: set[str] = set()
    worst = [0.0]
    lock = threading.Lock()

    def work(task: str) -> None:
        with lock:
            running.add(task)
            total = sum(costs[t] for t in running)
            if len(running) > 1:
                worst[0] = max(worst[0], total)
        clock.sleep(0.01 * costs[task])
        with lock:
            running.discard(task)
        gate.release(task)

    threads = []
    for task in gate.feed():
        seen.append(task)
        threads.append(threading.Thread(target=work, args=(task,)))
        threads[-1].start()
    for t in threads:
        t.join()
    assert sorted(seen) == sorted(costs) and seen[0] == "huge"
    assert worst[0] <= 4.0
