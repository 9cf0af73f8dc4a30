"""A dask worker preload (see `ensemble.run_ensemble`'s local cluster): Ctrl-C is ignored in
the worker processes of citytwin's own local cluster, so a Ctrl-C to the whole process
group reaches only citytwin, which closes the cluster (no worker tracebacks). Workers started
with the cluster start with it blocked (`runner.interrupts_held`); this covers them and any the
nanny restarts later."""

import signal

from sim.lifetime import die_with_parent


def dask_setup(worker: object) -> None:
    """Called by dask in each worker process as it starts: Ctrl-C ignored, and the worker dies
    with the process that started it (a worker stuck in a numba kernel runs no handler, so
    nothing else would end it if citytwin were killed)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
