"""Goal seeking at default settings (60 runs per value, scale 0.02, both cores), as a planner runs it.

    .venv/bin/python benchmarks/seek.py        # about 2 minutes

1. Dak Lak's online-services goal (uptake > 80% in 2030) over budget.dx_share in [0, 0.1].
2. A goal the budget moves (uptake >= 55% in 2030, P >= 0.5; benchmarks/scenarios/dak_lak_uptake55.toml).

Each runs `citytwin seek` in a child process; wall clock includes start-up and writing results.
Results go to benchmarks/results/seek.json.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = [
    ("online services goal", ["scenarios/dak_lak.toml", "--target", "dak_lak.online_services_2030"]),
    ("uptake >= 55%, P >= 0.5", ["benchmarks/scenarios/dak_lak_uptake55.toml", "--target", "uptake55",
                                 "--probability", "0.5"]),
]


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in CASES:
            out = Path(tmp) / name.split()[0]
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "sim.cli", "seek", *args, "--out", str(out), "--quiet"],
                                  cwd=ROOT, capture_output=True, text=True, check=True)
            wall = time.perf_counter() - t0
            answer = json.loads((out / "seek.json").read_text())
            rows.append({"case": name, "command": "citytwin seek " + " ".join(args), "wall_seconds": round(wall, 1),
                         "runs_done": answer["evaluations"], "runs_per_value": answer["runs"],
                         "reachable": answer["reachable"], "value": answer["value"], "interval": answer["interval"],
                         "summary": proc.stdout.splitlines()[0]})
            print(f"{name}: {wall:.0f} s, {answer['evaluations']} runs\n  {proc.stdout.splitlines()[0]}")
    (ROOT / "benchmarks" / "results").mkdir(exist_ok=True)
    (ROOT / "benchmarks" / "results" / "seek.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
