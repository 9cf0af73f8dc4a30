"""Growth accounting: the province's GRDP from capital, labour and total factor productivity.

GRDP = A K^alpha L^(1-alpha) (Cobb-Douglas, as the statistics office's growth accounting and the
provincial studies in seeds/research/productivity.csv use it), month by month:

- **labour** L: employed persons, growing at `employment_growth` a year;
- **capital** K: last month's stock, plus investment (`investment_rate` of GRDP), less depreciation;
  it starts at `capital_output_ratio` years of GRDP;
- **TFP** A: a base growth rate plus what firms' digital adoption adds, plus each year's shock
  (drawn per run and year, `tfp_shock_sd`: years scatter around a province's trend by 1-2 points). Log TFP rises by
  `digital_tfp_elasticity` per unit of firms' digital realisation D (the value-added-weighted share
  of their sectors' digital intensity firms realise at their digital level, 0-1, outside the core)
  and by `core_productivity_premium` per unit of GRDP share the core digital economy gains (ICT
  industries produce more per worker, so output moving into them raises measured TFP).

The base rate is the residual of the province's own history, not a free number: the average
GRDP growth of the history minus capital's and labour's contributions at the start's inputs, less
the digital part of that history (firms' digital realisation rising at `digital_pace_history` a
year, the core growing at the digital economy's `core_growth`). A scenario that keeps firms and the
core on their historical pace therefore grows as its history did; a programme that lifts firms'
digital levels faster adds TFP growth, with the diminishing returns of the upgrade hazard (each
level is harder) and of its ceiling (the top level).

The indicators are the statistics office's: GRDP and labour-productivity growth on the same
month a year earlier (before the start: the history's trend), and TFP's share of GRDP growth since
the start (average yearly TFP growth over average yearly GRDP growth, log rates).

Checked against: GSO's TFP contribution to national growth (33.6% 2011-2015, 44.5% 2016-2019,
46.1% 2019) and provincial studies (Đồng Tháp 30-35%, Thanh Hóa 33%, Hà Giang 10%) in
VALIDATION.md section 8; labour productivity growth 2022-2024 (3.7-5.9% a year).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim.schema import ProductionSpec

YEAR = 12  # months


@dataclass
class Production:
    """A province's production accounts, in logs relative to the level before the first month."""

    spec: ProductionSpec
    core_growth: float                   # the digital economy's core_growth: the history's core pace
    digital0: float                      # firms' digital realisation at the start
    core0: float                         # core digital economy / GRDP at the start
    base_growth: float = 0.0             # yearly log growth of TFP without digital change
    log_capital: float = 0.0
    log_labour: float = 0.0
    log_tfp: float = 0.0
    log_grdp: float = 0.0
    months: int = 0
    shocks: tuple[float, ...] = ()      # each year's deviation of TFP growth from its path (log, a year)
    _shock_log_tfp: float = 0.0
    _digital_log_tfp: float = 0.0
    _grdp_path: list[float] = field(default_factory=list)  # log GRDP at the end of each month
    _labour_path: list[float] = field(default_factory=list)

    @classmethod
    def start(cls, spec: ProductionSpec, core_growth: float, digital: float, core: float,
              shocks: tuple[float, ...] = ()) -> Production:
        """The accounts at the start; `shocks` are the run's yearly TFP shocks (none: on the path)."""
        p = cls(spec, core_growth, digital, core, shocks=shocks)
        p.base_growth = p.history_residual() - p.digital_history()
        return p

    @property
    def alpha(self) -> float:
        return self.spec.capital_share.value

    def capital_growth(self, log_capital_output: float) -> float:
        """Yearly log growth of capital at a capital-output ratio of exp(`log_capital_output`)."""
        s, d = self.spec.investment_rate.value, self.spec.depreciation.value
        return math.log(max(1.0 + s * math.exp(-log_capital_output) - d, 1e-6))  # structural: no log of 0

    def history_residual(self) -> float:
        """Yearly log TFP growth the history implies: GRDP growth less capital's and labour's shares."""
        g_y = math.log1p(self.spec.grdp_growth_history.value)
        g_k = self.capital_growth(math.log(self.spec.capital_output_ratio.value))
        g_l = math.log1p(self.spec.employment_growth.value)
        return g_y - self.alpha * g_k - (1.0 - self.alpha) * g_l

    def digital_history(self) -> float:
        """Yearly log TFP growth the history owes to digital adoption at its own pace."""
        s = self.spec
        core_pace = self.core0 * (1.0 - self.core0) * self.core_growth  # share gained a year by growing faster
        return (s.digital_tfp_elasticity.value * s.digital_pace_history.value
                + s.core_productivity_premium.value * core_pace)

    def month(self, digital: float, core: float) -> None:
        """One month: labour grows, capital accumulates, TFP moves with base growth and firms'
        digital realisation `digital` and the core's share `core` (both this month's)."""
        s = self.spec
        log_ky = math.log(s.capital_output_ratio.value) + self.log_capital - self.log_grdp
        self.log_capital += self.capital_growth(log_ky) / YEAR
        self.log_labour += math.log1p(s.employment_growth.value) / YEAR
        self._digital_log_tfp = (s.digital_tfp_elasticity.value * (digital - self.digital0)
                                 + s.core_productivity_premium.value * (core - self.core0))
        year = self.months // YEAR
        if year < len(self.shocks):
            self._shock_log_tfp += self.shocks[year] / YEAR
        self.months += 1
        self.log_tfp = self.base_growth * self.months / YEAR + self._digital_log_tfp + self._shock_log_tfp
        self.log_grdp = self.log_tfp + self.alpha * self.log_capital + (1.0 - self.alpha) * self.log_labour
        self._grdp_path.append(self.log_grdp)
        self._labour_path.append(self.log_labour)

    def _year_ago(self, path: list[float], trend: float) -> float:
        """Log level twelve months before the current one (before the start: the history's trend)."""
        back = self.months - YEAR  # months since the start at that time (0: the level before month 1)
        return path[back - 1] if back > 0 else trend * back / YEAR

    def grdp_growth(self) -> float:
        """GRDP growth on the same month a year earlier."""
        trend = math.log1p(self.spec.grdp_growth_history.value)
        return math.expm1(self.log_grdp - self._year_ago(self._grdp_path, trend))

    def labour_productivity_growth(self) -> float:
        """GRDP per employed person, growth on the same month a year earlier."""
        s = self.spec
        g_y, g_l = math.log1p(s.grdp_growth_history.value), math.log1p(s.employment_growth.value)
        now = self.log_grdp - self.log_labour
        ago = self._year_ago(self._grdp_path, g_y) - self._year_ago(self._labour_path, g_l)
        return math.expm1(now - ago)

    def tfp_growth(self) -> float:
        """Average yearly log TFP growth since the start."""
        return self.log_tfp * YEAR / self.months if self.months else 0.0

    def grdp_growth_average(self) -> float:
        """Average yearly log GRDP growth since the start."""
        return self.log_grdp * YEAR / self.months if self.months else 0.0

    def tfp_contribution_share(self) -> float:
        """TFP's share of GRDP growth since the start (0 while GRDP has not grown)."""
        return self.log_tfp / self.log_grdp if self.log_grdp > 1e-9 else 0.0  # structural: no division by 0

    @property
    def digital_log_tfp(self) -> float:
        """Log TFP the change in firms' digital adoption and in the core has added since the start."""
        return self._digital_log_tfp
