"""Institutions on tiny hand-built inputs: the calendar, a payment's delivery after its lead
time, and the adaptive government's re-allocation."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import simpy

from sim.engine.clock import Calendar
from sim.engine.institutions import Government
from sim.schema import PROGRAMMES


def test_calendar_maps_months_and_days_both_ways() -> None:
    cal = Calendar("2024-11", 4)  # Nov, Dec, Jan (2025), Feb
    assert [cal.year_month(i) for i in range(4)] == [(2024, 11), (2024, 12), (2025, 1), (2025, 2)]
    assert [cal.day(i) for i in range(5)] == [0.0, 30.0, 61.0, 92.0, 120.0]
    assert [cal.days_in(i) for i in range(4)] == [30.0, 31.0, 31.0, 28.0]
    assert cal.index("2025-02") == 3 and cal.month_at(60.9) == 1 and cal.month_at(61.0) == 2
    assert cal.month_at(1e9) == 3  # after the end: the last month


def _government(**seen: float) -> SimpleNamespace:
    """A government's state without a model: just what _adapt and _deliver read."""
    return SimpleNamespace(spec=SimpleNamespace(budget=SimpleNamespace(adaptive_shift=0.2, adaptive_target=0.8)),
                           seen=seen,
                           calendar=Calendar("2025-01", 24), env=simpy.Environment(),
                           programmes=SimpleNamespace(lead_days=lambda programme: 45),
                           adapted=[], dx_spent_vnd=0.0, unabsorbed_vnd=0.0,
                           spent_by_programme={p: 0.0 for p in PROGRAMMES}, spent_by_year={},
                           allocation={"infrastructure": 0.4, "awareness": 0.1, "services": 0.3, "incentives": 0.2})


def test_adaptive_government_moves_money_to_the_behaviour_further_off_track() -> None:
    gov = _government(online_services_uptake=0.3, cashless_share=0.6)  # services 50 points short, incentives 20
    Government._adapt(gov, 2026)
    assert gov.allocation == pytest.approx({"infrastructure": 0.32, "awareness": 0.08, "services": 0.4,
                                            "incentives": 0.2})
    assert sum(gov.allocation.values()) == pytest.approx(1.0)
    assert gov.adapted == ["2026: moved 10.0% of the DX budget to services"]


def test_adaptive_government_leaves_the_budget_when_both_are_on_track() -> None:
    gov = _government(online_services_uptake=0.85, cashless_share=0.9)
    before = dict(gov.allocation)
    Government._adapt(gov, 2026)
    assert gov.allocation == before and gov.adapted == []


def test_a_payment_is_delivered_after_its_lead_time_and_the_rest_returns() -> None:
    """Paid on day 0 with a 45-day lead time: delivered in February; what the programme cannot
    absorb is counted as unabsorbed, not spent."""
    gov = _government()
    got = []

    def deliver(programme: str, vnd: float, communes: np.ndarray, year: int) -> float:
        got.append((programme, vnd, gov.env.now, year))
        return vnd * 0.75

    gov.programmes.deliver = deliver
    gov.env.process(Government._deliver(gov, "skills", 1000.0, np.arange(3), 2025))
    gov.env.run()
    assert got == [("skills", 1000.0, 45, 2025)]
    assert gov.calendar.month_at(45) == 1  # February
    assert gov.dx_spent_vnd == 750.0 and gov.unabsorbed_vnd == 250.0
    assert gov.spent_by_programme["skills"] == 750.0 and gov.spent_by_year[2025]["skills"] == 750.0
