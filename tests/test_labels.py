"""Plain words (issue 29, point 3, the indicators): every indicator has a planner's label, short
and unique, shown in place of its id in the verdict table, the dashboard and verdict.json."""

from __future__ import annotations

from sim.labels import INDICATOR_LABELS, label
from sim.schema import INDICATORS


def test_every_indicator_has_one_short_label_of_its_own() -> None:
    assert set(INDICATOR_LABELS) == set(INDICATORS), sorted(set(INDICATORS) ^ set(INDICATOR_LABELS))
    assert len(set(INDICATOR_LABELS.values())) == len(INDICATOR_LABELS)  # no two indicators read the same
    assert all(len(v) <= 50 and "_" not in v and not v[0].islower() for v in INDICATOR_LABELS.values())


def test_the_verdict_carries_the_label_and_shows_it() -> None:
    import numpy as np

    from sim.experiments.ensemble import RunResult, RunTable
    from sim.inputs.targets import Target
    from sim.outputs.verdict import judge, verdict_table

    runs = [RunResult(run=r, seed=r, years=np.array([2030]), months=np.array([12]), names=["cashless_share"],
                      values=np.array([[0.5 + 0.1 * r]]), communes=[], citizens=1, businesses=1, build_seconds=0.0,
                      run_seconds=0.0) for r in range(4)]
    v = judge(Target("t", "cashless_share", ">=", 0.8, 2030, "test"), RunTable(runs=runs))
    assert v.as_dict()["label"] == label("cashless_share") == "Retail payments made cashless"
    rows = verdict_table([v]).splitlines()
    assert rows[2].startswith("Retail payments made cashless") and "cashless_share" not in rows[2]
