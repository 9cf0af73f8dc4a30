"""A DTI-like composite: the provincial Digital Transformation Index's pillars, scored from the
model's indicators, and the province's rank among the 34 on it.

The ministry's method (Decision 922/QĐ-BTTTT, 2022; seeds/research/exports.csv) scores a province
out of 1,000: five foundation pillars of 100 points each (awareness, institutions, infrastructure,
human resources, information security), digital government 200, digital economy 150, digital
society 150. The model has no measure of awareness, institutions or security, so the composite is
the weighted mean of the five pillars it does measure (700 of the 1,000 points), each the mean
of its indicators (0-1):

- infrastructure: 4G and 5G coverage of adults' homes;
- human resources: adults' mean digital skill;
- digital government: online uptake and the online share of dossiers;
- digital economy: businesses using online services, merchants accepting cashless, and the digital
  economy's share of GRDP against the national goal of 30% by 2030 (full marks at the goal);
- digital society: smartphones, payment accounts and cashless use among adults.

The rank compares the province's composite this month with the other provinces' on their own
scenario files at the Resolution 57 minimum (`PEERS`, written by `seeds/dti_peers.py` from a run
of the nation), interpolated between Decembers. It is a proxy for "one of the leading digital
provinces", stated as such in the verdict.

Checked against: the ranks of the 2024 DTI (13 published ranks, seeds/provinces.csv) in
VALIDATION.md section 8.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

# structural: the published method's points per pillar (data of the index's definition, not behaviour)
PILLARS: dict[str, tuple[float, tuple[str, ...]]] = {
    "infrastructure": (100.0, ("coverage_4g", "coverage_5g")),  # structural: Decision 922's points
    "human_resources": (100.0, ("digital_skill",)),  # structural: Decision 922's points
    "digital_government": (200.0, ("online_services_uptake", "online_dossier_share")),  # structural: as above
    "digital_economy": (150.0, ("business_online_services", "merchant_acceptance",  # structural: as above
                                "digital_economy_goal")),
    "digital_society": (150.0, ("smartphone_ownership", "account_ownership",  # structural: as above
                                "cashless_adoption")),
}
DIGITAL_ECONOMY_GOAL = 0.30  # structural: the national goal: 30% of GDP by 2030 (FACTS.md); full marks at it
PEERS = Path(__file__).resolve().parent.parent / "data" / "dti_peers.csv"


def composite(indicators: dict[str, float]) -> float:
    """The DTI-like score (0-1) of a province from its indicators of the month."""
    values = dict(indicators)
    values["digital_economy_goal"] = min(values["digital_economy_share"] / DIGITAL_ECONOMY_GOAL, 1.0)
    total = sum(w for w, _ in PILLARS.values())
    return sum(w * float(np.mean([values[k] for k in keys])) for w, keys in PILLARS.values()) / total


@cache
def peers(path: Path = PEERS) -> dict[int, tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """Each province's composite path on its own scenario: code -> (times, scores), times the
    middle of each month as a fractional year."""
    if not path.exists():
        return {}
    out: dict[int, tuple[list[float], list[float]]] = {}
    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            times, scores = out.setdefault(int(row["province_code"]), ([], []))
            times.append(float(row["time"]))
            scores.append(float(row["score"]))
    return {c: (np.array(t), np.array(s)) for c, (t, s) in out.items()}


def rank(score: float, when: float, own_code: int, path: Path = PEERS) -> float:
    """1 + the number of other provinces whose composite at `when` is above `score`."""
    above = 0
    for code, (times, scores) in peers(path).items():
        if code != own_code and np.interp(when, times, scores) > score:
            above += 1
    return float(1 + above)
