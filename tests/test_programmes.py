"""Programmes on tiny hand-built inputs: whole units bought at their cost, within the year's
absorptive capacity, money short of a unit carried to the next tranche, pilots' own capacity."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from sim.programmes import Programmes, stochastic_round
from sim.streams import stream


def _programmes(capacity_per_million: float = 10.0, growth: float = 0.0) -> Programmes:
    """Two communes of 100,000 and 300,000 people (capacity 1 and 3 units a year at 10 per million)."""
    spec = SimpleNamespace(delivery=SimpleNamespace(growth=SimpleNamespace(value=growth),
                                                    trainees=SimpleNamespace(value=capacity_per_million)),
                           time=SimpleNamespace(start_year=2025))
    world = SimpleNamespace(geo=SimpleNamespace(n=2, population=np.array([1e5, 3e5])))
    model = SimpleNamespace(spec=spec, world=world,
                            stream=lambda name: stream(1, name))
    return Programmes(model)


ALL = np.array([0, 1])


def test_whole_units_within_capacity_and_the_carry() -> None:
    p = _programmes()
    delivered = []

    def deliver(n: int) -> int:
        delivered.append(n)
        return n

    # 2.5 units of money: 2 delivered, half a unit's money waits (absorbed: it is held for the next unit)
    assert p._buy("k", "trainees", 250.0, 100.0, 2025, ALL, deliver) == pytest.approx(250.0)
    assert delivered == [2] and p._carry["k"] == pytest.approx(50.0)
    # 3 more units' money: capacity left is 4 - 2 = 2, so 2 delivered; the rest is not absorbed
    absorbed = p._buy("k", "trainees", 300.0, 100.0, 2025, ALL, deliver)
    assert delivered == [2, 2] and p._carry["k"] == 0.0
    assert absorbed == pytest.approx(2 * 100.0 - 50.0)  # two units, paid partly by the carried 50
    # the year is full; next year capacity is there again
    assert p._buy("k", "trainees", 100.0, 100.0, 2025, ALL, deliver) == 0.0
    assert p._buy("k", "trainees", 100.0, 100.0, 2026, ALL, deliver) == pytest.approx(100.0)


def test_capacity_grows_with_the_delivery_growth_rate() -> None:
    p = _programmes(growth=0.5)
    assert p._capacity_left("trainees", 2025, ALL) == pytest.approx(4.0)
    assert p._capacity_left("trainees", 2027, ALL) == pytest.approx(4.0 * 1.5 ** 2)


def test_a_pilot_has_capacity_of_its_own() -> None:
    """A pilot in commune 0 counts its own use, not the province-wide programme's."""
    p = _programmes()
    p._buy("province", "trainees", 400.0, 100.0, 2025, ALL, lambda n: n)
    assert p._capacity_left("trainees", 2025, ALL) == 0.0
    assert p._capacity_left("trainees", 2025, np.array([0])) == pytest.approx(1.0)


def test_a_unit_the_programme_cannot_place_is_not_paid() -> None:
    """Nothing left to build (deliver returns fewer than asked): that money returns."""
    p = _programmes()
    assert p._buy("k", "trainees", 300.0, 100.0, 2025, ALL, lambda n: 1) == pytest.approx(100.0)
    assert p._carry["k"] == 0.0


def test_stochastic_rounding_is_unbiased() -> None:
    rng = np.random.default_rng(5)
    draws = [stochastic_round(2.3, rng) for _ in range(20_000)]
    assert set(draws) == {2, 3} and np.mean(draws) == pytest.approx(2.3, abs=0.01)
