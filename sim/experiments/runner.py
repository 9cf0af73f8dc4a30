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
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from multiprocessing import get_context, resource_tracker
from multiprocessing.pool import Pool
from types import TracebackType
from typing import Any

from sim.lifetime import die_with_parent

EXECUTORS = ("processes", "inline", "dask")
SCHEDULER_ENV = "CITYTWIN_DASK_SCHEDULER"  # a dask scheduler's address, when --scheduler is not given


SCHEDULER_TIMEOUT_S = 5.0  # a scheduler on a provincial network answers in milliseconds


def check_scheduler(address: str, option: str = "--scheduler", timeout: float = SCHEDULER_TIMEOUT_S) -> None:
    """One line unless `address` is a dask scheduler's address (tcp:// or tls://, host and port)
    that accepts a connection within `timeout` seconds: checked before any work, so a typo or a
    scheduler that is down is not found after the scenario, the folder and the cost.

    >>> check_scheduler("10.0.0.5")
    Traceback (most recent call last):
    sim.errors.ScenarioError: --scheduler '10.0.0.5': expected a dask scheduler's address, e.g. tcp://10.0.0.5:8786
    """
    import re
    import socket

    from sim.errors import ScenarioError

    found = re.fullmatch(r"(?:(?:tcp|tls)://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))"
                         r":([0-9]{1,5})/?", address.strip())
    if not found or not 0 < int(found.group(2)) < 65536:
        raise ScenarioError(f"{option} {address!r}: expected a dask scheduler's address, e.g. tcp://10.0.0.5:8786")
    host, port = found.group(1).strip("[]"), int(found.group(2))
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except socket.gaierror:
        raise ScenarioError(f"{option} {address}: no such host ({host})") from None
    except OSError as exc:
        why = f"no answer within {timeout:g} s" if isinstance(exc, TimeoutError) else \
            (exc.strerror or str(exc)).lower()
        raise ScenarioError(f"{option} {address}: no dask scheduler answers there ({why})") from None


def default_workers() -> int:
    """The cores this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


GRACE_S = 2.0         # seconds a stopped worker gets to run its finalizers before SIGKILL


@contextmanager
def interrupts_held(tracker: bool = True) -> Iterator[None]:
    """Hold a Ctrl-C that comes during the block and raise it when the block ends. Used around
    starting helper processes, so a start is never left half done:

    * in this process, a handler that only records the signal (blocking SIGINT in this thread is
      not enough: the kernel hands a process-wide SIGINT to any thread that does not block it,
      numba's or OpenBLAS's, and Python then raises KeyboardInterrupt here all the same);
    * in the children started here, SIGINT is blocked from their first instruction (a thread's
      mask is inherited through fork and exec) until their preload ignores it (`sim.worker_signals`).

    With `tracker`, multiprocessing's resource tracker is started first: starting it *unblocks*
    SIGINT in the calling thread (CPython's resource_tracker.ensure_running ends with SIG_UNBLOCK);
    a plain fork needs none. Outside the main thread (the dashboard's task thread) Python cannot
    set a handler: only the mask is set."""
    if tracker:
        resource_tracker.ensure_running()
    held: list[int] = []
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum)) if main else None
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        if main:
            signal.signal(signal.SIGINT, previous)
    if held:
        if callable(previous):
            previous(signal.SIGINT, None)  # citytwin's handler (or Python's): raises KeyboardInterrupt
        elif previous == signal.SIG_DFL:
            os.kill(os.getpid(), signal.SIGINT)


def stop(pool: Pool, grace: float = GRACE_S) -> None:
    """Stop a pool's workers: SIGTERM (they run their finalizers and leave), then SIGKILL whatever
    still runs after `grace` seconds (a worker inside a numba kernel never runs a Python-level
    handler, and Pool.join would wait for it for ever)."""
    def kill_rest() -> None:
        for p in list(getattr(pool, "_pool", [])):
            if p.pid is not None and p.exitcode is None:
                try:
                    os.kill(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    timer = threading.Timer(grace, kill_rest)
    timer.daemon = True
    timer.start()
    try:
        pool.terminate()
        pool.join()
    finally:
        timer.cancel()


@contextmanager
def worker_pool(workers: int) -> Iterator[Pool]:
    """Local worker processes (forkserver: no copy of this process's threads) that ignore
    Ctrl-C from their start (`sim.worker_signals`) and die with their parent; they are stopped
    (`stop`) if the block ends by an error or an interrupt, a Ctrl-C during their start included."""
    context = get_context("forkserver")
    context.set_forkserver_preload(["sim.worker_signals"])  # before the forkserver starts
    pool: Pool | None = None
    try:
        with interrupts_held():  # a Ctrl-C while the workers start is raised here, once they exist
            pool = context.Pool(workers, initializer=die_with_parent)
        yield pool
    except BaseException:
        if pool is not None:
            stop(pool)
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
                try:
                    with interrupts_held():  # a Ctrl-C while the cluster starts is raised once it exists
                        self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                                     host="127.0.0.1", dashboard_address=None,
                                                     silence_logs=logging.CRITICAL,
                                                     preload=["sim.dask_worker_signals"])
                except BaseException:
                    if self._cluster is not None:
                        self._cluster.close()
                    raise
            try:
                self._client = Client(self.scheduler or self._cluster, timeout=f"{SCHEDULER_TIMEOUT_S * 2:g}s")
            except (OSError, TimeoutError) as exc:  # it answered the check but does not speak dask
                from sim.errors import ScenarioError

                if not self.scheduler:
                    raise
                raise ScenarioError(f"--scheduler {self.scheduler}: something answers there but not a dask "
                                    f"scheduler ({type(exc).__name__} within {SCHEDULER_TIMEOUT_S * 2:g} s)") from None
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
