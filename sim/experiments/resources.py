"""What a command will cost, said before it starts: agents, memory and time.

A planner who types `--runs 100000` or `--scale 1` on a laptop should hear the
cost before the work, not after hours or an out-of-memory kill. `check_cost`
refuses a world too small to hold one agent per commune (the scale would
otherwise be raised silently), refuses an ensemble whose memory estimate exceeds
what the machine has available, and asks for `--yes` before more than a day of work.

The estimates are linear fits to measurements on the 2-core reference machine
(`benchmarks/run.py`; the issue-9 note has the runs) and err on the high side:

* memory of one run ≈ 350 MB (interpreter, numpy, numba kernels, pandas, mesa)
  + 260 B per citizen agent (measured 170–200 B: attributes, contact network,
  coverage grid, businesses) — Dak Lak at scale 0.1 / 0.3: 308 / 393 MB;
  Hai Phong 1:1 (3.48 M agents): 0.99 GB;
* memory of the results the parent keeps ≈ 150 B per indicator-month (the long
  table) + 1.5 kB per commune-year (the commune table's rows);
* time of one run on one core ≈ 0.6 s + citizen-months / 25 M per s (Dak Lak at
  scale 0.02: 0.9 s; Hai Phong 1:1: 15–19 s single-threaded);
* a scenario with pilots (commune-limited policies) runs every run twice, with and without
  the pilots (`sim.experiments.pilot`): twice the time and twice the results held; the same peak per worker.

Example:
    >>> from sim.inputs.scenario import load_scenario
    >>> cost = estimate(load_scenario("scenarios/dak_lak.toml"), runs=20, workers=2)
    >>> 40_000 < cost.citizens < 60_000 and cost.seconds < 60
    True
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sim.errors import ScenarioError
from sim.schema import Scenario, Sourced

BASE_BYTES = 350e6
CITIZEN_BYTES = 260.0
INDICATOR_MONTH_BYTES = 150.0
COMMUNE_YEAR_BYTES = 1500.0
RUN_OVERHEAD_S = 0.6
CITIZEN_MONTHS_PER_S = 25e6          # one core
DAY_S = 86_400.0


@dataclass(frozen=True)
class Cost:
    citizens: int
    communes: int
    runs: int
    workers: int
    months: int
    bytes: float          # peak memory of all processes together
    seconds: float        # wall clock on `workers` cores
    arms: int = 1         # 2: every run again without the pilots (the counterfactual)

    def describe(self) -> str:
        return (f"{self.runs:,} run{'s' if self.runs != 1 else ''} x {self.citizens:,} citizens x "
                f"{self.months} months on {self.workers} worker{'s' if self.workers != 1 else ''}"
                + (", each with and without the pilot," if self.arms == 2 else ""))


def _low(node: Sourced) -> float:
    """The smallest value a sourced number can take in a run (its range's low end)."""
    return node.range[0] if node.range is not None else node.value


def estimate(spec: Scenario, runs: int, workers: int, scale: float | None = None,
             counterfactual: bool | None = None, held: bool = True) -> Cost:
    """Agents, peak memory and wall time of `runs` runs on `workers` processes; with
    `counterfactual` (default: when the scenario has pilots) every run runs twice; `held=False`
    when the parent keeps only a few numbers per run (a sensitivity design), not its tables."""
    from sim.experiments.pilot import has_pilots
    from sim.geodata import province_units
    from sim.schema import INDICATORS

    scale = spec.ensemble.scale if scale is None else scale
    prov = spec.province
    people = prov.population.value
    citizens = int(round(people * prov.adult_share.value * scale))
    communes = len(province_units(prov.code))
    months = spec.time.months
    years = spec.time.end_year - spec.time.start_year + 1
    workers = max(1, min(workers, runs))
    arms = 2 if (has_pilots(spec) if counterfactual is None else counterfactual) else 1
    world = CITIZEN_BYTES * max(citizens, communes)
    # Both arms' results are held until the pilot's effect is computed; the arms run one after the other.
    results = arms * runs * (months * len(INDICATORS) * INDICATOR_MONTH_BYTES + years * communes * COMMUNE_YEAR_BYTES)
    if not held:
        results = arms * runs * 2000.0  # a design row of ~100 factors, its point and the targets' values
    # The parent holds the results; one worker runs in the parent, more are processes of their own.
    peak = BASE_BYTES + results + (world if workers == 1 else workers * (BASE_BYTES + world))
    seconds = arms * runs / workers * (RUN_OVERHEAD_S + max(citizens, communes) * months / CITIZEN_MONTHS_PER_S)
    return Cost(citizens, communes, runs, workers, months, peak, seconds, arms)


def available_bytes() -> float:
    """Memory the machine can give now (MemAvailable), or its physical memory where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def duration(seconds: float) -> str:
    """
    >>> duration(90), duration(7200), duration(3 * 86400)
    ('2 minutes', '2.0 hours', '3.0 days')
    """
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} minutes"
    if seconds < DAY_S:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / DAY_S:.1f} days"


def check_cost(spec: Scenario, runs: int, workers: int, yes: bool = False,
               available: float | None = None, counterfactual: bool | None = None, held: bool = True,
               size: str = "--runs") -> Cost:
    """The cost of the work, or a one-line ScenarioError if it cannot or should not start
    (`counterfactual` and `held` as in `estimate`; `size` names the option that sets the runs)."""
    cost = estimate(spec, runs, workers, counterfactual=counterfactual, held=held)
    prov, scale = spec.province, spec.ensemble.scale
    # The fewest agents any run can have: the low ends of the drawn assumptions.
    fewest = min(_low(prov.population) * _low(prov.adult_share),
                 _low(prov.population) * _low(prov.businesses_per_1000) / 1000)
    if fewest * scale < cost.communes:
        smallest = cost.communes / fewest
        raise ScenarioError(f"ensemble.scale {scale:g}: too small for {prov.name}'s {cost.communes} communes and "
                            f"wards (at least one citizen and one business agent each); the smallest scale is "
                            f"{smallest:.2g}")
    available = available_bytes() if available is None else available
    if cost.bytes > 0.9 * available:
        raise ScenarioError(f"{cost.describe()} need about {cost.bytes / 1e9:.1f} GB of memory, "
                            f"{available / 1e9:.1f} GB available; lower --scale, {size} or --workers")
    if cost.seconds > DAY_S and not yes:
        raise ScenarioError(f"{cost.describe()} would take about {duration(cost.seconds)}; "
                            f"add --yes to run it anyway, or lower {size} or --scale")
    return cost
