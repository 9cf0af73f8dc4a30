"""Payments: a cashless adopter's choice at each purchase, and what it adds up to.

`cashless_share` is cashless retail transactions over all retail transactions, by count.
Every adult makes the same number of purchases (assumption: intensity differences are
not modelled); a purchase is cashless when

- the buyer is a cashless adopter (citizens' behaviour), and
- the merchant accepts (the two-sided market: `behaviour.merchant_benefit`), and
- the buyer chooses to pay cashless there: by habit, which rises from `habit_start` for a new
  adopter to `habit_max` for an established one with time constant `habit_months`, except
  that `small_cash_preference` of small purchases (`small_purchase_share` of all) stay cash.

The habit is kept per commune as the adopters' mean (a stock: new adopters join at the start
value, lapsers leave at the mean, everyone moves towards the maximum each month).

Checked against: national non-cash volume +56.8% (2024) and +43.3% (Jan-Sep 2025)
(FACTS.md); VALIDATION.md, "Payments".
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq
from scipy.special import expit

from sim.schema import PaymentsSpec


class PaymentHabit:
    """Per commune: the adopters' mean share of accepted purchases paid cashless."""

    def __init__(self, spec: PaymentsSpec, adopters: NDArray[np.int64]) -> None:
        self.spec = spec
        # At the start adopters have used cashless for a while: half-way from start to maximum.
        # structural: the midpoint
        self.mean = np.full(len(adopters), 0.5 * (spec.habit_start.value + spec.habit_max.value))

    def month(self, adopters: NDArray[np.int64], joined: NDArray[np.float64]) -> None:
        """Move the mean: `joined` new adopters come in at the start value, everyone closes a
        month's part of the gap to the maximum (lapsers leave at the mean)."""
        s = self.spec
        adopters = adopters.astype(np.float64)
        stayed = np.maximum(adopters - joined, 0.0)
        total = stayed * self.mean + joined * s.habit_start.value
        mean = np.divide(total, adopters, out=np.full_like(total, s.habit_start.value), where=adopters > 0)
        step = 1.0 - np.exp(-1.0 / s.habit_months.value)
        self.mean = mean + (s.habit_max.value - mean) * step

    def per_purchase(self) -> NDArray[np.float64]:
        """Chance an adopter pays cashless at a merchant who accepts, per commune."""
        s = self.spec
        return self.mean * (1.0 - s.small_purchase_share.value * s.small_cash_preference.value)


def stationary_acceptance(benefit: NDArray[np.float64], offset: float, join_p: float,
                          leave_p: float) -> NDArray[np.float64]:
    """Each merchant's long-run chance of accepting when nothing changes: it reconsiders at
    `join_p` a month when it does not accept and `leave_p` when it does, and then accepts with
    logistic(benefit + offset), so the two-state chain rests at J L / (J L + V (1 - L)).

    >>> float(stationary_acceptance(np.array([0.0]), 0.0, 0.05, 0.05)[0])
    0.5
    """
    accept = expit(benefit + offset)  # no overflow at the far intercepts the search below may try
    joins, leaves = join_p * accept, leave_p * (1.0 - accept)
    return np.divide(joins, joins + leaves, out=np.zeros_like(accept), where=joins + leaves > 0)


def equilibrium_offset(benefit: NDArray[np.float64], weight: NDArray[np.float64], target: float, join_p: float,
                       leave_p: float) -> float:
    """The intercept of merchants' benefit at which their long-run acceptance (weighted) is
    `target`: the starting acceptance is then the market's own resting point, so it does not
    drift in the first year (Brent's method: acceptance rises with the intercept).

    >>> abs(equilibrium_offset(np.zeros(3), np.ones(3), 0.5, 0.05, 0.05)) < 1e-9
    True
    """
    def excess(offset: float) -> float:
        accept = stationary_acceptance(benefit, offset, join_p, leave_p)
        return float((accept * weight).sum() / weight.sum()) - target

    # structural: the bracket widens until it holds the root, so a fee or cost however large (a 100% fee
    # is accepted) moves the intercept rather than stopping the run; 1e6 benefit units is beyond any float
    # logistic, where acceptance is exactly 0 or 1 and no wider bracket helps.
    half = 50.0  # structural: the first bracket's half-width (benefit units)
    while excess(-half) > 0.0 or excess(half) < 0.0:
        half *= 4.0  # structural: the bracket's widening step
        if half > 1e6:
            raise ValueError(f"no merchant intercept gives the starting acceptance {target:.3f}: the merchants' "
                             "benefit terms (fee, costs, weights) are beyond what a logistic choice can offset")
    return float(brentq(excess, -half, half, xtol=1e-12))  # structural: the root's tolerance


def cashless_share(adopters: NDArray[np.int64], adults: NDArray[np.int64], acceptance: NDArray[np.float64],
                   choice: NDArray[np.float64]) -> NDArray[np.float64]:
    """Cashless transactions over all retail transactions (count), per commune: every adult
    buys as often; an adopter pays cashless where the merchant accepts and habit says so."""
    return adopters * acceptance * choice / np.maximum(adults, 1)
