"""Every monthly indicator of a few small runs, to the last bit: what a refactoring must not change.

    python benchmarks/bitwise.py tests/data/bitwise_reference.csv

tests/test_bitwise.py runs the same cases (`CASES`) on the current code and requires every
value to be identical. Record a new reference only for a change that is meant to change
results, and say so in the commit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.experiments.ensemble import run_one  # noqa: E402
from sim.inputs.scenario import load_scenario  # noqa: E402

# (scenario, overrides, runs): a rural province with every draw and institution on, and the
# pilot scenario (programmes targeted at communes). Small and short: the test takes seconds.
CASES = (("dak_lak", ("ensemble.scale=0.003", "time.end=2030-12"), (0, 1)),
         ("da_nang_pilot", ("ensemble.scale=0.003", "time.end=2030-12"), (0,)))


def table() -> pd.DataFrame:
    """case, run, year, month, indicator, value (every month, every indicator)."""
    frames = []
    for name, overrides, runs in CASES:
        spec = load_scenario(ROOT / "scenarios" / f"{name}.toml", list(overrides))
        for run in runs:
            r = run_one(spec, run, threads=1)
            k = len(r.names)
            frames.append(pd.DataFrame({
                "case": name, "run": run, "year": r.years.repeat(k), "month": r.months.repeat(k),
                "indicator": r.names * len(r.years), "value": r.values.ravel()}))
    return pd.concat(frames, ignore_index=True)


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "tests" / "data" / "bitwise_reference.csv")
    table().to_csv(out, index=False, float_format="%.17g")
    print(f"wrote {out}")
