"""A dask worker preload (see `ensemble.run_ensemble`'s local cluster): Ctrl-C is ignored in
the worker processes of citytwin's own local cluster, so a Ctrl-C to the whole process
group reaches only citytwin, which closes the cluster (no worker tracebacks). Workers started
with the cluster inherit the ignored signal anyway; this covers any the nanny restarts later."""

import signal


def dask_setup(worker: object) -> None:
    """Called by dask in each worker process as it starts."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
