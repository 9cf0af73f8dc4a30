"""Calibration of the cashless block to the nation's 2025 non-cash volume (issue 25, point 3).

Approximate Bayesian computation by rejection (Beaumont, Zhang & Balding 2002): candidates
are drawn uniformly (Latin hypercube) from the priors of the parameters that set how fast
cashless payments spread (adoption, lapse, habit, merchants' response); each candidate runs
the four seed provinces for 2025 at central values of everything else, and is kept when the
growth of cashless retail transactions from January to December 2025 lies in the national
range by count: from the mobile channel's +36.6% in 2025 (State Bank, 2 Feb 2026; the whole
volume +42.2%, QR +50.9%) to the 2021-25 average +58.9% a year (FACTS.md), over 11 months
(x^(11/12) - 1). The kept candidates' medians become the
scenario's central values and their spread the priors' ranges (scenarios/common/vietnam.toml).

    .venv/bin/python validation/cashless_2025.py [candidates] [workers]

prints the kept share, each parameter's kept median and 10-90% range, and writes every
candidate to validation/cashless_2025.csv.
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import qmc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.engine.indicators import Recorder  # noqa: E402
from sim.engine.model import CityModel  # noqa: E402
from sim.inputs.scenario import load_scenario  # noqa: E402

PROVINCES = ("dak_lak", "da_nang", "dong_nai", "hai_phong")
# The prior box searched: each the [priors] range of scenarios/common/vietnam.toml before
# calibration, widened where the assumption was loosest (a new user's habit and how fast it
# deepens, the lapse of a skilled user) so that the data, not the guess, bound them.
BOX = {
    "behaviour.cashless.p": (0.005, 0.05),
    "behaviour.cashless.q": (0.2, 0.6),
    "behaviour.cashless.lapse": (0.005, 0.05),
    "behaviour.cashless.lapse_experience": (0.0, 0.2),
    "behaviour.payments.habit_start.value": (0.2, 0.7),
    "behaviour.payments.habit_months.value": (6.0, 36.0),
    "behaviour.merchants.join_rate": (0.25, 1.0),
    "behaviour.merchants.demand_weight.value": (2.5, 6.0),
}
MONTHS = 11  # January to December 2025
# Yearly growth of non-cash payments by count (State Bank, FACTS.md): from the mobile channel in
# 2025 (+36.62%; shoppers pay by phone) to the 2021-25 average (+58.86% a year); the whole
# volume (+42.21%) and QR payments (+50.94%) lie inside. Over 11 months: x^(11/12) - 1.
NATIONAL = (1.3662 ** (MONTHS / 12) - 1, 1.5886 ** (MONTHS / 12) - 1)
SCALE = 0.005
SEED = 11


def _setting(key: str, value: float) -> str:
    """A --set of one candidate value (a sourced number is set whole: its range is the prior's)."""
    if key.endswith(".value"):
        return f'{key.removesuffix(".value")}={{value={value!r}, source="a calibration candidate"}}'
    return f"{key}={value!r}"


def growth(values: dict[str, float]) -> dict[str, float]:
    """January to December 2025 growth of cashless retail transactions (count) and of adoption
    in each province under `values`."""
    out = {}
    for province in PROVINCES:
        sets = [_setting(k, v) for k, v in values.items()] + ["ensemble.uncertainty=false"]
        spec = load_scenario(ROOT / "scenarios" / f"{province}.toml", sets)
        rec = Recorder(CityModel.build(spec, seed=SEED, scale=SCALE))
        for _ in range(MONTHS + 1):  # the horizon's goals lie later: step through 2025 only
            rec.step()
        series = {(year, mon, k): v for year, mon, k, v in rec.records}
        first = {n: series[(2025, 1, n)] for n in ("cashless_share", "cashless_adoption")}
        last = {n: series[(2025, 12, n)] for n in first}
        out[f"{province}.transactions"] = last["cashless_share"] / first["cashless_share"] - 1
        out[f"{province}.adoption"] = last["cashless_adoption"] / first["cashless_adoption"] - 1
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 160
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    low, high = np.array([b[0] for b in BOX.values()]), np.array([b[1] for b in BOX.values()])
    draws = qmc.scale(qmc.LatinHypercube(d=len(BOX), seed=SEED).random(n), low, high)
    candidates = [dict(zip(BOX, map(float, row), strict=True)) for row in draws]
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(growth, candidates))
    df = pd.concat([pd.DataFrame(candidates), pd.DataFrame(results)], axis=1)
    tx = df[[f"{p}.transactions" for p in PROVINCES]].mean(axis=1)
    df["transactions"] = tx
    df["kept"] = (tx >= NATIONAL[0]) & (tx <= NATIONAL[1])
    df.to_csv(Path(__file__).with_suffix(".csv"), index=False)
    kept = df[df.kept]
    print(f"national range over {MONTHS} months: {100 * NATIONAL[0]:+.1f}% to {100 * NATIONAL[1]:+.1f}%")
    print(f"kept {len(kept)} of {n}; model growth over all candidates {100 * tx.median():+.1f}% "
          f"({100 * tx.quantile(0.1):+.1f} to {100 * tx.quantile(0.9):+.1f})")
    for name in BOX:
        q = kept[name].quantile([0.1, 0.5, 0.9]).to_numpy()
        print(f"{name:45s} kept median {q[1]:.3f} (10-90%: {q[0]:.3f} to {q[2]:.3f}); prior {BOX[name]}")
    for p in PROVINCES:
        print(f"{p:10s} kept: transactions {100 * kept[f'{p}.transactions'].median():+.1f}%, "
              f"adoption {100 * kept[f'{p}.adoption'].median():+.1f}%")


if __name__ == "__main__":
    main()
