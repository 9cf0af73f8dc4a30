"""`citytwin hindcast` (issue 28, points 2-3): the forecast of a past date scored against what was
published since, beside the naive forecasts, from the evidence of that date only."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import citytwin

from sim.experiments.ensemble import RunResult, RunTable
from sim.experiments.hindcast import Observation, score
from sim.inputs.targets import Target

CUTOFF = date(2024, 12, 31)


def _runs(values: list[float], years=(2025, 2026)) -> RunTable:
    """Runs whose one indicator, x, is `values[r]` in every month."""
    months = [(y, m) for y in years for m in range(1, 13)]
    return RunTable(runs=[RunResult(run=r, seed=r, years=np.array([y for y, _ in months]),
                                    months=np.array([m for _, m in months]), names=["grdp_growth"],
                                    values=np.full((len(months), 1), v), communes=[], citizens=1, businesses=1,
                                    build_seconds=0.0, run_seconds=1.0) for r, v in enumerate(values)])


def _obs(id: str, year: int, value: float, published: date, province: int = 5) -> Observation:
    return Observation(id, province, "grdp_growth", year, 12, value, published, "test")


def test_scores_against_later_observations_and_naive_forecasts_from_earlier_ones_only() -> None:
    runs = _runs(list(np.linspace(0.05, 0.09, 21)))
    obs = [_obs("h2022", 2022, 0.08, date(2022, 12, 29)), _obs("h2023", 2023, 0.05, date(2023, 12, 29)),
           _obs("h2024", 2024, 0.09, date(2025, 1, 6)),  # published after the cutoff: not history
           _obs("o2025", 2025, 0.07, date(2026, 1, 5)), _obs("far", 2025, 0.2, date(2026, 1, 5)),
           _obs("elsewhere", 2025, 0.07, date(2026, 1, 5), province=9)]
    h = score({5: runs}, 5, CUTOFF, obs, [])
    by = {s.obs.id: s for s in h.scored}
    assert set(by) == {"o2025", "far"}
    o = by["o2025"]
    assert o.score.median == pytest.approx(0.07) and o.score.covered
    assert o.naive["no_change"][0] == pytest.approx(0.05)          # 2023's, not 2024's
    assert o.naive["last_trend"][0] == pytest.approx(-0.01)        # 0.05 + 2 x (0.05 - 0.08): two years on
    assert o.naive["no_change"][1] == pytest.approx(0.02)
    assert not by["far"].score.covered and by["far"].score.interval_score > by["far"].score.high - by["far"].score.low
    assert h.coverage == 0.5
    assert any(o.id == "elsewhere" and "not run" in why for o, why in h.outside)
    assert any(o.id == "h2024" and "horizon" in why for o, why in h.outside)
    s = h.summary()
    assert s["observations"] == 2 and s["no_change_observations"] == 2
    assert s["crps"] == pytest.approx(np.mean([by[k].score.crps for k in by]))


def test_a_forecast_that_kept_inert_numbers_is_scored_on_their_indicators_only() -> None:
    runs = _runs([0.06, 0.07, 0.08])
    obs = [_obs("o2025", 2025, 0.07, date(2026, 1, 5))]
    kept = {"date": "2015-12-31", "only": ["account_ownership"]}
    h = score({5: runs}, 5, date(2015, 12, 31), obs, [], restriction=kept)
    assert not h.scored and "inert for account_ownership only" in h.outside[0][1]
    growth = {**kept, "only": ["grdp_growth"]}
    assert len(score({5: runs}, 5, date(2015, 12, 31), obs, [], restriction=growth).scored) == 1
    nation = {"date": "2015-12-31", "provinces": {5: kept}}
    assert not score({0: runs, 5: runs}, 0, date(2015, 12, 31), obs, [], restriction=nation).scored


def test_goals_with_a_published_outcome_get_their_probability_scored(monkeypatch) -> None:
    import sim.experiments.hindcast as hc

    runs = _runs([0.05] * 5 + [0.09] * 15)  # 75% of runs reach 8%
    here = hc.place_name(75)
    assert here == "dong_nai" and hc.place_name(0) == "national"
    out = {"published": "2026-01-05", "source": "test", "province": here}
    monkeypatch.setattr(hc, "goal_outcomes", lambda: {
        "g.reached": out | {"reached": True, "what": "9%"},
        "g.missed": out | {"reached": False, "what": "7%"},
        "g.old": out | {"reached": True, "published": "2024-06-01", "what": "known before"},
        "g.elsewhere": out | {"reached": True, "what": "9%", "province": "national"},
        "g.other_measure": out | {"reached": True, "what": "9%", "comparable": False, "why": "another measure"}})
    targets = [Target("g.reached", "grdp_growth", ">=", 0.08, 2025, "t", every_year=True),
               Target("g.missed", "grdp_growth", ">=", 0.08, 2026, "t"),
               *(Target(g, "grdp_growth", ">=", 0.08, 2025, "t") for g in ("g.old", "g.elsewhere", "g.other_measure"))]
    h = score({75: runs}, 75, CUTOFF, [], targets)
    assert [(g.id, g.probability, g.reached) for g in h.goals] == [("g.reached", 0.75, True), ("g.missed", 0.75, False)]
    assert h.goals_not_comparable == [("g.other_measure", "another measure")]
    p = h.probabilities
    assert p.brier == pytest.approx((0.25**2 + 0.75**2) / 2) and p.brier_base == pytest.approx(0.25)


@pytest.fixture(scope="module")
def hindcast_dir(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("hindcast") / "dong_nai"
    proc = citytwin("hindcast", "dong_nai", "--as-of", "2024-12-31", "--runs", "3", "--out", str(out),
                     "--set", "ensemble.scale=0.003", "--quiet")
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


def test_hindcast_writes_one_entry_per_observation_a_table_and_a_figure(hindcast_dir) -> None:
    out, stdout = hindcast_dir
    data = json.loads((out / "hindcast.json").read_text(encoding="utf-8"))
    assert data["as_of"] == "2024-12-31" and data["runs"] == 3
    entries = data["observations"]
    assert entries and {"indicator", "province", "year", "month", "observed", "source", "median", "p5", "p95",
                        "covered", "score", "naive_scores"} <= set(entries[0])
    grdp = next(e for e in entries if e["id"] == "dong_nai.grdp_growth_2025")
    assert grdp["observed"] == pytest.approx(0.0963) and grdp["p5"] <= grdp["median"] <= grdp["p95"]
    assert grdp["naive_scores"]["no_change"]["forecast"] == pytest.approx(0.08266)  # 2024's, published by then
    table = pd.read_csv(out / "hindcast.csv")
    assert len(table) == len(entries) and {"crps", "no_change_crps", "last_trend_crps"} <= set(table.columns)
    assert (out / "figures" / "hindcast_grdp_growth.png").stat().st_size > 10_000
    assert "published since" in stdout and "kept from after the cutoff" in stdout
    evidence = data["evidence"]
    assert evidence["date"] == "2024-12-31" and "baseline.account_ownership" in evidence["replaced"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["as_of"] == "2024-12-31" and manifest["resolved_scenario"]["as_of"]["date"] == "2024-12-31"


def test_hindcast_needs_its_date() -> None:
    proc = citytwin("hindcast", "dong_nai", "--runs", "1")
    assert proc.returncode == 2 and "--as-of is required" in proc.stderr and "Traceback" not in proc.stderr
