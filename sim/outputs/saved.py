"""A run's results folder read back as runs: what a variant is compared with, by default, without
running its parent again.

`citytwin run` of a variant (a file that `extends` a plan of the same province, or a plan changed
with `--set`) compares itself with the plan's own results in `results/<plan>/` when they are the
same runs: the same scenario as it reads now (`resolved_scenario` of manifest.json), the same
scale and the same run seeds. Anything else is refused with the reason, never compared wrongly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.ensemble import RunResult, RunTable
from sim.schema import Scenario


def saved_runs(folder: Path, spec: Scenario, scale: float, seeds: list[int]) -> tuple[RunTable | None, str]:
    """The runs saved in `folder` if they are `spec`'s at `scale` with these run seeds, else None
    and the one-line reason."""
    try:
        meta = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, f"{folder.as_posix()}/ holds no results of {spec.name}"
    # The same plan, however its runs were sized (runs, scale and seeds are checked below).
    now = json.loads(json.dumps(spec.model_dump(mode="json", exclude={"ensemble"})))
    if {k: v for k, v in (meta.get("resolved_scenario") or {}).items() if k != "ensemble"} != now:
        return None, f"{folder.as_posix()}/ holds results of another version of {spec.name}"
    if meta.get("scale") != scale or meta.get("run_seeds") != seeds:
        return None, (f"{folder.as_posix()}/ holds {meta.get('runs')} runs at scale {meta.get('scale')}, "
                      f"not these {len(seeds)} at {scale}")
    try:
        long = pd.read_csv(folder / "indicators.csv")
    except (OSError, ValueError) as exc:
        return None, f"{folder.as_posix()}/indicators.csv cannot be read ({exc})"
    draws = meta.get("assumption_draws") or {}
    runs = []
    try:
        for run, rows in long.groupby("run", sort=True):
            wide = rows.pivot_table(index=["year", "month"], columns="indicator", values="value", sort=True)
            years, months = (wide.index.get_level_values(k).to_numpy(dtype=np.int64) for k in ("year", "month"))
            runs.append(RunResult(run=int(run), seed=seeds[int(run)], years=years, months=months,
                                  names=list(wide.columns), values=wide.to_numpy(dtype=np.float64), communes=[],
                                  citizens=int(meta.get("citizens", 0)), businesses=int(meta.get("businesses", 0)),
                                  build_seconds=0.0, run_seconds=0.0,
                                  parameters={k: float(v) for k, v in draws.get(str(run), {}).items()}))
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:  # a file edited or cut short
        return None, f"{folder.as_posix()}/indicators.csv is not a run's table ({type(exc).__name__}: {exc})"
    if len(runs) != len(seeds):
        return None, f"{folder.as_posix()}/indicators.csv has {len(runs)} runs, not {len(seeds)}"
    return RunTable(runs=runs), ""
