"""Global sensitivity: which uncertain factors (and, on request, which levers) drive each target.

Every run of an ensemble draws its uncertain factors (ranged sourced numbers, `sim.inputs.uncertainty`,
and the `[priors]`); this module asks which of them move each modelled target's value in its
year, by Morris elementary effects (screening, r (k+1) runs for k factors) or Sobol' indices
(variance shares, N (k+2) runs, first order and total).

* **Factors.** `factors(spec)`: each ranged assumption on its range, each prior on its bounds,
  and with `levers=True` each lever on ±50% of its value clipped to what the schema allows.
* **One factor, one source of variation.** `apply(spec, point)` sets a design point and switches
  `ensemble.uncertainty` off, so nothing else is drawn; every model evaluation of a design uses
  the same stochastic seed and world seed (common random numbers), so differences between
  evaluations come from the factors, not from the simulated people's luck. The indices are
  therefore those of one stochastic history; a factor that changes how many draws a stream makes
  (agent counts, contacts) also reshuffles that luck, which adds some noise to its own effect.
* **Uniform, not triangular.** The design covers each factor's range evenly (Morris on 4 levels,
  Sobol' on a scrambled Sobol' sequence), where an ensemble draws it triangular with its mode at
  the value: the ends weigh more here, so a factor with a threshold near one end of its range
  (officers' throughput and the back office's overload, for one) ranks higher than its share of
  the ensemble's spread.
* **Outputs.** Each modelled target's value in its year (December), as the verdict reads it.

`drivers_from_folder` and `rank_drivers` name the top uncertain drivers of each target for
`citytwin run`: from a sensitivity folder of the same scenario, else by Spearman rank correlation
between the ensemble's own per-run draws and the target's value.

Example:
    >>> from sim.inputs.scenario import load_scenario
    >>> s = load_scenario("scenarios/dak_lak.toml")
    >>> {f.kind for f in factors(s, levers=True)} == {"assumption", "prior", "lever"}
    True
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, get_args

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import ValidationError

from sim.errors import ScenarioError
from sim.experiments.ensemble import RunResult, run_one
from sim.experiments.execution import DEFAULT_EXECUTION, Execution, ExperimentResult
from sim.files import MAX_BYTES, read_json
from sim.inputs.scenario import with_levers
from sim.inputs.targets import Target
from sim.inputs.uncertainty import uncertain_keys
from sim.labels import label
from sim.names import GROWTH_INDICATORS
from sim.parameter_labels import parameter_label
from sim.schema import Scenario, lookup
from sim.schema import levers as lever_keys

METHODS = ("morris", "sobol")
# Morris: 8 trajectories of Dak Lak's 111 factors are 896 runs, about 6.5 minutes on 2 idle cores at
# scale 0.02 (0.88 s a run a core; 11 minutes while another test suite shared them: README "What
# drives the verdict"); enough to screen (10 gave the same top five). Sobol' needs N (k + 2) runs
# and N a power of two.
DEFAULT_SAMPLES = {"morris": 8, "sobol": 64}
INDICES = {"morris": ("mu_star", "mu_star_conf", "sigma", "mu"), "sobol": ("S1", "S1_conf", "ST", "ST_conf")}
MAIN_INDEX = {"morris": ("mu_star", "mu_star_conf"), "sobol": ("ST", "ST_conf")}
UNCERTAIN_KINDS = ("assumption", "prior", "posterior")
LEVER_SPAN = 0.5      # a lever varies over ±50% of its value
MORRIS_LEVELS = 4
TOP_DRIVERS = 3


class Factor(NamedTuple):
    key: str       # dotted key, as --set takes it
    low: float
    high: float
    kind: str      # "assumption" (ranged sourced number), "prior", "posterior" or "lever"


# ----------------------------------------------------------------------------- factors


def _schema_bounds(spec: Scenario, key: str) -> tuple[float, float]:
    """The bounds the schema puts on a lever (a table lever: on each of its shares)."""
    section, name, *_ = key.split(".")
    info = type(getattr(spec, section)).model_fields[name]
    metadata = list(info.metadata)
    args = get_args(info.annotation)
    if args:  # a table: dict[keys, Annotated[float, Field(...)]]
        inner = get_args(args[-1])
        metadata = list(getattr(inner[1], "metadata", [])) if len(inner) > 1 else []
    low, high = -np.inf, np.inf
    for m in metadata:
        if getattr(m, "ge", None) is not None:
            low = float(m.ge)
        if getattr(m, "gt", None) is not None:
            low = float(np.nextafter(m.gt, np.inf))
        if getattr(m, "le", None) is not None:
            high = float(m.le)
        if getattr(m, "lt", None) is not None:
            high = float(np.nextafter(m.lt, -np.inf))
    return low, high


def factors(spec: Scenario, levers: bool = False) -> list[Factor]:
    """Every uncertain factor of the scenario with its bounds: ranged sourced numbers on their
    range ("assumption"), then priors on `PriorSpec.bounds` ("prior"), a calibration's
    parameters on their posterior's 90% interval ("posterior", in place of their prior), then with `levers` each
    lever on ±50% of its value clipped to its schema bounds ("lever").

    A table lever (a budget split that sums to one) is a weight: `apply` divides the table by
    its sum, so raising one key alone rescales the others of its table proportionally and the
    table still sums to one. A factor whose bounds coincide (a lever at 0) is listed but cannot
    vary (`varied` drops it)."""
    data = spec.model_dump()
    calibrated = _posterior_bounds(spec)
    out = [Factor(key, float(node["range"][0]), float(node["range"][1]), "assumption")
           for key, node in uncertain_keys(data) if key not in calibrated]
    for key, prior in spec.priors.items():
        if key not in calibrated:
            low, high = prior.bounds(float(lookup(data, key)))
            out.append(Factor(key, float(low), float(high), "prior"))
    out += [Factor(key, low, high, "posterior") for key, (low, high) in calibrated.items()]
    if levers:
        seen = {f.key for f in out}
        for key in lever_keys(spec):
            value = lookup(data, key)
            if key in seen or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            lo, hi = sorted((value * (1 - LEVER_SPAN), value * (1 + LEVER_SPAN)))
            s_lo, s_hi = _schema_bounds(spec, key)
            out.append(Factor(key, float(max(lo, s_lo)), float(min(hi, s_hi)), "lever"))
    return out


def _posterior_bounds(spec: Scenario) -> dict[str, tuple[float, float]]:
    """A calibrated parameter varies over its posterior's 90% credible interval (its marginal:
    screening varies one factor at a time, so the posterior's correlations are not kept)."""
    if spec.posterior is None:
        return {}
    from sim.posterior import weighted_quantiles

    post = spec.posterior
    bounds = weighted_quantiles(np.array(post.samples, dtype=float), np.array(post.weights) / sum(post.weights),
                                [0.05, 0.95])
    return {key: (float(bounds[0, j]), float(bounds[1, j])) for j, key in enumerate(post.parameters)}


def varied(items: Iterable[Factor]) -> list[Factor]:
    """The factors that can vary (low < high)."""
    return [f for f in items if f.high > f.low]


def apply(spec: Scenario, point: dict[str, float]) -> Scenario:
    """The scenario at a design point (`sim.inputs.scenario.with_levers`: a table lever's keys are
    weights) with `ensemble.uncertainty` off, so nothing but the point varies between evaluations."""
    return with_levers(spec, point, uncertainty=False)


# ----------------------------------------------------------------------------- design and analysis


def problem(items: list[Factor]) -> dict:
    """SALib's problem definition for the factors that vary."""
    return {"num_vars": len(items), "names": [f.key for f in items], "bounds": [[f.low, f.high] for f in items]}


def check_samples(method: str, samples: int) -> None:
    """One line unless the sample count suits the method: Morris needs two trajectories at least
    (the spread sigma of one elementary effect is undefined); Sobol' (Saltelli's scheme on a
    scrambled Sobol' sequence) needs a power of two, else the sequence loses its balance and
    SALib's estimates their convergence."""
    if method == "morris" and not 2 <= samples <= 10_000:
        raise ScenarioError(f"--samples {samples}: Morris takes 2 to 10000 trajectories")
    if method == "sobol" and (not 2 <= samples <= 2**20 or samples & (samples - 1)):
        near = 1 << max(1, min(20, round(math.log2(max(samples, 2)))))
        raise ScenarioError(f"--samples {samples}: Sobol' takes a power of 2 from 2 to {2**20} base samples "
                            f"(e.g. {near})")


def design_size(k: int, method: str, samples: int) -> int:
    """Model evaluations of a design: Morris r (k + 1), Sobol' N (k + 2) (first and total order)."""
    return samples * (k + 1) if method == "morris" else samples * (k + 2)


def design(items: list[Factor], method: str, samples: int, seed: int) -> NDArray[np.float64]:
    """The points to evaluate, one row each (columns in the order of `items`)."""
    prob = problem(items)
    # SALib's generators take a 32-bit seed; the ensemble seed may be larger.
    seed32 = int(seed) % 2**32
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Sobol': "N should be a power of 2" for a small design
        if method == "morris":
            from SALib.sample import morris

            x = morris.sample(prob, samples, num_levels=MORRIS_LEVELS, seed=seed32)
        else:
            from SALib.sample import sobol

            x = sobol.sample(prob, samples, calc_second_order=False, scramble=True, seed=seed32)
    # low + level * (high - low) can overshoot an end by a rounding error, which validation refuses.
    return np.clip(x, [f.low for f in items], [f.high for f in items])


def analyse(items: list[Factor], x: NDArray[np.float64], y: NDArray[np.float64], method: str,
            seed: int = 0) -> pd.DataFrame:
    """Indices of every factor for one output `y` (one value per design row): factor, kind and
    Morris mu_star, mu_star_conf (95% bootstrap half-width), sigma, mu, or Sobol' S1, S1_conf,
    ST, ST_conf; ranked by mu_star or ST. An output no factor moves gets zeros."""
    prob = problem(items)
    y = np.asarray(y, dtype=float)
    cols = INDICES[method]
    if np.ptp(y) == 0:  # constant: every index is 0 (Sobol' would divide by a zero variance)
        res = {c: np.zeros(len(items)) for c in cols}
    else:
        seed32 = int(seed) % 2**32
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if method == "morris":
                from SALib.analyze import morris

                res = morris.analyze(prob, x, y, num_levels=MORRIS_LEVELS, seed=seed32)
            else:
                from SALib.analyze import sobol

                res = sobol.analyze(prob, y, calc_second_order=False, seed=seed32)
    table = pd.DataFrame({"factor": [f.key for f in items], "kind": [f.kind for f in items],
                          **{c: np.asarray(res[c], dtype=float) for c in cols}})
    main = MAIN_INDEX[method][0]
    return table.sort_values(main, ascending=False, kind="stable", ignore_index=True)


# ----------------------------------------------------------------------------- evaluation


def target_values(result: RunResult, wanted: list[tuple[str, int]]) -> NDArray[np.float64]:
    """Each (indicator, year)'s value at the end of that year (its last recorded month)."""
    out = np.empty(len(wanted))
    for i, (indicator, year) in enumerate(wanted):
        rows = np.flatnonzero(result.years == year)
        out[i] = result.values[rows[-1], result.names.index(indicator)]
    return out


def _evaluate(args: tuple) -> tuple[int, NDArray[np.float64]]:
    """One design point in a worker: its index and the targets' values (a few numbers travel
    back, not the run's tables)."""
    i, spec, point, scale, seed, wanted, threads = args
    return i, target_values(run_one(apply(spec, point), 0, scale, seed, threads), wanted)


@dataclass
class Sensitivity(ExperimentResult):
    spec: Scenario
    method: str
    samples: int
    seed: int
    scale: float
    factors: list[Factor]          # the factors that varied, in design column order
    fixed: list[Factor]            # listed but could not vary (low == high)
    targets: list[Target]
    x: NDArray[np.float64]  # (evaluations, factors)
    y: NDArray[np.float64]  # (evaluations, targets)
    table: pd.DataFrame            # target, indicator, year, factor, kind, indices


def run_sensitivity(spec: Scenario, targets: list[Target], method: str = "morris", samples: int | None = None,
                    levers: bool = False, execution: Execution = DEFAULT_EXECUTION) -> Sensitivity:
    """Evaluate the design of every varying factor with `run_one` (the scenario's scale, one fixed
    seed `ensemble.seed`) where `execution` says, and analyse each target's value in its year."""
    if method not in METHODS:
        raise ScenarioError(f"--method {method}: expected one of {', '.join(METHODS)}")
    samples = DEFAULT_SAMPLES[method] if samples is None else samples
    check_samples(method, samples)
    every = factors(spec, levers)
    items = varied(every)
    seed, scale = spec.ensemble.seed, spec.ensemble.scale
    for name in ("low", "high"):  # the design's corners must be scenarios (checked before work)
        try:
            apply(spec, {f.key: f.low if name == "low" else f.high for f in items})
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ScenarioError(f"sensitivity: the {name} ends of the factors are not a valid scenario at "
                                f"{'.'.join(map(str, err['loc']))} ({err['msg']})") from None
    x = design(items, method, samples, seed)
    keys = [f.key for f in items]
    points = (dict(zip(keys, row)) for row in x.tolist())  # made as they are sent
    wanted = [(t.indicator, t.year) for t in targets]
    y = np.empty((len(x), len(targets)))
    t0 = time.perf_counter()
    with execution.runner(spec, len(x)) as runner, execution.bar(f"{spec.name}: {method}", len(x)) as bar:
        jobs = ((i, spec, p, scale, seed, wanted, runner.threads) for i, p in enumerate(points))
        for i, values in runner.imap(_evaluate, jobs):
            y[i] = values
            bar.update(1)
        workers, executor = runner.workers, runner.executor
    wall = time.perf_counter() - t0
    frames = []
    for j, t in enumerate(targets):
        part = analyse(items, x, y[:, j], method, seed)
        part.insert(0, "year", t.year)
        part.insert(0, "indicator", t.indicator)
        part.insert(0, "target", t.id)
        frames.append(part)
    return Sensitivity(spec=spec, method=method, samples=samples, seed=seed, scale=scale, factors=items,
                       fixed=[f for f in every if f.high <= f.low], targets=targets, x=x, y=y,
                       table=pd.concat(frames, ignore_index=True), wall_seconds=wall, workers=workers,
                       executor=executor)


def ranked_text(sens: Sensitivity, n: int = 5) -> str:
    """The top `n` factors per target, for the terminal."""
    main, conf = MAIN_INDEX[sens.method]
    what = ("Morris mu* (mean |elementary effect| over the factor's range, in the indicator's units) ± 95%"
            if sens.method == "morris" else "Sobol' total index ST (share of the variance) ± 95%")
    lines = [what]
    for t, yv in zip(sens.targets, sens.y.T):
        rows = sens.table[sens.table.target == t.id]
        top = rows[rows[main] > 0].head(n)  # a factor that moves nothing is not a driver
        lines.append(f"\n{label(t.indicator)}, {t.year} ({t.id}): {np.min(yv):.3g} to {np.max(yv):.3g} over the design")
        if np.ptp(yv) == 0 or top.empty:
            lines.append("   no factor moves it")
            continue
        names = [f"{parameter_label(f)} ({f})" for f in top.factor]
        width = max(len(n) for n in names)
        for rank, (name, row) in enumerate(zip(names, top.itertuples(index=False)), 1):
            lines.append(f"  {rank}. {name:<{width}}  {row.kind:<10}  "
                         f"{getattr(row, main):.3g} ± {getattr(row, conf):.2g}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- drivers for `citytwin run`


@dataclass
class Drivers:
    by_target: dict[str, list[str]]   # target id -> top uncertain factors
    method: str                       # "Morris" / "Sobol'" / "rank correlation over N runs"
    source: str                       # the folder read, or "" for the ensemble itself

    def describe(self) -> str:
        if self.source:
            return (f"drivers: top {TOP_DRIVERS} uncertain assumptions and priors by {self.method} "
                    f"({self.source}; levers left out)")
        return (f"drivers: up to {TOP_DRIVERS} drawn assumptions and priors by {self.method}, each named only where "
                "its Spearman rho with the target's value is significant (family-wise 5%, Bonferroni over the "
                "assumptions drawn); '-': not enough runs to rank any (citytwin sensitivity ranks them properly)")


    def none_named(self) -> str:
        """What to say when no target has a driver."""
        if self.source:
            return f"drivers: none of the targets has an uncertain driver in {self.source}"
        return (f"drivers: none named, not enough runs to rank ({self.method}: no drawn assumption's correlation "
                "with a target is significant at family-wise 5%; more runs, or citytwin sensitivity, rank them)")


def drivers_from_folder(folder: Path, spec: Scenario, targets: list[Target],
                        explicit: bool = False) -> Drivers | None:
    """The top uncertain drivers per target from an earlier `citytwin sensitivity` of the same
    scenario (levers left out), ranked by mu* (Morris) or ST (Sobol'). None if the folder holds no
    such result; with `explicit` (the folder was named by `--sensitivity`) that is an error."""
    table_path, manifest_path = folder / "sensitivity.csv", folder / "manifest.json"

    def refuse(why: str) -> Drivers | None:
        """No drivers from here: an error if the folder was named, else nothing (None)."""
        if explicit:
            raise ScenarioError(f"--sensitivity {folder}: {why}")
        return None

    try:
        there = table_path.is_file() and manifest_path.is_file()
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte
        return refuse(f"cannot be read ({getattr(exc, 'strerror', None) or exc})")
    if not there:
        return refuse("no sensitivity.csv and manifest.json there (write them with citytwin sensitivity)")
    try:
        meta = read_json(manifest_path)
        if table_path.stat().st_size > MAX_BYTES["CSV"]:
            raise ValueError("sensitivity.csv is too large")
        table = pd.read_csv(table_path)
        method = meta["method"]
        main = MAIN_INDEX[method][0]
        table = table[["target", "year", "factor", "kind", main]]
        # Every cell of the kind it should be (a hand-edited or damaged table is refused, not run into).
        table = table.astype({"target": str, "factor": str, "kind": str})
        table[main] = pd.to_numeric(table[main], errors="raise")
        table["year"] = pd.to_numeric(table["year"], errors="raise")
        if table[["target", "factor", "kind"]].isin(["", "nan"]).any().any() or not np.isfinite(table[main]).all():
            raise ValueError("empty or non-finite cells")
    except (OSError, ValueError, KeyError, TypeError, ScenarioError) as exc:
        return refuse(f"not a readable citytwin sensitivity result ({type(exc).__name__}: "
                      f"{' '.join(str(exc).split())[:120]})")
    if meta.get("scenario") != spec.name:
        return refuse(f"a sensitivity of scenario {meta.get('scenario')!r}, not {spec.name!r}")
    table = table[table.kind.isin(UNCERTAIN_KINDS) & (table[main] > 0)]
    by_target = {}
    for t in targets:
        rows = table[(table.target == t.id) & (table.year == t.year)]
        if t.modelled:
            by_target[t.id] = rows.sort_values(main, ascending=False, kind="stable").factor.head(TOP_DRIVERS).tolist()
    if not any(t.id in set(table.target) for t in targets if t.modelled):
        return refuse("none of the scenario's targets is in it")
    return Drivers(by_target, "Morris" if method == "morris" else "Sobol'", str(folder))


def rank_drivers(targets: list[Target], runs: list[RunResult], alpha: float = 0.05) -> Drivers:
    """The top uncertain drivers per target by |Spearman rank correlation| between each run's
    drawn assumptions and priors (RunResult.parameters) and the target's value in its year: cheap,
    from the ensemble itself, but it sees only monotone effects. Ranked over few runs the order is
    noise (two runs of the same plan at 20 runs named different drivers), so a draw is named only
    where its correlation is significant: the t test of Spearman's rho with n - 2 degrees of
    freedom, Bonferroni-corrected over the draws tested (family-wise error `alpha`). At 60 runs
    and 60 draws that asks |rho| > 0.42; at 20 runs, > 0.69: few targets get any, as is honest."""
    keys = sorted({k for r in runs for k in r.parameters})
    by_target: dict[str, list[str]] = {}
    for t in targets:
        if not t.modelled:
            continue
        by_target[t.id] = []
        if len(runs) < 3 or not keys:
            continue
        x = np.array([[r.parameters.get(k, np.nan) for k in keys] for r in runs])
        y = np.array([target_values(r, [(t.indicator, t.year)])[0] for r in runs])
        if np.ptp(y) == 0:
            continue
        from scipy.stats import rankdata  # here: importing scipy.stats costs a single run half a second

        # Pearson correlation of ranks = Spearman's rho (ties averaged); constant draws give nan.
        rx = rankdata(x, axis=0)
        ry = rankdata(y)
        rx, ry = rx - rx.mean(axis=0), ry - ry.mean()
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = (rx * ry[:, None]).sum(axis=0) / np.sqrt((rx ** 2).sum(axis=0) * (ry ** 2).sum())
        rho = np.nan_to_num(rho)
        if t.indicator not in GROWTH_INDICATORS:  # the economy block feeds nothing else: its draws are noise here
            rho[[k.startswith("economy.") for k in keys]] = 0.0
        significant = _significant(rho, len(runs), alpha)
        order = np.argsort(-np.abs(rho), kind="stable")
        by_target[t.id] = [keys[i] for i in order[:TOP_DRIVERS] if significant[i]]
    return Drivers(by_target, f"rank correlation over {len(runs)} runs", "")


def _significant(rho: NDArray[np.float64], n: int, alpha: float) -> NDArray[np.bool_]:
    """Which rank correlations over n runs differ from 0 at family-wise error `alpha` (Bonferroni
    over the nonzero ones: the draws tested)."""
    from scipy.stats import t as student

    tested = rho != 0
    if not tested.any() or n < 3:
        return np.zeros_like(tested)
    r = np.clip(np.abs(rho), 0.0, 1.0 - 1e-12)
    p = 2.0 * student.sf(r * np.sqrt((n - 2) / (1.0 - r ** 2)), n - 2)
    # Over few runs the t approximation is too bold: no p-value can fall below that of a perfect
    # ranking, one order in n! each way (exact); four runs can name nothing.
    p = np.maximum(p, 2.0 / math.factorial(min(n, 20)))
    return tested & (p < alpha / tested.sum())
