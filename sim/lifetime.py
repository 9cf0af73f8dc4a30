"""A helper process's lifetime: it dies with the process that started it.

Local workers and citytwin's own dask workers call `die_with_parent()` first thing, so no worker
outlives the command, however the command ends (a worker stuck in a numba kernel runs no
Python-level handler, and a `kill -9` of citytwin runs none at all). Linux only (prctl); elsewhere
the parent's stop (`sim.experiments.runner.stop`) still ends them.
"""

import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> None:
    """Ask the kernel for SIGKILL when this process's parent (thread) ends."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)
