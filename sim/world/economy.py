"""The digital economy as national accounts measure it.

Digital economy = core + digitalisation (FACTS.md, "Digital economy"):

- **core**: the ICT industries (electronics manufacturing, telecoms, software and IT services,
  platforms), counted whole. Its share of GRDP starts at the scenario's figure and grows by
  `core_growth` a year faster than the rest of GRDP; a named investment (a factory, a
  data-centre park) adds its share in its year, spread over the year's months.
- **digitalisation**: in every other sector, the share of value added attributed to digital
  use. A sector's share is its intensity (the share at full digitisation) times the share of
  that intensity its firms realise, weighted by value added, at their digital level (0-3).

The scenario names the definition. Provincial figures (MIC annual report 2022) and the goals
use MIC's; the statistics office (GSO) counts the same core a little larger and digitalisation
much smaller. 2022, share of GDP: MIC 14.26 of which ICT 7.18; GSO 12.67 of which core 7.77
(seeds/figures.toml#national.digital_economy_mic_2022, #national.digital_economy_gso_2022). The model
keeps both parts in MIC terms and converts by those ratios.

Checked against: the national series moves about 2 points a year (MIC 14.26 2022, 16.5 2023,
~18.3 2024; GSO 12.66 2020 -> 14.02 2025); no province's default moves more than 3 points in a
year without a named investment (tests/test_mechanisms.py); VALIDATION.md, "Digital economy".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.schema import NON_CORE, SECTORS, DigitalEconomySpec, NonCoreSector

# (core, digitalisation) in the definition named, per unit of MIC's (2022 national decomposition).
DEFINITIONS: dict[str, tuple[float, float]] = {
    "MIC": (1.0, 1.0),
    # structural: the published 2022 decomposition's figures (data, not behaviour)
    "GSO": (7.77 / 7.18, 4.91 / (14.26 - 7.18)),
}
NON_CORE_INDEX = np.array([SECTORS.index(s) for s in NON_CORE])


@dataclass
class DigitalEconomy:
    """Province-level accounts: the core's share of GRDP and the non-core sectors' value added."""

    spec: DigitalEconomySpec
    core_share: float                 # core value added / GRDP, MIC terms
    sector_grdp: NDArray[np.float64]    # (S,) share of GRDP of each sector outside the core (ict: 0)
    intensity: NDArray[np.float64]      # (S,) digital share of a sector at full digitisation (ict: 1)
    level_weights: NDArray[np.float64]  # (4,)

    @classmethod
    def start(cls, spec: DigitalEconomySpec, core_share: float,
              grdp_shares: dict[NonCoreSector, float]) -> DigitalEconomy:
        grdp = np.zeros(len(SECTORS))
        intensity = np.ones(len(SECTORS))
        for s in NON_CORE:
            grdp[SECTORS.index(s)] = grdp_shares[s] * (1.0 - core_share)
            intensity[SECTORS.index(s)] = spec.sector_intensity[s]
        return cls(spec, core_share, grdp, intensity, np.array(spec.level_weights, dtype=np.float64))

    def month(self, year: int) -> None:
        """Core grows a twelfth of a year faster than the rest; named investments add in their year."""
        growth = (1.0 + self.spec.core_growth.value) ** (1.0 / 12.0)
        added = sum(i.core_share_added for i in self.spec.investments if i.year == year) / 12.0
        core = self.core_share * growth + added
        rest = 1.0 - self.core_share
        # Shares of GRDP: the core's value added is scaled up, the rest keeps its structure.
        total = core + rest
        self.core_share = core / total
        self.sector_grdp = self.sector_grdp / total

    def sector_realised(self, digital_va: NDArray[np.float64], total_va: NDArray[np.float64]) -> NDArray[np.float64]:
        """(S,) share of each sector's intensity its firms realise (value-added weighted)."""
        return np.divide(digital_va, total_va, out=np.zeros(len(SECTORS)), where=total_va > 0)

    def realisation(self, digital_va: NDArray[np.float64], total_va: NDArray[np.float64]) -> float:
        """Firms' digital realisation outside the core: the GRDP-weighted share of their sectors'
        digital intensity they realise at their digital levels (0: none digital, 1: all at the top)."""
        weight = self.sector_grdp.sum()
        return float((self.sector_grdp * self.sector_realised(digital_va, total_va)).sum() / weight) if weight else 0.0

    def shares(self, digital_va: NDArray[np.float64], total_va: NDArray[np.float64]) -> dict[str, float]:
        """Core, digitalisation and total shares of GRDP in the scenario's definition, and the
        least digital sector's share of its own value added (the core sector counts whole)."""
        f_core, f_dig = DEFINITIONS[self.spec.definition]
        realised = self.sector_realised(digital_va, total_va)
        sector_digital = self.intensity * realised * f_dig
        digitalisation = float((self.sector_grdp * sector_digital).sum())
        core = self.core_share * f_core
        present = self.sector_grdp > 0
        return {"core": core, "digitalisation": digitalisation, "total": core + digitalisation,
                "min_sector": float(sector_digital[present].min()) if present.any() else 0.0}

