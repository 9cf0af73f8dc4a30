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

from typing import NamedTuple

import numba as nb
import numpy as np
from numpy.typing import NDArray

from sim.names import ADOPTER, LAPSED, LAPSING, NEVER
from sim.streams import mix, uniform

# Columns of the per-commune counts returned by `citizens_month`.
# RECENT: people with a dossier in the last 12 months; of them RECENT_ONLINE filed their latest
# online dossier themselves, RECENT_ASSISTED had it filed by a community digital team.
SMARTPHONE, ACCOUNT, BROADBAND, ONLINE_SERVICES, CASHLESS, DOSSIERS_ONLINE, DOSSIERS_OFFLINE, \
    RECENT, RECENT_ONLINE, ASSISTED, CASHLESS_JOINED, RECENT_ASSISTED = range(12)  # structural: column indices
CITIZEN_COUNTS = 12  # structural: columns
# Columns of the per-commune counts returned by `businesses_month`.
B_ACCEPTING, B_CONSUMER, B_ONLINE, B_DOSSIERS_ONLINE, B_DOSSIERS, B_RECENT, B_RECENT_ONLINE = range(7)
BUSINESS_COUNTS = 7  # structural: columns
TOP_LEVEL = 3  # structural: businesses' digital levels run 0..TOP_LEVEL


# Agents per work unit: parallel loops go over units of at most this many (computation, not behaviour).
UNIT_SIZE = 16384  # structural


def work_units(commune_start: NDArray[np.int64], size: int = UNIT_SIZE) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
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


# Sweeps of `citizens_month`, in order; the per-sweep candidate probability and key follow this order.
SWEEPS = ("citizens.smartphone", "citizens.account", "citizens.broadband", "lapse.online_services",
          "adoption.online_services", "lapse.cashless", "adoption.cashless", "citizens.dossiers")
OWNERSHIP_SWEEPS = 3  # structural: the first three of SWEEPS (smartphone, account, broadband)
LAPSE_OS, ADOPT_OS, LAPSE_CL, ADOPT_CL, NEEDS = range(OWNERSHIP_SWEEPS, len(SWEEPS))  # the rest's places


def ceiling_probability(p: float) -> float:
    """The smallest of 1, 2^-1/4, 2^-2/4, ... that is >= p: candidate probabilities move in
    steps, so a small change of a parameter leaves the candidates, and the draws, as they were.

    >>> ceiling_probability(0.037), ceiling_probability(1.0)
    (0.03716272234383503, 1.0)
    """
    if p >= 1.0:
        return 1.0
    k = int(np.floor(-4.0 * np.log2(max(p, 1e-12))))  # structural: the 2^(-k/4) ladder
    return float(2.0 ** (-k / 4.0))  # structural: the ladder


@nb.njit(inline="always", cache=True)
def _unit_key(key: np.uint64, first: np.int64) -> np.uint64:
    """A work unit's own stream of a component's month (keyed on its first agent)."""
    return mix(key ^ (np.uint64(first) * np.uint64(0xD1B54A32D192ED03)))  # structural: hash constant


@nb.njit(inline="always", cache=True)
def _gap(u: float, log_q: float) -> np.int64:
    """Geometric number of agents skipped before the next candidate (log_q = log(1 - P))."""
    return np.int64(np.log(1.0 - u) / log_q)


class Adoption(NamedTuple):
    """One citizen behaviour's parameters for the month (numba takes it as a named tuple).

    p, attract, lapse, campaign, potential: per commune (innovation coefficient, attractiveness, the
    yearly lapse hazard with the month's experience, the multiplier of the whole adoption
    hazard while an awareness campaign runs: the Generalized Bass Model's marketing effort,
    the share of adults behind the gate: Bass's market potential, over which imitation counts);
    q: imitation; ease_weight: how much low skill slows adoption; lapse_effort: extra lapse
    of an unskilled user (relative); mean_field: the adopting share of the whole
    population when contacts are replaced by it (Bass limit), < 0 to use the network;
    gated: adoption needs the facilitating conditions (device, connection, account)."""

    p: NDArray[np.float64]
    attract: NDArray[np.float64]
    lapse: NDArray[np.float64]
    campaign: NDArray[np.float64]
    potential: NDArray[np.float64]
    q: float
    ease_weight: float
    lapse_effort: float
    mean_field: float
    gated: bool


class Dossiers(NamedTuple):
    """The month's administrative needs: procedures offered online (per commune), and assisted
    filing by community digital teams (per commune, the chance a non-adopter who needs an
    online-able procedure is helped to file online) and its chance of making a lasting user."""

    procedures_online: NDArray[np.float64]
    assist: NDArray[np.float64]
    conversion: float
    key: np.uint64


class Units(NamedTuple):
    """Work units (`work_units`): runs of at most 16,384 agents inside one commune."""

    bounds: NDArray[np.int64]    # (units + 1,) first agent of each unit, then the number of agents
    commune: NDArray[np.int64]   # (units,) the commune of each unit
    n_communes: int


class People(NamedTuple):
    """The citizens' arrays the month reads and changes, one entry per agent (numba takes a
    named tuple of arrays; each has its own dtype, so two cannot be swapped unnoticed)."""

    income: NDArray[np.uint8]           # quintile 0..4
    skill: NDArray[np.float32]          # 0..1
    smartphone: NDArray[np.bool_]
    account: NDArray[np.bool_]
    broadband: NDArray[np.bool_]
    covered_4g: NDArray[np.bool_]
    online_services: NDArray[np.uint8]  # state code (`sim.names`)
    cashless: NDArray[np.uint8]
    contacts_os: NDArray[np.int16]      # adopting contacts, online services (16 bits: half the memory
    contacts_cl: NDArray[np.int16]      # adopting contacts, cashless            traffic of the month's
    degree: NDArray[np.int16]           # contacts                               random reads and writes)
    last_dossier: NDArray[np.int16]     # month index of the last dossier
    last_online: NDArray[np.int16]      # month index of the last online dossier (own or assisted)
    last_assisted: NDArray[np.bool_]    # whether that dossier was filed by a community digital team


class Changed(NamedTuple):
    """The month's adopters and lapsers: unit k's from `Units.bounds[k]`, `n[k]` of them."""

    online_services: NDArray[np.int32]  # agent indices, by unit
    cashless: NDArray[np.int32]
    n: NDArray[np.int64]                # (units, 2) how many: online services, cashless


class History(NamedTuple):
    """Agents by the month of their last dossier, from month -12: (units, months + 12); a unit's
    rows (months + 12,) inside the month's kernel."""

    all: NDArray[np.int64]       # last dossier of any kind
    online: NDArray[np.int64]    # last online dossier, filed by the person
    assisted: NDArray[np.int64]  # last online dossier, filed for the person by a team


class Chances(NamedTuple):
    """The month's sweep probabilities and keys (`SWEEPS` order), and the month itself."""

    own: NDArray[np.float64]        # (3, 5) smartphone, account, broadband by income quintile
    candidate: NDArray[np.float64]  # (8,) candidate probability of each sweep
    keys: NDArray[np.uint64]        # (8,) a key per sweep
    month: int                      # the month's index (dossiers are stamped with it)
    dt: float                       # its length in years (hazards are per year)


class Contacts(NamedTuple):
    """The contact network as `update_contact_counts` walks it (CSR, other communes first)."""

    indptr: NDArray[np.int64]
    indices: NDArray[np.int32]
    outside: NDArray[np.int32]  # contacts in other communes, at the start of each list
    outside_max: int


@nb.njit(inline="always", cache=True)
def _people_slice(p, lo, hi):  # type: ignore[no-untyped-def]
    """The agents lo..hi of `People` (views)."""
    return People(p.income[lo:hi], p.skill[lo:hi], p.smartphone[lo:hi], p.account[lo:hi], p.broadband[lo:hi],
                  p.covered_4g[lo:hi], p.online_services[lo:hi], p.cashless[lo:hi],
                  p.contacts_os[lo:hi], p.contacts_cl[lo:hi], p.degree[lo:hi], p.last_dossier[lo:hi],
                  p.last_online[lo:hi], p.last_assisted[lo:hi])


@nb.njit(inline="always", cache=True)
def _ease(weight: float, skill: float) -> float:
    """Effort (UTAUT): a fully skilled adult adopts at the full rate, an unskilled one at 1 - weight."""
    return 1.0 - weight + weight * skill


@nb.njit(inline="always", cache=True)
def _log_q(big_p: float) -> float:
    """log(1 - P) of a sweep's candidate probability (every agent is a candidate at P = 1)."""
    return np.log(1.0 - big_p) if big_p < 1.0 else -np.inf


# A sweep over candidates (see `_citizens_unit`): each function below walks its own candidates, t
# counting the draws (a gap, then an acceptance draw v, per candidate), so a sweep's loop holds
# only its own work (one loop with a branch per sweep ran the adoption sweeps 2-3x slower).

@nb.njit(cache=True)
def _own_sweep(owned, income, own_p, big_p, key):  # type: ignore[no-untyped-def]
    """Devices and accounts: a non-owner of income quintile q gets one with probability own_p[q].
    Returns how many did."""
    log_q = _log_q(big_p)
    t = n = 0
    j = _gap(uniform(key, t), log_q)
    while j < len(owned):
        v = uniform(key, t + 1) * big_p  # P x U[0,1): accept when below the agent's probability
        if not owned[j] and v < own_p[income[j]]:
            owned[j] = True
            n += 1
        t += 2  # structural: two draws a candidate
        j += 1 + _gap(uniform(key, t), log_q)
    return n


@nb.njit(cache=True)
def _lapse_sweep(state, skill, b, c, dt, big_p, key, changed, n_changed, first):  # type: ignore[no-untyped-def]  # noqa: PLR0913
    """Adopters lapse (to LAPSING, listed in `changed` from `n_changed`). Returns the new
    length of the list."""
    log_q = _log_q(big_p)
    t = 0
    j = _gap(uniform(key, t), log_q)
    while j < len(state):
        v = uniform(key, t + 1) * big_p
        if state[j] == ADOPTER:
            # An unskilled user finds it harder and gives up more often.
            rate = b.lapse[c] * (1.0 + b.lapse_effort * (1.0 - skill[j]))
            if v < 1.0 - np.exp(-rate * dt):
                state[j] = LAPSING
                changed[n_changed] = first + j
                n_changed += 1
        t += 2  # structural: two draws a candidate
        j += 1 + _gap(uniform(key, t), log_q)
    return n_changed


@nb.njit(cache=True)
def _adoption_sweep(state, contacts, account_needed, people, b, c, dt, big_p, key,  # type: ignore[no-untyped-def]  # noqa: PLR0913
                    changed, n_changed, first):
    """Non-adopters (never or lapsed before this month) adopt at the Bass rate of their commune
    and contacts (`contacts`: their adopting contacts), behind the gate (a smartphone and 4G or
    broadband, and an account where `account_needed`). Returns the new length of `changed`."""
    smartphone, cov4g, broadband, account = people.smartphone, people.covered_4g, people.broadband, people.account
    degree, skill = people.degree, people.skill
    log_q = _log_q(big_p)
    t = 0
    j = _gap(uniform(key, t), log_q)
    while j < len(state):
        v = uniform(key, t + 1) * big_p
        if state[j] == NEVER or state[j] == LAPSED:
            connected = smartphone[j] and (cov4g[j] or broadband[j])
            gate = (connected and (account[j] or not account_needed)) or not b.gated
            if gate:
                if b.mean_field >= 0.0:
                    s = b.mean_field
                else:
                    d = degree[j]
                    s = contacts[j] / d if d > 0 else 0.0
                # Imitation is the adopters' share of those who could adopt (Bass's N(t)/m): a
                # contact without a phone or an account is no reason not to adopt.
                s = min(s / b.potential[c], 1.0)
                rate = (b.p[c] * b.attract[c] + b.q * s) * b.campaign[c] * _ease(b.ease_weight, skill[j])
                if v < 1.0 - np.exp(-rate * dt):
                    state[j] = ADOPTER
                    changed[n_changed] = first + j
                    n_changed += 1
        t += 2  # structural: two draws a candidate
        j += 1 + _gap(uniform(key, t), log_q)
    return n_changed


@nb.njit(cache=True)
def _dossier_sweep(people, hist, dossiers, c, month, big_p, key, changed_os, n_os, first, row):  # type: ignore[no-untyped-def]  # noqa: PLR0913
    """An administrative need (P is the need probability itself: every candidate files).
    Adopters file online themselves where the procedure is offered online; a non-adopter may be
    helped to file online by a community digital team (an assisted filing: online for the
    dossier, not use by the person), and may go on alone (then listed in `changed_os`).
    Counts go to `row`; returns the new length of `changed_os`."""
    online_services, last_dossier, last_online = people.online_services, people.last_dossier, people.last_online
    last_assisted = people.last_assisted
    hist_all = hist.all
    po, assist = dossiers.procedures_online[c], dossiers.assist[c]
    assist_key = _unit_key(dossiers.key, first)
    on = off = assisted = 0
    log_q = _log_q(big_p)
    t = 0
    j = _gap(uniform(key, t), log_q)
    while j < len(online_services):
        v = uniform(key, t + 1) * big_p
        old = last_dossier[j]
        if old >= -12:  # structural: the history starts 12 months back
            hist_all[old + 12] -= 1  # structural: the history's offset
        last_dossier[j] = month
        hist_all[month + 12] += 1  # structural: the history's offset
        online = helped = False
        if v < po * big_p:
            if online_services[j] == ADOPTER:
                online = True
            elif assist > 0.0 and uniform(assist_key, 2 * j) < assist:  # structural: draw number
                online = helped = True
                assisted += 1
                if ((online_services[j] == NEVER or online_services[j] == LAPSED)
                        and uniform(assist_key, 2 * j + 1) < dossiers.conversion):  # structural: draw number
                    online_services[j] = ADOPTER
                    changed_os[n_os] = first + j
                    n_os += 1
        if online:
            old = last_online[j]
            if old >= -12:  # structural: the history starts 12 months back
                (hist.assisted if last_assisted[j] else hist.online)[old + 12] -= 1  # structural: offset
            last_online[j] = month
            last_assisted[j] = helped
            (hist.assisted if helped else hist.online)[month + 12] += 1  # structural: the history's offset
            on += 1
        else:
            off += 1
        t += 2  # structural: two draws a candidate
        j += 1 + _gap(uniform(key, t), log_q)
    row[DOSSIERS_ONLINE], row[DOSSIERS_OFFLINE], row[ASSISTED] = on, off, assisted
    return n_os


@nb.njit(cache=True)
def _citizens_unit(first, c, people, hist, changed_os, changed_cl, chances, os_, cl, dossiers, row):  # type: ignore[no-untyped-def]  # noqa: PLR0913
    """`citizens_month` on one work unit of commune c starting at agent `first` (`people`: its
    agents; `hist`, its `History` rows; `changed_*`, its part of the month's changed lists).

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
    p, own_p, keys, dt = chances.candidate, chances.own, chances.keys, chances.dt
    n_os = n_cl = n_os_lapsed = n_cl_lapsed = 0
    owned = (people.smartphone, people.account, people.broadband)
    for k in range(OWNERSHIP_SWEEPS):
        if p[k] > 0.0:
            row[SMARTPHONE + k] = _own_sweep(owned[k], people.income, own_p[k], p[k], _unit_key(keys[k], first))
    # Lapse, then adoption, of online services and of cashless.
    if p[LAPSE_OS] > 0.0:
        n_os = n_os_lapsed = _lapse_sweep(people.online_services, people.skill, os_, c, dt, p[LAPSE_OS],
                                          _unit_key(keys[LAPSE_OS], first), changed_os, 0, first)
    if p[ADOPT_OS] > 0.0:
        n_os = _adoption_sweep(people.online_services, people.contacts_os, False, people, os_, c, dt, p[ADOPT_OS],
                               _unit_key(keys[ADOPT_OS], first), changed_os, n_os, first)
    if p[LAPSE_CL] > 0.0:
        n_cl = n_cl_lapsed = _lapse_sweep(people.cashless, people.skill, cl, c, dt, p[LAPSE_CL],
                                          _unit_key(keys[LAPSE_CL], first), changed_cl, 0, first)
    if p[ADOPT_CL] > 0.0:
        n_cl = _adoption_sweep(people.cashless, people.contacts_cl, True, people, cl, c, dt, p[ADOPT_CL],
                               _unit_key(keys[ADOPT_CL], first), changed_cl, n_cl, first)
    if p[NEEDS] > 0.0:
        n_os = _dossier_sweep(people, hist, dossiers, c, chances.month, p[NEEDS],
                              _unit_key(keys[NEEDS], first), changed_os, n_os, first, row)
    month = chances.month
    recent = recent_on = recent_assisted = 0
    for slot in range(max(0, month + 1), month + 12 + 1):
        recent += hist.all[slot]
        recent_on += hist.online[slot]
        recent_assisted += hist.assisted[slot]
    os_adopted, cl_adopted = n_os - n_os_lapsed, n_cl - n_cl_lapsed  # incl. assisted filers who go on alone
    row[ONLINE_SERVICES], row[CASHLESS] = os_adopted - n_os_lapsed, cl_adopted - n_cl_lapsed
    row[RECENT], row[RECENT_ONLINE], row[RECENT_ASSISTED] = recent, recent_on, recent_assisted
    row[CASHLESS_JOINED] = cl_adopted
    return n_os, n_cl


@nb.njit(parallel=True, cache=True)
def citizens_month(units, people, history, changed, chances, os_, cl, dossiers):  # type: ignore[no-untyped-def]
    """One month of every citizen (`People`): devices, online services, cashless, dossiers.

    chances: `Chances`, the monthly probabilities of acquiring a smartphone, an account,
    broadband by income quintile, and each sweep's candidate probability (at least the largest
    probability in it) and key. os_, cl: `Adoption` of online services and cashless;
    dossiers: `Dossiers`; history: `History`. Agents who adopt or lapse are listed in
    `changed` (`Changed`) and lapsers are left in state LAPSING for `update_contact_counts`.
    Returns (C, CITIZEN_COUNTS): changes in the owner and adopter counts, and the month's
    dossier counts.
    """
    # Fields read into names before the parallel loop: numba's parfors do not write through a
    # tuple's field inside the loop (a write to changed.n[k] was lost).
    bounds, unit_commune = units.bounds, units.commune
    hist_all, hist_online, hist_assisted = history.all, history.online, history.assisted
    changed_os, changed_cl, n_changed = changed.online_services, changed.cashless, changed.n
    n_units = len(bounds) - 1
    per_unit = np.zeros((n_units, CITIZEN_COUNTS), np.int64)
    for k in nb.prange(n_units):
        lo, hi = bounds[k], bounds[k + 1]
        n_os, n_cl = _citizens_unit(
            lo, unit_commune[k], _people_slice(people, lo, hi),
            History(hist_all[k], hist_online[k], hist_assisted[k]),
            changed_os[lo:hi], changed_cl[lo:hi], chances, os_, cl, dossiers, per_unit[k])
        n_changed[k, 0] = n_os
        n_changed[k, 1] = n_cl
    out = np.zeros((units.n_communes, CITIZEN_COUNTS), np.int64)
    for k in range(n_units):
        for col in range(CITIZEN_COUNTS):
            out[unit_commune[k], col] += per_unit[k, col]
    return out


@nb.njit(parallel=True, cache=True)
def gated_counts(units, people):  # type: ignore[no-untyped-def]
    """(C, 2) adults behind each behaviour's gate per commune: a smartphone and 4G or broadband
    (online services), and an account as well (cashless)."""
    bounds, unit_commune = units.bounds, units.commune
    n_units = len(bounds) - 1
    per_unit = np.zeros((n_units, 2), np.int64)  # structural: two behaviours
    smartphone, covered, broadband, account = people.smartphone, people.covered_4g, people.broadband, people.account
    for k in nb.prange(n_units):
        online = cash = 0
        for i in range(bounds[k], bounds[k + 1]):
            # Branch-free (bytes, not booleans): a pass over every adult each month.
            g = np.uint8(smartphone[i]) & (np.uint8(covered[i]) | np.uint8(broadband[i]))
            online += int(g)
            cash += int(g & np.uint8(account[i]))
        per_unit[k, 0] = online
        per_unit[k, 1] = cash
    out = np.zeros((units.n_communes, 2), np.int64)  # structural: two behaviours
    for k in range(n_units):
        out[unit_commune[k], 0] += per_unit[k, 0]
        out[unit_commune[k], 1] += per_unit[k, 1]
    return out


@nb.njit(cache=True)
def dossier_histograms(bounds, last_dossier, last_online, last_assisted, months):  # type: ignore[no-untyped-def]
    """(units, months + 12) counts of agents by the month of their last dossier, of their last
    online dossier filed themselves, and of their last online dossier filed for them (`History`)."""
    n_units = len(bounds) - 1
    hist_all = np.zeros((n_units, months + 12), np.int64)
    hist_online = np.zeros((n_units, months + 12), np.int64)
    hist_assisted = np.zeros((n_units, months + 12), np.int64)
    for k in range(n_units):
        for i in range(bounds[k], bounds[k + 1]):
            if last_dossier[i] >= -12:
                hist_all[k, last_dossier[i] + 12] += 1
            if last_online[i] >= -12:
                if last_assisted[i]:
                    hist_assisted[k, last_online[i] + 12] += 1
                else:
                    hist_online[k, last_online[i] + 12] += 1
    return hist_all, hist_online, hist_assisted


@nb.njit(parallel=True, cache=True)
def outside_first(commune_start, indptr, indices):  # type: ignore[no-untyped-def]
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


@nb.njit(cache=True)
def _dealt(room, parts):  # type: ignore[no-untyped-def]
    """Communes in the order a parallel loop should take them: the loop gives each of `parts`
    threads an equal run of iterations, so communes are dealt round-robin by their work
    (`room`, cumulative) from the largest down, and each thread's run holds its share of large
    and small communes (a plain order left one thread 58% of Hai Phong's changes)."""
    work = np.diff(room)
    ranks = np.argsort(-work, kind="mergesort")  # structural: stable, so the order is the same everywhere
    order = np.empty(len(work), np.int64)
    pos = 0
    for t in range(parts):
        for r in range(t, len(work), parts):
            order[pos] = ranks[r]
            pos += 1
    return order


@nb.njit(inline="always", cache=True)
def _spread(who, state, nbr, code, contacts, network, away, away_d, queued):  # type: ignore[no-untyped-def]  # noqa: PLR0913
    """One behaviour's changed agents `who` tell their contacts in the same commune (`nbr`, by
    +-1) and queue the ties to other communes (`away`, `away_d` = +-code from `queued`); lapsers
    become LAPSED. Returns the new end of the queue."""
    indptr, indices, outside = contacts.indptr, contacts.indices, contacts.outside
    for i in who:
        d = 1 if state[i] == ADOPTER else -1
        if network:
            start, inside = indptr[i], indptr[i] + outside[i]
            for e in range(start, inside):
                away[queued] = indices[e]
                away_d[queued] = d * code
                queued += 1
            for e in range(inside, indptr[i + 1]):
                nbr[indices[e]] += d
        if d < 0:
            state[i] = LAPSED
    return queued


@nb.njit(parallel=True, cache=True)
def update_contact_counts(units, commune_start, changed, people, contacts, parts):  # type: ignore[no-untyped-def]
    """Incremental adopter-contact counts (`People.contacts_*`): only the month's adopters and
    lapsers (`Changed`) touch their contacts (`Contacts`).

    Contact lists start with the contacts in other communes (`outside_first`; `outside[i]`
    of them). Communes update their own members in parallel (dealt to the threads by their
    work, `_dealt`; and turn LAPSING into lapsed, 2) and queue the few ties to other
    communes; the queue is then applied by `parts` slices of the agents in parallel (one per
    thread), each slice taking the entries that fall in it. Each changed agent's contact list
    is read once. Without a network (mean field) only LAPSING -> 2 happens.
    """
    bounds, unit_commune, n_changed = units.bounds, units.commune, changed.n
    changed_os, changed_cl = changed.online_services, changed.cashless
    online_services, cashless, nbr_os, nbr_cl = people.online_services, people.cashless, people.contacts_os, \
        people.contacts_cl
    outside_max = contacts.outside_max
    n_c = len(commune_start) - 1
    network = len(contacts.indptr) > 0
    unit_start = np.searchsorted(unit_commune, np.arange(n_c + 1))
    # Room for the queued ties of each commune: its changed agents times the most anyone has.
    room = np.zeros(n_c + 1, np.int64)
    for k in range(len(bounds) - 1):
        room[unit_commune[k] + 1] += (n_changed[k, 0] + n_changed[k, 1]) * outside_max
    room = np.cumsum(room)
    order = _dealt(room, parts)
    away = np.empty(room[-1], np.int32)      # the contact
    away_d = np.empty(room[-1], np.int8)     # its change: +-1 online services, +-2 cashless
    n_away = np.zeros(n_c, np.int64)
    cashless_code = 2  # structural: queued changes are +-1 for online services, +-2 for cashless
    for s in nb.prange(n_c):
        c = order[s]
        queued = room[c]
        for k in range(unit_start[c], unit_start[c + 1]):
            first = bounds[k]
            queued = _spread(changed_os[first:first + n_changed[k, 0]], online_services, nbr_os, 1, contacts, network,
                             away, away_d, queued)
            queued = _spread(changed_cl[first:first + n_changed[k, 1]], cashless, nbr_cl, cashless_code, contacts,
                             network, away, away_d, queued)
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
                        nbr_cl[j] += d // 2  # structural: cashless changes are coded +-2


@nb.njit(parallel=True, cache=True)
def adopting_contacts(online_services, cashless, indptr, indices):  # type: ignore[no-untyped-def]
    """Number of adopting contacts of every agent for both behaviours, counted from scratch
    (once, at set-up)."""
    n = len(indptr) - 1
    out = np.zeros((2, n), np.int16)  # structural: two behaviours
    for i in nb.prange(n):
        a = b = 0
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            a += online_services[j] == ADOPTER
            b += cashless[j] == ADOPTER
        out[0, i] = a
        out[1, i] = b
    return out


class Merchants(NamedTuple):
    """The merchants' month: who reconsiders and what they weigh (benefit units, logistic).

    demand: per commune, the share of customers who pay cashless; size_benefit: (3,) by size;
    fixed_cost, tax_cost, fee_cost, demand_weight, relief: `MerchantSpec` terms for the year;
    join_p, leave_p: monthly chances of reconsidering; offset: the intercept at which the
    starting acceptance is the market's resting point (`sim.engine.payments.equilibrium_offset`)."""

    demand: NDArray[np.float64]
    demand_weight: float
    size_benefit: NDArray[np.float64]
    fixed_cost: float
    relief: float
    tax_cost: float
    fee_cost: float
    heterogeneity: float
    join_p: float
    leave_p: float
    offset: float


class Firms(NamedTuple):
    """The firms' month: online public services, dossiers and digital levels.

    online_p: chance a firm starts filing online; lapse_p: chance one filing online stops;
    need_p: chance of a dossier;
    procedures_online: per commune; upgrade_p: (3,) chance of moving up from level 0, 1, 2;
    acceptance_boost: relative rise of it for merchants accepting cashless; five_g: per commune,
    its multiplier where 5G reaches (`digital_economy.five_g_boost` x the 5G share); weights: (S, 4)
    realised share of each sector's digital intensity by level."""

    online_p: float
    lapse_p: float
    need_p: float
    procedures_online: NDArray[np.float64]
    upgrade_p: NDArray[np.float64]
    acceptance_boost: float
    five_g: NDArray[np.float64]
    weights: NDArray[np.float64]


class Enterprises(NamedTuple):
    """The businesses' arrays the month reads and changes, one entry per sampled business,
    stored commune by commune (`sim.world.population.Businesses`)."""

    consumer_facing: NDArray[np.bool_]
    accepts_cashless: NDArray[np.bool_]
    online_services: NDArray[np.bool_]
    never_online: NDArray[np.bool_]    # never files online itself
    digital_level: NDArray[np.uint8]   # 0..3
    sector: NDArray[np.uint8]
    size: NDArray[np.uint8]
    weight: NDArray[np.float64]        # businesses it stands for
    value_added: NDArray[np.float64]
    taste: NDArray[np.float32]
    tax_taste: NDArray[np.float32]
    onboarded_at: NDArray[np.int16]    # month of an onboarding visit (-1: never)
    last_dossier: NDArray[np.int16]
    last_online: NDArray[np.int16]


@nb.njit(inline="always", cache=True)
def _logistic(x: float) -> float:
    return 1.0 / (1.0 + np.exp(-x))


@nb.njit(inline="always", cache=True)
def merchant_benefit(mk, c, size, taste, tax_taste, onboarded_at):  # type: ignore[no-untyped-def]
    """A merchant's net benefit of accepting: customers who pay cashless, weighted by its
    sales volume, less the fee, the set-up cost (relieved by onboarding support), the cost of
    visible revenue (household stalls under lump-sum tax) and its own taste."""
    return (mk.demand_weight * mk.demand[c] * mk.size_benefit[size] - mk.fee_cost
            - mk.fixed_cost * (1.0 - mk.relief * (onboarded_at >= 0)) - mk.tax_cost * tax_taste
            + mk.heterogeneity * taste + mk.offset)


@nb.njit(cache=True)
def merchant_benefits(mk, commune, size, taste, tax_taste, onboarded_at):  # type: ignore[no-untyped-def]
    """`merchant_benefit` of every business (float64 array), for the start's equilibrium."""
    out = np.empty(len(commune))
    for i in range(len(commune)):
        out[i] = merchant_benefit(mk, commune[i], size[i], taste[i], tax_taste[i], onboarded_at[i])
    return out


@nb.njit(inline="always", cache=True)
def _files_online(now: bool, never: bool, u: float, firms: Firms) -> bool:
    """Whether a business files online after the month: it starts (unless it never does) or
    stops (it closes, or hands its filings to an agent)."""
    if not now:
        return (not never) and u < firms.online_p
    return u >= firms.lapse_p


@nb.njit(parallel=True, cache=True)
def businesses_month(commune_start, biz, mk, firms, month, key, parts):  # type: ignore[no-untyped-def]
    """One month of every business (`Enterprises` biz): merchants reconsider cashless, online
    services spread, dossiers, digital levels climb. Counts are weighted (a business stands for `weight`
    businesses: 1 for enumerated large firms, 1 / scale for the sampled rest). Returns per-commune
    counts (C, BUSINESS_COUNTS) and per-commune, per-sector realised digital and total value
    added (C, S, 2) after the month.
    """
    consumer, accepts, online, level = biz.consumer_facing, biz.accepts_cashless, biz.online_services, \
        biz.digital_level
    never_online = biz.never_online
    sector, size, weight, value_added = biz.sector, biz.size, biz.weight, biz.value_added
    taste, tax_taste, onboarded_at, last_dossier, last_online = biz.taste, biz.tax_taste, biz.onboarded_at, \
        biz.last_dossier, biz.last_online
    n_c = len(commune_start) - 1
    n_sectors = firms.weights.shape[0]
    counts = np.zeros((n_c, BUSINESS_COUNTS), np.float64)
    va = np.zeros((n_c, n_sectors, 2), np.float64)  # structural: digital, total
    order = _dealt(commune_start, parts)  # each of `parts` threads its share of large and small communes
    for k in nb.prange(n_c):
        c = order[k]
        po = firms.procedures_online[c]
        accepting = consumers = n_online = d_online = d_all = recent = recent_on = 0.0
        digital = np.zeros(n_sectors)
        total = np.zeros(n_sectors)
        for i in range(commune_start[c], commune_start[c + 1]):
            j = 5 * i  # structural: five draws a business
            u = uniform(key, j)
            if consumer[i]:
                if accepts[i]:
                    if u < mk.leave_p:
                        b = merchant_benefit(mk, c, size[i], taste[i], tax_taste[i], onboarded_at[i])
                        if uniform(key, j + 4) < _logistic(-b):  # structural: draw number
                            accepts[i] = False
                elif u < mk.join_p or onboarded_at[i] == month:  # an onboarding visit makes it decide now
                    b = merchant_benefit(mk, c, size[i], taste[i], tax_taste[i], onboarded_at[i])
                    if uniform(key, j + 4) < _logistic(b):  # structural: draw number
                        accepts[i] = True
            online[i] = _files_online(online[i], never_online[i], uniform(key, j + 1), firms)
            w = weight[i]
            if uniform(key, j + 2) < firms.need_p:  # structural: draw number
                last_dossier[i] = month
                d_all += w
                if online[i] and uniform(key, j + 3) < po:  # structural: draw number
                    last_online[i] = month
                    d_online += w
            if level[i] < TOP_LEVEL:
                up = firms.upgrade_p[level[i]] * (1.0 + firms.acceptance_boost * (consumer[i] and accepts[i])) \
                    * firms.five_g[c]
                if uniform(key ^ np.uint64(0x5851F42D4C957F2D), i) < up:  # structural: hash constant
                    level[i] += 1
            consumers += w * consumer[i]
            accepting += w * (consumer[i] and accepts[i])
            n_online += w * online[i]
            is_recent = last_dossier[i] > month - 12
            recent += w * is_recent
            recent_on += w * (is_recent and last_online[i] > month - 12)
            s = sector[i]
            digital[s] += value_added[i] * firms.weights[s, level[i]]
            total[s] += value_added[i]
        counts[c, B_ACCEPTING], counts[c, B_CONSUMER], counts[c, B_ONLINE] = accepting, consumers, n_online
        counts[c, B_DOSSIERS_ONLINE], counts[c, B_DOSSIERS] = d_online, d_all
        counts[c, B_RECENT], counts[c, B_RECENT_ONLINE] = recent, recent_on
        for s in range(n_sectors):
            va[c, s, 0] = digital[s]
            va[c, s, 1] = total[s]
    return counts, va
