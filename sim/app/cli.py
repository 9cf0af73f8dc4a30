"""`citytwin`: run a scenario ensemble and print the verdict; find what it would take to reach a
target; calibrate a scenario to history; find what drives each target.

    citytwin run scenarios/dak_lak.toml --runs 20 --set budget.dx_share=0.05
    citytwin seek scenarios/dak_lak.toml --target dak_lak.budget_floor --lever budget.dx_share=0:0.1
    citytwin calibrate scenarios/validation/vietnam_accounts.toml --until 2014
    citytwin sensitivity scenarios/dak_lak.toml --method morris
    citytwin app scenarios/dak_lak.toml --port 8765

Bad input (scenario, arguments, output folder, a world too big) prints one line and
exits with status 2, before any work and without writing anything. Ctrl-C prints one
line and exits with status 130, leaving earlier results as they were.

Ctrl-C is citytwin's from the first line of this module (its handler is installed before
anything else is imported), so a Ctrl-C during start-up is handled like any other. Only
Python's own start, before this module runs (about a tenth of a second), is Python's.
"""

from __future__ import annotations

import signal
import sys

INTERRUPTED = "citytwin: interrupted; earlier results are unchanged"
_interrupted = False


def _on_sigint(signum: int, frame: object) -> None:
    """Ctrl-C: remember it, then interrupt as Python would."""
    global _interrupted
    _interrupted = True
    raise KeyboardInterrupt


def _quiet_interrupts(unraisable: object) -> None:
    """A Ctrl-C that lands in a callback Python cannot raise from (importlib's module-lock
    weakref callback) is not printed as "Exception ignored": `checkpoint()` raises it again."""
    if not isinstance(getattr(unraisable, "exc_value", None), KeyboardInterrupt):
        sys.__unraisablehook__(unraisable)  # type: ignore[arg-type]


def _interrupted_while_importing(kind: type[BaseException], value: BaseException, trace: object) -> None:
    """A Ctrl-C while this module's own imports run (before main()) is one line and status 130."""
    if issubclass(kind, KeyboardInterrupt):
        sys.stderr.write(INTERRUPTED + "\n")
        sys.stderr.flush()
        import os

        os._exit(130)
    sys.__excepthook__(kind, value, trace)  # type: ignore[arg-type]


# As a command (`citytwin`, `python -m sim.app.cli`), not when a program imports main().
if __name__ == "__main__" or getattr(sys, "argv", [""])[0].rsplit("/", 1)[-1] == "citytwin":
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_sigint)
        sys.excepthook = _interrupted_while_importing
    sys.unraisablehook = _quiet_interrupts

import argparse  # noqa: E402 - after the handler: a Ctrl-C during these imports is citytwin's
import os  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING, NoReturn  # noqa: E402

from sim.inputs.catalogue import as_of_argument, scenario_argument  # noqa: E402 - light: pathlib and re only

SCENARIO_HELP = ("scenario TOML file (e.g. scenarios/dak_lak.toml), or a province's code or name for its shipped "
                 "scenario (79, ho_chi_minh)")

if TYPE_CHECKING:
    from collections.abc import Callable

    from sim.experiments.ensemble import EnsembleResult
    from sim.experiments.execution import Execution, ExperimentResult
    from sim.inputs.targets import Target
    from sim.outputs.outfolder import OutputFolder
    from sim.schema import Scenario


def checkpoint() -> None:
    """Interrupt now if a Ctrl-C came but its KeyboardInterrupt was lost: Python ignores an
    exception raised inside some callbacks (importlib's module-lock weakref callback during
    start-up, for one), so the run would go on and replace the results."""
    if _interrupted:
        raise KeyboardInterrupt


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, status 2, no usage dump
        command = self.prog.split()[-1]
        where = "citytwin" if command == "citytwin" else f"citytwin {command}"
        sys.stderr.write(f"citytwin: error: {' '.join(message.split())} (see {where} --help)\n")
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="citytwin", description="Digital twin of a Vietnamese province's digital transformation.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="run a scenario ensemble, print the verdict, write results")
    run.add_argument("scenario", type=scenario_argument, help=SCENARIO_HELP)
    run.add_argument("--runs", type=int, help="ensemble size (default: the scenario's ensemble.runs)")
    run.add_argument("--seed", type=int, help="base seed; run r's seed is a hash of (seed, r)")
    run.add_argument("--scale", type=float, help="agents per person, 0 < scale <= 1 (1 = every adult)")
    run.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE",
                     help="override any scenario key, e.g. --set budget.dx_share=0.05 (repeatable)")
    run.add_argument("--out", type=Path, help="output folder (default results/<scenario name>/)")
    run.add_argument("--workers", type=int, help="parallel worker processes (default: all cores)")
    _where(run)
    run.add_argument("--quiet", action="store_true", help="no progress bar or start line (errors still print)")
    run.add_argument("--profile", action="store_true",
                     help="print where a run's time goes: each phase of the month (also in manifest.json)")
    run.add_argument("--yes", action="store_true", help="start even if the work is estimated at more than a day")
    run.add_argument("--sensitivity", type=Path, metavar="DIR",
                     help="name each target's top uncertain drivers from this `citytwin sensitivity` folder "
                          "(default: results/<scenario name>_sensitivity/ if it exists, else rank correlation "
                          "over the runs)")

    comp = sub.add_parser("compare", help="two plans on the same runs: what B changes against A, per target")
    comp.add_argument("a", type=scenario_argument, metavar="A", help="the plan compared against, " + SCENARIO_HELP)
    comp.add_argument("b", type=scenario_argument, metavar="B", help="the plan compared (the same province)")
    comp.add_argument("--runs", type=int, help="runs of each plan (default: A's ensemble.runs)")
    comp.add_argument("--seed", type=int, help="base seed of both (default: A's)")
    comp.add_argument("--scale", type=float, help="agents per person of both (default: A's)")
    comp.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE",
                      help="override a key in both plans (repeatable)")
    comp.add_argument("--out", type=Path, help="output folder (default results/<A name>_vs_<B name>/)")
    comp.add_argument("--workers", type=int, help="parallel worker processes (default: all cores)")
    _where(comp)
    comp.add_argument("--quiet", action="store_true", help="no progress bar or start line (errors still print)")
    comp.add_argument("--yes", action="store_true", help="start even if the work is estimated at more than a day")

    seek = sub.add_parser("seek", help="what would it take: the smallest lever value that reaches a target "
                                       "with a required probability")
    seek.add_argument("scenario", type=scenario_argument, help=SCENARIO_HELP)
    seek.add_argument("--target", required=True, metavar="ID",
                      help="a modelled target id of the scenario, or 'all' (every modelled target in the same run)")
    seek.add_argument("--lever", default="budget.dx_share", metavar="KEY=LOW:HIGH",
                      help="the number to search and its range (default budget.dx_share=0:0.1)")
    seek.add_argument("--probability", type=float, default=0.8,
                      help="the probability of reaching the target(s) required (default 0.8)")
    seek.add_argument("--cost", action="store_true",
                      help="the cheapest budget share and split among the DX programmes reaching the target(s) "
                           "(Optuna, cost against P(reach)); --lever then gives the range of budget.dx_share")
    seek.add_argument("--trials", type=int, help="with --cost: the splits tried (default 40)")
    _exploring(seek, runs="runs per lever value (default: the scenario's ensemble.runs)",
               seed="base seed; run r is the same run at every lever value",
               out="output folder (default results/<scenario name>_seek/)")

    sweep = sub.add_parser("sweep", help="the ensemble at every point of a design over levers, into a resumable "
                                         "Parquet store")
    sweep.add_argument("scenario", type=scenario_argument, help=SCENARIO_HELP)
    sweep.add_argument("--vary", action="append", required=True, metavar="KEY=LOW:HIGH[:N]",
                       help="a lever and its range, N values on a grid (default 5) (repeatable)")
    sweep.add_argument("--design", choices=("grid", "lhs", "sobol"), default="grid",
                       help="grid (every combination), lhs (Latin hypercube) or sobol (scrambled Sobol')")
    sweep.add_argument("--points", type=int, help="points of an lhs or sobol design (default 16)")
    _exploring(sweep, runs="runs per point (default: the scenario's ensemble.runs)",
               seed="base seed; run r of every point is the same run",
               out="the Parquet folder (default results/<scenario name>_sweep/); the same command on the same "
                   "store resumes it", option="--store")

    disc = sub.add_parser("discover", help="scenario discovery: the region of the uncertain assumptions where a "
                                           "target fails (PRIM)")
    disc.add_argument("scenario", type=scenario_argument, help=SCENARIO_HELP)
    disc.add_argument("--target", required=True, metavar="ID",
                      help="a modelled target id of the scenario, or 'all' (every modelled target in the same run)")
    _exploring(disc, runs="runs, each with every uncertainty drawn afresh (default 200: PRIM needs failures and "
                          "successes in numbers)", seed="base seed; run r's seed is a hash of (seed, r)",
               out="output folder (default results/<scenario name>_discover/)", runs_default=200)

    sens = sub.add_parser("sensitivity", help="which uncertain assumptions and priors (and levers) drive each target")
    sens.add_argument("scenario", type=scenario_argument, help=SCENARIO_HELP)
    sens.add_argument("--method", choices=("morris", "sobol"), default="morris",
                      help="morris: elementary effects (screening, r (k+1) runs); sobol: first-order and total "
                           "indices (N (k+2) runs) (default morris)")
    sens.add_argument("--samples", type=int,
                      help="Morris trajectories r (default 8) or Sobol' base samples N (default 64, a power of 2)")
    sens.add_argument("--target", action="append", default=[], metavar="ID",
                      help="analyse only this target id (repeatable; default every modelled target)")
    sens.add_argument("--levers", action="store_true",
                      help="also vary the levers (budget shares and splits) over +-50%% of their values")
    sens.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE",
                      help="override any scenario key before the analysis (repeatable)")
    sens.add_argument("--out", type=Path, help="output folder (default results/<scenario name>_sensitivity/)")
    sens.add_argument("--workers", type=int, help="parallel worker processes (default: all cores)")
    _where(sens)
    sens.add_argument("--seed", type=int, help="seed of the design and of every run (default: ensemble.seed)")
    sens.add_argument("--scale", type=float, help="agents per person, 0 < scale <= 1")
    sens.add_argument("--quiet", action="store_true", help="no progress bar or start line")
    sens.add_argument("--yes", action="store_true", help="start even if the work is estimated at more than a day")

    cal = sub.add_parser("calibrate", help="fit the scenario's [free] parameters to its [observed] series")
    cal.add_argument("scenario", type=scenario_argument, help="scenario TOML file with [observed] and [free], "
                                      "e.g. scenarios/validation/vietnam_dossiers.toml")
    cal.add_argument("--draws", "--trials", dest="draws", type=int, default=96,
                     help="parameter sets drawn in the importance sampling of the posterior (default 96)")
    cal.add_argument("--runs", type=int, help="runs per draw (default: the scenario's ensemble.runs)")
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
    _where(cal)
    cal.add_argument("--quiet", action="store_true", help="no progress bar")
    cal.add_argument("--yes", action="store_true", help="start even if the work is estimated at more than a day")

    hind = sub.add_parser("hindcast", help="the forecast a scenario would have made on a past date, scored "
                                           "against what was published since")
    hind.add_argument("scenario", type=scenario_argument, help=SCENARIO_HELP)
    _exploring(hind, runs="ensemble size (default: the scenario's ensemble.runs)",
               seed="base seed; run r's seed is a hash of (seed, r)",
               out="output folder (default results/<scenario name>_hindcast_<date>/)")

    prep = sub.add_parser("prepare", help="compile the engine for this machine now (once per checkout), so the "
                                          "first run is as quick as the next")
    prep.add_argument("--force", action="store_true", help="compile again even if a compiled engine is found")
    app = sub.add_parser("app", help="a planner's dashboard in the browser: move the levers, run, read the verdict")
    app.add_argument("scenario", nargs="?", type=scenario_argument,
                     help="scenario TOML to open (default: the first in the folder)")
    app.add_argument("--port", type=int, default=8765, help="port to serve on (default 8765)")
    app.add_argument("--host", default="127.0.0.1",
                     help="address to bind (default 127.0.0.1, this machine only; 0.0.0.0 opens it to the network)")
    app.add_argument("--runs", type=int, default=20, help="runs per ensemble on the page (default 20)")
    app.add_argument("--scale", type=float, default=0.005,
                     help="agents per person on the page (default 0.005; citytwin run uses the scenario's)")
    app.add_argument("--folder", type=Path,
                     help="folder whose scenarios the page offers (default: the scenario's folder, else scenarios/)")
    return p


def _exploring(parser: argparse.ArgumentParser, runs: str, seed: str, out: str, option: str = "--out",
               runs_default: int | None = None) -> None:
    """The options every exploration command takes, as `citytwin run` does (one command language)."""
    parser.add_argument("--runs", type=int, default=runs_default, help=runs)
    parser.add_argument("--seed", type=int, help=seed)
    parser.add_argument("--scale", type=float, help="agents per person, 0 < scale <= 1")
    parser.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE",
                        help="override any scenario key first (repeatable)")
    parser.add_argument(option, dest=option.removeprefix("--"), type=Path, help=out)
    parser.add_argument("--workers", type=int, help="parallel worker processes (default: all cores)")
    _where(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar or start line")
    parser.add_argument("--yes", action="store_true", help="start even if the work is estimated at more than a day")


def _where(parser: argparse.ArgumentParser) -> None:
    """Where runs execute, and on what evidence: the options every command that runs an ensemble takes."""
    parser.add_argument("--as-of", dest="as_of", type=as_of_argument, metavar="YYYY-MM-DD",
                        help="use only the figures published by this date (seeds/figures.toml); what replaces a "
                             "later one is in seeds/as_of.toml")
    parser.add_argument("--executor", choices=("processes", "inline", "dask"), default="processes",
                        help="where runs execute (dask: the cluster at --scheduler, else a local one)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="a running dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --executor dask; "
                             "default $CITYTWIN_DASK_SCHEDULER)")


def _executor(args: argparse.Namespace) -> str:
    return "dask" if args.scheduler else args.executor


def _execution(args: argparse.Namespace) -> Execution:
    """Where and how the command's runs execute (`--executor`, `--scheduler`, `--quiet`; the
    number of workers is the scenario's `ensemble.workers`, which `--workers` sets)."""
    from sim.experiments.execution import Execution

    return Execution(_executor(args), scheduler=args.scheduler, progress=not args.quiet)


def _carry_out[R](args: argparse.Namespace, out: OutputFolder, start: str, work: Callable[[], R],
                  write: Callable[[R], None]) -> R:
    """What every command does once its input is checked: hold the folder's lock, say what starts
    (unless --quiet), do the work, and replace the results only if no Ctrl-C came meanwhile."""
    with out.locked():
        if not args.quiet:
            print(start, file=sys.stderr)
        checkpoint()
        result = work()
        checkpoint()  # the last moment before results are replaced
        write(result)
    return result


def _finished(runs: str, result: ExperimentResult, where: Path) -> str:
    """The last line of every command: how much ran, where and how long, and where the results are."""
    return (f"\n{runs} in {result.wall_seconds:.1f} s ({result.executor}, {result.workers} workers). "
            f"Results: {where}/")


_SAID_AS: dict[str, str] = {}  # "--set ensemble.runs=5" -> "--runs 5": how the planner said it


def _overrides(args: argparse.Namespace) -> list[str]:
    """Command-line options are scenario overrides, so they are validated by the same schema. A key
    given twice (by two --set, or by --set and its option) is refused: one would silently win."""
    from sim.errors import ScenarioError

    given = {f"ensemble.{k}": f"--{k} {getattr(args, k)}" for k in ("runs", "seed", "scale", "workers")
             if getattr(args, k, None) is not None}
    for key, option in given.items():  # an error about the value names the option, not a --set
        _SAID_AS[f"--set {key}={option.split(' ', 1)[1]}"] = option
    seen: dict[str, str] = {}
    for text in args.set:
        key = ".".join(part.strip() for part in text.split("=", 1)[0].split("."))
        first = given.get(key) or seen.get(key)
        if first is not None and first != f"--set {text}":
            raise ScenarioError(f"{first} and --set {text} both set {key}; give it once")
        seen[key] = f"--set {text}"
    return list(args.set) + [f"{key}={option.split(' ', 1)[1]}" for key, option in given.items()]


def _loaded(args: argparse.Namespace) -> Scenario:
    """The scenario the command names, with its overrides and `--as-of`; a plan far outside
    anything sourced is warned of (one line each, stderr) and still runs."""
    from sim.inputs.scenario import load_scenario

    spec = load_scenario(args.scenario, _overrides(args), as_of=args.as_of)
    _warn([spec])
    return spec


def _warn(specs: list[Scenario]) -> None:
    from sim.inputs.plausibility import implausible

    for spec in specs:
        where = f"{spec.name}: " if len(specs) > 1 else ""
        for line in implausible(spec):
            print(f"citytwin: warning: {where}{line}", file=sys.stderr)


def _check_scheduler(args: argparse.Namespace) -> None:
    """The dask scheduler a command will use (--scheduler, else $CITYTWIN_DASK_SCHEDULER with
    --executor dask): a real address that answers, checked before any work."""
    from sim.errors import ScenarioError
    from sim.experiments.runner import SCHEDULER_ENV, check_scheduler

    if getattr(args, "executor", None) is None:
        return
    if args.scheduler is not None:
        if not args.scheduler.strip():
            raise ScenarioError("--scheduler '': expected a dask scheduler's address, e.g. tcp://10.0.0.5:8786")
        check_scheduler(args.scheduler)
    elif args.executor == "dask" and os.environ.get(SCHEDULER_ENV):
        check_scheduler(os.environ[SCHEDULER_ENV], option=f"${SCHEDULER_ENV}")


def cmd_run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from sim.experiments.ensemble import run_ensemble
    from sim.experiments.pilot import has_pilots, without_pilots
    from sim.experiments.resources import check_cost, duration
    from sim.experiments.sensitivity import drivers_from_folder, rank_drivers
    from sim.inputs.nation import is_nation
    from sim.inputs.provenance import starting_values
    from sim.inputs.provenance import summary as provenance_summary
    from sim.inputs.targets import resolve_targets
    from sim.outputs.outfolder import OutputFolder, changed_name
    from sim.outputs.report import manifest, profile_table, write_outputs
    from sim.outputs.verdict import verdict_table, verdicts, with_start_basis

    checkpoint()
    if is_nation(args.scenario):
        return _run_nation(args)
    # Everything that can refuse is checked before any work: scenario, output folder, cost.
    spec = _loaded(args)
    # A plan changed with --set writes beside the plan's own results, never over them.
    out = OutputFolder(args.out or Path("results") / (changed_name(spec.name, args.set) if args.set else spec.name),
                       kind="run")
    out.check()
    targets = resolve_targets(spec, args.scenario)
    sens_dir = args.sensitivity or Path("results") / f"{spec.name}_sensitivity"
    if args.sensitivity is not None:  # named: it must hold a sensitivity of this scenario (checked now)
        drivers_from_folder(sens_dir, spec, targets, explicit=True)
    e = spec.ensemble
    # A pilot is judged against the same runs without it (sim.experiments.pilot): the counterfactual is
    # built and validated now, and costed as a second ensemble.
    counterfactual = without_pilots(spec) if has_pilots(spec) else None
    execution = _execution(args)
    cost = check_cost(spec, e.runs, execution.planned(spec), yes=args.yes)
    with out.locked():
        if not args.quiet:
            print(f"{spec.name}: {e.runs} runs at scale {e.scale:g}, seed {e.seed}, {spec.time.start}..{spec.time.end}"
                  + (", then the same runs without the pilot (counterfactual)" if counterfactual else "")
                  + (f" (expected about {duration(cost.seconds)})" if cost.seconds > 600 else ""), file=sys.stderr)
        checkpoint()
        result = run_ensemble(spec, execution=execution)
        without = None
        if counterfactual is not None:
            if not args.quiet:
                print(f"{spec.name}: running the counterfactual: the same {e.runs} runs without the pilot",
                      file=sys.stderr)
            checkpoint()
            without = run_ensemble(counterfactual, execution=execution, label="runs without the pilot")
        starting = starting_values(spec)
        items = with_start_basis(verdicts(targets, result), starting)
        drivers = drivers_from_folder(sens_dir, spec, targets, explicit=args.sensitivity is not None) \
            or rank_drivers(targets, result.runs)
        for v in items:
            v.drivers = drivers.by_target.get(v.id, [])
        meta = manifest(spec, result, e.seed, e.scale, sys.argv) | {"drivers": drivers.describe()}
        checkpoint()  # the last moment before results are replaced
        pilot = write_outputs(out, spec, result, items, meta, without)
    print(verdict_table(items, provenance_summary(starting)) if items
          else "No targets in this scenario (targets.goals and targets.custom are empty).")
    if any(v.drivers for v in items):
        print(drivers.describe())
    elif any(v.status != "NOT MODELLED" for v in items):
        print(drivers.none_named())
    if pilot is not None:
        print(f"\n{pilot.line}")
    elif (against := _against_plan(args, spec, targets, result)) is not None:
        print("\n" + against)
    if args.profile:
        print("\n" + profile_table(result.runs))
    r0 = result.runs[0]
    twice = ", twice (with and without the pilot)" if without is not None else ""
    both = replace(result, wall_seconds=result.wall_seconds + (without.wall_seconds if without is not None else 0.0))
    print(_finished(f"{len(result.runs)} runs x {r0.citizens:,} citizens x {len(r0.years)} months{twice}", both,
                    out.path))
    return 0


def _against_plan(args: argparse.Namespace, spec: Scenario, targets: list[Target],
                  result: EnsembleResult) -> str | None:
    """What a variant changes against the plan it varies (the file its `extends` names, or the
    scenario as written under `--set`), run by run, from the plan's own saved results when they
    are the same runs; else how to see it. None when the scenario varies no plan."""
    from sim.errors import ScenarioError
    from sim.experiments.compare import compare
    from sim.inputs.scenario import load_scenario, parent_plan
    from sim.outputs.comparison import comparison_text
    from sim.outputs.saved import saved_runs

    sized = {k: getattr(args, k) for k in ("runs", "seed", "scale", "workers") if getattr(args, k, None) is not None}
    ensemble = [f"ensemble.{k}={v}" for k, v in sized.items()]
    flags = "".join(f" --{k} {v}" for k, v in sized.items())
    if args.set:
        path, name = Path(args.scenario), f"{spec.name} with " + ", ".join(args.set)
        how = f"run the plan as written (citytwin run {path.as_posix()}{flags}) and this command again"
    elif (parent := parent_plan(args.scenario)) is not None:
        path, name = parent, spec.name
        how = f"citytwin compare {parent.as_posix()} {Path(args.scenario).as_posix()}{flags}"
    else:
        return None
    try:
        plan = load_scenario(path, ensemble, as_of=args.as_of)
    except ScenarioError as exc:
        return f"{name} changes {path.stem}, which does not load ({exc})"
    folder = Path("results") / plan.name
    saved, why = saved_runs(folder, plan, spec.ensemble.scale, [r.seed for r in result.runs])
    if saved is None:
        return f"{name} changes {plan.name}: to see what it changes, run by run, {how} ({why})"
    c = compare(targets, saved, result, f"{plan.name} (as saved in {folder.as_posix()}/)", name)
    return f"What {name} changes against {plan.name}, the same runs:\n{comparison_text(c)}"


def cmd_compare(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from sim.errors import ScenarioError
    from sim.experiments.compare import compare
    from sim.experiments.ensemble import run_ensemble
    from sim.experiments.resources import check_cost
    from sim.inputs.nation import is_nation
    from sim.inputs.scenario import load_scenario
    from sim.inputs.targets import resolve_targets
    from sim.outputs.comparison import comparison_text, write_comparison
    from sim.outputs.outfolder import OutputFolder

    checkpoint()
    for path in (args.a, args.b):
        if is_nation(path):
            raise ScenarioError(f"{path}: compare takes two plans of one province (the nation: citytwin run "
                                "scenarios/vietnam.toml --set provinces.<code>.<key>=...)")
    args.as_of = None
    overrides = _overrides(args)
    a = load_scenario(args.a, overrides)
    b = load_scenario(args.b, overrides)
    if a.province.code != b.province.code:
        raise ScenarioError(f"{args.b}: province {b.province.code} ({b.province.name}), not A's {a.province.code} "
                            f"({a.province.name}): compare takes two plans of the same province")
    _warn([a, b])
    out = OutputFolder(args.out or Path("results") / f"{a.name}_vs_{b.name}", kind="compare")
    out.check()
    targets = resolve_targets(a, args.a)
    e = a.ensemble  # B runs A's runs, seed and scale: run r of each is the same draw
    execution = _execution(args)
    check_cost(a, 2 * e.runs, execution.planned(a), yes=args.yes, counterfactual=False)

    def work() -> tuple:
        first = run_ensemble(a, execution=execution, label="runs of A")
        checkpoint()
        second = run_ensemble(b, runs=e.runs, scale=e.scale, seed=e.seed, execution=execution,
                              label="runs of B")
        return first, second, compare(targets, first, second, a.name, b.name)

    first, second, c = _carry_out(
        args, out, f"{a.name} (A) against {b.name} (B): {e.runs} runs each at scale {e.scale:g}, seed {e.seed}, "
                   f"{a.time.start}..{a.time.end}; A's goals judged",
        work, lambda done: write_comparison(out, done[2], b, done[1], sys.argv))
    print(comparison_text(c))
    both = replace(second, wall_seconds=first.wall_seconds + second.wall_seconds)
    print(_finished(f"2 x {e.runs} runs", both, out.path))
    return 0


def _run_nation(args: argparse.Namespace) -> int:
    """`citytwin run scenarios/vietnam.toml`: every province's runs, combined into national runs
    and judged against the national goals (`sim.experiments.national`)."""
    from sim.experiments.national import run_nation
    from sim.experiments.resources import check_cost
    from sim.inputs.nation import load_nation
    from sim.outputs.national import province_table, ranking_text, write_nation
    from sim.outputs.outfolder import OutputFolder, changed_name
    from sim.outputs.report import experiment_manifest
    from sim.outputs.verdict import verdict_table, verdicts

    nation = load_nation(args.scenario, _overrides(args), as_of=args.as_of)
    _warn(nation.provinces)
    for spec in nation.provinces:  # a scale too small for a province refuses here, naming it, not in a worker
        check_cost(spec, nation.runs, 1, yes=True)
    out = OutputFolder(args.out or Path("results") / (changed_name(nation.name, args.set) if args.set else nation.name),
                       kind="run")
    out.check()
    execution = _execution(args)
    with out.locked():
        if not args.quiet:
            print(f"{nation.name}: {len(nation.provinces)} provinces x {nation.runs} runs at scale {nation.scale:g}, "
                  f"seed {nation.seed}", file=sys.stderr)
        checkpoint()
        result = run_nation(nation, execution=execution)
        items = verdicts(nation.targets, result)
        table = province_table(nation, result)
        meta = experiment_manifest(
            nation.provinces[0], result, sys.argv, seed=nation.seed, runs=nation.runs, scale=nation.scale,
            nation=nation.name, provinces=[{"code": p.code, "scenario": p.scenario, "seconds": round(p.seconds, 2),
                                            "citizens_per_run": p.citizens} for p in result.provinces],
            citizens=sum(p.citizens for p in result.provinces))
        meta["scenario"], meta["scenario_file"] = nation.name, nation.source_file
        meta.pop("resolved_scenario", None)  # 34 scenarios: each province's is its own file plus the --set given
        checkpoint()
        write_nation(out, nation, result, items, table, meta)
    print(verdict_table(items))
    print("\n" + ranking_text(table))
    citizens = sum(p.citizens for p in result.provinces)
    print(_finished(f"{len(nation.provinces)} provinces x {nation.runs} runs x {citizens:,} citizens", result,
                    out.path))
    return 0


def cmd_seek(args: argparse.Namespace) -> int:
    from sim.errors import ScenarioError
    from sim.experiments.outcomes import modelled
    from sim.experiments.resources import check_cost, duration
    from sim.experiments.seek import DEFAULT_LEVER, STEPS, lever_range, parse_lever, seek
    from sim.inputs.targets import resolve_targets
    from sim.outputs.outfolder import OutputFolder
    from sim.outputs.report import write_seek

    checkpoint()
    # Everything that can refuse is checked before any work: arguments, scenario, folder, cost.
    lever, low, high = parse_lever(args.lever)
    spec = _loaded(args)
    targets = modelled(resolve_targets(spec, args.scenario), None if args.target == "all" else [args.target])
    low, high = lever_range(spec, lever, low, high)
    if not 0.0 < args.probability <= 1.0:
        raise ScenarioError(f"--probability {args.probability:g}: expected a number in (0, 1]")
    out = OutputFolder(args.out or Path("results") / f"{spec.name}_seek", kind="seek")
    out.check()
    e = spec.ensemble
    execution = _execution(args)
    workers = execution.planned(spec)
    if args.trials is not None and not args.cost:
        raise ScenarioError(f"--trials {args.trials}: only with --cost (the splits tried)")
    if args.cost:
        if lever != DEFAULT_LEVER:
            raise ScenarioError(f"--lever {lever}: --cost searches {DEFAULT_LEVER} and the DX split; give its range")
        args.trials = 40 if args.trials is None else args.trials
        if not 2 <= args.trials <= 100_000:
            raise ScenarioError(f"--trials {args.trials}: expected 2 to 100000")
        return _cost(args, spec, targets, low, high, out, execution)
    # At most: every run at the high end, then every run at each bisection step and at the answer.
    most = e.runs * (STEPS + 4)
    cost = check_cost(spec, most, workers, yes=args.yes, counterfactual=False, held=False, size="--runs")
    result = _carry_out(
        args, out, f"{spec.name}: smallest {lever} in [{low:g}, {high:g}] with P({args.target}) >= "
                   f"{args.probability:g}: {e.runs} runs per value at scale {e.scale:g}, seed {e.seed}, {workers} "
                   f"workers (at most {most} runs, about {duration(cost.seconds)})",
        lambda: seek(spec, targets, args.target, lever, low, high, args.probability, execution),
        lambda found: write_seek(out, spec, found, sys.argv))
    print(result.summary())
    for note in result.notes:
        print(f"note: {note}")
    print(_finished(f"{result.evaluations} runs", result, out.path))
    return 0


def _cost(args: argparse.Namespace, spec: Scenario, targets: list[Target], low: float, high: float, out: OutputFolder,
          execution: Execution) -> int:
    """`citytwin seek --cost`: the cheapest share and split reaching the target(s) (sim.experiments.cheapest)."""
    from sim.experiments.cheapest import cheapest
    from sim.experiments.resources import check_cost, duration
    from sim.outputs.report import write_cost

    e = spec.ensemble
    total = e.runs * (args.trials + 2)  # the trials, the scenario's own split, the confirmation
    cost = check_cost(spec, total, execution.planned(spec), yes=args.yes, counterfactual=False, held=False,
                      size="--trials")
    result = _carry_out(
        args, out, f"{spec.name}: the cheapest dx_share in [{low:g}, {high:g}] and DX split with P({args.target}) "
                   f">= {args.probability:g}: {args.trials} trials x {e.runs} runs at scale {e.scale:g}, seed "
                   f"{e.seed} (about {duration(cost.seconds)})",
        lambda: cheapest(spec, targets, args.target, args.probability, low, high, args.trials, execution),
        lambda found: write_cost(out, spec, found, sys.argv))
    print(result.summary())
    print(_finished(f"{len(result.trials)} trials x {result.runs} runs", result, out.path))
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.errors import ScenarioError
    from sim.experiments.resources import check_cost, duration
    from sim.experiments.sweep import SWEEP_FILE, Store, make_design, parse_vary, record, run_sweep
    from sim.inputs.targets import resolve_targets
    from sim.outputs.outfolder import OutputFolder
    from sim.outputs.report import write_sweep

    checkpoint()
    # Everything that can refuse is checked before any work: arguments, scenario, design, store, cost.
    varies = [parse_vary(v) for v in args.vary]
    spec = _loaded(args)
    e = spec.ensemble
    design = make_design(spec, varies, args.design, args.points, e.seed)
    targets = [t for t in resolve_targets(spec, args.scenario) if t.modelled]
    folder = OutputFolder(args.store or Path("results") / f"{spec.name}_sweep", kind="sweep", option="--store")
    folder.check()
    store = Store(folder.path)
    if folder.path.is_dir() and any(folder.path.iterdir()) and not (folder.path / SWEEP_FILE).exists():
        raise ScenarioError(f"--store {folder.path}: holds another kind of citytwin output, not a sweep; "
                            "choose another --store")
    total = len(design) * e.runs
    execution = _execution(args)
    workers = execution.planned(spec, total)
    cost = check_cost(spec, total, workers, yes=args.yes, counterfactual=False, held=False, size="--runs")
    with folder.locked():
        about = {"scenario_file": spec.source_file, "command": sys.argv, "design": args.design}
        # Or refuse a different sweep or a foreign file, and repair damaged runs, before any work.
        for note in store.begin(record(spec, design, about), design):
            print(f"citytwin: note: --store {folder.path}: {note}", file=sys.stderr)
        before = len(store.done())
        if not args.quiet:
            again = f", resuming: {before} already in the store" if before else ""
            left = duration(cost.seconds * (total - before) / total)
            print(f"{spec.name}: sweep of {len(design)} points x {e.runs} runs = {total} runs at scale {e.scale:g}, "
                  f"seed {e.seed}, {workers} workers{again} (about {left})", file=sys.stderr)
        checkpoint()
        try:
            result = run_sweep(spec, design, store, targets, execution, about=about)
        except KeyboardInterrupt:
            sys.stderr.write(f"citytwin: interrupted; {len(store.done())} of {total} runs are in {folder.path}; "
                             "the same command continues from there\n")
            return 130
        write_sweep(folder.path, result, sys.argv)
    if not result.reach.empty:
        shown = result.reach.drop(columns=["point"]).round(4)
        print(shown.to_string(index=False, max_rows=40))
    print(f"\n{result.runs_done} runs in {result.wall_seconds:.1f} s ({result.executor}, {result.workers} workers)"
          f"{f'; {total - result.runs_done} were in the store already' if result.runs_done < total else ''}. "
          f"Store: {folder.path}/ (pandas.read_parquet reads it)")
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    from sim.errors import ScenarioError
    from sim.experiments.discover import MIN_DISCOVERY_RUNS, discover
    from sim.experiments.outcomes import modelled
    from sim.experiments.resources import check_cost, duration
    from sim.inputs.targets import resolve_targets
    from sim.outputs.outfolder import OutputFolder
    from sim.outputs.report import write_discovery

    checkpoint()
    # Everything that can refuse is checked before any work: arguments, scenario, folder, cost.
    spec = _loaded(args)
    if not spec.ensemble.uncertainty:
        raise ScenarioError(f"{args.scenario}: ensemble.uncertainty is false: nothing is drawn, so there is no "
                            "region of the assumptions to find")
    if spec.ensemble.runs < MIN_DISCOVERY_RUNS:
        raise ScenarioError(f"--runs {spec.ensemble.runs}: PRIM needs runs that fail and runs that reach in numbers; "
                            f"give at least {MIN_DISCOVERY_RUNS} (default 200)")
    targets = modelled(resolve_targets(spec, args.scenario), None if args.target == "all" else [args.target])
    out = OutputFolder(args.out or Path("results") / f"{spec.name}_discover", kind="discover")
    out.check()
    e = spec.ensemble
    execution = _execution(args)
    workers = execution.planned(spec)
    cost = check_cost(spec, e.runs, workers, yes=args.yes, counterfactual=False, held=False, size="--runs")
    found = _carry_out(
        args, out, f"{spec.name}: where does {args.target} fail? {e.runs} runs at scale {e.scale:g}, seed {e.seed}, "
                   f"{workers} workers (about {duration(cost.seconds)})",
        lambda: discover(spec, targets, args.target, execution),
        lambda result: write_discovery(out, spec, result, sys.argv))
    print(found.summary())
    for note in found.notes[1 if found.chosen is None else 0:]:
        print(f"note: {note}")
    print(_finished(f"{found.runs} runs", found, out.path))
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from sim.errors import ScenarioError
    from sim.experiments.outcomes import modelled
    from sim.experiments.resources import check_cost, duration
    from sim.experiments.sensitivity import (
        DEFAULT_SAMPLES,
        check_samples,
        design_size,
        factors,
        ranked_text,
        run_sensitivity,
        varied,
    )
    from sim.inputs.targets import resolve_targets
    from sim.outputs.outfolder import OutputFolder
    from sim.outputs.report import sensitivity_manifest, write_sensitivity

    checkpoint()
    # Everything that can refuse is checked before any work: arguments, scenario, folder, cost.
    samples = DEFAULT_SAMPLES[args.method] if args.samples is None else args.samples
    check_samples(args.method, samples)
    spec = _loaded(args)
    targets = modelled(resolve_targets(spec, args.scenario), args.target)
    out = OutputFolder(args.out or Path("results") / f"{spec.name}_sensitivity", kind="sensitivity")
    out.check()
    items = varied(factors(spec, args.levers))
    if not items:
        raise ScenarioError(f"{args.scenario}: nothing to vary (no ranged assumption, prior"
                            + (" or lever)" if args.levers else "; add --levers to vary the levers)"))
    size = design_size(len(items), args.method, samples)
    execution = _execution(args)
    workers = execution.planned(spec, size)
    # The parent keeps a few numbers per run, not the run's tables.
    cost = check_cost(spec, size, workers, yes=args.yes, counterfactual=False, held=False, size="--samples")
    kinds = {k: sum(f.kind == k for f in items) for k in ("assumption", "prior", "posterior", "lever")}
    what = "Morris screening" if args.method == "morris" else "Sobol' indices"
    unit = "trajectories" if args.method == "morris" else "base samples"
    counts = ", ".join(f"{n} {k if k == 'posterior' else k + 's'}" for k, n in kinds.items() if n or k != "posterior")
    sens = _carry_out(
        args, out, f"{spec.name}: {what} of {len(items)} factors ({counts}), {samples} {unit} = {size:,} runs at "
                   f"scale {spec.ensemble.scale:g}, seed {spec.ensemble.seed}, {spec.time.start}..{spec.time.end}, "
                   f"{workers} workers (expected about {duration(cost.seconds)})",
        lambda: run_sensitivity(spec, targets, args.method, samples, args.levers, execution),
        lambda result: write_sensitivity(out, result, sensitivity_manifest(result, sys.argv)))
    print(ranked_text(sens))
    print(_finished(f"{size:,} runs", sens, out.path))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    import math

    from sim.errors import ScenarioError
    from sim.experiments.calibrate import calibrate, check_calibratable
    from sim.experiments.resources import check_cost
    from sim.outputs.calibration_outputs import check_variant, write_calibration
    from sim.outputs.outfolder import OutputFolder, check_name

    spec = _loaded(args)
    if not 2 <= args.draws <= 100_000:
        raise ScenarioError(f"--draws {args.draws}: expected 2 to 100000 (a posterior needs draws to weigh)")
    check_calibratable(spec, args.until)
    stem = Path(args.scenario).stem + ("_calibrated" if args.until is None else f"_calibrated_until{args.until}")
    variant = args.write or Path(args.scenario).parent / f"{stem}.toml"
    check_name(variant, "--write")
    check_variant(variant)
    default_out = f"{spec.name}_calibration" if args.until is None else f"{spec.name}_hindcast_{args.until}"
    out = OutputFolder(args.out or Path("results") / default_out, kind="calibration")
    out.check()
    if out.path.resolve() in variant.resolve().parents:
        raise ScenarioError(f"--write {variant}: inside the results folder {out.path}, which is replaced whole; "
                            "write the calibrated scenario elsewhere (default: beside the scenario)")
    e = spec.ensemble
    execution = _execution(args)
    check_cost(spec, args.draws * e.runs, execution.planned(spec), yes=args.yes, counterfactual=False)
    command = "citytwin " + " ".join(sys.argv[1:]) if sys.argv[1:2] == ["calibrate"] else \
        f"citytwin calibrate {args.scenario}"
    cal = _carry_out(
        args, out, f"{spec.name}: fitting {', '.join(spec.free)} to {len(spec.observed)} observations"
                   + (f" (up to {args.until})" if args.until else "")
                   + f"; {args.draws} draws x {e.runs} runs at scale {e.scale:g}",
        lambda: calibrate(spec, draws=args.draws, until=args.until, execution=execution),
        lambda result: write_calibration(result, out, variant, command))
    print(cal.fit[["year", "month", "indicator", "value", "sigma", "model", "residual", "fitted"]]
          .to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\nposterior ({len(cal.draws)} draws, effective sample size {cal.posterior.ess:.0f})")
    print(f"{'parameter':<30} {'best':>9} {'mean':>9}   90% credible        width/prior")
    for row in cal.identification().itertuples():
        print(f"{row.parameter:<30} {row.best:9.4g} {row.mean:9.4g}   [{row.ci90_low:.4g}, {row.ci90_high:.4g}]"
              f"{'':<4}{row.width_ratio:.2f}{'  weakly identified' if row.weakly_identified else ''}")
    rmse, persistence = cal.hindcast_rmse()
    if not math.isnan(rmse):
        print(f"\nhindcast after {args.until}: RMSE {rmse:.3f} (no-change forecast: {persistence:.3f})")
    print(f"\nlog-likelihood {cal.log_likelihood:.3f}; {cal.wall_seconds:.0f} s. "
          f"Calibrated scenario: {variant}  Fit plot: {out.path}/fit.png")
    return 0


def cmd_hindcast(args: argparse.Namespace) -> int:
    """`citytwin hindcast SCENARIO --as-of DATE`: the ensemble with the evidence of DATE, scored
    against every later observation of the same indicators (`sim.experiments.hindcast`)."""
    from sim.errors import ScenarioError
    from sim.experiments.ensemble import RunTable, run_ensemble
    from sim.experiments.hindcast import from_baseline, from_observed, outcomes_of, score
    from sim.experiments.national import run_nation
    from sim.experiments.resources import check_cost
    from sim.inputs.nation import is_nation, load_nation
    from sim.inputs.scenario import load_scenario
    from sim.inputs.targets import resolve_targets
    from sim.outputs.hindcast import summary_text, write_hindcast
    from sim.outputs.outfolder import OutputFolder
    from sim.outputs.report import experiment_manifest

    if args.as_of is None:
        raise ScenarioError("hindcast: --as-of is required: the date the forecast is made on, e.g. --as-of 2024-12-31")
    overrides = _overrides(args)
    execution = _execution(args)
    if is_nation(args.scenario):
        nation = load_nation(args.scenario, overrides, as_of=args.as_of)
        _warn(nation.provinces)
        name, first, province, targets = nation.name, nation.provinces[0], 0, nation.targets
        observations = [o for code in (0, *(p.province.code for p in nation.provinces)) for o in outcomes_of(code)]
        restriction = {"date": args.as_of.isoformat(), "provinces": {
            p.province.code: p.as_of.model_dump() if p.as_of else {} for p in nation.provinces}}
        for spec in nation.provinces:
            check_cost(spec, nation.runs, 1, yes=True)
        runs, scale = nation.runs, nation.scale
    else:
        full = load_scenario(args.scenario, overrides)
        first = _loaded(args)
        name, province = first.name, first.province.code
        targets = resolve_targets(first, args.scenario)
        observations = outcomes_of(province) + from_observed(full.observed, province) + from_baseline(full, province)
        restriction = first.as_of.model_dump() if first.as_of else {}
        check_cost(first, first.ensemble.runs, execution.planned(first), yes=args.yes, counterfactual=False)
        runs, scale = first.ensemble.runs, first.ensemble.scale
    out = OutputFolder(args.out or Path("results") / f"{name}_hindcast_{args.as_of.isoformat()}", kind="hindcast")
    out.check()
    with out.locked():
        if not args.quiet:
            print(f"{name}: forecasting as of {args.as_of}: {runs} runs at scale {scale:g}", file=sys.stderr)
        checkpoint()
        result: RunTable
        if is_nation(args.scenario):
            national = run_nation(nation, execution=execution)
            result = national
            places = {0: national, **{p.code: RunTable(runs=p.runs) for p in national.provinces}}
            names = {0: "Vietnam", **{p.code: p.name for p in national.provinces}}
        else:
            result = run_ensemble(first, execution=execution)
            places = {province: result}
            names = {province: first.province.name or name}
        h = score(places, province, args.as_of, observations, targets, name, restriction)
        known = [o for o in observations if o.published <= args.as_of and o.comparable]
        meta = experiment_manifest(first, result, sys.argv, as_of=args.as_of.isoformat(), runs=runs, scale=scale,
                                   summary=h.summary())
        checkpoint()
        write_hindcast(out, h, places, names, known, meta)
    print(summary_text(h))
    print(_finished(f"{runs} runs", result, out.path))
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    """Compile the engine's kernels for this machine (sim.experiments.engine_cache.prepare)."""
    from sim.experiments.engine_cache import COMPILE_SECONDS, compiled
    from sim.experiments.prepare import prepare

    if compiled() and not args.force:
        print("citytwin prepare: the engine is compiled for this machine already (--force compiles it again)")
        return 0
    low, high = COMPILE_SECONDS
    print(f"citytwin prepare: compiling the engine for this machine, once per checkout (about {low} s, up to "
          f"{high} s on a busy machine)...", flush=True)
    seconds = prepare()
    print(f"citytwin prepare: done in {seconds:.0f} s; runs now start at full speed")
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    from sim.app.server import check_host, serve
    from sim.errors import ScenarioError
    from sim.experiments.execution import Execution
    from sim.experiments.resources import check_cost
    from sim.inputs.nation import is_nation, load_nation
    from sim.inputs.scenario import load_scenario
    from sim.outputs.outfolder import check_name

    checkpoint()
    check_host(args.host)
    # Bad input stops here, in one line, before the server starts: the scenario the page opens
    # first (the one named, else the folder's first) with the page's runs and scale, and their cost.
    page = [f"ensemble.runs={args.runs}", f"ensemble.scale={args.scale!r}"]
    _SAID_AS.update({f"--set {page[0]}": f"--runs {args.runs}", f"--set {page[1]}": f"--scale {args.scale!r}"})
    def check(first: Path) -> None:
        if is_nation(first):
            load_nation(first)  # the nation's page runs at its own size (sim.app.nationpage); checked now
        else:
            spec = load_scenario(first, page)
            check_cost(spec, args.runs, Execution().planned(spec), counterfactual=False)

    if args.scenario:  # the file named is checked first: its own error names it
        check(Path(args.scenario))
    folder = args.folder or (Path(args.scenario).parent if args.scenario else Path("scenarios"))
    check_name(folder, "--folder")
    if not folder.is_dir():
        raise ScenarioError(f"--folder {folder}: not a folder")
    if not args.scenario:
        first = next(iter(sorted(p for p in folder.glob("*.toml") if p.is_file())), None)
        if first is None:
            raise ScenarioError(f"{folder}: no scenario (*.toml) to open; name one: citytwin app SCENARIO")
        check(first)
    serve(Path(args.scenario) if args.scenario else None, folder, args.host, args.port, args.runs, args.scale)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run a command; bad input is one line and status 2, Ctrl-C one line and status 130."""
    _SAID_AS.clear()
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_sigint)
    try:
        args = _parser().parse_args(argv)
        from sim.errors import ScenarioError
        checkpoint()
    except KeyboardInterrupt:
        sys.stderr.write(INTERRUPTED + "\n")
        return 130
    try:
        command = {"run": cmd_run, "compare": cmd_compare, "seek": cmd_seek, "sweep": cmd_sweep,
                   "discover": cmd_discover, "calibrate": cmd_calibrate, "sensitivity": cmd_sensitivity,
                   "hindcast": cmd_hindcast, "prepare": cmd_prepare, "app": cmd_app}[args.command]
        with warnings.catch_warnings():
            # A library's warning (numpy's, shapely's) is a developer's message in several lines, not
            # a planner's: shown with CITYTWIN_DEBUG=1 only.
            if not os.environ.get("CITYTWIN_DEBUG"):
                warnings.simplefilter("ignore")
            _check_scheduler(args)
            return command(args)
    except ScenarioError as exc:
        message = " ".join(str(exc).split())
        for internal, said in _SAID_AS.items():
            message = message.replace(internal, said)
        sys.stderr.write(f"citytwin: error: {message}\n")
        return 2
    except KeyboardInterrupt:
        if os.environ.get("CITYTWIN_DEBUG"):  # where it was interrupted
            import traceback

            traceback.print_exc()
        sys.stderr.write(INTERRUPTED + "\n")
        return 130
    except MemoryError:
        sys.stderr.write("citytwin: error: out of memory; lower --scale, --runs or --workers\n")
        return 2
    except OSError as exc:
        from sim.errors import FULL_DISK

        if exc.errno not in FULL_DISK:
            return _internal(exc)
        where = f" writing {exc.filename}" if exc.filename else ""
        sys.stderr.write(f"citytwin: error: the disk is full ({exc.strerror}){where}; earlier results are "
                         "unchanged; free some space and run again\n")
        return 1
    except Exception as exc:  # noqa: BLE001 - one line for the planner, the trace on request
        return _internal(exc)


def _internal(exc: Exception) -> int:
    """An error that is citytwin's, not the input's: one line, status 1 (the trace on request)."""
    if os.environ.get("CITYTWIN_DEBUG"):
        raise exc
    sys.stderr.write(f"citytwin: internal error: {type(exc).__name__}: {' '.join(str(exc).split())} "
                     "(set CITYTWIN_DEBUG=1 for details)\n")
    return 1


def entry() -> None:
    """The `citytwin` command: main(), then leave without tearing the interpreter down.

    Everything is written and closed by then; the teardown (freeing a 1:1 province,
    numba's compiled code, the OpenMP threads) would add about half a second to a run.
    A Ctrl-C while leaving changes nothing: the results are complete by then.
    """
    try:
        code = main()
    except KeyboardInterrupt:
        sys.stderr.write(INTERRUPTED + "\n")
        code = 130
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # done: a late Ctrl-C must not disturb the exit
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        if code == 130:
            # Interrupted: leave the ordinary way, so multiprocessing's exit handlers release
            # what the stopped worker pool held (else its resource tracker warns of leaks).
            import multiprocessing.util

            multiprocessing.util._exit_function()  # type: ignore[attr-defined]  # not in the stubs
    except (KeyboardInterrupt, BrokenPipeError):
        pass
    os._exit(code)


if __name__ == "__main__":
    entry()
