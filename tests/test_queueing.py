"""Erlang-C office queues: formulas against independent sums and a simpy M/M/c simulation."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine.queueing import OfficeQueues, erlang_c, mean_wait, wait_exceeds


def erlang_c_sum(c: int, a: float) -> float:
    """Textbook Erlang-C by direct summation with factorials."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def erlang_c_log(c: int, a: float) -> float:
    """The same sum in log space (lgamma), for c in the hundreds."""
    terms = [k * math.log(a) - math.lgamma(k + 1) for k in range(c)]
    top = c * math.log(a) - math.lgamma(c + 1) + math.log(c / (c - a))
    m = max(terms + [top])
    return math.exp(top - m) / (sum(math.exp(t - m) for t in terms) + math.exp(top - m))


def test_erlang_c_textbook_values():
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3, rel=1e-12)
    assert erlang_c(1, 0.7) == pytest.approx(0.7, rel=1e-12)  # M/M/1: P(wait) = ρ
    assert erlang_c(3, 2.4) == pytest.approx(11.52 / 17.8, rel=1e-12)


@pytest.mark.parametrize("c", [1, 2, 3, 5, 8, 12])
def test_erlang_c_matches_direct_sum(c):
    for a in np.linspace(0.05, c - 0.05, 9):
        assert erlang_c(c, a) == pytest.approx(erlang_c_sum(c, a), rel=1e-10)


@pytest.mark.parametrize(("c", "a"), [(150, 140.0), (300, 285.0), (400, 300.0)])
def test_erlang_c_large_offices(c, a):
    assert erlang_c(c, a) == pytest.approx(erlang_c_log(c, a), rel=1e-9)


def test_erlang_c_edges_and_broadcasting():
    assert erlang_c(4, 0.0) == 0.0
    assert erlang_c(4, 4.0) == 1.0 and erlang_c(4, 9.0) == 1.0
    got = erlang_c(np.array([[1], [2], [5]]), np.array([0.5, 0.9, 3.0, 6.0]))
    want = [[erlang_c_sum(c, a) if a < c else 1.0 for a in (0.5, 0.9, 3.0, 6.0)] for c in (1, 2, 5)]
    np.testing.assert_allclose(got, want, rtol=1e-10)
    with pytest.raises(ValueError):
        erlang_c(0, 1.0)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 60), st.floats(0.0, 1.0, exclude_max=True))
def test_erlang_c_monotone(c, rho):
    # More servers at the same utilisation wait less (economies of scale); more load waits more.
    now = float(erlang_c(c, c * rho))
    assert 0.0 <= now <= 1.0
    assert float(erlang_c(c + 1, (c + 1) * rho)) <= now + 1e-12
    assert float(erlang_c(c, c * (rho + (1 - rho) / 2))) >= now - 1e-12


def simulate_mmc(c: int, lam: float, mu: float, customers: int, seed: int) -> np.ndarray:
    """Waits in queue of successive customers of an M/M/c queue, by simpy."""
    rng = random.Random(seed)
    env = simpy.Environment()
    desks = simpy.Resource(env, capacity=c)
    waits: list[float] = []

    def dossier(env):
        filed = env.now
        with desks.request() as req:
            yield req
            waits.append(env.now - filed)
            yield env.timeout(rng.expovariate(mu))

    def arrivals(env):
        for _ in range(customers):
            env.process(dossier(env))
            yield env.timeout(rng.expovariate(lam))

    env.process(arrivals(env))
    env.run()
    return np.array(waits)


def batch_mean_se(x: np.ndarray, batches: int = 40) -> tuple[float, float]:
    """Mean and its standard error by batch means (successive waits are correlated)."""
    b = x[: len(x) // batches * batches].reshape(batches, -1).mean(axis=1)
    return float(b.mean()), float(b.std(ddof=1) / math.sqrt(batches))


def test_mean_wait_and_tail_match_simulation():
    c, lam, mu = 3, 2.4, 1.0
    waits = simulate_mmc(c, lam, mu, customers=400_000, seed=7)[10_000:]  # drop the warm-up
    theory = float(mean_wait(c, lam, mu))
    assert theory == pytest.approx(11.52 / 17.8 / 0.6, rel=1e-12)
    mean, se = batch_mean_se(waits)
    assert abs(mean - theory) < 4 * se and mean == pytest.approx(theory, rel=0.10)
    for t in (0.0, 1.0, 3.0):
        share, se = batch_mean_se((waits > t).astype(float))
        assert abs(share - float(wait_exceeds(c, lam, mu, t))) < 4 * se


def test_unstable_queues():
    assert mean_wait(3, 3.0, 1.0) == np.inf
    assert wait_exceeds(3, 4.0, 1.0, 10.0) == 1.0
    np.testing.assert_array_equal(mean_wait(np.array([2, 3]), 0.0, 1.0), [0.0, 0.0])


def month_wait(staff, offline, online=0.0, effort=0.3, days=30.0) -> np.ndarray:
    arrays = (np.atleast_1d(np.asarray(x, dtype=float)) for x in (staff, offline, online))
    staff, offline, online = np.broadcast_arrays(*arrays)
    q = OfficeQueues(staff, 10.0, effort, 5.0)
    q.month(offline, online, days)
    return q.wait_days


def test_whole_staff_is_the_steady_state_queue():
    q = OfficeQueues(np.array([2.0, 4.0, 9.0]), 10.0, 0.3, 1.0)
    offline = np.array([450.0, 900.0, 2100.0])
    q.month(offline, np.zeros(3), 30.0)
    lam = offline / 30.0
    np.testing.assert_allclose(q.wait_days, mean_wait(np.array([2, 4, 9]), lam, 10.0), rtol=1e-12)
    np.testing.assert_allclose(q.overdue_share, wait_exceeds(np.array([2, 4, 9]), lam, 10.0, 1.0), rtol=1e-12)
    np.testing.assert_allclose(q.utilisation, lam / (q.staff * 10.0))


def test_wait_rises_as_staff_falls_and_arrivals_rise():
    by_staff = month_wait([6.0, 5.0, 4.0, 3.5, 3.0], 600.0)
    assert np.all(np.diff(by_staff) > 0)
    by_load = month_wait(4.0, np.array([0.0, 300.0, 600.0, 900.0, 1050.0]))
    assert by_load[0] == 0.0 and np.all(np.diff(by_load) > 0)


def test_online_filing_lowers_the_wait():
    # The same 900 dossiers, a growing share of them online at 30% of the effort.
    online = np.array([0.0, 200.0, 500.0, 800.0])
    waits = month_wait(np.full(4, 3.5), 900.0 - online, online)
    assert np.all(np.diff(waits) < 0)


def test_fractional_staff_lies_between_floor_and_ceil():
    staff = np.array([2.0, 2.25, 2.5, 2.75, 3.0])
    waits = month_wait(staff, 480.0)  # λ = 16/day: 80% busy at two officers
    assert np.all(np.diff(waits) < 0)
    # Fractional staff stays finite where the floor alone could not cope (λ > 2μ).
    heavy = month_wait(np.array([2.0, 2.5, 3.0]), 660.0)
    assert heavy[0] > heavy[1] > heavy[2] and np.isfinite(heavy[1])
    # Continuous at whole staff: just below three officers is almost three officers.
    near = month_wait(np.array([3.0 - 1e-9, 3.0, 3.0 + 1e-9]), 480.0)
    np.testing.assert_allclose(near, near[1], rtol=1e-6)
    # Below one officer: a part-time clerk, i.e. one server at half speed.
    assert month_wait(0.5, 60.0)[0] == pytest.approx(float(mean_wait(1, 2.0, 5.0)), rel=1e-12)


def test_backlog_builds_when_overloaded_and_drains_after_staff_is_added():
    q = OfficeQueues(np.array([2.0, 6.0]), 10.0, 0.3, 10.0)
    offline = np.array([900.0, 900.0])  # 30 a day against 20 and 60
    q.month(offline, np.zeros(2), 30.0)
    assert q.backlog == pytest.approx([300.0, 0.0])
    def edge(c: int) -> float:  # saturated utilisation within a month
        return 1 - math.sqrt(2 / (c * 10.0 * 30.0))
    assert q.wait_days[0] == pytest.approx(300.0 / 20.0 + float(mean_wait(2, 20.0 * edge(2), 10.0)))
    assert q.wait_days[1] < 1.0
    assert q.overdue_share[0] == 1.0 and q.overdue_share[1] < 0.01
    q.month(offline, np.zeros(2), 30.0)
    assert q.backlog[0] == pytest.approx(600.0)
    q.add_staff(np.array([2.0, 0.0]))  # 40 a day: works off 10 a day
    q.month(offline, np.zeros(2), 30.0)
    assert q.backlog[0] == pytest.approx(300.0)
    # Still draining: all dossiers queue behind the backlog, at the saturated edge.
    assert q.wait_days[0] == pytest.approx(300.0 / 40.0 + float(mean_wait(4, 40.0 * edge(4), 10.0)))
    # 7.5 of the 10 deadline days are spent behind the backlog; the queue's tail decides the rest.
    assert q.overdue_share[0] == pytest.approx(float(wait_exceeds(4, 40.0 * edge(4), 10.0, 2.5)))
    q.month(offline, np.zeros(2), 30.0)
    assert q.backlog[0] == 0.0
    assert q.wait_days[0] == pytest.approx(float(mean_wait(4, 30.0, 10.0)), rel=1e-12)
    q.add_staff(np.array([-2.0, 0.0]))  # the funded posts expire
    np.testing.assert_array_equal(q.staff, [2.0, 6.0])


def test_no_nan_for_empty_or_unstaffed_offices():
    q = OfficeQueues(np.array([0.0, 0.0, 3.0, 2.5]), 10.0, 0.3, 5.0)
    q.month(np.array([0.0, 50.0, 0.0, 0.0]), np.zeros(4), 30.0)
    for arr in (q.wait_days, q.overdue_share, q.utilisation, q.backlog):
        assert not np.any(np.isnan(arr))
    np.testing.assert_array_equal(q.wait_days, [0.0, np.inf, 0.0, 0.0])
    np.testing.assert_array_equal(q.overdue_share, [0.0, 1.0, 0.0, 0.0])


def test_communes_are_independent():
    rng = np.random.default_rng(3)
    staff = rng.uniform(0.5, 12.0, 200)
    offline = rng.uniform(0.0, 4000.0, 200)
    online = rng.uniform(0.0, 1000.0, 200)
    q = OfficeQueues(staff, 10.0, 0.3, 5.0)
    for _ in range(3):
        q.month(offline, online, 30.0)
    for i in (0, 17, 123, 199):
        one = OfficeQueues(staff[i : i + 1], 10.0, 0.3, 5.0)
        for _ in range(3):
            one.month(offline[i : i + 1], online[i : i + 1], 30.0)
        assert one.wait_days[0] == q.wait_days[i] and one.overdue_share[0] == q.overdue_share[i]


def test_the_province_posts_follow_its_load_and_funded_posts_come_on_top():
    """`restaff`: own posts close `rate` of the gap to the load's posts at the starting ratio,
    down when the load falls (streamlining), up when it rises; funded posts are not cut."""
    q = OfficeQueues(np.array([4.0, 6.0]), 20.0, 0.6, 5.0)
    q.posts_per_effort = 10.0 / 160.0  # 10 officers for 160 effort units a day
    q.add_staff(np.array([1.0, 1.0]))  # funded posts
    q.restaff(np.array([40.0, 40.0]), 0.5)  # the load halves
    assert q.own_posts == pytest.approx(7.5)
    assert q.staff.sum() == pytest.approx(9.5)  # 7.5 own + 2 funded
    for _ in range(60):
        q.restaff(np.array([40.0, 40.0]), 0.5)
    assert q.own_posts == pytest.approx(5.0)
    q.add_staff(np.array([-1.0, -1.0]))  # the funded posts end
    assert q.staff.sum() == pytest.approx(5.0)
    q.restaff(np.array([160.0, 160.0]), 0.5)  # the load quadruples
    assert q.own_posts == pytest.approx(12.5)
    before = q.staff.copy()
    q.restaff(np.array([160.0, 160.0]), 0.0)  # no response: nothing moves
    np.testing.assert_array_equal(q.staff, before)
