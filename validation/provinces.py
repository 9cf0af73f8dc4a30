"""VALIDATION.md section 7, the whole country (issue 26, check 7): do the 34 provinces' starting
values add up to the national figures they should, and do the provinces the DTI ranks higher start
more digital? Rewrites that section in place (the rest of VALIDATION.md is validation/report.py's):

    .venv/bin/python validation/provinces.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sections import rewrite, table  # noqa: E402

from sim.experiments.execution import Execution  # noqa: E402
from sim.experiments.national import run_nation  # noqa: E402
from sim.inputs.nation import load_nation  # noqa: E402

TABLE = ROOT / "seeds" / "provinces.csv"
HEADING = "## 7. The whole country"
GDP_2024 = 11_511.9e12          # GSO, 6 Jan 2025 (seeds/provinces.py)
POPULATION_2024 = 101.3e6        # GSO, 6 Jan 2025
NATIONAL = {  # the national figure each starting value should average to, and where it is from
    "smartphone_ownership": (0.80, "national default 80% (73.5% of adults 2022, 90.5% of mobile users 2025)"),
    "account_ownership": (0.7055, "Findex 2024: 70.55% of adults"),
    "online_services_adoption": (0.33, "national default 33%"),
    "cashless_adoption": (0.39, "national default 39% (30.3 M active e-wallets for ~78 M adults)"),
    "coverage_4g": (0.998, "99.8% of the population (MIC, FACTS.md)"),
    "digital_economy_share": (0.183, "MIC 2024 estimate 18.3% of GDP"),
}


def section() -> str:
    t = pd.read_csv(TABLE, dtype={"province_code": str})
    nation = load_nation(ROOT / "scenarios" / "vietnam.toml", ["ensemble.runs=1", "ensemble.scale=0.004",
                                                               "ensemble.uncertainty=false"])
    result = run_nation(nation, execution=Execution())
    first = dict(zip(result.runs[0].names, result.runs[0].values[0]))
    people = sum(s.province.population.value for s in nation.provinces)
    grdp = sum(s.province.grdp_vnd.value for s in nation.provinces if s.province.grdp_vnd)
    rows = [["population", f"{POPULATION_2024 / 1e6:.1f} M (GSO 2024)", f"{people / 1e6:.1f} M",
             "the four seed provinces keep their merger-dossier populations (Resolution 202), which run ~12% "
             "above the statistical office's count"],
            ["GRDP 2024", f"GDP VND {GDP_2024 / 1e15:,.2f} quadrillion (GSO)", f"VND {grdp / 1e15:,.2f} quadrillion "
             f"({grdp / GDP_2024 - 1:+.0%})", "provincial accounts add to more than GDP (each province counts "
             "value added that GSO nets out); 28 published figures, 6 small-area estimates"]]
    for key, (value, what) in NATIONAL.items():
        model = first.get(key)
        if model is None:
            continue
        weight = "GRDP-weighted" if key == "digital_economy_share" else "adult-weighted"
        rows.append([f"{key}, January 2025", f"{value:.1%} ({what})", f"{model:.1%} ({weight}, month 1)",
                     "small-area estimates benchmarked to it" if key in ("account_ownership",
                                                                         "online_services_adoption",
                                                                         "cashless_adoption") else ""])
    rank = t[(t.indicator == "dti_rank") & (t.year == 2024)].set_index("province_code").value
    corr = []
    for key in ("smartphone_ownership", "digital_skill", "online_services_adoption", "digital_economy_share_mic",
                "grdp_per_person_vnd", "urban_share"):
        v = t[t.indicator == key].set_index("province_code").value.loc[rank.index]
        r = spearmanr(-rank, v)
        corr.append([key, f"{r.statistic:+.2f}", f"{r.pvalue:.2f}"])
    fits = subprocess.run([sys.executable, str(ROOT / "seeds" / "provinces.py"), "--notes", "--check"],
                          capture_output=True, text=True, cwd=ROOT).stdout.strip().splitlines()
    return (f"{HEADING} (issue 26)\n\n"
            "Every province runs on its own figures (`seeds/provinces.csv`: provincial figures, communes data, "
            "small-area estimates with their leave-one-out error as the range). Whether they add up: the "
            "national run's first month (`scenarios/vietnam.toml`, 1 run at scale 0.004, every assumption at its "
            "value) against the national figures.\n\n"
            + table(["check", "national figure", "the 34 provinces", "note"], rows) +
            f"\n\nDTI 2024 is no covariate of any estimate. Rank correlation (Spearman) between the DTI rank of "
            f"the {len(rank)} provinces with a published rank and their starting values:\n\n"
            + table(["starting value", "rho", "p"], corr) +
            "\n\nPositive, and weak: DTI scores the government's digital effort as much as the people's (Điện Biên "
            "and Hà Tĩnh rank 6th and 7th with little urban population), so a province's DTI says little about its "
            "citizens' starting adoption. The small-area models (`python seeds/provinces.py --notes`):\n\n"
            + "\n".join(f"- {line}" for line in fits if ":" in line) + "\n")


def main() -> None:
    rewrite(HEADING, section())


if __name__ == "__main__":
    main()
