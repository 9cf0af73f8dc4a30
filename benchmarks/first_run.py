"""The first run on a new checkout against the next one (issue 29, point 1: the first at most 1.5x
a warm run): `citytwin run scenarios/dak_lak.toml` at its defaults, as a planner runs it, first
with an empty numba cache (NUMBA_CACHE_DIR set to a new folder: as a fresh clone has none), then
again on the cache it wrote; then, on another empty cache, `citytwin prepare` (the README's
install line) and the first run after it.

    .venv/bin/python benchmarks/first_run.py     # about 4 minutes on a quiet 2-core machine

Results: benchmarks/results/first_run.json and first_run.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from run import citytwin  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
SCENARIO = "scenarios/dak_lak.toml"
GOAL = 1.5  # the first run at most this many times a warm one


def _prepare() -> float:
    """`citytwin prepare` in a child process, as the README's install line runs it: its wall time."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sim.app.cli", "prepare"], cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - t0


def _row(label: str, out: Path) -> dict:
    r = citytwin([str(ROOT / SCENARIO)], out)
    m = r.pop("manifest")
    print(f"{label}: {r['wall_seconds']:.1f} s wall", flush=True)
    return {"label": label, "runs": m["runs"], "scale": m["scale"], "workers": m["workers"],
            **{k: r[k] for k in ("wall_seconds", "cpu_user_seconds", "peak_tree_rss_mb")}}


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as tmp:
        os.environ["NUMBA_CACHE_DIR"] = cache  # the workers inherit it: one cache for the whole run
        for label in ("first run (empty cache)", "next run (cache written)"):
            rows.append(_row(label, Path(tmp) / "out"))
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as tmp:
        os.environ["NUMBA_CACHE_DIR"] = cache
        prepared = _prepare()
        print(f"citytwin prepare: {prepared:.1f} s wall", flush=True)
        rows.append(_row("first run after `citytwin prepare`", Path(tmp) / "out"))
    ratio = rows[0]["wall_seconds"] / rows[1]["wall_seconds"]
    after = rows[2]["wall_seconds"] / rows[1]["wall_seconds"]
    lines = [f"| `citytwin run {SCENARIO}` | runs x scale | workers | wall s | CPU s | peak GB |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['label']} | {r['runs']} x {r['scale']:g} | {r['workers']} | {r['wall_seconds']:.1f} | "
              f"{r['cpu_user_seconds']:.0f} | {r['peak_tree_rss_mb'] / 1024:.2f} |" for r in rows]
    lines += ["", f"`citytwin prepare` on an empty cache: {prepared:.1f} s wall.",
              f"First / next without it: {ratio:.2f}x; first after `citytwin prepare` / next: {after:.2f}x "
              f"(goal at most {GOAL}x)."]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "first_run.json").write_text(json.dumps({"rows": rows, "ratio": ratio, "prepare_seconds": prepared,
                                                        "ratio_after_prepare": after}, indent=2), encoding="utf-8")
    (RESULTS / "first_run.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))

if __name__ == "__main__":
    main()
