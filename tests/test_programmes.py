"""Programmes on tiny hand-built inputs: whole units bought at their cost, within the year's
absorptive capacity, money short of a unit carried to the next tranche, pilots' own capacity."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import numpy as np
import pytest

from sim.engine.programmes import REGISTRY, Programme, register, stochastic_round
from sim.engine.programmes.base import Ledger
from sim.schema import PROGRAMMES


def _programmes(capacity_per_million: float = 10.0, growth: float = 0.0) -> Ledger:
    """Two communes of 100,000 and 300,000 people (capacity 1 and 3 units a year at 10 per million)."""
    spec = SimpleNamespace(delivery=SimpleNamespace(growth=SimpleNamespace(value=growth),
                                                    trainees=SimpleNamespace(value=capacity_per_million)),
                           time=SimpleNamespace(start_year=2025))
    return Ledger(spec, SimpleNamespace(n=2, population=np.array([1e5, 3e5])))  # type: ignore[arg-type]


ALL = np.array([0, 1])


def test_whole_units_within_capacity_and_the_carry() -> None:
    p = _programmes()
    delivered = []

    def deliver(n: int) -> int:
        delivered.append(n)
        return n

    # 2.5 units of money: 2 delivered, half a unit's money waits (absorbed: it is held for the next unit)
    assert p.buy("k", "trainees", 250.0, 100.0, 2025, ALL, deliver) == pytest.approx(250.0)
    assert delivered == [2] and p.carry["k"] == pytest.approx(50.0)
    # 3 more units' money: capacity left is 4 - 2 = 2, so 2 delivered; the rest is not absorbed
    absorbed = p.buy("k", "trainees", 300.0, 100.0, 2025, ALL, deliver)
    assert delivered == [2, 2] and p.carry["k"] == 0.0
    assert absorbed == pytest.approx(2 * 100.0 - 50.0)  # two units, paid partly by the carried 50
    # the year is full; next year capacity is there again
    assert p.buy("k", "trainees", 100.0, 100.0, 2025, ALL, deliver) == 0.0
    assert p.buy("k", "trainees", 100.0, 100.0, 2026, ALL, deliver) == pytest.approx(100.0)


def test_capacity_grows_with_the_delivery_growth_rate() -> None:
    p = _programmes(growth=0.5)
    assert p.capacity_left("trainees", 2025, ALL) == pytest.approx(4.0)
    assert p.capacity_left("trainees", 2027, ALL) == pytest.approx(4.0 * 1.5 ** 2)


def test_a_pilot_has_capacity_of_its_own() -> None:
    """A pilot in commune 0 counts its own use, not the province-wide programme's."""
    p = _programmes()
    p.buy("province", "trainees", 400.0, 100.0, 2025, ALL, lambda n: n)
    assert p.capacity_left("trainees", 2025, ALL) == 0.0
    assert p.capacity_left("trainees", 2025, np.array([0])) == pytest.approx(1.0)


def test_a_unit_the_programme_cannot_place_is_not_paid() -> None:
    """Nothing left to build (deliver returns fewer than asked): that money returns."""
    p = _programmes()
    assert p.buy("k", "trainees", 300.0, 100.0, 2025, ALL, lambda n: 1) == pytest.approx(100.0)
    assert p.carry["k"] == 0.0


def test_stochastic_rounding_is_unbiased() -> None:
    rng = np.random.default_rng(5)
    draws = [stochastic_round(2.3, rng) for _ in range(20_000)]
    assert set(draws) == {2, 3} and np.mean(draws) == pytest.approx(2.3, abs=0.01)


def test_every_output_indicator_is_some_programmes_output() -> None:
    from sim.names import OUTPUT_INDICATORS
    outputs = [o for cls in REGISTRY.values() for o in cls.outputs]
    assert len(outputs) == len(set(outputs)) and set(OUTPUT_INDICATORS) <= set(outputs)
    assert sorted(REGISTRY) == sorted(PROGRAMMES)  # every programme of the schema has its module


class Lessons(Programme):
    """A toy programme: a lesson per million VND, to people of the communes paid for, in order."""

    name = "lessons"
    outputs = ("lessons_given",)
    COST = 1e6

    @property
    def lead_days(self) -> float:
        return 10.0

    def deliver(self, vnd: float, communes: np.ndarray, year: int) -> float:
        c = self.world.citizens
        untaught = np.flatnonzero(np.isin(c.commune, communes) & ~c.trained)
        who = untaught[:int(vnd // self.COST)]
        self.province.train(who, 0.5)
        self.delivered["lessons_given"] += len(who)
        return len(who) * self.COST


@pytest.fixture
def lessons() -> Iterator[type[Programme]]:
    register(Lessons)
    yield Lessons
    REGISTRY.pop(Lessons.name)


def test_a_programme_registered_from_a_test_file_runs_in_the_model(lessons: type[Programme]) -> None:
    """One class and `register`: the model builds it with the others, the government pays it by
    name, it is delivered after its lead time, acts through the model's named state changes, and
    what it absorbs is counted as spent."""
    from sim.engine.model import CityModel
    from sim.inputs.scenario import load_scenario
    spec = load_scenario("scenarios/dak_lak.toml", ["time.end=2025-03", "targets.goals=[]", "ensemble.scale=0.003"])
    model = CityModel.build(spec, seed=3)
    assert "lessons" in model.programmes.names and model.government is not None
    commune = np.array([0])
    before = int(model.world.citizens.trained.sum())
    model.government.pay("lessons", 40.4e6 / spec.budget.disbursement, commune, 2025)
    model.step()  # January: paid on day 0, delivered on day 10
    taught = int(model.world.citizens.trained.sum()) - before
    assert model.programmes.delivered["lessons_given"] == 40 and taught >= 40  # the skills programme trains too
    assert model.government.spent_by_programme["lessons"] == pytest.approx(40e6)
    c = model.world.citizens
    assert c.trained[np.flatnonzero(c.commune == 0)[:40]].all()


def _take_whole(order: np.ndarray, weight: np.ndarray, eligible: np.ndarray, n: float, state: dict) -> np.ndarray:
    """The order read whole (one roll, one cumulative sum): what `BusinessOrder.take` must match."""
    start = state["position"]
    rolled = np.roll(order, -start)
    keep = eligible[rolled]
    cand, place = rolled[keep], np.flatnonzero(keep)
    budget = state["credit"] + n
    cum = np.cumsum(weight[cand])
    k = int(np.searchsorted(cum, budget, side="right"))
    state["credit"] = budget - (cum[k - 1] if k else 0.0) if k < len(cand) else 0.0
    if k:
        state["position"] = (start + int(place[k - 1]) + 1) % len(order)
    return cand[:k]


@pytest.mark.parametrize("seed", range(6))
def test_business_order_reads_in_chunks_what_the_whole_order_gives(seed: int) -> None:
    """Taking n real businesses call after call (weights as sampled ones have, eligibility
    changing, money short of a business carried): the same businesses, to the bit, as reading
    the whole order every call."""
    from sim.engine.programmes.base import CHUNK, BusinessOrder
    rng = np.random.default_rng(seed)
    count = int(rng.integers(1, 3 * CHUNK))
    businesses = SimpleNamespace(n=count, size=rng.integers(0, 3, count), weight=rng.choice([1.0, 7.5, 33.3], count))
    chunked = BusinessOrder(businesses, np.random.default_rng(seed + 100), small_last=seed % 2 == 0)  # type: ignore[arg-type]
    state = {"position": 0, "credit": 0.0}
    for _ in range(40):
        eligible = rng.random(count) < rng.uniform(0.01, 1.0)
        n = float(rng.choice([0.0, rng.uniform(0, 50), rng.uniform(0, 5 * count)]))
        got = chunked.take(eligible, n)
        assert chunked._order is not None
        want = _take_whole(chunked._order, businesses.weight, eligible, n, state)
        assert np.array_equal(got, want) and chunked._credit == state["credit"]
        assert chunked._position == state["position"]


def test_training_order_is_the_stable_sort_of_priority_levels():
    from sim.engine.programmes.skills import training_order
    rng = np.random.default_rng(4)
    n = 20_000
    age = rng.integers(0, 4, n).astype(np.uint8)
    urban = rng.random(30) < 0.4
    commune = rng.integers(0, 30, n)
    for rural in (1.5, 0.0, 0.7):
        draw, shuffled = rng.random(n), rng.permutation(n)
        priority = age + rural * ~urban[commune] + draw
        top = 4 + rural
        level = np.round((top - priority) * (np.iinfo(np.uint16).max / top)).astype(np.uint16)
        expected = shuffled[np.argsort(level[shuffled], kind="stable")]
        assert np.array_equal(training_order(age, urban, commune, rural, 4, draw, shuffled), expected)
