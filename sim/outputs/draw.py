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

from sim.errors import FULL_DISK
from sim.experiments.runner import default_workers, interrupts_held


def figure(name: str, *args: object) -> None:
    """Draw `sim.outputs.plots.<name>(*args)`, importing matplotlib on first use."""
    from sim.outputs import plots
    getattr(plots, name)(*args)


def draw(jobs: Sequence[Callable[[], None]]) -> None:
    """Draw figures in two processes: a forked child draws every other one while this process
    draws the rest (matplotlib is single-threaded; drawing is a third of a 1:1 run's time
    outside the months). Jobs made with `figure` import matplotlib only when they run, so
    the two processes also import it side by side.

    Falls back to drawing everything here on one core, or where fork is not the safe default
    (only Linux). Raises if the child fails, so the caller's output folder is not kept.
    """
    # Below four figures a second process costs about what it saves.
    if default_workers() < 2 or len(jobs) < 4 or not sys.platform.startswith("linux"):
        for job in jobs:
            job()
        return
    child = multiprocessing.get_context("fork").Process(target=_draw_in_child, args=(jobs[1::2],), daemon=True)
    with warnings.catch_warnings(), interrupts_held(tracker=False):
        # Python warns that forking a multi-threaded process may deadlock: the other threads here
        # are numba's idle workers (and tqdm's monitor), which hold no lock the child needs.
        # The child never sees Ctrl-C (blocked for life); this process stops it instead.
        warnings.simplefilter("ignore", DeprecationWarning)
        child.start()
    try:
        for job in jobs[::2]:
            job()
    except BaseException:
        child.terminate()
        child.join()
        raise
    child.join()
    if child.exitcode in FULL_DISK:
        raise OSError(child.exitcode, os.strerror(child.exitcode))
    if child.exitcode != 0:
        raise RuntimeError(f"drawing figures failed in a child process (exit code {child.exitcode})")


def _draw_in_child(jobs: list[Callable[[], None]]) -> None:
    try:
        for job in jobs:
            job()
    except OSError as exc:  # a full disk: the parent raises the same error (its exit status is the errno)
        sys.exit(exc.errno if exc.errno in FULL_DISK else 1)
    except Exception as exc:  # one line for the user; the parent raises
        print(f"citytwin: figure failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
