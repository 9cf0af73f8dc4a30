"""`citytwin`: run a scenario ensemble and print the verdict; calibrate a scenario to history.

    citytwin run scenarios/dak_lak.toml --runs 20 --set budget.dx_share=0.05
    citytwin calibrate scenarios/validation/vietnam_accounts.toml --until 2014

Bad input (scenario or arguments) prints one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from sim.scenario import ScenarioError, load_scenario


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2, no usage dump
        sys.stderr.write(f"citytwin: error: {message} (see citytwin {self.prog.split()[-1]} --help)\n")
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="citytwin", description="Digital twin of a Vietnamese province's digital transformation.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="run a scenario ensemble, print the verdict, write results")
    run.add_argument("scenario", help="scenario TOML file, e.g. scenarios/dak_lak.toml")
    run.add_argument("--runs", type=int, help="ensemble size (default: the scenario's ensemble.runs)")
    run.add_argument("--seed", type=int, help="base seed; run r uses seed + r")
    run.add_argument("--scale", type=float, help="agents per person, 0 < scale <= 1 (1 = every adult)")
    run.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE",
                     help="override any scenario key, e.g. --set budget.dx_share=0.05 (repeatable)")
    run.add_argument("--out", type=Path, help="output folder (default results/<scenario name>/)")
    run.add_argument("--workers", type=int, help="parallel worker processes (default: all cores)")
    run.add_argument("--executor", choices=("processes", "inline", "dask"), default="processes",
                     help="where runs execute (dask: a local cluster, or $CITYTWIN_DASK_SCHEDULER)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")

    cal = sub.add_parser("calibrate", help="fit the scenario's [free] parameters to its [observed] series")
    cal.add_argument("scenario", help="scenario TOML file with [observed] and [free], "
                                      "e.g. scenarios/validation/vietnam_dossiers.toml")
    cal.add_argument("--trials", type=int, default=60, help="candidate parameter sets to try (default 60)")
    cal.add_argument("--runs", type=int, help="runs per candidate (default: the scenario's ensemble.runs)")
    cal.add_argument("--scale", type=float, help="agents per person, 0 < scale <= 1")
    cal.add_argument("--seed", type=int, help="base seed of the runs and of the search")
    cal.add_argument("--until", type=int, metavar="YEAR",
                     help="fit only observations up to YEAR and forecast the later ones (a hindcast)")
    cal.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE",
                     help="override any scenario key before fitting (repeatable)")
    cal.add_argument("--write", type=Path, metavar="TOML",
                     help="where to write the calibrated scenario (default: <scenario>_calibrated.toml beside it)")
    cal.add_argument("--out", type=Path, help="results folder (default results/<scenario name>_calibration/)")
    cal.add_argument("--workers", type=int, help="parallel worker processes (default: all cores)")
    cal.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _overrides(args: argparse.Namespace) -> list[str]:
    """Command-line options are scenario overrides, so they are validated by the same schema."""
    extra = [f"ensemble.{k}={getattr(args, k)}" for k in ("runs", "seed", "scale", "workers")
             if getattr(args, k, None) is not None]
    return list(args.set) + extra


def cmd_run(args: argparse.Namespace) -> int:
    from sim.ensemble import run_ensemble
    from sim.report import manifest, pilot_year, write_outputs
    from sim.targets import resolve_targets
    from sim.verdict import verdict_table, verdicts

    spec = load_scenario(args.scenario, _overrides(args))
    out = args.out or Path("results") / spec.name
    if out.exists() and not out.is_dir():
        raise ScenarioError(f"--out {out}: exists and is not a folder")
    targets = resolve_targets(spec, args.scenario)
    e = spec.ensemble
    print(f"{spec.name}: {e.runs} runs at scale {e.scale:g}, seed {e.seed}, {spec.time.start}..{spec.time.end}",
          file=sys.stderr)
    result = run_ensemble(spec, workers=e.workers or None, executor=args.executor, progress=not args.quiet)
    items = verdicts(targets, result)
    meta = manifest(spec, result, e.seed, e.scale, sys.argv)
    pilot = write_outputs(out, spec, result, items, meta)
    print(verdict_table(items) if items else "No targets in this scenario (targets.goals and targets.custom are empty).")
    if pilot is not None:
        print(f"\nPilot vs control communes, end of {pilot_year(spec)} (median over runs of the commune mean):")
        print(pilot.to_string(float_format=lambda v: f"{v:.3f}"))
    r0 = result.runs[0]
    print(f"\n{len(result.runs)} runs x {r0.citizens:,} citizens x {len(r0.years)} months in "
          f"{result.wall_seconds:.1f} s ({result.executor}, {result.workers} workers). Results: {out}/")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.calibrate import calibrate, check_calibratable, write_calibration
    from sim.ensemble import default_workers

    spec = load_scenario(args.scenario, _overrides(args))
    if args.trials < 1:
        raise ScenarioError(f"--trials {args.trials}: expected at least 1")
    check_calibratable(spec, args.until)
    stem = Path(args.scenario).stem + ("_calibrated" if args.until is None else f"_calibrated_until{args.until}")
    variant = args.write or Path(args.scenario).parent / f"{stem}.toml"
    if variant.suffix != ".toml":
        raise ScenarioError(f"--write {variant}: expected a .toml file name")
    if not variant.resolve().parent.is_dir():
        raise ScenarioError(f"--write {variant}: folder {variant.parent} does not exist")
    default_out = f"{spec.name}_calibration" if args.until is None else f"{spec.name}_hindcast_{args.until}"
    out = args.out or Path("results") / default_out
    e = spec.ensemble
    print(f"{spec.name}: fitting {', '.join(spec.free)} to {len(spec.observed)} observations"
          + (f" (up to {args.until})" if args.until else "")
          + f"; {args.trials} candidates x {e.runs} runs at scale {e.scale:g}", file=sys.stderr)
    cal = calibrate(spec, trials=args.trials, until=args.until, workers=args.workers or default_workers(),
                    progress=not args.quiet)
    command = "citytwin " + " ".join(sys.argv[1:]) if sys.argv[1:2] == ["calibrate"] else \
        f"citytwin calibrate {args.scenario}"
    write_calibration(cal, out, variant, command)
    print(cal.fit[["year", "month", "indicator", "value", "sigma", "model", "residual", "fitted"]]
          .to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print("\nparameter                       best      approx. 95% range")
    for k, v in cal.best.items():
        lo, hi = cal.ranges[k]
        print(f"{k:<30} {v:9.4g}   [{lo:.4g}, {hi:.4g}]")
    rmse, persistence = cal.hindcast_rmse()
    if not math.isnan(rmse):
        print(f"\nhindcast after {args.until}: RMSE {rmse:.3f} (no-change forecast: {persistence:.3f})")
    print(f"\nlog-likelihood {cal.log_likelihood:.3f}; {cal.seconds:.0f} s. "
          f"Calibrated scenario: {variant}  Fit plot: {out}/fit.png")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return cmd_run(args) if args.command == "run" else cmd_calibrate(args)
    except ScenarioError as exc:
        sys.stderr.write(f"citytwin: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("citytwin: interrupted; nothing was written\n")
        return 130
    except Exception as exc:  # noqa: BLE001 - one line for the planner, the trace on request
        if os.environ.get("CITYTWIN_DEBUG"):
            raise
        sys.stderr.write(f"citytwin: internal error: {type(exc).__name__}: {exc} (set CITYTWIN_DEBUG=1 for details)\n")
        return 1


def entry() -> None:
    """The `citytwin` command: main(), then leave without tearing the interpreter down.

    Everything is written and closed by then; the teardown (freeing a 1:1 province,
    numba's compiled code, the OpenMP threads) would add about half a second to a run.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
