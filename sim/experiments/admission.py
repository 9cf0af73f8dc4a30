"""Memory-aware dispatch: tasks of different sizes (a province of 0.4 M adults, one of 10 M)
share a pool of workers without their worlds together exceeding a memory budget.

The pool's feeder thread pulls the next task from `Admission.feed`, which hands out the largest
waiting task that fits beside those running (any task when none is running, so a task larger than
the budget still runs, alone) and blocks otherwise; the caller releases a task's memory when its
result comes back. Only a lazy consumer may pull from it (a process pool's feeder, or `map` in
this thread); one that lists every task first (Dask's `client.map`) would wait for ever, so the
nation does not use it there (`sim.experiments.national`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["Admission"]


class Admission:
    """Hands out tasks so that the memory of those running stays within `budget` bytes."""

    def __init__(self, tasks: list[Any], cost: Callable[[Any], float], budget: float) -> None:
        self.waiting = sorted(tasks, key=cost, reverse=True)
        self.cost = cost
        self.budget = budget
        self.used = 0.0
        self.running = 0
        self.peak = 0.0
        self._cond = threading.Condition()

    def _next(self) -> Any | None:
        room = self.budget - self.used
        for k, task in enumerate(self.waiting):
            if self.running == 0 or self.cost(task) <= room:
                return self.waiting.pop(k)
        return None

    def feed(self) -> Iterator[Any]:
        """The tasks, each as soon as it fits."""
        while True:
            with self._cond:
                if not self.waiting:
                    return
                task = None
                while task is None:
                    task = self._next()
                    if task is None:
                        self._cond.wait()
                self.used += self.cost(task)
                self.running += 1
                self.peak = max(self.peak, self.used)
            yield task

    def release(self, task: Any) -> None:
        """A task's result came back: its memory is free."""
        with self._cond:
            self.used -= self.cost(task)
            self.running -= 1
            self._cond.notify_all()
