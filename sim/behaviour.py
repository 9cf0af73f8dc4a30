"""Adoption kernels: Bass diffusion on the contact network, gated by facilitating conditions.

For a citizen i who is not an adopter, the monthly adoption probability is

    P_i = (1 - exp(-(p_c * A_i + q * s_i) * dt)) * gate_i

with p_c the innovation coefficient of i's commune (campaigns raise it), A_i the
attractiveness (procedures online or merchant acceptance, scaled by digital
skill and 5G), s_i the share of i's contacts who adopt, and gate_i ∈ {0, 1}
(coverage or broadband, smartphone, and an account for cashless). Adopters lapse
with probability 1 - exp(-lapse_c * dt), lapse_c rising with bad experience.

Random numbers are counter-based: agent i's draw in month t of component k is a
hash of (seed, k, t, i). Draws therefore never shift when another component,
policy or commune changes: common random numbers by construction, identical on
any number of threads.
"""

from __future__ import annotations

import zlib

import numba as nb
import numpy as np



@nb.njit(inline="always", cache=True)
def _mix(z: np.uint64) -> np.uint64:
    """splitmix64 finaliser: a bijective 64-bit mixer with good avalanche."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@nb.njit(inline="always", cache=True)
def uniform(key: np.uint64, i: np.int64) -> float:
    """A U[0,1) draw for item i under `key` (53-bit resolution)."""
    z = _mix(key + np.uint64(i + 1) * np.uint64(0x9E3779B97F4A7C15))
    return float(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


_MASK = (1 << 64) - 1


def _mix_int(z: int) -> int:
    """The same mixer as `_mix`, on Python ints (used once per component and month)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def stream_key(seed: int, name: str, month: int, salt: int = 0) -> np.uint64:
    """The key of component `name` in month `month`; stable across runs and platforms.

    >>> int(stream_key(1, "adoption.cashless", 0)) == int(stream_key(1, "adoption.cashless", 0))
    True
    """
    z = _mix_int((seed * 0x9E3779B97F4A7C15 + zlib.crc32(name.encode())) & _MASK)
    z = _mix_int(z ^ (((month + 1_000_000) * 0xD6E8FEB86659FD93 + salt) & _MASK))
    return np.uint64(z)


@nb.njit(parallel=True, cache=True)
def adoption_month(state, nbr, degree, commune_start, gate, skill, cov5g,
                   p_c, attract_c, q, skill_weight, boost5g, lapse_c, dt, mean_field_share,
                   key, change):
    """One month of one behaviour for all citizens; communes in parallel.

    Writes change[i] = 1 (adopts), -1 (lapses) or 0, and returns per-commune
    counts of adopters after the month. `mean_field_share` >= 0 replaces the
    contact share s_i by that population share (the Bass mean-field limit).
    """
    n_c = len(commune_start) - 1
    adopters_c = np.zeros(n_c, np.int64)
    for c in nb.prange(n_c):
        pc = p_c[c]
        ac = attract_c[c]
        lapse_p = 1.0 - np.exp(-lapse_c[c] * dt)
        count = 0
        for i in range(commune_start[c], commune_start[c + 1]):
            u = uniform(key, i)
            change[i] = 0
            if state[i] == 1:
                if u < lapse_p:
                    state[i] = 2
                    change[i] = -1
                else:
                    count += 1
                continue
            if not gate[i]:
                continue
            if mean_field_share >= 0.0:
                s = mean_field_share
            else:
                s = nbr[i] / degree[i] if degree[i] > 0 else 0.0
            a = ac * (1.0 - skill_weight + skill_weight * skill[i])
            if cov5g[i]:
                a *= 1.0 + boost5g
            rate = pc * a + q * s
            if u < 1.0 - np.exp(-rate * dt):
                state[i] = 1
                change[i] = 1
                count += 1
        adopters_c[c] = count
    return adopters_c


@nb.njit(cache=True)
def update_neighbour_counts(change, indptr, indices, nbr):
    """Incremental adopter-contact counts: only the month's adopters and lapsers touch their contacts."""
    for i in range(len(change)):
        d = change[i]
        if d != 0:
            for k in range(indptr[i], indptr[i + 1]):
                nbr[indices[k]] += d


@nb.njit(parallel=True, cache=True)
def dossiers_month(state, commune_start, need_p, procedures_c, month, key,
                   last_dossier, last_online):
    """Administrative needs arrive (Poisson, at most one a month); adopters file online when the
    procedure is offered online. Returns per-commune (online, offline, with a dossier in 12 months,
    filed online in 12 months)."""
    n_c = len(commune_start) - 1
    out = np.zeros((n_c, 4), np.int64)
    for c in nb.prange(n_c):
        po = procedures_c[c]
        on = 0
        off = 0
        recent = 0
        recent_on = 0
        for i in range(commune_start[c], commune_start[c + 1]):
            if uniform(key, 2 * i) < need_p:
                last_dossier[i] = month
                if state[i] == 1 and uniform(key, 2 * i + 1) < po:
                    last_online[i] = month
                    on += 1
                else:
                    off += 1
            if last_dossier[i] > month - 12:
                recent += 1
                if last_online[i] > month - 12:
                    recent_on += 1
        out[c, 0] = on
        out[c, 1] = off
        out[c, 2] = recent
        out[c, 3] = recent_on
    return out


@nb.njit(parallel=True, cache=True)
def ownership_month(owned, commune_start, rate_by_income, income, dt, key):
    """Non-owners acquire (a smartphone, an account) with a yearly hazard by income quintile.
    Returns per-commune owner counts."""
    n_c = len(commune_start) - 1
    owners = np.zeros(n_c, np.int64)
    for c in nb.prange(n_c):
        count = 0
        for i in range(commune_start[c], commune_start[c + 1]):
            if not owned[i]:
                if uniform(key, i) < 1.0 - np.exp(-rate_by_income[income[i]] * dt):
                    owned[i] = True
            if owned[i]:
                count += 1
        owners[c] = count
    return owners
