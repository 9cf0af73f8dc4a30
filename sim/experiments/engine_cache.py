"""Whether the engine is compiled for this machine, and what a planner is told when it is not.

The numba kernels are compiled on their first call and cached beside their source
(`cache=True`). On a fresh checkout the first runs of an ensemble carry the compile: without a
word the bar sat at 0/60 for a minute and a half, then its estimate of the rest, taken from that
first run, was an hour too long. `run_ensemble` says so before the runs start and starts the bar
once a run has finished, so its estimate counts only runs of a compiled engine. `sim.experiments.prepare`
(`citytwin prepare`, the README's install line) compiles the engine before any run: the first
run after it took 1.31x the next, against 2.7x without it (benchmarks/first_run.py).

Compiling once in the parent before the workers start was measured and is slower here: on two
cores the workers compile side by side (77.8 s for the first `citytwin run scenarios/dak_lak.toml`)
while a parent compiles on one core and the workers then load its cache (89.0 s;
benchmarks/first_run.py)."""

from __future__ import annotations

import os

# What a compile costs on two cores: the first `citytwin run scenarios/dak_lak.toml` on an empty cache
# took 44 s longer than the next (benchmarks/first_run.py, a quiet machine); about 100 s on a busy one
# (issue 29). assumption: range 30-120 s on other machines.
COMPILE_SECONDS = (45, 100)


# The kernels every run calls from Python, a month's and the world's: when their caches exist,
# the engine has been compiled here (kernels inlined into them have no cache of their own).
ENTRY_KERNELS = (("sim.engine.behaviour", "citizens_month"), ("sim.engine.behaviour", "businesses_month"),
                 ("sim.world.population", "_person_draws"))


def cache_indexes() -> list[str]:
    """The numba cache index file of each entry kernel on this machine (present or not)."""
    import importlib

    return [getattr(importlib.import_module(module), name)._cache._cache_file._index_path
            for module, name in ENTRY_KERNELS]


def compiled() -> bool:
    """Whether the engine's kernels have a cache on this machine; a cache numba finds stale (the
    source changed) still recompiles, without the notice."""
    try:
        return all(os.path.exists(p) for p in cache_indexes())
    except AttributeError:  # numba's internals changed: nothing to say, nothing to prepare
        return True


def notice(name: str) -> str:
    """What a planner reads before the first runs on a new checkout."""
    low, high = COMPILE_SECONDS
    return (f"{name}: preparing the engine: compiling it for this machine, on the first run of a new checkout only "
            f"(about {low} s, up to {high} s on a busy machine); the progress bar starts once a run has finished")

