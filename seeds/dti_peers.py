"""Write sim/data/dti_peers.csv: every province's DTI-like composite (`sim.engine.dti`) month by
month on its own scenario file at the Resolution 57 minimum, from one run of the nation without
drawn uncertainty. A province's `dti_proxy_rank` compares its own composite with these paths.

    .venv/bin/python seeds/dti_peers.py            # about two minutes on two cores

Rerun it when the province files or the model's adoption change (the rank reads the paths; the
composite itself does not depend on them).
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.engine.dti import PEERS  # noqa: E402
from sim.experiments.execution import Execution  # noqa: E402
from sim.experiments.national import run_nation  # noqa: E402
from sim.inputs.nation import load_nation  # noqa: E402

SETTINGS = ["ensemble.runs=1", "ensemble.scale=0.004", "ensemble.uncertainty=false"]


def main() -> int:
    nation = load_nation(ROOT / "scenarios" / "vietnam.toml", SETTINGS)
    result = run_nation(nation, execution=Execution())
    rows = []
    for p in result.provinces:
        j = p.names.index("dti_proxy_score")
        for k, (year, month) in enumerate(zip(p.years, p.months)):
            rows.append([f"{p.code:02d}", p.name, f"{year + (month - 0.5) / 12:.4f}", f"{p.values[0, k, j]:.5f}"])
    PEERS.parent.mkdir(parents=True, exist_ok=True)
    partial = PEERS.with_suffix(".csv.partial")  # written whole, then put in place: Ctrl-C leaves the old table
    with open(partial, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["province_code", "province", "time", "score"])
        w.writerows(rows)
    os.replace(partial, PEERS)
    print(f"wrote {PEERS.relative_to(ROOT)}: {len(result.provinces)} provinces x {len(rows) // len(result.provinces)} "
          f"months ({' '.join(SETTINGS)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
