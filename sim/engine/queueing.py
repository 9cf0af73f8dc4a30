"""The M/M/c (Erlang-C) queue of a commune office, vectorised over communes.

Dossiers arrive at a commune office as a Poisson stream (λ a day, in effort units:
an online dossier costs `online_effort` of an offline one) and are handled by c
officers, each finishing μ dossiers a working day with exponential service times.
The probability that a dossier waits is Erlang's C(c, a), a = λ/μ; the mean wait in
queue is W_q = C/(cμ − λ) and P(W_q > t) = C exp(−(cμ − λ) t).

`OfficeQueues` steps these offices month by month. Within a month the office is
taken at steady state unless it is overloaded; then a fluid backlog carries the
excess demand from month to month (see `OfficeQueues.month`).

Checked against (tests/test_queueing.py): Erlang-C by direct summation with
factorials (and in log space for c in the hundreds) and textbook values; the mean
wait and the wait tail against a discrete-event M/M/c simulation written with simpy.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numpy.typing import NDArray


@nb.njit(cache=True, nogil=True)
def _erlang_b(c, a):  # type: ignore[no-untyped-def]
    """Erlang-B per element by its recursion B_k = a B_{k-1} / (k + a B_{k-1}), B_0 = 1: every
    step is a ratio in [0, 1], so nothing overflows for c in the hundreds (the factorial sum
    would). The same operations, in the same order, as the array form it replaced."""
    out = np.empty(len(c))
    for i in range(len(c)):
        b = 1.0
        for k in range(1, c[i] + 1):
            ab = a[i] * b
            b = ab / (k + ab)
        out[i] = b
    return out


def erlang_c(servers: NDArray[np.number], offered: NDArray[np.float64]) -> NDArray[np.float64]:
    """Probability an arrival waits, C(c, a), for c `servers` and `offered` load a (Erlangs).

    Broadcasts its arguments; 1.0 where a ≥ c (the queue grows without bound).

    >>> round(float(erlang_c(2, 1.0)), 12)
    0.333333333333
    """
    c, a = np.broadcast_arrays(np.asarray(servers), np.asarray(offered, dtype=np.float64))
    if np.any(c < 1) or np.any(c != np.floor(c)):
        raise ValueError("servers must be whole numbers >= 1")
    c = c.astype(np.int64)
    b = _erlang_b(c.ravel(), np.ascontiguousarray(a).ravel()).reshape(c.shape)
    stable = a < c
    # c − a(1 − B) > c − a > 0 where stable; the masked branch is never used.
    denom = np.where(stable, c - a * (1.0 - b), 1.0)
    return np.where(stable, c * b / denom, 1.0)


def mean_wait(servers: NDArray[np.number], arrivals_per_day: NDArray[np.float64],
              service_per_day: NDArray[np.float64]) -> NDArray[np.float64]:
    """Mean wait in queue W_q = C(c, λ/μ)/(cμ − λ), in days; inf where λ ≥ cμ."""
    lam = np.asarray(arrivals_per_day, dtype=np.float64)
    mu = np.asarray(service_per_day, dtype=np.float64)
    gap = servers * mu - lam
    c = erlang_c(servers, lam / mu)
    return np.where(gap > 0, c / np.where(gap > 0, gap, 1.0), np.inf)


def wait_exceeds(
    servers: NDArray[np.number], arrivals_per_day: NDArray[np.float64], service_per_day: NDArray[np.float64],
    days: NDArray[np.float64],
) -> NDArray[np.float64]:
    """P(W_q > days) = C(c, λ/μ) exp(−(cμ − λ) days); 1 where λ ≥ cμ."""
    lam = np.asarray(arrivals_per_day, dtype=np.float64)
    mu = np.asarray(service_per_day, dtype=np.float64)
    gap = servers * mu - lam
    c = erlang_c(servers, lam / mu)
    return np.where(gap > 0, c * np.exp(-np.maximum(gap, 0.0) * np.asarray(days)), 1.0)


def _fractional(
    staff: NDArray[np.float64], mu: float, rho: NDArray[np.float64], t: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean wait and P(wait > t) for fractional `staff` (> 0) at utilisation `rho` (< 1).

    s officers are ⌊s⌋ officers for a share 1 − f of the time and ⌈s⌉ for f = s − ⌊s⌋,
    each regime at the office's utilisation ρ = λ/(sμ). Mixing at a fixed λ instead
    would give an infinite wait whenever ⌊s⌋ alone is overloaded although sμ > λ.
    This is exact at whole s, continuous and decreasing in s, and lies between the
    waits of ⌊s⌋ and ⌈s⌉ officers. Below one officer: a lone part-time officer at sμ.
    """
    lo = np.maximum(np.floor(staff), 1.0)
    f = np.clip(staff - lo, 0.0, 1.0)
    rate = mu * np.minimum(staff, 1.0)
    wait = np.zeros(np.shape(staff))
    tail = np.zeros(np.shape(staff))
    for k, share in ((lo, 1.0 - f), (lo + 1.0, f)):
        c = erlang_c(k, k * rho)
        gap = k * rate * (1.0 - rho)
        wait += share * c / gap
        tail += share * c * np.exp(-gap * t)
    return wait, tail


class OfficeQueues:
    """Per-commune dossier queues, stepped a month at a time.

    Attributes (arrays over communes): `staff` (officers in post; may be fractional and is
    read as at least 0), `deployed` (officers working there per officer in post: management's
    reassignments, 1 without them),
    `backlog` (effort units carried over), and after `month`: `wait_days`, `overdue_share`,
    `utilisation` (λ/(sμ), raw: above 1 when overloaded).
    """

    def __init__(
        self, staff: NDArray[np.float64], service_per_day: float, online_effort: float, deadline_days: float
    ) -> None:
        self.staff = np.array(staff, dtype=np.float64)
        self.service_per_day = float(service_per_day)
        # per commune once the model sets it (returned dossiers cost their effort again)
        self.online_effort: float | NDArray[np.float64] = float(online_effort)
        self.deadline_days = float(deadline_days)
        self.deployed = np.ones_like(self.staff)
        # The province's own posts (not funded by programmes) and, once set, the posts it keeps
        # per unit of load (effort a day): `restaff` follows the load at that ratio.
        self.own = np.maximum(self.staff, 0.0)  # per commune: the province's own posts
        self.posts_per_effort: float | None = None
        self.backlog = np.zeros_like(self.staff)
        self.wait_days = np.zeros_like(self.staff)
        self.overdue_share = np.zeros_like(self.staff)
        self.utilisation = np.zeros_like(self.staff)

    def add_staff(self, officers: NDArray[np.float64]) -> None:
        """Add officers per commune (negative: funded posts expire)."""
        # Kept unclipped so that adding then expiring the same posts is exact.
        self.staff = self.staff + officers

    @property
    def present(self) -> NDArray[np.float64]:
        """Officers working in each office: those in post, as management has deployed them."""
        return np.maximum(self.staff, 0.0) * self.deployed

    @property
    def capacity(self) -> NDArray[np.float64]:
        """Effort units the office completes a day, sμ."""
        return self.present * self.service_per_day

    def reassign(self, effort_per_day: NDArray[np.float64], rate: float) -> None:
        """Management's response to unequal load: a share `rate` of the gap between the officers
        each office has and its share of the province's officers by its load (effort a day)
        closes, officers moving from quiet offices to busy ones (the province's total unchanged).
        An office's queue then cannot run away while a neighbour idles. Kept per officer in
        post, so funded posts that end take their share of the deployment with them."""
        present, total = self.present, float(self.present.sum())
        load = float(np.sum(effort_per_day))
        if total <= 0.0 or load <= 0.0:
            return
        wanted = present + rate * (total * np.asarray(effort_per_day) / load - present)
        in_post = np.maximum(self.staff, 0.0)
        self.deployed = np.divide(wanted, in_post, out=self.deployed.copy(), where=in_post > 0)

    def restaff(self, effort_per_day: NDArray[np.float64], rate: float) -> None:
        """The province's response to its whole load: its own posts close a share `rate` of the
        gap to the posts the load needs at the starting ratio (`posts_per_effort`): posts are
        streamlined as online filing lightens the load and added as it grows, so the back office
        neither idles for ever nor collapses. Posts funded by programmes come on top (`add_staff`).
        New and cut posts follow where the own posts are."""
        own = float(self.own.sum())
        if self.posts_per_effort is None or own <= 0.0:
            return
        # Spread over the own posts (never the funded ones, which end on their own calendar): a
        # cut of at most `rate` of the posts leaves every office's own posts positive.
        change = rate * (self.posts_per_effort * float(np.sum(effort_per_day)) - own) * self.own / own
        self.own = self.own + change
        self.staff = self.staff + change

    @property
    def own_posts(self) -> float:
        """The province's own posts, all communes."""
        return float(self.own.sum())

    def month(self, offline: NDArray[np.float64], online: NDArray[np.float64], days: float) -> None:
        """Take a month's dossier arrivals per commune and update the queue indicators.

        The backlog follows the fluid rule backlog ← max(0, backlog + (λ − sμ)·days):
        it builds while λ > sμ and is worked off at (sμ − λ) a day after. The reported
        wait is that of a dossier filed at the end of the month: backlog/(sμ) ahead of
        it, plus the Erlang-C wait at utilisation min(ρ, ρ_edge), ρ_edge = 1 − √(2/(sμ·days)),
        or at ρ_edge while a backlog stands. A queue at utilisation ρ needs about
        2/(sμ(1 − ρ)²) days to reach its steady state (heavy traffic), so within a
        month ρ_edge is as saturated as it gets; this also keeps the wait continuous
        as λ crosses sμ. A dossier is overdue when the backlog alone exceeds the
        deadline, otherwise with the Erlang-C tail over what is left of the deadline.
        """
        lam = (np.asarray(offline, dtype=np.float64) + self.online_effort * np.asarray(online)) / days
        cap = self.capacity
        dead = cap <= 0.0
        safe_cap = np.where(dead, 1.0, cap)
        self.utilisation = np.where(dead, np.where(lam > 0, np.inf, 0.0), lam / safe_cap)
        self.backlog = np.maximum(self.backlog + (lam - cap) * days, 0.0)

        # structural: the edge of the fluid approximation
        rho_edge = np.maximum(1.0 - np.sqrt(2.0 / (safe_cap * days)), 0.0)
        rho = np.where(self.backlog > 0, rho_edge, np.minimum(self.utilisation, rho_edge))
        ahead = self.backlog / safe_cap
        left = np.maximum(self.deadline_days - ahead, 0.0)
        wq, tail = _fractional(np.where(dead, 1.0, self.present), self.service_per_day, rho, left)

        # No officers: anything filed waits for ever; an idle empty office waits for nothing.
        stuck = self.backlog > 0
        self.wait_days = np.where(dead, np.where(stuck, np.inf, 0.0), ahead + wq)
        overdue = np.where(ahead >= self.deadline_days, 1.0, tail)
        self.overdue_share = np.where(dead, np.where(stuck, 1.0, 0.0), overdue)
