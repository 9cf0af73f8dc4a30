"""Adoption kernels: Bass diffusion on the contact network, gated by facilitating conditions.

For a citizen i who is not an adopter, the monthly adoption probability is

    P_i = (1 - exp(-(p_c * A_i + q * s_i) * dt)) * gate_i

with p_c the innovation coefficient of i's commune (campaigns raise it), A_i the
attractiveness (procedures online or merchant acceptance, scaled by digital
skill and 5G), s_i the share of i's contacts who adopt, and gate_i ∈ {0, 1}
(coverage or broadband, smartphone, and an account for cashless). Adopters lapse
with probability 1 - exp(-lapse_c * dt), lapse_c rising with bad experience.

Random numbers are counter-based: a draw is a hash of (seed, component, month, work
unit, index), never a shared stream. Within a month each process is a sweep over
candidates (see `_citizens_unit`): agents are candidates with a probability P on a
coarse ladder (adoption: from the scenario's parameters; lapse, devices: from the
month's largest rate), and gaps and acceptance draws are keyed on the unit and the
candidate's place in the sweep. So two policies with the same P share candidates and
draws (common random numbers), a change in one commune does not shift another's draws,
and results are identical on any number of threads. Work units
are runs of at most 16,384 agents inside one commune; parallel loops go over them.

The month costs work per event rather than per agent: of Hai Phong's 3.5 M citizens
about a third are candidates for something in a month, and a few per cent change.
Counts the indicators need (owners, adopters, dossiers in the last 12 months) are kept
per commune as they change.
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


LAPSING = 3  # transient state within a month: lapsed this month (becomes 2 when contacts are told)
# Sweeps of `citizens_month`, in order; the per-sweep candidate probability and key follow this order.
SWEEPS = ("citizens.smartphone", "citizens.account", "citizens.broadband", "lapse.online_services",
          "adoption.online_services", "lapse.cashless", "adoption.cashless", "citizens.dossiers")


def ceiling_probability(p: float) -> float:
    """The smallest of 1, 2^-1/4, 2^-2/4, ... that is >= p: candidate probabilities move in
    steps, so a small change of a parameter leaves the candidates, and the draws, as they were.

    >>> ceiling_probability(0.037), ceiling_probability(1.0)
    (0.03716272234383503, 1.0)
    """
    if p >= 1.0:
        return 1.0
    k = int(np.floor(-4.0 * np.log2(max(p, 1e-12))))
    return float(2.0 ** (-k / 4.0))


@nb.njit(inline="always", cache=True)
def _unit_key(key: np.uint64, first: np.int64) -> np.uint64:
    """A work unit's own stream of a component's month (keyed on its first agent)."""
    return _mix(key ^ (np.uint64(first) * np.uint64(0xD1B54A32D192ED03)))


@nb.njit(inline="always", cache=True)
def _gap(u: float, log_q: float) -> np.int64:
    """Geometric number of agents skipped before the next candidate (log_q = log(1 - P))."""
    return np.int64(np.log(1.0 - u) / log_q)


@nb.njit(cache=True)
def _citizens_unit(first, m, income, skill, smartphone, account, broadband, cov4g, cov5g, online_services,
                   cashless, nbr_os, nbr_cl, degree, last_dossier, last_online, hist_all, hist_online,
                   changed_os, changed_cl, own_p, cand_p, coef, gated0, gated1, month, dt, keys, row):
    """`citizens_month` on one work unit of m agents starting at agent `first`.

    Each process is a sweep over candidates: agents drawn independently with the sweep's
    candidate probability P (geometric gaps), each accepted with probability p_i / P.
    That is exactly a Bernoulli(p_i) draw for every agent, but costs work only for the
    few per cent who are candidates. Sweeps run in order: devices, then lapse and adoption
    of online services, the same for cashless, then dossiers; a later sweep sees what an
    earlier one changed this month (a phone bought in the first can open the gate to
    adoption, a new adopter files online), and someone who lapsed cannot re-adopt in the
    same month (LAPSING).
    Returns the numbers of changed agents in the unit (online services, cashless).
    """
    pc0, ac0, lp0, q0, sw0, b0, mf0 = coef[0], coef[1], coef[2], coef[3], coef[4], coef[5], coef[6]
    pc1, ac1, lp1, q1, sw1, b1, mf1 = coef[7], coef[8], coef[9], coef[10], coef[11], coef[12], coef[13]
    po = coef[14]
    d_sp = d_ac = d_bb = d_os = d_cl = on = off = 0
    n_os = n_cl = 0
    for sweep in range(8):
        big_p = cand_p[sweep]
        if big_p <= 0.0:
            continue
        log_q = np.log(1.0 - big_p) if big_p < 1.0 else -np.inf
        key = _unit_key(keys[sweep], first)
        t = 0
        j = _gap(uniform(key, t), log_q)
        while j < m:
            v = uniform(key, t + 1) * big_p  # P x U[0,1): accept when below the agent's probability
            if sweep == 0:
                if not smartphone[j] and v < own_p[0, income[j]]:
                    smartphone[j] = True
                    d_sp += 1
            elif sweep == 1:
                if not account[j] and v < own_p[1, income[j]]:
                    account[j] = True
                    d_ac += 1
            elif sweep == 2:
                if not broadband[j] and v < own_p[2, income[j]]:
                    broadband[j] = True
                    d_bb += 1
            elif sweep == 3 or sweep == 5:
                state = online_services if sweep == 3 else cashless
                if state[j] == 1 and v < (lp0 if sweep == 3 else lp1):
                    state[j] = LAPSING
                    if sweep == 3:
                        changed_os[n_os] = first + j
                        n_os += 1
                        d_os -= 1
                    else:
                        changed_cl[n_cl] = first + j
                        n_cl += 1
                        d_cl -= 1
            elif sweep == 4 or sweep == 6:
                os_ = sweep == 4
                state = online_services if os_ else cashless
                if state[j] == 0 or state[j] == 2:
                    sp = smartphone[j]
                    connected = sp and (cov4g[j] or broadband[j])
                    gate = (connected if os_ else (connected and account[j])) or not (gated0 if os_ else gated1)
                    if gate:
                        mf = mf0 if os_ else mf1
                        if mf >= 0.0:
                            s = mf
                        else:
                            d = degree[j]
                            s = (nbr_os[j] if os_ else nbr_cl[j]) / d if d > 0 else 0.0
                        sw = sw0 if os_ else sw1
                        a = (ac0 if os_ else ac1) * (1.0 - sw + sw * skill[j])
                        if cov5g[j]:
                            a *= 1.0 + (b0 if os_ else b1)
                        rate = (pc0 if os_ else pc1) * a + (q0 if os_ else q1) * s
                        if v < 1.0 - np.exp(-rate * dt):
                            state[j] = 1
                            if os_:
                                changed_os[n_os] = first + j
                                n_os += 1
                                d_os += 1
                            else:
                                changed_cl[n_cl] = first + j
                                n_cl += 1
                                d_cl += 1
            else:
                # An administrative need (P is the need probability itself: every candidate files);
                # adopters file online where the procedure is offered online.
                old = last_dossier[j]
                if old >= -12:
                    hist_all[old + 12] -= 1
                last_dossier[j] = month
                hist_all[month + 12] += 1
                if online_services[j] == 1 and v < po * big_p:
                    old = last_online[j]
                    if old >= -12:
                        hist_online[old + 12] -= 1
                    last_online[j] = month
                    hist_online[month + 12] += 1
                    on += 1
                else:
                    off += 1
            t += 2
            j += 1 + _gap(uniform(key, t), log_q)
    recent = recent_on = 0
    for slot in range(max(0, month + 1), month + 13):
        recent += hist_all[slot]
        recent_on += hist_online[slot]
    row[SMARTPHONE], row[ACCOUNT], row[BROADBAND] = d_sp, d_ac, d_bb
    row[ONLINE_SERVICES], row[CASHLESS] = d_os, d_cl
    row[DOSSIERS_ONLINE], row[DOSSIERS_OFFLINE], row[RECENT], row[RECENT_ONLINE] = on, off, recent, recent_on
    return n_os, n_cl


@nb.njit(parallel=True, cache=True)
def citizens_month(bounds, unit_commune, n_communes, income, skill, smartphone, account, broadband, cov4g, cov5g,
                   online_services, cashless, nbr_os, nbr_cl, degree, last_dossier, last_online, hist_all,
                   hist_online, changed_os, changed_cl, n_changed, own_p, cand_p, p_c, attract_c, lapse_p, params,
                   procedures_c, month, dt, keys):
    """One month of every citizen: devices, online services, cashless, dossiers.

    own_p: (3, 5) monthly probabilities of acquiring a smartphone, an account, broadband,
    by income quintile. cand_p: (8,) candidate probability of each sweep (`SWEEPS`), at
    least the largest probability in it. p_c, attract_c, lapse_p: (2, C) per behaviour
    (online services, cashless) and commune; lapse_p is monthly. params: (2, 5) per
    behaviour: q, skill_weight, 5G boost, gates (1/0), mean-field share (< 0: use the
    network). hist_*: (units, months + 12) agents whose last (online) dossier fell in each
    month, from month -12. keys: one per sweep. Agents who adopt or lapse are listed in
    changed_* (unit k's from bounds[k], n_changed[k] of them) and lapsers are left in
    state LAPSING for `update_contact_counts`. Returns (C, CITIZEN_COUNTS): changes in
    the owner and adopter counts, and the month's dossier counts.
    """
    n_units = len(bounds) - 1
    per_unit = np.zeros((n_units, CITIZEN_COUNTS), np.int64)
    gated0, gated1 = params[0, 3] > 0.0, params[1, 3] > 0.0
    for k in nb.prange(n_units):
        c = unit_commune[k]
        coef = np.empty(15)
        for b in range(2):
            coef[7 * b] = p_c[b, c]
            coef[7 * b + 1] = attract_c[b, c]
            coef[7 * b + 2] = lapse_p[b, c]
            coef[7 * b + 3] = params[b, 0]
            coef[7 * b + 4] = params[b, 1]
            coef[7 * b + 5] = params[b, 2]
            coef[7 * b + 6] = params[b, 4]
        coef[14] = procedures_c[c]
        lo, hi = bounds[k], bounds[k + 1]
        n_os, n_cl = _citizens_unit(
            lo, hi - lo, income[lo:hi], skill[lo:hi], smartphone[lo:hi], account[lo:hi], broadband[lo:hi],
            cov4g[lo:hi], cov5g[lo:hi], online_services[lo:hi], cashless[lo:hi], nbr_os[lo:hi], nbr_cl[lo:hi],
            degree[lo:hi], last_dossier[lo:hi], last_online[lo:hi], hist_all[k], hist_online[k],
            changed_os[lo:hi], changed_cl[lo:hi], own_p, cand_p, coef, gated0, gated1, month, dt, keys,
            per_unit[k])
        n_changed[k, 0] = n_os
        n_changed[k, 1] = n_cl
    out = np.zeros((n_communes, CITIZEN_COUNTS), np.int64)
    for k in range(n_units):
        for col in range(CITIZEN_COUNTS):
            out[unit_commune[k], col] += per_unit[k, col]
    return out


@nb.njit(cache=True)
def dossier_histograms(bounds, last_dossier, last_online, months):
    """(units, months + 12) counts of agents by the month of their last (online) dossier."""
    n_units = len(bounds) - 1
    hist_all = np.zeros((n_units, months + 12), np.int64)
    hist_online = np.zeros((n_units, months + 12), np.int64)
    for k in range(n_units):
        for i in range(bounds[k], bounds[k + 1]):
            if last_dossier[i] >= -12:
                hist_all[k, last_dossier[i] + 12] += 1
            if last_online[i] >= -12:
                hist_online[k, last_online[i] + 12] += 1
    return hist_all, hist_online


@nb.njit(parallel=True, cache=True)
def outside_first(commune_start, indptr, indices):
    """Reorder every contact list in place so contacts in other communes come first, and
    return how many each agent has (int32). `update_contact_counts` then walks the two
    parts of a list without testing every contact (counts do not depend on the order)."""
    n_c = len(commune_start) - 1
    outside = np.zeros(len(indptr) - 1, np.int32)
    for c in nb.prange(n_c):
        lo, hi = commune_start[c], commune_start[c + 1]
        for i in range(lo, hi):
            a, b = indptr[i], indptr[i + 1] - 1
            while a <= b:
                if lo <= indices[a] < hi:
                    indices[a], indices[b] = indices[b], indices[a]
                    b -= 1
                else:
                    a += 1
            outside[i] = a - indptr[i]
    return outside


@nb.njit(parallel=True, cache=True)
def update_contact_counts(bounds, unit_commune, commune_start, n_changed, changed_os, changed_cl,
                          online_services, cashless, indptr, indices, outside, nbr_os, nbr_cl, outside_max, parts):
    """Incremental adopter-contact counts: only the month's adopters and lapsers touch their contacts.

    Contact lists start with the contacts in other communes (`outside_first`; `outside[i]`
    of them). Communes update their own members in parallel (and turn LAPSING into
    lapsed, 2) and queue the few ties to other communes; the queue is then applied by
    `parts` slices of the agents in parallel (one per thread), each slice taking the
    entries that fall in it. Each changed agent's contact list is read once. Without a
    network (mean field) only LAPSING -> 2 happens.
    """
    n_c = len(commune_start) - 1
    network = len(indptr) > 0
    unit_start = np.searchsorted(unit_commune, np.arange(n_c + 1))
    # Room for the queued ties of each commune: its changed agents times the most anyone has.
    room = np.zeros(n_c + 1, np.int64)
    for k in range(len(bounds) - 1):
        room[unit_commune[k] + 1] += (n_changed[k, 0] + n_changed[k, 1]) * outside_max
    room = np.cumsum(room)
    away = np.empty(room[-1], np.int32)      # the contact
    away_d = np.empty(room[-1], np.int8)     # its change: +-1 online services, +-2 cashless
    n_away = np.zeros(n_c, np.int64)
    for c in nb.prange(n_c):
        queued = room[c]
        for k in range(unit_start[c], unit_start[c + 1]):
            for b in range(2):
                changed = changed_os if b == 0 else changed_cl
                state = online_services if b == 0 else cashless
                nbr = nbr_os if b == 0 else nbr_cl
                first, count = bounds[k], n_changed[k, b]
                for t in range(count):
                    i = changed[first + t]
                    d = 1 if state[i] == 1 else -1
                    if network:
                        start, inside = indptr[i], indptr[i] + outside[i]
                        for e in range(start, inside):
                            away[queued] = indices[e]
                            away_d[queued] = d * (1 + b)
                            queued += 1
                        for e in range(inside, indptr[i + 1]):
                            nbr[indices[e]] += d
                    if d < 0:
                        state[i] = 2
        n_away[c] = queued - room[c]
    n = len(nbr_os)
    for part in nb.prange(parts):
        lo, hi = part * n // parts, (part + 1) * n // parts
        for c in range(n_c):
            for t in range(room[c], room[c] + n_away[c]):
                j = away[t]
                if lo <= j < hi:
                    d = away_d[t]
                    if d == 1 or d == -1:
                        nbr_os[j] += d
                    else:
                        nbr_cl[j] += d // 2


@nb.njit(parallel=True, cache=True)
def adopting_contacts(online_services, cashless, indptr, indices):
    """Number of adopting contacts of every agent for both behaviours, counted from scratch
    (once, at set-up)."""
    n = len(indptr) - 1
    out = np.zeros((2, n), np.int32)
    for i in nb.prange(n):
        a = b = 0
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            a += online_services[j] == 1
            b += cashless[j] == 1
        out[0, i] = a
        out[1, i] = b
    return out


@nb.njit(parallel=True, cache=True)
def businesses_month(commune_start, consumer, accepts, online, level, sector, value_added, last_dossier,
                     last_online, join_p_c, leave_p, online_p, need_p, procedures_c, upgrade_p, weights, month, key):
    """One month of every business: merchants join or leave cashless, online services spread,
    dossiers, digital levels climb. Returns per-commune counts (C, BUSINESS_COUNTS) and
    per-commune, per-sector digital and total value added (C, S, 2) after the month.

    upgrade_p: (2,) monthly probability of moving up a level, without and with cashless.
    weights: (S, levels) digital share of value added by sector and level
    (`population.digital_weights`).
    """
    n_c = len(commune_start) - 1
    n_sectors = weights.shape[0]
    counts = np.zeros((n_c, BUSINESS_COUNTS), np.int64)
    va = np.zeros((n_c, n_sectors, 2), np.float64)
    for c in nb.prange(n_c):
        join_p = join_p_c[c]
        po = procedures_c[c]
        # Local tallies: kept in registers instead of stored to the output every business.
        accepting = consumers = n_online = d_online = d_all = recent = recent_on = 0
        digital = np.zeros(n_sectors)
        total = np.zeros(n_sectors)
        for i in range(commune_start[c], commune_start[c + 1]):
            j = 5 * i
            u = uniform(key, j)
            if accepts[i]:
                if u < leave_p:
                    accepts[i] = False
            elif consumer[i] and u < join_p:
                accepts[i] = True
            if not online[i] and uniform(key, j + 1) < online_p:
                online[i] = True
            if uniform(key, j + 2) < need_p:
                last_dossier[i] = month
                d_all += 1
                if online[i] and uniform(key, j + 3) < po:
                    last_online[i] = month
                    d_online += 1
            if level[i] < 3 and uniform(key, j + 4) < upgrade_p[1 if accepts[i] else 0]:
                level[i] += 1
            consumers += consumer[i]
            accepting += consumer[i] and accepts[i]
            n_online += online[i]
            is_recent = last_dossier[i] > month - 12
            recent += is_recent
            recent_on += is_recent and last_online[i] > month - 12
            s = sector[i]
            digital[s] += value_added[i] * weights[s, level[i]]
            total[s] += value_added[i]
        counts[c, B_ACCEPTING], counts[c, B_CONSUMER], counts[c, B_ONLINE] = accepting, consumers, n_online
        counts[c, B_DOSSIERS_ONLINE], counts[c, B_DOSSIERS] = d_online, d_all
        counts[c, B_RECENT], counts[c, B_RECENT_ONLINE] = recent, recent_on
        for s in range(n_sectors):
            va[c, s, 0] = digital[s]
            va[c, s, 1] = total[s]
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
