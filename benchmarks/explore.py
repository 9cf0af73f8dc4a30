"""Exploring at default settings (scale 0.02, both cores), as a planner runs it.

    .venv/bin/python benchmarks/explore.py        # about 4 minutes

Goal seeking (`citytwin seek`, 60 runs per value):
1. Dak Lak's online-services goal (uptake > 80% in 2030) over budget.dx_share in [0, 0.1].
2. A goal the budget moves (uptake >= 55% in 2030, P >= 0.5; benchmarks/scenarios/dak_lak_uptake55.toml).

A sweep's throughput against a plain ensemble's: `citytwin run` with 60 runs, and `citytwin sweep`
of 3 points x 20 runs (the same 60 runs of work plus the Parquet store), both to 2030, runs per
second of the ensemble part (the manifest's wall_seconds; the sweep's own count), best of two.

Each command runs in a child process. Results go to benchmarks/results/explore.json.
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
            proc = subprocess.run([sys.executable, "-m", "sim.app.cli", "seek", *args, "--out", str(out), "--quiet"],
                                  cwd=ROOT, capture_output=True, text=True, check=True)
            wall = time.perf_counter() - t0
            answer = json.loads((out / "seek.json").read_text())
            rows.append({"case": name, "command": "citytwin seek " + " ".join(args), "wall_seconds": round(wall, 1),
                         "runs_done": answer["evaluations"], "runs_per_value": answer["runs"],
                         "reachable": answer["reachable"], "value": answer["value"], "interval": answer["interval"],
                         "summary": proc.stdout.splitlines()[0]})
            print(f"{name}: {wall:.0f} s, {answer['evaluations']} runs\n  {proc.stdout.splitlines()[0]}")
        rows.append(throughput(Path(tmp)))
    (ROOT / "benchmarks" / "results").mkdir(exist_ok=True)
    (ROOT / "benchmarks" / "results" / "explore.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")


def throughput(tmp: Path) -> dict:
    """Runs per second of a plain ensemble and of a sweep doing the same work (best of two each)."""
    short = ["--set", 'time.end="2030-12"', "--quiet"]
    plain, sweep = [], []
    for attempt in range(2):
        out = tmp / f"run{attempt}"
        subprocess.run([sys.executable, "-m", "sim.app.cli", "run", "scenarios/dak_lak.toml", "--runs", "60",
                        "--out", str(out), *short], cwd=ROOT, capture_output=True, check=True)
        plain.append(60 / json.loads((out / "manifest.json").read_text())["timings"]["wall_seconds"])
        proc = subprocess.run([sys.executable, "-m", "sim.app.cli", "sweep", "scenarios/dak_lak.toml", "--vary",
                               "budget.dx_share=0.02:0.04:3", "--runs", "20", "--store", str(tmp / f"sweep{attempt}"),
                               *short], cwd=ROOT, capture_output=True, text=True, check=True)
        line = proc.stdout.strip().splitlines()[-1]  # "60 runs in 17 s (...)"
        sweep.append(60 / float(line.split(" runs in ")[1].split(" s ")[0]))
    row = {"case": "sweep throughput", "plain_runs_per_second": round(max(plain), 3),
           "sweep_runs_per_second": round(max(sweep), 3), "ratio": round(max(sweep) / max(plain), 3)}
    print(f"throughput: plain ensemble {row['plain_runs_per_second']} runs/s, sweep {row['sweep_runs_per_second']} "
          f"runs/s (ratio {row['ratio']})")
    return row


if __name__ == "__main__":
    main()
