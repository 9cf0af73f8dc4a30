"""VALIDATION.md section 10, learning from the misses (issue 28, point 5): the forward scenarios
recalibrated with what 2025 showed, and each 2030 verdict before and after.

The one 2025 outcome a province scenario records by the model's own definition is its GRDP growth
(`seeds/outcomes.toml`, comparable = true): Hải Phòng, Đà Nẵng and Đồng Nai. Each
`scenarios/recalibrated/<province>_2025.toml` adds it as an observation and frees the province's
trend growth (`economy.production.grdp_growth_history`); `citytwin calibrate` writes
`<province>_2025_calibrated.toml` with the posterior carried into every run; both scenarios then run
with the same seed and runs, and the verdicts are compared:

    .venv/bin/python validation/recalibrated.py           # about 10 minutes on two cores
    .venv/bin/python validation/recalibrated.py --reuse   # rewrite the section from the last results
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sections import rewrite, table  # noqa: E402

from sim.outputs.verdict import format_value  # noqa: E402

HEADING = "## 10. Learning from the misses (issue 28)"
OUT = ROOT / "results" / "recalibrated"
FOLDER = ROOT / "scenarios" / "recalibrated"
PLACES = ["hai_phong", "da_nang", "dong_nai"]
FREE = "economy.production.grdp_growth_history"
# The calibration's runs: GRDP growth is a province aggregate (sim/world/production.py) that agents'
# numbers do not move, so a small scale suffices; 8 runs a draw average the yearly TFP shock's noise.
CALIBRATE = ("--runs", "8", "--scale", "0.01")
SEED = 1


def _run(args: list[str]) -> float:
    """A citytwin command as a planner runs it; its wall clock."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "sim.app.cli", *args, "--quiet"], cwd=ROOT,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"citytwin {' '.join(args)}: {proc.stderr.strip()}")
    return time.perf_counter() - t0


def calibrated(place: str, reuse: bool, seconds: dict[str, float]) -> Path:
    """`citytwin calibrate scenarios/recalibrated/<place>_2025.toml`: the calibrated scenario."""
    target = FOLDER / f"{place}_2025_calibrated.toml"
    if not (reuse and target.exists()):
        # relative paths: the calibrated file's header names the command that made it
        seconds[f"calibrate {place}"] = _run(["calibrate", f"scenarios/recalibrated/{place}_2025.toml", *CALIBRATE,
                                              "--out", f"results/recalibrated/{place}_calibration"])
    return target


def verdicts(scenario: Path, name: str, reuse: bool, seconds: dict[str, float]) -> list[dict]:
    """`citytwin run SCENARIO` at the shipped scenario's runs and scale, seed SEED: its verdicts."""
    folder = OUT / name
    if not (reuse and (folder / "verdict.json").exists()):
        seconds[f"run {name}"] = _run(["run", scenario.relative_to(ROOT).as_posix(), "--seed", str(SEED),
                                        "--out", folder.relative_to(ROOT).as_posix()])
    return json.loads((folder / "verdict.json").read_text(encoding="utf-8"))


def posterior(path: Path) -> tuple[float, float, float, float, str]:
    """The calibrated file's posterior of the trend growth, from the header `citytwin calibrate`
    writes: best draw, mean, 90% credible interval and how well it is identified."""
    text = path.read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith("#") and FREE in ln)
    found = re.search(r"= (\S+)\s+mean (\S+)\s+\[(\S+), (\S+)\]\s+\((.*)\)", line)
    if found is None:
        raise SystemExit(f"{path}: no posterior line for {FREE}")
    best, mean, low, high = (float(found.group(i)) for i in range(1, 5))
    return best, mean, low, high, found.group(5)


def _p(v: dict) -> str:
    if v["probability"] is None:
        return v["status"]
    return f"{v['probability']:.0%} [{v['probability_low']:.0%}–{v['probability_high']:.0%}] {v['status']}"


def _value(v: dict) -> str:
    if v["median"] is None:
        return "-"
    return f"{format_value(v['median'], v['indicator'])} [{format_value(v['p5'], v['indicator'])}–" \
           f"{format_value(v['p95'], v['indicator'])}]"


# What the trend growth drives, read at the horizon even where no goal reads it.
GROWTH = ["grdp_growth_average", "labour_productivity_growth", "tfp_contribution_share"]


def growth(name: str, year: int = 2030) -> dict[str, str]:
    """Median [5-95%] over the runs of each GROWTH indicator in December of `year`."""
    df = pd.read_csv(OUT / name / "indicators.csv")
    df = df[(df.year == year) & (df.month == 12) & df.indicator.isin(GROWTH)]
    out = {}
    for ind, g in df.groupby("indicator"):
        q = np.quantile(g.value, [0.05, 0.5, 0.95])
        lo, mid, hi = (format_value(float(x), str(ind)) for x in q)
        out[str(ind)] = f"{mid} [{lo}–{hi}]"
    return out


def main() -> None:
    reuse = "--reuse" in sys.argv[1:]
    OUT.mkdir(parents=True, exist_ok=True)
    timings = OUT / "timings.json"
    seconds: dict[str, float] = json.loads(timings.read_text(encoding="utf-8")) if timings.exists() else {}
    rows, moved, fits, horizon, fitted_2025 = [], [], [], [], []
    shifts: list[tuple[str, float, float]] = []
    for place in PLACES:
        shipped_spec = tomllib.loads((ROOT / "scenarios" / f"{place}.toml").read_text(encoding="utf-8"))
        after_path = calibrated(place, reuse, seconds)
        before = verdicts(ROOT / "scenarios" / f"{place}.toml", f"{place}_shipped", reuse, seconds)
        after = {v["id"]: v for v in verdicts(after_path, f"{place}_2025_calibrated", reuse, seconds)}
        observed = tomllib.loads((FOLDER / f"{place}_2025.toml").read_text(encoding="utf-8"))["observed"][0]
        best, mean, low, high, identified = posterior(after_path)
        prior = (shipped_spec.get("economy", {}).get("production", {}).get("grdp_growth_history") or
                 tomllib.loads((ROOT / "scenarios/common/vietnam.toml").read_text(encoding="utf-8"))
                 ["economy"]["production"]["grdp_growth_history"])
        fits.append([place, f"{observed['value']:.2%}", f"{prior['value']:.2%} [{prior['range'][0]:.1%}–"
                     f"{prior['range'][1]:.1%}]", f"{mean:.2%} [{low:.1%}–{high:.1%}] (width/prior {identified})",
                     f"{best:.2%}"])
        shifts.append((place, prior["value"], mean))
        g0, g1 = growth(f"{place}_shipped"), growth(f"{place}_2025_calibrated")
        horizon += [[place, ind, g0[ind], g1[ind]] for ind in GROWTH]
        for v in before:
            a = after[v["id"]]
            if v["year"] < 2026:
                if v["probability"] != a["probability"]:
                    fitted_2025.append(f"{v['id']} {_p(v)} → {_p(a)}")
                continue
            if v["status"] == "NOT MODELLED":
                continue
            changed = v["probability"] != a["probability"] or v["median"] != a["median"]
            rows.append([place, v["id"], v["indicator"], _value(v), _value(a), _p(v), _p(a),
                         "**moved**" if changed else "same"])
            if changed:
                moved.append((place, v, a))
    timings.write_text(json.dumps(seconds, indent=1), encoding="utf-8")
    moved_ids = sorted({v["indicator"] for _, v, _ in moved})
    lines = [
        HEADING, "",
        "After scoring, the forward scenarios are recalibrated with the 2025 evidence. The only 2025 outcome a "
        "province scenario records by the model's own definition is the province's GRDP growth (`seeds/outcomes.toml`, "
        "comparable = true; the coverage, dossier and account outcomes are national or measured otherwise, section 9): "
        "Hải Phòng, Đà Nẵng and Đồng Nai. Each `scenarios/recalibrated/<province>_2025.toml` adds it as an observation "
        "(sigma 1 point, the size of a first estimate's restatement) and frees the trend growth that base TFP is read "
        f"from (`{FREE}`), within the shipped range (Đà Nẵng's, the national default's, widened: its 9.18% lies above "
        "it); `citytwin calibrate` (" + " ".join(CALIBRATE) + ", 96 draws) writes `<province>_2025_calibrated.toml` "
        "with "
        f"the posterior carried into every run. Both then run at the shipped runs and scale, seed {SEED}. "
        "Regenerate: `.venv/bin/python validation/recalibrated.py`.",
        "",
        table(["province", "GRDP growth 2025 (observed)", "trend growth shipped [range]",
               "posterior mean [90% credible]", "best draw"], fits),
        "",
        "What the trend growth drives, in December 2030 (median [5–95%] over the runs; no goal of these provinces "
        "reads GRDP growth itself):",
        "",
        table(["province", "indicator", "shipped", "recalibrated"], horizon),
        "",
        table(["province", "verdict (2026 on)", "indicator", "median [5–95%] shipped", "median [5–95%] recalibrated",
               "P(reach) [95%] shipped", "P(reach) [95%] recalibrated", ""], rows),
        "",
    ]
    if moved:
        lines.append(
            f"{len(moved)} of {len(rows)} verdicts moved, on {', '.join(moved_ids)}. Why: the trend growth enters "
            "only the growth accounts (`sim/world/production.py`: base TFP growth is the residual of the history's "
            "growth at the province's investment and employment), which read the firms' digital realisation and "
            "the core's share but feed nothing back into adoption, payments, offices or the budget; the adoption "
            "and coverage verdicts therefore run on the same seeds to the same digit. A faster trend raises base TFP "
            "growth one for one while capital and labour grow as before, so TFP's share of growth and labour "
            "productivity rise with it: "
            + "; ".join(f"{p} {_p(v)} → {_p(a)} ({format_value(v['median'], v['indicator'])} → "
                        f"{format_value(a['median'], a['indicator'])})" for p, v, a in moved) + ".")
    else:
        lines.append("No verdict from 2026 on moved: the trend growth enters only the growth accounts "
                     "(`sim/world/production.py`), and none of these provinces' goals from 2026 on reads them.")
    place, was, now = max(shifts, key=lambda x: abs(x[2] - x[1]))
    lines += [
        "", f"A caution: one year's reading identifies a trend weakly (every posterior is wider than half its prior), "
        f"and 2025 was a fast year nationally (GDP +8.02%, section 9). The largest shift, {place}'s trend from "
        f"{was:.2%} to a posterior mean of {now:.2%}, carries one fast year into five: had 2025's speed come "
        "from the public-investment push rather than the trend, the recalibrated growth is too fast, and "
        "2026's reading is the test."]
    if fitted_2025:
        lines += ["", "Verdicts of 2025 moved too, but they are not forecasts any more: the calibration fitted 2025's "
                  "own growth. " + "; ".join(fitted_2025) + "."]
    lines += [
        "",
        "Not recalibrated, and why: Đắk Lắk and Gia Lai (no 2025 GRDP outcome of the merged province is in "
        "`seeds/outcomes.toml` yet); the nation (34 provinces' calibrations; its 2025 GRDP readings are in section "
        "9's table); 5G coverage (the shipped scenarios already cite the 2025 build-out and cover October's 39.5%; "
        "December's 90% is a question of what coverage counts, section 9). Speed: "
        + ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items()) + " (whole commands, two cores).",
        "",
    ]
    rewrite(HEADING, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
