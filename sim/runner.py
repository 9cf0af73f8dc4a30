"""Where runs execute: in this process, on local worker processes, or on a dask cluster.

A `Runner` stays open across batches, so a goal seek's rounds or a sweep's points reuse the
same workers instead of starting them again. Jobs are plain tuples for a top-level function;
each carries its own seed, so results do not depend on which worker ran them or in which
order (`imap` yields them as they finish; callers put them in order).

Workers receive the validated scenario (a few kB) and build their own world; only results
travel back.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from multiprocessing import get_context
from multiprocessing.pool import Pool
from types import TracebackType
from typing import Any

EXECUTORS = ("processes", "inline", "dask")
SCHEDULER_ENV = "CITYTWIN_DASK_SCHEDULER"  # a dask scheduler's address, when --scheduler is not given


def default_workers() -> int:
    """The cores this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


@contextmanager
def sigint_blocked() -> Iterator[None]:
    """Block Ctrl-C (SIGINT) in this thread for the block; a Ctrl-C during it is delivered when
    it ends. Used around starting helper processes: the start is never left half done, and a
    child *forked* inside keeps the signal blocked for life (children started through the
    forkserver get their handlers from `sim.worker_signals`)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextmanager
def sigint_ignored() -> Iterator[None]:
    """Ignore Ctrl-C for the block. Programs started inside (fork and exec) inherit the ignored
    signal and Python then never turns it into a KeyboardInterrupt there, from their first
    instruction. The price: a Ctrl-C during the block itself is dropped (so keep it short)."""
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


@contextmanager
def worker_pool(workers: int) -> Iterator[Pool]:
    """Local worker processes (forkserver: no copy of this process's threads) that ignore
    Ctrl-C from their start (`sim.worker_signals`); they are terminated if the block ends
    by an error or an interrupt."""
    context = get_context("forkserver")
    context.set_forkserver_preload(["sim.worker_signals"])  # before the forkserver starts
    with sigint_blocked():  # a Ctrl-C while the workers start is handled once they run
        pool = context.Pool(workers)
    try:
        yield pool
    except BaseException:
        pool.terminate()
        pool.join()
        raise
    pool.close()
    pool.join()


class Runner:
    """An open executor: `inline` (this process, every core to numba), `processes` (local
    workers, one numba thread each) or `dask` (the cluster at `scheduler`, else at
    $CITYTWIN_DASK_SCHEDULER, else a local cluster bound to 127.0.0.1).

    >>> with Runner("inline") as runner:
    ...     sorted(runner.imap(abs, [-2, 1]))
    [1, 2]
    """

    def __init__(self, executor: str = "processes", workers: int = 1, scheduler: str | None = None) -> None:
        if executor not in EXECUTORS:
            raise ValueError(f"executor must be one of {EXECUTORS}")
        self.workers = max(1, workers)
        # One worker on this machine gains nothing from a second process.
        self.executor = "inline" if executor == "processes" and self.workers == 1 else executor
        self.scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
        self._pool: Pool | None = None
        self._client: Any = None
        self._cluster: Any = None
        self._stack: list[Any] = []

    @property
    def threads(self) -> int | None:
        """numba threads per run: all of them inline, one in a worker (the workers are the parallelism)."""
        return None if self.executor == "inline" else 1

    def __enter__(self) -> Runner:
        if self.executor == "processes":
            self._stack.append(worker_pool(self.workers))
            self._pool = self._stack[-1].__enter__()
        elif self.executor == "dask":
            from dask.distributed import Client, LocalCluster

            if not self.scheduler:
                # Bound to this machine only; no dashboard. Its workers ignore Ctrl-C (this process
                # closes the cluster): inherited while they start, set again by a preload in any
                # restarted one. Their logs are silenced below CRITICAL: a worker whose heartbeat
                # meets the closing scheduler logs an ERROR; a run's own error reaches the caller.
                with sigint_ignored():
                    self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                                 host="127.0.0.1", dashboard_address=None,
                                                 silence_logs=logging.CRITICAL, preload=["sim.dask_worker_signals"])
            self._client = Client(self.scheduler or self._cluster)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            if self._client is not None:
                self._client.close()
            if self._cluster is not None:
                self._cluster.close()
        finally:
            while self._stack:
                self._stack.pop().__exit__(kind, error, trace)

    def imap(self, fn: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Any]:
        """fn(job) for every job, yielded as each finishes."""
        if self.executor == "inline":
            yield from map(fn, jobs)
        elif self.executor == "processes":
            assert self._pool is not None, "use the Runner in a with block"
            yield from self._pool.imap_unordered(fn, jobs)
        else:
            from dask.distributed import as_completed

            assert self._client is not None, "use the Runner in a with block"
            futures = self._client.map(fn, list(jobs), pure=False)
            for future in as_completed(futures):
                yield future.result()
