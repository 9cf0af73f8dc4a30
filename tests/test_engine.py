"""The fast engine's parts against slow, obvious versions of the same thing."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from conftest import DAK_LAK, FAST

from sim import behaviour as kern
from sim.indicators import Recorder
from sim.model import CityModel
from sim.scenario import load_scenario
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
    # Every contact list starts with the contacts in other communes, `_outside` of them.
    rows = np.repeat(np.arange(net.n), net.degree)
    position = np.arange(len(net.indices)) - net.indptr[rows]
    away = c.commune[net.indices] != c.commune[rows]
    assert away.any() and np.array_equal(away, position < m._outside[rows])
    for b in ("online_services", "cashless"):
        state = getattr(c, b)
        assert set(np.unique(state)) <= {0, 1, 2}
        recount = np.add.reduceat((state[net.indices] == 1).astype(int), net.indptr[:-1])
        assert np.array_equal(recount, m.nbr[b])
        column = kern.ONLINE_SERVICES if b == "online_services" else kern.CASHLESS
        assert np.array_equal(m.citizen_counts[:, column], np.add.reduceat(state == 1, c.commune_start[:-1]))
    for tech in ("4g", "5g"):
        hit = np.zeros(c.n, dtype=bool)
        for x, y, r, _, _ in m.world.coverage.site_table(tech):
            hit |= (c.xy[:, 0].astype(float) - x) ** 2 + (c.xy[:, 1].astype(float) - y) ** 2 <= r * r
        assert np.array_equal(hit, m.world.coverage.covered[tech])
        assert np.array_equal(m.world.coverage.by_commune[tech], np.add.reduceat(hit, c.commune_start[:-1]))
    assert m.dossiers[:, 2].sum() == (c.last_dossier > m.month - 12).sum()
    assert m.dossiers[:, 3].sum() == (c.last_online > m.month - 12).sum()


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


def _touch(path, fail=False):
    if fail:
        raise ValueError("no ink")
    path.write_text("drawn")


def test_figures_drawn_on_two_cores_all_or_error(tmp_path):
    from functools import partial

    from sim.draw import draw
    paths = [tmp_path / f"{k}.png" for k in range(6)]
    draw([partial(_touch, p) for p in paths])
    assert all(p.read_text() == "drawn" for p in paths)
    # A figure failing in the child (odd positions) is an error here, not a silent gap.
    jobs = [partial(_touch, tmp_path / f"x{k}", fail=k == 3) for k in range(6)]
    with pytest.raises(RuntimeError, match="drawing figures failed"):
        draw(jobs)
