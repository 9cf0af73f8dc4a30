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

A citizen's month (devices, both behaviours, dossiers) depends only on the
citizen's own state and on contact counts from the end of the last month, so it
is one fused pass over the agents (`citizens_month`): the arrays are read once a
month instead of once per component, and the per-commune counts the indicators
need come out of the same pass.
"""

from __future__ import annotations

import os
import zlib

# Sleep rather than spin between parallel regions: on a shared machine (another job on
# the cores) spinning OpenMP threads cost milliseconds per kernel call instead of
# microseconds. Read when numba first loads its OpenMP layer, so set before any kernel runs.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numba as nb  # noqa: E402
import numpy as np  # noqa: E402

# Columns of the per-commune counts returned by `citizens_month`.
SMARTPHONE, ACCOUNT, BROADBAND, ONLINE_SERVICES, CASHLESS, DOSSIERS_ONLINE, DOSSIERS_OFFLINE, \
    RECENT, RECENT_ONLINE = range(9)
CITIZEN_COUNTS = 9
# Columns of the per-commune counts returned by `businesses_month`.
B_ACCEPTING, B_CONSUMER, B_ONLINE, B_DOSSIERS_ONLINE, B_DOSSIERS, B_RECENT, B_RECENT_ONLINE = range(7)
BUSINESS_COUNTS = 7


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


@nb.njit(inline="always", cache=True)
def happens(u: float, x: float) -> bool:
    """u < 1 - exp(-x) for x >= 0, evaluating exp only near the boundary.

    x - x²/2 <= 1 - exp(-x) <= x, and monthly hazards x are small, so almost every
    draw is decided by the bounds; the margin keeps the answer exactly that of the
    full formula despite rounding.
    """
    if u >= x + 1e-12:
        return False
    if u < x - 0.5 * x * x - 1e-12:
        return True
    return u < 1.0 - np.exp(-x)


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


def work_units(commune_start: np.ndarray, size: int = 16384) -> tuple[np.ndarray, np.ndarray]:
    """Split the agents into runs of at most `size` that never cross a commune border.

    Parallel loops go over these units rather than over communes, so two threads get
    equal work however unequal the communes are. Returns (bounds, commune of each unit).

    >>> b, c = work_units(np.array([0, 5, 6]), size=2)
    >>> b.tolist(), c.tolist()
    ([0, 2, 4, 5, 6], [0, 0, 0, 1])
    """
    sizes = np.diff(commune_start)
    pieces = np.maximum(1, -(-sizes // size))
    commune = np.repeat(np.arange(len(sizes)), pieces)
    first = np.repeat(np.cumsum(pieces) - pieces, pieces)
    k = np.arange(len(commune)) - first
    step = -(-sizes[commune] // pieces[commune])
    lo = commune_start[commune] + k * step
    bounds = np.r_[np.minimum(lo, commune_start[commune + 1]), commune_start[-1]]
    return bounds.astype(np.int64), commune.astype(np.int64)


@nb.njit(inline="always", cache=True)
def _behaviour(i, u, state, nbr, degree, gate, skill_i, five_g, pc, ac, lapse_p, q, skill_weight, boost5g,
               mean_field_share, dt, change):
    """One citizen, one behaviour: lapse or adopt. Returns 1 if an adopter after the month.

    Written with selects rather than branches: who is an adopter or gated is close to
    random from one agent to the next, and mispredicted branches cost more than the
    arithmetic they would skip.
    """
    adopter = state[i] == 1
    lapses = adopter and u < lapse_p
    if mean_field_share >= 0.0:
        s = mean_field_share
    else:
        d = degree[i]
        s = nbr[i] / (d if d > 0 else 1)
    a = ac * (1.0 - skill_weight + skill_weight * skill_i)
    a *= 1.0 + boost5g * five_g
    adopts = (not adopter) and gate and happens(u, (pc * a + q * s) * dt)
    change[i] = np.int8(adopts) - np.int8(lapses)
    state[i] = np.uint8(2) if lapses else (np.uint8(1) if adopts else state[i])
    return (adopter and not lapses) or adopts


@nb.njit(parallel=True, cache=True)
def citizens_month(bounds, unit_commune, n_communes, income, skill, smartphone, account, broadband, cov4g, cov5g,
                   online_services, cashless, nbr_os, nbr_cl, degree, last_dossier, last_online,
                   change_os, change_cl, own_rate, p_c, attract_c, lapse_c, params, need_p, procedures_c,
                   month, dt, keys):
    """One month of every citizen, fused: devices, online services, cashless, dossiers.

    own_rate: (3, 5) yearly hazards of acquiring a smartphone, an account, broadband, by
    income quintile. p_c, attract_c, lapse_c: (2, C) per behaviour (online services,
    cashless) and commune. params: (2, 5) per behaviour: q, skill_weight, 5G boost,
    gates (1/0), mean-field share (< 0: use the network). keys: smartphone, account,
    broadband, online services, cashless, dossiers. Writes change_* (+1 adopts, -1
    lapses, 0) and returns (C, CITIZEN_COUNTS) counts after the month.
    """
    own_p = 1.0 - np.exp(-own_rate * dt)
    lapse_p = 1.0 - np.exp(-lapse_c * dt)
    n_units = len(bounds) - 1
    per_unit = np.zeros((n_units, CITIZEN_COUNTS), np.int64)
    q0, sw0, b0, mf0 = params[0, 0], params[0, 1], params[0, 2], params[0, 4]
    q1, sw1, b1, mf1 = params[1, 0], params[1, 1], params[1, 2], params[1, 4]
    gated0, gated1 = params[0, 3] > 0.0, params[1, 3] > 0.0
    k_sp, k_ac, k_bb, k_os, k_cl, k_do = keys[0], keys[1], keys[2], keys[3], keys[4], keys[5]
    for k in nb.prange(n_units):
        c = unit_commune[k]
        pc0, ac0, lp0 = p_c[0, c], attract_c[0, c], lapse_p[0, c]
        pc1, ac1, lp1 = p_c[1, c], attract_c[1, c], lapse_p[1, c]
        po = procedures_c[c]
        n_sp = n_ac = n_bb = n_os = n_cl = on = off = recent = recent_on = 0
        for i in range(bounds[k], bounds[k + 1]):
            quintile = income[i]
            sp = smartphone[i] | (uniform(k_sp, i) < own_p[0, quintile])
            ac = account[i] | (uniform(k_ac, i) < own_p[1, quintile])
            bb = broadband[i] | (uniform(k_bb, i) < own_p[2, quintile])
            smartphone[i], account[i], broadband[i] = sp, ac, bb
            n_sp += sp
            n_ac += ac
            n_bb += bb
            connected = sp & (cov4g[i] | bb)
            gate0 = connected | (not gated0)
            gate1 = (connected & ac) | (not gated1)
            sk, five_g = skill[i], cov5g[i]
            n_os += _behaviour(i, uniform(k_os, i), online_services, nbr_os, degree, gate0, sk, five_g,
                               pc0, ac0, lp0, q0, sw0, b0, mf0, dt, change_os)
            n_cl += _behaviour(i, uniform(k_cl, i), cashless, nbr_cl, degree, gate1, sk, five_g,
                               pc1, ac1, lp1, q1, sw1, b1, mf1, dt, change_cl)
            # Administrative needs (at most one a month); adopters file online where offered.
            if uniform(k_do, 2 * i) < need_p:
                last_dossier[i] = month
                if online_services[i] == 1 and uniform(k_do, 2 * i + 1) < po:
                    last_online[i] = month
                    on += 1
                else:
                    off += 1
            is_recent = last_dossier[i] > month - 12
            recent += is_recent
            recent_on += is_recent & (last_online[i] > month - 12)
        row = per_unit[k]
        row[SMARTPHONE], row[ACCOUNT], row[BROADBAND] = n_sp, n_ac, n_bb
        row[ONLINE_SERVICES], row[CASHLESS] = n_os, n_cl
        row[DOSSIERS_ONLINE], row[DOSSIERS_OFFLINE], row[RECENT], row[RECENT_ONLINE] = on, off, recent, recent_on
    out = np.zeros((n_communes, CITIZEN_COUNTS), np.int64)
    for k in range(n_units):
        out[unit_commune[k]] += per_unit[k]
    return out


@nb.njit(parallel=True, cache=True)
def update_contact_counts(commune_start, change_os, change_cl, indptr, indices, nbr_os, nbr_cl):
    """Incremental adopter-contact counts: only the month's adopters and lapsers touch their contacts.

    A few per cent of agents change in a month, so this touches far fewer entries than
    recounting every contact list. Most contacts live in the same commune, so communes
    update their own members in parallel; the few ties to other communes (at the ends of
    the sorted contact lists) follow in one serial pass.
    """
    n_c = len(commune_start) - 1
    for c in nb.prange(n_c):
        lo, hi = commune_start[c], commune_start[c + 1]
        for i in range(lo, hi):
            d0, d1 = change_os[i], change_cl[i]
            if d0 != 0 or d1 != 0:
                for k in range(indptr[i], indptr[i + 1]):
                    j = indices[k]
                    if lo <= j < hi:
                        nbr_os[j] += d0
                        nbr_cl[j] += d1
    for c in range(n_c):
        lo, hi = commune_start[c], commune_start[c + 1]
        for i in range(lo, hi):
            d0, d1 = change_os[i], change_cl[i]
            if d0 != 0 or d1 != 0:
                first, last = indptr[i], indptr[i + 1]
                k = first
                while k < last and indices[k] < lo:
                    nbr_os[indices[k]] += d0
                    nbr_cl[indices[k]] += d1
                    k += 1
                k = last - 1
                while k >= first and indices[k] >= hi:
                    nbr_os[indices[k]] += d0
                    nbr_cl[indices[k]] += d1
                    k -= 1


@nb.njit(parallel=True, cache=True)
def adopting_contacts(state, indptr, indices):
    """Number of adopting contacts of every agent, counted from scratch (once, at set-up)."""
    n = len(indptr) - 1
    out = np.zeros(n, np.int32)
    for i in nb.prange(n):
        count = 0
        for k in range(indptr[i], indptr[i + 1]):
            count += state[indices[k]] == 1
        out[i] = count
    return out


@nb.njit(parallel=True, cache=True)
def businesses_month(commune_start, consumer, accepts, online, level, sector, value_added, last_dossier,
                     last_online, join_p_c, leave_p, online_p, need_p, procedures_c, upgrade_p, level_weights,
                     ict, ict_share, n_sectors, month, key):
    """One month of every business: merchants join or leave cashless, online services spread,
    dossiers, digital levels climb. Returns per-commune counts (C, BUSINESS_COUNTS) and
    per-commune, per-sector digital and total value added (C, S, 2) after the month.

    upgrade_p: (2,) monthly probability of moving up a level, without and with cashless.
    """
    n_c = len(commune_start) - 1
    counts = np.zeros((n_c, BUSINESS_COUNTS), np.int64)
    va = np.zeros((n_c, n_sectors, 2), np.float64)
    for c in nb.prange(n_c):
        join_p = join_p_c[c]
        po = procedures_c[c]
        for i in range(commune_start[c], commune_start[c + 1]):
            j = 5 * i
            u = uniform(key, j)
            was = accepts[i]
            if was:
                if u < leave_p:
                    accepts[i] = False
            elif consumer[i] and u < join_p:
                accepts[i] = True
            if not online[i] and uniform(key, j + 1) < online_p:
                online[i] = True
            if uniform(key, j + 2) < need_p:
                last_dossier[i] = month
                counts[c, B_DOSSIERS] += 1
                if online[i] and uniform(key, j + 3) < po:
                    last_online[i] = month
                    counts[c, B_DOSSIERS_ONLINE] += 1
            if level[i] < 3 and uniform(key, j + 4) < upgrade_p[1 if accepts[i] else 0]:
                level[i] += 1
            counts[c, B_CONSUMER] += consumer[i]
            counts[c, B_ACCEPTING] += consumer[i] and accepts[i]
            counts[c, B_ONLINE] += online[i]
            if last_dossier[i] > month - 12:
                counts[c, B_RECENT] += 1
                if last_online[i] > month - 12:
                    counts[c, B_RECENT_ONLINE] += 1
            w = level_weights[level[i]]
            s = sector[i]
            if s == ict and w < ict_share:
                w = ict_share
            va[c, s, 0] += value_added[i] * w
            va[c, s, 1] += value_added[i]
    return counts, va


@nb.njit(parallel=True, cache=True)
def merchants_by_commune(commune_start, consumer, accepts):
    """(C, 2): consumer-facing businesses accepting cashless, and all consumer-facing, per commune."""
    n_c = len(commune_start) - 1
    out = np.zeros((n_c, 2), np.int64)
    for c in nb.prange(n_c):
        for i in range(commune_start[c], commune_start[c + 1]):
            if consumer[i]:
                out[c, 1] += 1
                out[c, 0] += accepts[i]
    return out
