"""Drawing a few agents out of millions without scanning them all.

`choose` picks k distinct agents among those where `mask` equals `want`, one after the
other, each with probability proportional to a weight of its commune (successive
sampling, as `Generator.choice(..., replace=False, p=...)`). Agents are stored
commune by commune, so it first decides how many picks fall in each commune (from
per-commune counts of eligible agents) and then picks inside those communes only.

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


@nb.njit(parallel=True, cache=True)
def count_where(commune_start, communes, mask, want):
    """Agents with mask == want in each of `communes`."""
    out = np.zeros(len(communes), np.int64)
    for k in nb.prange(len(communes)):
        c = communes[k]
        count = 0
        for i in range(commune_start[c], commune_start[c + 1]):
            count += mask[i] == want
        out[k] = count
    return out


def _per_commune(rng: np.random.Generator, eligible: np.ndarray, weight: np.ndarray | None, k: int) -> np.ndarray:
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


def _within(rng: np.random.Generator, lo: int, hi: int, mask: np.ndarray | None, want: bool, eligible: int,
            t: int) -> np.ndarray:
    """t distinct uniform agents of [lo, hi) with mask == want (there are `eligible` of them)."""
    size = hi - lo
    if mask is None or eligible == size:
        return lo + rng.choice(size, t, replace=False)
    if eligible >= 0.05 * size and t <= eligible // 2:
        # Rejection: propose uniform members, keep eligible ones, first occurrences in order.
        got = np.empty(0, dtype=np.int64)
        while len(got) < t:
            prop = lo + rng.integers(0, size, 2 * (t - len(got)) * size // eligible + 16)
            prop = np.concatenate([got, prop[mask[prop] == want]])
            _, first = np.unique(prop, return_index=True)
            got = prop[np.sort(first)]
        return got[:t]
    return lo + rng.choice(np.flatnonzero(mask[lo:hi] == want), t, replace=False)


def _uniform_rejection(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, mask: np.ndarray, want: bool,
                       eligible: int, k: int) -> np.ndarray:
    """k distinct uniform agents with mask == want among the communes [lo, hi): propose
    uniform members, keep eligible ones, first occurrences in proposal order."""
    sizes = hi - lo
    offset = np.cumsum(sizes) - sizes
    got = np.empty(0, dtype=np.int64)
    while len(got) < k:
        r = rng.integers(0, sizes.sum(), 2 * (k - len(got)) * sizes.sum() // eligible + 16)
        j = np.searchsorted(offset, r, side="right") - 1
        prop = lo[j] + (r - offset[j])
        prop = np.concatenate([got, prop[mask[prop] == want]])
        _, first = np.unique(prop, return_index=True)
        got = prop[np.sort(first)]
    return got[:k]


def choose(rng: np.random.Generator, commune_start: np.ndarray, communes: np.ndarray, mask: np.ndarray | None,
           want: bool, k: int, weight_c: np.ndarray | None = None,
           eligible_c: np.ndarray | None = None) -> np.ndarray:
    """Up to k distinct agents of `communes` with mask == want (mask None: everyone).

    weight_c: weight of an agent by commune (length C, default equal); eligible_c: the
    number of eligible agents in each of `communes` when the caller keeps count.
    """
    communes = np.asarray(communes, dtype=np.int64)
    lo, hi = commune_start[communes], commune_start[communes + 1]
    if eligible_c is None:
        eligible_c = hi - lo if mask is None else count_where(commune_start, communes, mask, want)
    eligible_c = np.asarray(eligible_c, dtype=np.int64)
    total = int(eligible_c.sum())
    k = int(min(k, total))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    if weight_c is None and mask is not None and total >= 0.05 * (hi - lo).sum() and k <= total // 2:
        return _uniform_rejection(rng, lo, hi, mask, want, total, k)
    picks = _per_commune(rng, eligible_c, None if weight_c is None else weight_c[communes], k)
    out = [_within(rng, int(lo[j]), int(hi[j]), mask, want, int(eligible_c[j]), int(picks[j]))
           for j in np.flatnonzero(picks)]
    return np.concatenate(out).astype(np.int64)
