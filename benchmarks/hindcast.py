"""A hindcast's speed and memory (issue 28, point 7: one province at default settings in at most
2 minutes on 2 cores, the nation in at most 10): `citytwin hindcast ... --as-of 2024-12-31` timed as
a planner runs it (a child process: start-up, loading with the cutoff, the runs, scoring, writing).

    .venv/bin/python benchmarks/hindcast.py           # about 7 minutes

Results: benchmarks/results/hindcast.json and hindcast.md.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from run import citytwin  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
CASES = [("one province (Đồng Nai, scenarios/dong_nai.toml)", "scenarios/dong_nai.toml", 120.0),
         ("the nation (34 provinces, scenarios/vietnam.toml)", "scenarios/vietnam.toml", 600.0)]


def main() -> None:
    rows = []
    for label, scenario, target in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            r = citytwin([str(ROOT / scenario), "--as-of", "2024-12-31"], Path(tmp) / "out", command="hindcast")
        m = r.pop("manifest")
        rows.append({"label": label, "target_seconds": target, "runs": m["runs"], "scale": m["scale"],
                     "workers": m["workers"], **{k: r[k] for k in ("wall_seconds", "cpu_user_seconds",
                                                                   "peak_tree_rss_mb", "summary")}})
        print(f"{label}: {r['wall_seconds']:.1f} s wall (target {target:.0f} s), peak "
              f"{r['peak_tree_rss_mb'] / 1024:.2f} GB", flush=True)
    lines = ["| hindcast as of 2024-12-31 | runs x scale | workers | wall s | target s | peak GB (process tree) |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['label']} | {r['runs']} x {r['scale']:g} | {r['workers']} | {r['wall_seconds']:.1f} | "
              f"{r['target_seconds']:.0f} | {r['peak_tree_rss_mb'] / 1024:.2f} |" for r in rows]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "hindcast.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    (RESULTS / "hindcast.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
