"""The social network of citizens: households, commune-local ties and a few long-range ties.

Returned as an undirected graph in CSR form (`indptr`, `indices`), so that
"the contacts of i" is `indices[indptr[i]:indptr[i+1]]` and the monthly update
can count adopting contacts without one Python object per person.

The CSR is written directly (count, fill, dedupe each row) by numba kernels; the random
ties are counter-based draws, generated twice (once to count, once to fill) instead of
being stored as edge lists, so building the network of a province needs little more
memory than the network itself. Contact lists are not sorted; as built they hold
households, then commune ties, then long-range ties, and the model reorders each list in
place so contacts in other communes come first (`behaviour.outside_first`).

Example:
    >>> import numpy as np
    >>> net = Network.from_edges(3, np.array([0, 1]), np.array([1, 2]))
    >>> net.degree.tolist()
    [1, 2, 1]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba as nb
import numpy as np
from numpy.typing import NDArray

from sim.schema import NetworkSpec
from sim.streams import uniform


@dataclass
class Network:
    indptr: NDArray[np.int64]   # n + 1
    indices: NDArray[np.int32]
    _degree: NDArray[np.int32] | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return len(self.indptr) - 1

    @property
    def degree(self) -> NDArray[np.int32]:
        """Contacts per agent, computed once."""
        if self._degree is None:
            self._degree = np.diff(self.indptr).astype(np.int32)
        return self._degree

    @classmethod
    def from_edges(cls, n: int, src: NDArray[np.integer], dst: NDArray[np.integer]) -> Network:
        """Undirected simple graph from an edge list (duplicates and self-loops dropped)."""
        src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
        degree = np.bincount(src, minlength=n) + np.bincount(dst, minlength=n)
        indptr = np.r_[0, np.cumsum(degree)].astype(np.int64)
        indices = np.empty(indptr[-1], dtype=np.int32)
        _fill_pairs(src, dst, indptr.copy(), indices)
        return cls(*_simplify(indptr, indices))

    def neighbours(self, i: int) -> NDArray[np.int32]:
        return self.indices[self.indptr[i]:self.indptr[i + 1]]


@nb.njit(cache=True, nogil=True)
def _fill_pairs(src, dst, pos, indices):  # type: ignore[no-untyped-def]
    for e in range(len(src)):
        a, b = src[e], dst[e]
        indices[pos[a]] = b
        pos[a] += 1
        indices[pos[b]] = a
        pos[b] += 1


@nb.njit(parallel=True, cache=True, nogil=True)
def _dedupe_rows(indptr, indices, degree, chunks):  # type: ignore[no-untyped-def]
    """Drop repeats and self-loops from each contact list in place, keeping first occurrences
    in order; degree[i] = what is left. A `seen` stamp per agent makes it linear."""
    n = len(indptr) - 1
    for ch in nb.prange(chunks):
        seen = np.full(n, -1, np.int32)
        for i in range(ch * n // chunks, (ch + 1) * n // chunks):
            w = indptr[i]
            for k in range(indptr[i], indptr[i + 1]):
                j = indices[k]
                if j != i and seen[j] != i:
                    seen[j] = i
                    indices[w] = j
                    w += 1
            degree[i] = w - indptr[i]


@nb.njit(parallel=True, cache=True, nogil=True)
def _copy_rows(indptr, indices, new_indptr, out):  # type: ignore[no-untyped-def]
    for i in nb.prange(len(new_indptr) - 1):
        src = indptr[i]
        for k in range(new_indptr[i], new_indptr[i + 1]):
            out[k] = indices[src]
            src += 1


def _simplify(indptr: NDArray[np.int64], indices: NDArray[np.int32]) -> tuple[NDArray[np.int64], NDArray[np.int32]]:
    """The simple graph: no repeated ties, no self-loops, compact CSR."""
    degree = np.empty(len(indptr) - 1, dtype=np.int64)
    # structural: chunks of the parallel pass (computation)
    _dedupe_rows(indptr, indices, degree, 4)
    new_indptr = np.r_[0, np.cumsum(degree)].astype(np.int64)
    out = np.empty(new_indptr[-1], dtype=np.int32)
    _copy_rows(indptr, indices, new_indptr, out)
    return new_indptr, out


@nb.njit(inline="always", cache=True)
def _put(a, b, pos, indices, fill):  # type: ignore[no-untyped-def]
    """Count (or write) the tie a-b into both contact lists; a self-loop takes two slots,
    dropped later, so counting and filling agree."""
    if fill:
        indices[pos[a]] = b
    pos[a] += 1
    if fill:
        indices[pos[b]] = a
    pos[b] += 1


@nb.njit(inline="always", cache=True)
def _tie(key, e, lo, size):  # type: ignore[no-untyped-def]
    """Tie e: two uniform agents of lo .. lo + size - 1."""
    # structural: two draws a tie
    return lo + np.int64(uniform(key, 2 * e) * size), lo + np.int64(uniform(key, 2 * e + 1) * size)


@nb.njit(parallel=True, cache=True, nogil=True)
def _local_pass(commune_start, first_tie, hh_start, hh_end, key, pos, indices, fill):  # type: ignore[no-untyped-def]
    """Household cliques and commune ties, commune by commune (both ends of every tie lie in
    the commune, so communes are independent). Counts contacts into pos, or fills indices."""
    for c in nb.prange(len(commune_start) - 1):
        lo, size = commune_start[c], commune_start[c + 1] - commune_start[c]
        for i in range(lo, lo + size):
            for j in range(hh_start[i], hh_end[i]):
                if j != i:
                    if fill:
                        indices[pos[i]] = j
                    pos[i] += 1
        for e in range(first_tie[c], first_tie[c + 1]):
            a, b = _tie(key, e, lo, size)
            _put(a, b, pos, indices, fill)


@nb.njit(parallel=True, cache=True, nogil=True)
def _long_pass(n, m, key, pos, indices, fill, parts):  # type: ignore[no-untyped-def]
    """Long-range ties. Both ends are anywhere, so each of `parts` slices of the agents goes
    over all ties and writes only its own contact lists (no two threads share a list)."""
    for part in nb.prange(parts):
        lo, hi = part * n // parts, (part + 1) * n // parts
        for e in range(m):
            a, b = _tie(key, e, 0, n)
            if lo <= a < hi:
                if fill:
                    indices[pos[a]] = b
                pos[a] += 1
            if lo <= b < hi:
                if fill:
                    indices[pos[b]] = a
                pos[b] += 1


@nb.njit(cache=True, nogil=True)
def _household_bounds(sizes, commune_start, hh_start, hh_end):  # type: ignore[no-untyped-def]
    """Households are runs of consecutive agents of the given sizes, cut at commune borders."""
    n = len(hh_start)
    pos = 0
    c = 0
    for k in range(len(sizes)):
        end = min(pos + sizes[k], n)
        s = pos
        while s < end:
            while commune_start[c + 1] <= s:
                c += 1
            e = min(end, commune_start[c + 1])
            for i in range(s, e):
                hh_start[i] = s
                hh_end[i] = e
            s = e
        pos = end
        if pos >= n:
            break


def _households(commune_start: NDArray[np.int64], mean_size: float,
                rng: np.random.Generator) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """[start, end) of each agent's household: runs of consecutive agents of sizes
    1 + Poisson(mean - 1), cut at commune borders (a household never spans two communes)."""
    n = int(commune_start[-1])
    sizes = 1 + rng.poisson(mean_size - 1, n)
    hh_start, hh_end = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    _household_bounds(sizes, commune_start.astype(np.int64), hh_start, hh_end)
    return hh_start, hh_end


def build_network(commune_start: NDArray[np.int64], spec: NetworkSpec, rng: np.random.Generator) -> Network:
    """Households + `local_contacts` ties within the commune + `long_range_contacts` anywhere (mean degrees).

    Each undirected tie adds one contact to both ends, so n*k/2 ties give mean degree k.
    A local tie joins two uniform members of a commune chosen in proportion to its size
    (the commune counts are multinomial); a long-range tie joins two uniform agents.
    """
    n = int(commune_start[-1])
    sizes = np.diff(commune_start)
    hh_start, hh_end = _households(commune_start, spec.household_adults, rng)
    # structural: a tie adds a contact at both ends
    m_local = int(round(n * spec.local_contacts / 2))
    per_commune = rng.multinomial(m_local, sizes / n) if n else np.zeros(len(sizes), dtype=np.int64)
    first_tie = np.r_[0, np.cumsum(per_commune)].astype(np.int64)
    # structural: a tie adds a contact at both ends
    m_long = int(round(n * spec.long_range_contacts / 2))
    # structural: two 63-bit keys
    key_local, key_long = (np.uint64(k) for k in rng.integers(0, 2**63, 2))
    pos = np.zeros(n, dtype=np.int64)
    dummy = np.empty(0, dtype=np.int32)
    _local_pass(commune_start, first_tie, hh_start, hh_end, key_local, pos, dummy, False)
    # structural: chunks of the parallel pass (computation)
    _long_pass(n, m_long, key_long, pos, dummy, False, 4)
    indptr = np.r_[0, np.cumsum(pos)].astype(np.int64)
    indices = np.empty(indptr[-1], dtype=np.int32)
    pos[:] = indptr[:-1]
    _local_pass(commune_start, first_tie, hh_start, hh_end, key_local, pos, indices, True)
    # structural: chunks of the parallel pass (computation)
    _long_pass(n, m_long, key_long, pos, indices, True, 4)
    del pos, hh_start, hh_end
    return Network(*_simplify(indptr, indices))
