"""Drawing a few agents out of millions without scanning them all.

`choose` picks k distinct agents among those where `mask` equals `want`, one after the
other, each with probability proportional to a weight of its commune (successive
sampling, as `Generator.choice(..., replace=False, p=...)`). Agents are stored
commune by commune, so it first decides how many picks fall in each commune (from
per-commune counts of eligible agents) and then picks inside those communes only: by
rejection where eligible agents are common or only a few of them are wanted, by
enumerating the commune otherwise.

Example:
    >>> rng = np.random.default_rng(1)
    >>> starts = np.array([0, 4, 10])
    >>> mask = np.array([0, 1, 0, 1, 1, 1, 0, 0, 0, 1], dtype=bool)
    >>> picked = choose(rng, starts, np.arange(2), mask, True, 4)
    >>> len(set(picked.tolist())), bool(mask[picked].all())
    (4, True)
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numpy.typing import NDArray

from sim.streams import uniform


@nb.njit(parallel=True, cache=True)
def count_where(commune_start, communes, mask, want):  # type: ignore[no-untyped-def]
    """Agents with mask == want in each of `communes`."""
    out = np.zeros(len(communes), np.int64)
    for k in nb.prange(len(communes)):
        c = communes[k]
        count = 0
        for i in range(commune_start[c], commune_start[c + 1]):
            count += mask[i] == want
        out[k] = count
    return out


@nb.njit(cache=True)
def _pick_within(lo, hi, picks, eligible, mask, want, key):  # type: ignore[no-untyped-def]
    """picks[j] distinct uniform agents of [lo[j], hi[j]) with mask == want (eligible[j] of them).

    Rejection marks each pick in the mask so it is not drawn twice, and the marks are
    undone at the end: the mask is unchanged on return.
    """
    out = np.empty(picks.sum(), np.int64)
    n = 0
    t = 0
    for j in range(len(lo)):
        size = hi[j] - lo[j]
        # Rejection costs about size / eligible probes per pick, enumeration one pass over the
        # commune: probe where the eligible are common, or few enough of them are wanted.
        # structural: when a dense pass beats rejection (computation)
        if 16 * eligible[j] >= size or 8 * picks[j] <= eligible[j]:
            first = n
            while n - first < picks[j]:
                i = lo[j] + np.int64(uniform(key, t) * size)
                t += 1
                if mask[i] == want:
                    mask[i] = not want
                    out[n] = i
                    n += 1
            for m in range(first, n):
                mask[out[m]] = want
        else:
            pool = np.empty(eligible[j], np.int64)
            m = 0
            for i in range(lo[j], hi[j]):
                if mask[i] == want:
                    pool[m] = i
                    m += 1
            for m in range(picks[j]):  # partial Fisher-Yates
                r = m + np.int64(uniform(key, t) * (len(pool) - m))
                t += 1
                pool[m], pool[r] = pool[r], pool[m]
                out[n] = pool[m]
                n += 1
    return out


def _per_commune(rng: np.random.Generator, eligible: NDArray[np.int64], weight: NDArray[np.float64] | None,
                 k: int) -> NDArray[np.int64]:
    """How many of k successive weighted picks fall in each commune."""
    if weight is None or np.all(weight == weight[0]):
        return rng.multivariate_hypergeometric(eligible, k)
    left = eligible.astype(np.float64)
    picks = np.zeros(len(eligible), dtype=np.int64)
    for u in rng.random(k):  # k is small where communes are weighted (sites)
        cum = np.cumsum(weight * left)
        c = min(int(np.searchsorted(cum, u * cum[-1], side="right")), len(cum) - 1)
        picks[c] += 1
        left[c] -= 1
    return picks


def choose(rng: np.random.Generator, commune_start: NDArray[np.int64], communes: NDArray[np.int64],
           mask: NDArray[np.bool_] | None, want: bool, k: int, weight_c: NDArray[np.float64] | None = None,
           eligible_c: NDArray[np.int64] | None = None) -> NDArray[np.int64]:
    """Up to k distinct agents of `communes` with mask == want (mask None: everyone).

    weight_c: weight of an agent by commune (length C, default equal); eligible_c: the
    number of eligible agents in each of `communes` when the caller keeps count.
    """
    communes = np.asarray(communes, dtype=np.int64)
    lo, hi = commune_start[communes], commune_start[communes + 1]
    if eligible_c is None:
        eligible_c = hi - lo if mask is None else count_where(commune_start, communes, mask, want)
    eligible_c = np.asarray(eligible_c, dtype=np.int64)
    k = min(int(k), int(eligible_c.sum()))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    picks = _per_commune(rng, eligible_c, None if weight_c is None else weight_c[communes], k)
    j = np.flatnonzero(picks)
    if mask is None:
        mask, want = np.ones(int(commune_start[-1]), dtype=bool), True
    # structural: a 63-bit key
    key = np.uint64(rng.integers(0, 2**63))
    return _pick_within(lo[j], hi[j], picks[j], eligible_c[j], mask, bool(want), key)
