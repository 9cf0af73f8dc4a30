"""The Bass (1969) reference curve, its monthly-step version, and the error between them.

With every gate open, attractiveness 1, no lapse and mean-field contacts, the
engine moves the adopter share F by one month at a time:

    F_{n+1} = 1 - (1 - F_n) exp(-(p + q F_n) Δt)                      (the monthly map)

i.e. it holds the hazard p + qF at its start-of-month value for the month. The
continuous model dF/dt = (p + qF)(1 - F) has the closed form

    F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}).

Error of a monthly step. Within a step the exact hazard grows from p + qF_n to
p + qF(t); freezing it makes the map fall behind by (1 - F_n) q f Δt²/2 to first
order, f = (p + qF)(1 - F) being the slope. Divided by the slope this is a
*delay* of (1 - F_n) q Δt²/2 per step, and because the equation is autonomous a
delay is carried forward unchanged. Summing over steps,

    delay(t) ≈ (q Δt / 2) ∫₀ᵗ (1 - F) ds  ≤  (q Δt / 2) ∫₀^∞ (1 - F) ds = (Δt / 2) ln(1 + q/p),

and the gap in F is the delay times the slope, at most f_max = (p + q)² / (4q)
(for q > p; p otherwise). Hence

    |F_map(t) - F(t)|  ≤  B = (Δt / 2) ln(1 + q/p) f_max.

B is first-order in Δt; over p in [0.0005, 1] and q in [0, 3] per year the
largest |F_map - F| is 0.77-0.90 B at monthly steps (tests/test_validation.py
checks the grid), so it is a tight bound, not a loose one.

Example:
    >>> round(float(bass_closed_form(0.03, 0.38, 10.0)), 4)
    0.8128
    >>> round(float(monthly_step_bound(0.03, 0.38)), 4)
    0.012
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

MONTH = 1.0 / 12.0


def bass_closed_form(p: float, q: float, t: NDArray[np.float64] | float) -> NDArray[np.float64] | float:
    """Bass (1969) share of adopters at time t (years), starting from none."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return (1.0 - e) / (1.0 + (q / p) * e)


def bass_monthly(p: float, q: float, months: int, dt: float = MONTH) -> NDArray[np.float64]:
    """The engine's deterministic monthly map from F_0 = 0; element n is F after n + 1 months."""
    f = np.empty(months)
    share = 0.0
    for n in range(months):
        share = 1.0 - (1.0 - share) * np.exp(-(p + q * share) * dt)
        f[n] = share
    return f


def monthly_step_bound(p: float, q: float, dt: float = MONTH) -> float:
    """B = (Δt/2) ln(1 + q/p) f_max: the largest gap between the monthly map and the closed form."""
    if q == 0.0:
        return 0.0  # a constant hazard is integrated exactly
    f_max = (p + q) ** 2 / (4.0 * q) if q > p else p
    return float(dt / 2.0 * np.log1p(q / p) * f_max)
