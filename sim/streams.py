"""Random streams, one home: every random number of citytwin comes from a stream named by
(seed, name), so a change in one part of the model never reshuffles the draws of another.

Two kinds, for two jobs:
- `stream(seed, name)`: a numpy Generator, for set-up work in Python (building the world,
  drawing a run's assumptions, programmes' choices): numpy's SeedSequence of
  [seed, crc32(name)].
- `stream_key(seed, name, month)` and `uniform(key, i)`: counter-based draws for the monthly
  kernels (numba): a draw is a hash of (seed, component, month, index), never a shared
  state, so results are identical on any number of threads and two policies share the
  draws of agents they treat alike (common random numbers). The mixer is splitmix64's
  finaliser (Steele, Lea & Flood 2014).
"""

from __future__ import annotations

import zlib

import numba as nb
import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """The generator of component `name` for `seed`.

    >>> stream(1, "citizens").random() == stream(1, "citizens").random()
    True
    """
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


@nb.njit(inline="always", cache=True)
def mix(z: np.uint64) -> np.uint64:
    """splitmix64 finaliser: a bijective 64-bit mixer with good avalanche."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@nb.njit(inline="always", cache=True)
def uniform(key: np.uint64, i: np.int64) -> float:
    """A U[0,1) draw for item i under `key` (53-bit resolution)."""
    z = mix(key + np.uint64(i + 1) * np.uint64(0x9E3779B97F4A7C15))
    return float(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


_MASK = (1 << 64) - 1


def _mix_int(z: int) -> int:
    """The same mixer as `mix`, on Python ints (used once per component and month)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def run_seed(seed: int, run: int) -> int:
    """The seed of run `run` of an ensemble with base seed `seed`: a hash of the pair, so two
    ensembles with different base seeds share no runs (with `seed + run`, seeds 1 and 2 shared 59
    of 60), while run r of two policies under one base seed is the same run (common random
    numbers). 62 bits: fits every integer column results are written to.

    >>> run_seed(1, 1) == run_seed(1, 1), run_seed(1, 1) == run_seed(2, 0)
    (True, False)
    """
    z = _mix_int(((seed & _MASK) * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & _MASK)  # structural: hash constants
    z = _mix_int(z ^ (((run + 1) * 0xD6E8FEB86659FD93) & _MASK))  # structural: hash constant
    return z >> 2  # structural: 62 bits


def stream_key(seed: int, name: str, month: int, salt: int = 0) -> np.uint64:
    """The key of component `name` in month `month`; stable across runs and platforms.

    >>> int(stream_key(1, "adoption.cashless", 0)) == int(stream_key(1, "adoption.cashless", 0))
    True
    """
    z = _mix_int((seed * 0x9E3779B97F4A7C15 + zlib.crc32(name.encode())) & _MASK)
    z = _mix_int(z ^ (((month + 1_000_000) * 0xD6E8FEB86659FD93 + salt) & _MASK))
    return np.uint64(z)
