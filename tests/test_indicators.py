"""Indicators and monitoring on tiny hand-built inputs: the formulas, and the Recorder's timing."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import sim.indicators as ind
from sim import behaviour as kern
from sim.institutions import Calendar
from sim.monitoring import commune_cashless_share, online_services_uptake, province_cashless_share, ratio, weighted


def test_ratio_and_weighted_mean() -> None:
    assert ratio(1, 4) == 0.25 and ratio(3, 0) == 0.0 and ratio(1.0000001, 1) == 1.0  # a share, clipped
    assert weighted(np.array([1.0, 3.0]), np.array([3, 1])) == 1.5
    assert weighted(np.array([np.inf, 0.0]), np.array([1, 1])) == 1825.0  # no staff: a very long wait


def _model() -> SimpleNamespace:
    """Two communes of 10 and 30 adult agents at scale 0.5 (each agent stands for two people),
    and a few businesses."""
    citizen_counts = np.zeros((2, kern.CITIZEN_COUNTS))
    citizen_counts[:, kern.CASHLESS] = [5, 6]
    business_counts = np.zeros((2, kern.BUSINESS_COUNTS))
    business_counts[:, kern.B_RECENT] = [4, 6]
    business_counts[:, kern.B_RECENT_ONLINE] = [1, 3]
    dossiers = np.array([[0, 0, 8, 2], [0, 0, 12, 9]], dtype=float)  # online, offline, recent, recent online
    world = SimpleNamespace(scale=0.5, citizens=SimpleNamespace(commune_start=np.array([0, 10, 40])))
    return SimpleNamespace(world=world, dossiers=dossiers, business_counts=business_counts,
                           citizen_counts=citizen_counts,
                           acceptance_experienced=lambda: np.array([0.5, 1.0]),
                           habit=SimpleNamespace(per_purchase=lambda: np.array([0.8, 0.5])))


def test_uptake_counts_people_not_agents_and_adds_businesses() -> None:
    # people with a recent dossier: (8 + 12) / 0.5 = 40, online (2 + 9) / 0.5 = 22; firms 10, online 4
    assert online_services_uptake(_model()) == pytest.approx((22 + 4) / (40 + 10))


def test_cashless_share_per_commune_and_for_the_province() -> None:
    m = _model()
    per = commune_cashless_share(m)  # adopters x acceptance x habit / adults
    assert per == pytest.approx([5 * 0.5 * 0.8 / 10, 6 * 1.0 * 0.5 / 30])
    assert province_cashless_share(m) == pytest.approx((per[0] * 10 + per[1] * 30) / 40)


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
