"""What `citytwin calibrate` writes: the calibrated scenario (which `extends` the original, sets
the best draw and carries the posterior) and its results folder (fit plot, tables, summary),
all or nothing; and the check, before any work, that `--write` replaces nothing of the user's.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError
from sim.experiments.calibrate import Calibration
from sim.outputs.outfolder import OutputFolder

# The first line of a calibrated scenario (the command always starts with "citytwin"): only a
from sim.schema import lookup

# The first line of a calibrated scenario (the command always starts with "citytwin"): only a
# file that starts so may be replaced by `--write`.
CALIBRATED_HEADER = "# Calibrated by: citytwin"


def _nest(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        *path, last = key.split(".")
        node = out
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def calibrated_toml(cal: Calibration, dest: Path, command: str) -> str:
    """The calibrated variant: `extends` the calibrated file, sets the best draw's values, and
    carries the posterior (its weighted draws) that every run of its ensemble draws from."""
    import tomli_w

    src = Path(cal.scenario.source_file).resolve()
    post = cal.posterior
    method = (f"Bayesian, uniform prior on [free], Gaussian likelihood (each observation's sigma and the runs' "
              f"Monte Carlo error); adaptive importance sampling, {len(post.draws)} draws x {cal.runs} runs at "
              f"scale {cal.scale:g} (the same seeds for every draw); effective sample size {post.ess:.0f}")
    n_fit = int(cal.fit.fitted.sum())
    lines = [f"# Calibrated by: {command}",  # starts with CALIBRATED_HEADER
             f"# Method: {method}.",
             f"# Fitted to {n_fit} observation{'s' if n_fit > 1 else ''}" + (f" up to {cal.until}" if cal.until else "")
             + f"; best log-likelihood {cal.log_likelihood:.3f}.",
             "# Best draw, posterior mean and 90% credible interval (width / prior width; > 0.5: weakly identified):"]
    for row in cal.identification().itertuples():
        weak = ", weakly identified" if row.weakly_identified else ""
        lines.append(f"#   {row.parameter} = {row.best:.4g}  mean {row.mean:.4g}  [{row.ci90_low:.4g}, "
                     f"{row.ci90_high:.4g}]  ({row.width_ratio:.2f}{weak})")
    original = cal.scenario.model_dump()
    values: dict[str, Any] = {}
    for key, value in cal.best.items():
        if isinstance(lookup(original, key), dict):  # a sourced number: say where the new value comes from
            values[key] = {"value": value, "source": f"calibrated: {command}"}
        else:
            values[key] = value
    samples, weights = post.samples()
    body = {"extends": os.path.relpath(src, dest.resolve().parent), "name": dest.stem, **_nest(values),
            "posterior": {"parameters": post.names, "source": f"{command} ({method})",
                          "weights": [float(f"{w:.6g}") for w in weights],
                          "samples": [[float(f"{v:.6g}") for v in row] for row in samples]}}
    return "\n".join(lines) + "\n" + tomli_w.dumps(body)


def write_calibration(cal: Calibration, out: OutputFolder, variant: Path, command: str) -> None:
    """The results folder (fit plot, tables, summary) and the calibrated scenario, all or nothing
    (the folder's lock held): the variant replaces its file only once the folder is complete."""
    from sim.outputs.plots import calibration_fit

    text = calibrated_toml(cal, variant, command)
    tmp_variant = variant.parent / f".{variant.name}.tmp-{os.getpid()}"
    try:
        with out.replacing(cal.scenario.name) as tmp:
            calibration_fit(cal, tmp / "fit.png")
            cal.fit.to_csv(tmp / "fit.csv", index=False)
            cal.draws.to_csv(tmp / "draws.csv", index=False)
            cal.identification().to_csv(tmp / "posterior.csv", index=False)
            rmse, persistence = cal.hindcast_rmse()
            ident = cal.identification()
            summary = {"scenario": cal.scenario.name, "command": command, "best": cal.best,
                       "credible_90": cal.ranges, "posterior_mean": dict(zip(ident.parameter, ident["mean"])),
                       "weakly_identified": cal.posterior.weakly_identified(),
                       "correlation": cal.posterior.correlation().round(3).tolist(),
                       "effective_sample_size": round(cal.posterior.ess, 1),
                       "log_likelihood": cal.log_likelihood, "until": cal.until,
                       "runs": cal.runs, "scale": cal.scale, "draws": len(cal.draws),
                       "seconds": round(cal.wall_seconds, 1),
                       "hindcast_rmse": None if math.isnan(rmse) else rmse,
                       "no_change_rmse": None if math.isnan(persistence) else persistence,
                       "variant": str(variant)}
            (tmp / "calibration.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
            tmp_variant.write_text(text, encoding="utf-8")
        tmp_variant.replace(variant)
    finally:
        tmp_variant.unlink(missing_ok=True)


def check_variant(variant: Path) -> None:
    """The calibrated scenario may replace only an earlier calibrated scenario, in a writable
    folder: raise ScenarioError (one line) before any work otherwise."""
    if variant.suffix != ".toml":
        raise ScenarioError(f"--write {variant}: expected a .toml file name")
    if not variant.resolve().parent.is_dir():
        raise ScenarioError(f"--write {variant}: folder {variant.parent} does not exist")
    if variant.exists() or variant.is_symlink():
        if not variant.is_file():
            raise ScenarioError(f"--write {variant}: exists and is not a file")
        try:
            head = variant.read_bytes()[:len(CALIBRATED_HEADER)]
        except OSError as exc:
            raise ScenarioError(f"--write {variant}: cannot be read ({exc.strerror})") from None
        if head != CALIBRATED_HEADER.encode():
            raise ScenarioError(f"--write {variant}: exists and is not a scenario written by citytwin calibrate; "
                                "choose another file name")
    if not os.access(variant.resolve().parent, os.W_OK):
        raise ScenarioError(f"--write {variant}: folder {variant.parent} is not writable")
