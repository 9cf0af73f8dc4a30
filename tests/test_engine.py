"""The fast engine's parts against slow, obvious versions of the same thing."""

from __future__ import annotations

import sys

import numba
import numpy as np
import pytest
from conftest import DAK_LAK, FAST

from sim.engine import behaviour as kern
from sim.engine.indicators import Recorder
from sim.engine.model import CityModel
from sim.inputs.scenario import load_scenario
from sim.world.network import build_network
from sim.world.sampling import choose


def _model(*extra: str, scale: float = 0.01) -> CityModel:
    return CityModel.build(load_scenario(DAK_LAK, [*FAST, f"ensemble.scale={scale}", *extra]), seed=4)


def test_network_is_simple_and_symmetric():
    spec = load_scenario(DAK_LAK).network
    starts = np.array([0, 700, 1500, 4000, 4001])
    net = build_network(starts, spec, np.random.default_rng(2))
    rows = np.repeat(np.arange(net.n), net.degree)
    pairs = rows.astype(np.int64) * net.n + net.indices
    assert not np.any(rows == net.indices)                       # no self-loops
    assert len(np.unique(pairs)) == len(pairs)                    # no repeated ties
    back = net.indices.astype(np.int64) * net.n + rows
    assert np.array_equal(np.sort(pairs), np.sort(back))          # symmetric
    assert 10 < net.degree[:4000].mean() < 14


def test_contact_counts_coverage_and_counts_stay_exact():
    """After months of incremental updates, everything kept up to date equals a recount."""
    m = _model()
    for _ in range(30):
        m.step()
    c, net = m.world.citizens, m.world.network
    # Every contact list starts with the contacts in other communes, `Contacts.outside` of them.
    rows = np.repeat(np.arange(net.n), net.degree)
    position = np.arange(len(net.indices)) - net.indptr[rows]
    away = c.commune[net.indices] != c.commune[rows]
    assert away.any() and np.array_equal(away, position < m._contacts.outside[rows])
    for b in ("online_services", "cashless"):
        state = getattr(c, b)
        assert set(np.unique(state)) <= {0, 1, 2, 4}  # 4: cannot file online alone (online services)
        recount = np.add.reduceat((state[net.indices] == 1).astype(int), net.indptr[:-1])
        assert np.array_equal(recount, m.nbr[b])
        column = kern.ONLINE_SERVICES if b == "online_services" else kern.CASHLESS
        assert np.array_equal(m.citizen_counts[:, column], np.add.reduceat(state == 1, c.commune_start[:-1]))
    for tech in ("4g", "5g"):
        hit = np.zeros(c.n, dtype=bool)
        for x, y, r, _, _ in m.world.coverage.site_table(tech):
            hit |= (c.xy[:, 0].astype(float) - x) ** 2 + (c.xy[:, 1].astype(float) - y) ** 2 <= r * r
        reach = m.world.coverage.reach
        assert reach is not None and 0 < (~reach).sum() < 0.01 * c.n  # infrastructure.out_of_reach, 0.2%
        hit &= reach  # no site reaches the homes out of reach, however near
        assert np.array_equal(hit, m.world.coverage.covered[tech])
        assert np.array_equal(m.world.coverage.by_commune[tech], np.add.reduceat(hit, c.commune_start[:-1]))
    assert m.citizen_counts[:, kern.RECENT].sum() == (c.last_dossier > m.month - 12).sum()
    online = c.last_online > m.month - 12  # the latest online dossier: own or filed by a team
    assert m.citizen_counts[:, kern.RECENT_ONLINE].sum() == (online & ~c.last_assisted).sum()
    assert m.citizen_counts[:, kern.RECENT_ASSISTED].sum() == (online & c.last_assisted).sum() > 0


def test_same_seed_identical_on_one_and_two_threads():
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("one thread only: nothing to compare")
    out = []
    try:
        for threads in (1, numba.config.NUMBA_NUM_THREADS):
            numba.set_num_threads(threads)
            rec = Recorder(_model(scale=0.005)).run()
            out.append(np.array([r[3] for r in rec.records]))
    finally:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    assert np.array_equal(out[0], out[1])


def test_world_built_side_by_side_equals_one_after_the_other(monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    import sim.world.world as builder
    side_by_side = _model(scale=0.005)
    if not isinstance(builder._second_thread(), ThreadPoolExecutor):
        pytest.skip(f"numba's {numba.threading_layer()} layer: the world is built on one thread anyway")
    monkeypatch.setattr(builder, "_second_thread", builder._Inline)
    serial = _model(scale=0.005)
    recorders = [Recorder(m) for m in (side_by_side, serial)]
    for rec in recorders:
        for _ in range(6):
            rec.step()
    assert np.array_equal(side_by_side.world.network.indices, serial.world.network.indices)
    assert np.array_equal(side_by_side.world.coverage.covered["4g"], serial.world.coverage.covered["4g"])
    assert recorders[0].records == recorders[1].records


def test_first_world_of_a_process_is_built_side_by_side():
    """The threading layer is chosen before the first world, so a `citytwin run` (one world per
    process) builds its network beside its citizens (it once ran them one after the other)."""
    import subprocess
    import sys
    code = ("import numba, sim.world.world as w; ex = w._second_thread(); "
            "print(type(ex).__name__, numba.threading_layer())")
    name, layer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True).stdout.split()
    assert name == ("ThreadPoolExecutor" if layer in ("omp", "tbb") else "_Inline")
    assert layer in ("omp", "tbb", "workqueue")


def test_choose_weighted_without_replacement():
    rng = np.random.default_rng(3)
    starts = np.array([0, 100, 1000])
    mask = np.zeros(1000, dtype=bool)
    mask[::3] = True
    weight = np.array([4.0, 1.0])
    counts = np.zeros(2)
    for _ in range(400):
        pick = choose(rng, starts, np.arange(2), mask, True, 5, weight_c=weight)
        assert len(set(pick.tolist())) == 5 and mask[pick].all()
        counts += [(pick < 100).sum(), (pick >= 100).sum()]
    # 34 eligible at weight 4 against 300 at weight 1: about 31% of picks in the first commune.
    assert 0.27 < counts[0] / counts.sum() < 0.35


def _touch(path, fail_outside=None):
    import os
    import time
    if fail_outside is not None and os.getpid() != fail_outside:
        raise ValueError("no ink")
    time.sleep(0.05)  # long enough for both processes to take jobs
    path.write_text(str(os.getpid()))


def test_figures_drawn_on_two_cores_each_once_all_or_error(tmp_path):
    import os
    from functools import partial

    from sim.experiments.runner import default_workers
    from sim.outputs.draw import draw
    paths = [tmp_path / f"{k}.png" for k in range(8)]
    draw([partial(_touch, p) for p in paths])
    drawn_by = [int(p.read_text()) for p in paths]  # every job ran (a job taken twice would still be one file)
    if default_workers() >= 2 and sys.platform.startswith("linux"):
        assert os.getpid() in drawn_by and len(set(drawn_by)) == 2  # both processes took jobs
        # A figure failing in the child is an error here, not a silent gap.
        jobs = [partial(_touch, tmp_path / f"x{k}", fail_outside=os.getpid()) for k in range(8)]
        with pytest.raises(RuntimeError, match="drawing figures failed"):
            draw(jobs)


def test_new_sites_are_drawn_by_successive_sampling():
    """Both draws of sites (a pass over some communes' cells; the province-wide Fenwick tree) give
    each cell the inclusion probability of successive sampling in proportion to its weight
    (covered and empty cells never)."""
    from sim.world.infrastructure import _successive, _tree_draw, _tree_of, _tree_remove

    people = np.array([1.0, 2.0, 3.0, 4.0, 0.0, 5.0])
    covered = np.array([False] * 5 + [True])
    w = people[:4]
    exact = np.zeros(4)  # P(cell in a draw of 2) = sum over ordered pairs
    for a in range(4):
        for b in range(4):
            if a != b:
                p = w[a] / w.sum() * w[b] / (w.sum() - w[a])
                exact[a] += p
                exact[b] += p
    weight = people.copy()
    tree = _tree_of(weight)
    alive = 5 - _tree_remove(tree, weight, np.array([5]))
    draws = 40_000
    for draw in (lambda k: _successive(np.array([0]), np.array([6]), people, np.zeros(6, bool), covered, 1.0, True, 2,
                                       np.uint64(k)),
                 lambda k: _tree_draw(tree, weight, alive, 2, np.uint64(k))):
        counts = np.zeros(6)
        for k in range(draws):
            picked = draw(k)
            assert len(set(picked.tolist())) == 2
            counts[picked] += 1
        assert counts[4] == counts[5] == 0
        # 4 standard errors of a share near 0.5 over 40,000 draws: 0.01
        assert np.abs(counts[:4] / draws - exact).max() < 0.01, (counts / draws, exact)
    assert _tree_draw(tree, weight, alive, 10, np.uint64(1)).tolist() == [0, 1, 2, 3]  # fewer cells than asked


def test_site_draws_end_when_float_sums_lose_the_small_weights():
    """A commune of almost no people beside a city: its cells' weights vanish in the sums of the
    tables (1e6 + 1e-300 == 1e6), so retrying draws would spin forever (both workers at 100%
    CPU, seen with a communes CSV). After 64 misses a draw is made exactly on the weights: the
    draws end, are distinct, and the small cells come in proportion to their own weights."""
    from sim.world.infrastructure import _successive, _tree_draw, _tree_of

    people = np.array([1e6, 1e-300, 3e-300, 2e-300])
    covered = np.zeros(4, bool)
    for k in range(50):
        tree = _tree_of(people.copy())
        for picked in (_tree_draw(tree, people.copy(), 4, 3, np.uint64(k)),
                       _successive(np.array([0]), np.array([4]), people, np.zeros(4, bool), covered, 1.0, True, 3,
                                   np.uint64(k))):
            assert len(picked) == 3 and len(set(picked.tolist())) == 3 and 0 in picked
    # Among the tiny cells alone the exact draw keeps the law: cell 2 (weight 3) is left out least.
    left_out = np.zeros(4)
    for k in range(3000):
        tree = _tree_of(people.copy())
        picked = _tree_draw(tree, people.copy(), 4, 2, np.uint64(k))
        left_out[np.setdiff1d(np.arange(1, 4), picked)] += 1
    assert left_out[2] < left_out[3] < left_out[1]


def test_a_kept_world_runs_as_a_fresh_one():
    """A world copied from an earlier build of the same seed (another ensemble over the same runs:
    a plan and its baseline) gives the run a fresh build gives, to the bit, whatever the levers."""
    import sim.world.world as ww
    from sim.experiments.ensemble import run_one
    from sim.inputs.scenario import with_levers

    base = load_scenario(DAK_LAK, FAST)
    plan = with_levers(base, {"budget.dx_share": 0.06, "budget.allocation.infrastructure": 0.6,
                                      "infrastructure.five_g_start_year": 2027})
    ww._kept.clear()
    fresh = run_one(plan, 3)
    ww._kept.clear()
    run_one(base, 3)                  # builds and keeps the world of this run's seed
    kept = run_one(plan, 3)           # copies it
    assert np.array_equal(kept.values, fresh.values) and kept.communes == fresh.communes
    assert len(ww._kept) == 1


def test_communes_dealt_to_threads_by_their_work():
    # A parallel loop gives each thread an equal run of iterations: both runs get a large commune.
    work = np.array([10, 1, 1, 1, 1, 10])
    order = kern._dealt(np.r_[0, np.cumsum(work)], 2)
    assert sorted(order.tolist()) == list(range(6))
    first, second = work[order[:3]].sum(), work[order[3:]].sum()
    assert abs(first - second) <= 1


def test_gated_counts_are_the_adults_behind_each_gate():
    """Bass's market potential per commune (`kern.gated_counts`) against a plain numpy count."""
    m = _model()
    for _ in range(3):
        m.step()
    c, cov = m.world.citizens, m.world.coverage.covered["4g"]
    people = kern.People(c.income, c.skill, c.smartphone, c.account, c.broadband, cov, c.online_services,
                         c.cashless, m.nbr["online_services"], m.nbr["cashless"], m.degree, c.last_dossier,
                         c.last_online, c.last_assisted)
    online = c.smartphone & (cov | c.broadband)
    expected = np.stack([np.bincount(c.commune, online, m.world.geo.n),
                         np.bincount(c.commune, online & c.account, m.world.geo.n)], axis=1)
    got = kern.gated_counts(m._units, people)
    assert np.array_equal(got, expected) and 0 < got[:, 1].sum() < got[:, 0].sum() < c.n
