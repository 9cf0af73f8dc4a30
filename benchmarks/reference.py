"""Year-end indicators of a small Dak Lak ensemble: the distribution a new engine must reproduce.

    python benchmarks/reference.py tests/data/engine_reference.csv

tests/test_speed_equivalence.py runs the same ensemble (`SETTINGS`) on the current
engine and compares it with the CSV written here by an earlier engine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.experiments.ensemble import run_ensemble  # noqa: E402
from sim.experiments.execution import Execution  # noqa: E402
from sim.inputs.scenario import load_scenario  # noqa: E402

INDICATORS = ("online_services_adoption", "online_services_uptake", "cashless_adoption", "cashless_share",
              "merchant_acceptance", "coverage_4g", "digital_economy_share")
YEARS = (2027, 2030, 2035)
# Parameter draws off: only the engine's own randomness is compared, which keeps the test sharp.
SETTINGS = ["ensemble.scale=0.003", "ensemble.uncertainty=false"]
RUNS, SEED = 40, 1000


def year_end_table(runs: int = RUNS, seed: int = SEED, overrides: tuple[str, ...] = (),
                   workers: int | None = None) -> pd.DataFrame:
    """run, indicator, year, value for the reference ensemble."""
    spec = load_scenario(ROOT / "scenarios" / "dak_lak.toml", [*SETTINGS, *overrides])
    result = run_ensemble(spec, runs=runs, seed=seed, execution=Execution(workers=workers))
    rows = []
    for indicator in INDICATORS:
        table = result.year_end(indicator)
        for year in YEARS:
            rows += [(run, indicator, year, float(v)) for run, v in table[year].items()]
    return pd.DataFrame(rows, columns=["run", "indicator", "year", "value"])


def _shown(path: str) -> str:
    """The path as the header records it: relative to the repository, never this machine's."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return Path(path).name


def main(path: str) -> None:
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    table = year_end_table()
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"# engine commit {commit}; scenarios/dak_lak.toml {' '.join(SETTINGS)} runs={RUNS} seed={SEED}; "
                f"python benchmarks/reference.py {_shown(path)}\n")
        table.to_csv(f, index=False)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "tests" / "data" / "engine_reference.csv"))
