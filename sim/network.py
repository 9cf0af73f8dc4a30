"""The social network of citizens: households, commune-local ties and a few long-range ties.

Returned as an undirected graph in CSR form (`indptr`, `indices`), so that
"the contacts of i" is `indices[indptr[i]:indptr[i+1]]` and the monthly update
can count adopting contacts without one Python object per person.

Example:
    >>> import numpy as np
    >>> net = Network.from_edges(3, np.array([0, 1]), np.array([1, 2]))
    >>> net.degree.tolist()
    [1, 2, 1]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from sim.scenario import NetworkSpec


@dataclass
class Network:
    indptr: np.ndarray   # int64, n + 1
    indices: np.ndarray  # int32

    @property
    def n(self) -> int:
        return len(self.indptr) - 1

    @property
    def degree(self) -> np.ndarray:
        return np.diff(self.indptr).astype(np.int32)

    @classmethod
    def from_edges(cls, n: int, src: np.ndarray, dst: np.ndarray) -> "Network":
        """Undirected simple graph from an edge list (duplicates and self-loops dropped)."""
        keep = src != dst
        src, dst = src[keep], dst[keep]
        rows = np.concatenate([src, dst]).astype(np.int32)
        cols = np.concatenate([dst, src]).astype(np.int32)
        m = sp.csr_array((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
        m.sum_duplicates()
        return cls(indptr=m.indptr.astype(np.int64), indices=m.indices.astype(np.int32))

    def neighbours(self, i: int) -> np.ndarray:
        return self.indices[self.indptr[i]:self.indptr[i + 1]]

    def gather(self, nodes: np.ndarray) -> np.ndarray:
        """The concatenated contact lists of `nodes` (with repeats), vectorised."""
        starts, ends = self.indptr[nodes], self.indptr[nodes + 1]
        lengths = ends - starts
        total = int(lengths.sum())
        if total == 0:
            return np.empty(0, dtype=np.int32)
        offsets = np.repeat(starts - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
        return self.indices[offsets + np.arange(total)]


def _household_edges(commune_start: np.ndarray, mean_size: float,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Cliques of consecutive agents; sizes 1 + Poisson(mean - 1), never across communes."""
    n = int(commune_start[-1])
    sizes = 1 + rng.poisson(mean_size - 1, n)
    bounds = np.cumsum(sizes)
    bounds = bounds[bounds < n]
    hh = np.zeros(n, dtype=np.int64)
    hh[bounds] = 1
    hh = np.cumsum(hh)
    commune = np.repeat(np.arange(len(commune_start) - 1), np.diff(commune_start))
    key = hh * (len(commune_start)) + commune  # a household cut by a commune border splits in two
    src, dst = [], []
    for d in range(1, int(sizes.max())):
        i = np.arange(n - d)
        same = key[i] == key[i + d]
        src.append(i[same])
        dst.append(i[same] + d)
    return np.concatenate(src), np.concatenate(dst)


def build_network(commune_start: np.ndarray, spec: NetworkSpec, rng: np.random.Generator) -> Network:
    """Households + `local_contacts` ties within the commune + `long_range_contacts` anywhere (mean degrees)."""
    n = int(commune_start[-1])
    sizes = np.diff(commune_start)
    commune = np.repeat(np.arange(len(sizes)), sizes)
    h_src, h_dst = _household_edges(commune_start, spec.household_adults, rng)
    # Each undirected tie adds one contact to both ends, so n*k/2 ties give mean degree k.
    m_local = int(round(n * spec.local_contacts / 2))
    l_src = rng.integers(0, n, m_local)
    c = commune[l_src]
    l_dst = commune_start[c] + (rng.random(m_local) * sizes[c]).astype(np.int64)
    m_long = int(round(n * spec.long_range_contacts / 2))
    g_src, g_dst = rng.integers(0, n, m_long), rng.integers(0, n, m_long)
    src = np.concatenate([h_src, l_src, g_src])
    dst = np.concatenate([h_dst, l_dst, g_dst])
    return Network.from_edges(n, src, dst)
