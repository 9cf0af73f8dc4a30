"""The nation's speed and memory (issue 26, points 4 and 5): `citytwin run scenarios/vietnam.toml`
at one agent per adult, and its default ensemble, timed as a planner runs them (child processes:
wall clock with start-up, loading 34 scenarios, the runs and writing the results; peak memory of
the whole process tree), then the scaling table: 1 and 2 local workers and the tasks' own times
that project a cluster.

    .venv/bin/python benchmarks/nation.py              # 1:1 national run + the default ensemble (~10 min)
    .venv/bin/python benchmarks/nation.py --scaling    # also 1 worker vs 2 on the default ensemble

Results: benchmarks/results/nation.json and nation.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from run import citytwin  # noqa: E402

NATION = str(ROOT / "scenarios" / "vietnam.toml")
RESULTS = ROOT / "benchmarks" / "results"


def tasks(manifest: dict) -> dict:
    """Per-task seconds (building and running one province's run, summed per province / runs)."""
    runs = manifest["runs"]
    per = sorted(((p["seconds"] / runs, p["code"]) for p in manifest["provinces"]), reverse=True)
    total = sum(s for s, _ in per) * runs
    return {"task_seconds_sum": round(total, 1), "largest_task_seconds": round(per[0][0], 2),
            "largest_task_province": per[0][1], "tasks": len(per) * runs}


def project(measured: dict, workers: int) -> float:
    """Wall seconds on `workers` workers: the tasks' sum shared out, never below the largest task,
    plus what the measured run spent outside its tasks (loading, combining, writing)."""
    t = measured["tasks"]
    outside = measured["wall_seconds"] - t["task_seconds_sum"] / measured["workers"]
    return max(t["task_seconds_sum"] / workers, t["largest_task_seconds"]) + max(outside, 0.0)


def measure(args: list[str], label: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        r = citytwin([NATION, *args], Path(tmp) / "out")
    m = r.pop("manifest")
    r.update(label=label, workers=m["workers"], executor=m["executor"], citizens=m["citizens"],
             runs=m["runs"], scale=m["scale"], tasks=tasks(m))
    print(f"{label}: {r['wall_seconds']:.1f} s wall, peak {r['peak_tree_rss_mb'] / 1024:.2f} GB (tree), "
          f"{r['citizens']:,} citizens a run, tasks {r['tasks']}", flush=True)
    return r


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scaling", action="store_true", help="also 1 worker against 2 on the default ensemble")
    parser.add_argument("--skip-full", action="store_true", help="skip the 1:1 national run")
    parser.add_argument("--skip-ensemble", action="store_true", help="skip the default ensemble")
    opts = parser.parse_args()
    rows = []
    if not opts.skip_full:
        rows.append(measure(["--runs", "1", "--scale", "1", "--yes"], "1:1, one run"))
    if not opts.skip_ensemble:
        rows.append(measure([], "default ensemble"))
    if opts.scaling:
        rows.append(measure(["--workers", "1"], "default ensemble, 1 worker"))
    previous = json.loads((RESULTS / "nation.json").read_text()) if (RESULTS / "nation.json").exists() else []
    labels = {r["label"] for r in rows}
    rows += [r for r in previous if r["label"] not in labels]  # a partial rerun keeps the other rows
    rows.sort(key=lambda r: ["1:1, one run", "default ensemble", "default ensemble, 1 worker"].index(r["label"]))
    base = next(r for r in rows if r["label"] == "default ensemble")
    lines = ["| run | workers | wall s | peak GB | citizens a run | task s (sum) | largest task s |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['label']} | {r['workers']} | {r['wall_seconds']:.1f} | {r['peak_tree_rss_mb'] / 1024:.2f} "
                     f"| {r['citizens']:,} | {r['tasks']['task_seconds_sum']:.0f} | "
                     f"{r['tasks']['largest_task_seconds']:.1f} |")
    lines += ["", "Projected wall seconds of the default ensemble (tasks shared out, never below the largest "
              "task, plus the measured time outside the tasks):", "",
              "| workers | projected s |", "|---|---|"]
    lines += [f"| {w} | {project(base, w):.0f} |" for w in (1, 2, 8, 16, 64)]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "nation.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    (RESULTS / "nation.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
