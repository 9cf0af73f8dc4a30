"""Indicators and monitoring on tiny hand-built inputs: the formulas, and the Recorder's timing."""

from __future__ import annotations

import numpy as np
import pytest

import sim.engine.indicators as ind
from sim.engine import behaviour as kern
from sim.engine.clock import Calendar
from sim.engine.monitoring import (
    online_services_uptake,
    province_cashless_share,
    ratio,
    weighted,
)
from sim.engine.payments import cashless_share


def test_ratio_and_weighted_mean() -> None:
    assert ratio(1, 4) == 0.25 and ratio(3, 0) == 0.0 and ratio(1.0000001, 1) == 1.0  # a share, clipped
    assert weighted(np.array([1.0, 3.0]), np.array([3, 1])) == 1.5
    assert weighted(np.array([np.inf, 0.0]), np.array([1, 1])) == 1825.0  # no staff: a very long wait


def test_uptake_counts_people_not_agents_and_adds_businesses() -> None:
    """Two communes at scale 0.5 (each agent stands for two people), and a few businesses."""
    citizen_counts = np.zeros((2, kern.CITIZEN_COUNTS), dtype=np.int64)
    citizen_counts[:, kern.RECENT] = [8, 12]
    citizen_counts[:, kern.RECENT_ONLINE] = [2, 9]
    business_counts = np.zeros((2, kern.BUSINESS_COUNTS))
    business_counts[:, kern.B_RECENT] = [4, 6]
    business_counts[:, kern.B_RECENT_ONLINE] = [1, 3]
    # people with a recent dossier: (8 + 12) / 0.5 = 40, online (2 + 9) / 0.5 = 22; firms 10, online 4
    assert online_services_uptake(citizen_counts, business_counts, 0.5) == pytest.approx((22 + 4) / (40 + 10))


def test_cashless_share_per_commune_and_for_the_province() -> None:
    """Two communes of 10 and 30 adults, 5 and 6 of them cashless adopters."""
    args = (np.array([5, 6]), np.array([10, 30]), np.array([0.5, 1.0]), np.array([0.8, 0.5]))
    per = cashless_share(*args)  # adopters x acceptance x habit / adults
    assert per == pytest.approx([5 * 0.5 * 0.8 / 10, 6 * 1.0 * 0.5 / 30])
    assert province_cashless_share(*args) == pytest.approx((per[0] * 10 + per[1] * 30) / 40)


def test_recorder_records_every_month_and_communes_in_december_and_at_the_end(monkeypatch) -> None:
    """A 3-month run from November: province values for each month, commune rows for December
    and for the last month (January), each stamped with its year."""
    class Model:
        calendar = Calendar("2024-11", 3)
        steps = 0

        @property
        def month(self) -> int:
            return self.steps - 1

        def step(self) -> None:
            self.steps += 1

    monkeypatch.setattr(ind, "province_indicators", lambda m: {"x": float(m.month), "y": 1.0})
    monkeypatch.setattr(ind, "commune_indicators", lambda m: [{"commune": "A", "x": float(m.month)}])
    rec = ind.Recorder(Model()).run()
    assert rec.records == [(2024, 11, "x", 0.0), (2024, 11, "y", 1.0), (2024, 12, "x", 1.0), (2024, 12, "y", 1.0),
                           (2025, 1, "x", 2.0), (2025, 1, "y", 1.0)]
    assert rec.commune_records == [{"commune": "A", "x": 1.0, "year": 2024}, {"commune": "A", "x": 2.0, "year": 2025}]
    assert rec.latest == {"x": 2.0, "y": 1.0}
