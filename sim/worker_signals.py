"""Imported only by the forkserver, before it forks any worker (see `runner.worker_pool`).

The forkserver gives each worker the signal handlers it had after importing its
preload modules, so these lines hold in every worker from its first instruction:

* Ctrl-C is ignored: a Ctrl-C to the whole process group reaches only the parent,
  which stops the workers (no worker tracebacks, nothing left running);
* the parent's stop (SIGTERM) runs multiprocessing's finalizers, so what the worker
  registered with the resource tracker (a lock a library made) is released instead of
  reported as leaked, then leaves at once: an ordinary interpreter exit can hang in the
  OpenMP runtime's teardown.
"""

import os
import signal


def _stop(signum: int, frame: object) -> None:
    from multiprocessing import util

    util._run_finalizers()  # type: ignore[attr-defined]  # multiprocessing's own exit hook, not in its stubs
    os._exit(128 + signum)


signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, _stop)
