"""Goods exports and their high-tech share, moved by named investments in a pipeline.

Exports other than the named investments' grow at `growth` a year, their high-tech part
`hightech_growth_premium` faster, from the last full year before the start. A named investment (a
factory, a technology park's tenants) passes through announced -> under construction -> producing:
construction starts `approval_years` after its announcement, production `construction_years`
after that, and its exports ramp linearly to `exports_usd` over `ramp_years` from its first
production. Each duration and size is drawn per run from its sourced range (`sim.inputs.uncertainty`),
so an investment's producing year is uncertain but its exports never start before it.

Nothing in the Resolution 57 budget moves this block: Vietnam's high-tech goods exports are
made by a few large foreign-invested plants (electronics), so they follow those investments.

Checked against: Vietnam's high-tech goods share of exports (5.4% 2007, 37.7% 2017,
seeds/research/productivity.csv) and the licence-to-production lags of large electronics plants;
VALIDATION.md section 8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.schema import ExportsSpec


@dataclass
class Exports:
    """Annualised export flows (USD a year) at a point in time (fractional calendar year)."""

    spec: ExportsSpec
    base_year: float                       # mid-point of the year the starting figure measures
    producing_from: NDArray[np.float64]    # (investments,) calendar year of first production
    ramp: NDArray[np.float64]              # (investments,) years to full exports
    full: NDArray[np.float64]              # (investments,) exports a year at full production
    hightech: NDArray[np.bool_]            # (investments,)

    @classmethod
    def start(cls, spec: ExportsSpec, start_year: int) -> Exports:
        names = list(spec.investments)
        inv = [spec.investments[n] for n in names]
        producing = []
        for i in inv:
            t = float(i.stage_year)
            if i.stage == "announced":
                t += i.approval_years.value + i.construction_years.value
            elif i.stage == "under_construction":
                t += i.construction_years.value
            producing.append(t)
        # structural: a year's figure measures its middle
        return cls(spec, start_year - 0.5, np.array(producing, dtype=np.float64),
                   np.array([i.ramp_years.value for i in inv], dtype=np.float64),
                   np.array([i.exports_usd.value for i in inv], dtype=np.float64),
                   np.array([i.hightech for i in inv], dtype=bool))

    def investments_at(self, when: float) -> NDArray[np.float64]:
        """(investments,) each named investment's exports a year at time `when`."""
        since = when - self.producing_from
        ramped = np.divide(since, self.ramp, out=np.ones_like(since), where=self.ramp > 0)
        return np.where(since >= 0.0, self.full * np.clip(ramped, 0.0, 1.0), 0.0)

    def flows(self, when: float) -> tuple[float, float]:
        """(high-tech, total) exports a year at time `when`."""
        s = self.spec
        years = when - self.base_year
        x0, h0 = s.exports_usd.value, s.hightech_share.value
        hightech = x0 * h0 * (1.0 + s.growth.value + s.hightech_growth_premium.value) ** years
        other = x0 * (1.0 - h0) * (1.0 + s.growth.value) ** years
        named = self.investments_at(when)
        named_ht = float(named[self.hightech].sum())
        return hightech + named_ht, hightech + other + float(named.sum())

    def hightech_share(self, when: float) -> float:
        ht, total = self.flows(when)
        return ht / total if total > 0 else 0.0
