"""Drawing a run's figures in two processes (both cores of a 2-core machine).

Example:
    >>> from functools import partial
    >>> jobs = [partial(figure, "fan_chart", verdict, result, path, "dak_lak")]  # doctest: +SKIP
    >>> draw(jobs)                                                            # doctest: +SKIP
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from multiprocessing.sharedctypes import Synchronized

from sim.errors import FULL_DISK
from sim.experiments.runner import default_workers, interrupts_held


def figure(name: str, *args: object) -> None:
    """Draw `sim.outputs.plots.<name>(*args)`, importing matplotlib on first use."""
    from sim.outputs import plots
    getattr(plots, name)(*args)


def draw(jobs: Sequence[Callable[[], None]]) -> None:
    """Draw figures in two processes: a forked child and this process each take the next job
    not yet taken until none is left (matplotlib is single-threaded; drawing is a third of a
    1:1 run's time outside the months), so put the longest jobs first. Jobs made with `figure`
    import matplotlib only when they run, so the two processes also import it side by side.

    Falls back to drawing everything here on one core, or where fork is not the safe default
    (only Linux). Raises if the child fails, so the caller's output folder is not kept.
    """
    # Below four figures a second process costs about what it saves.
    if default_workers() < 2 or len(jobs) < 4 or not sys.platform.startswith("linux"):
        for job in jobs:
            job()
        return
    fork = multiprocessing.get_context("fork")
    taken = fork.Value("i", 0)  # the next job to take, shared by both processes
    child = fork.Process(target=_draw_in_child, args=(jobs, taken), daemon=True)
    with warnings.catch_warnings(), interrupts_held(tracker=False):
        # Python warns that forking a multi-threaded process may deadlock: the other threads here
        # are numba's idle workers (and tqdm's monitor), which hold no lock the child needs.
        # The child never sees Ctrl-C (blocked for life); this process stops it instead.
        warnings.simplefilter("ignore", DeprecationWarning)
        child.start()
    try:
        _take(jobs, taken)
    except BaseException:
        child.terminate()
        child.join()
        raise
    child.join()
    if child.exitcode in FULL_DISK:
        raise OSError(child.exitcode, os.strerror(child.exitcode))
    if child.exitcode != 0:
        raise RuntimeError(f"drawing figures failed in a child process (exit code {child.exitcode})")


def _take(jobs: Sequence[Callable[[], None]], taken: Synchronized) -> None:
    """Run the next job no process has taken, until none is left."""
    while True:
        with taken.get_lock():
            k = taken.value
            taken.value = k + 1
        if k >= len(jobs):
            return
        jobs[k]()


def _draw_in_child(jobs: Sequence[Callable[[], None]], taken: Synchronized) -> None:
    try:
        _take(jobs, taken)
    except OSError as exc:  # a full disk: the parent raises the same error (its exit status is the errno)
        sys.exit(exc.errno if exc.errno in FULL_DISK else 1)
    except Exception as exc:  # one line for the user; the parent raises
        print(f"citytwin: figure failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
