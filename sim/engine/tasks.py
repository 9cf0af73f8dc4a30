"""Resolution 57 tasks the central government assigned to a province, as a pipeline.

Seed 002: Da Nang was assigned 75 tasks; 32 were done (42.7%) and 43 under way. Each task
under way needs a further duration (log-normal around `duration_months`, drawn once per
run) of fully funded work; it is funded first from the science-and-technology part of the
Resolution 57 budget at `task_year_vnd` a year, and a month with less money than the
tasks need advances every task by the funded fraction of a month. Steps on the
institutional calendar (monthly).

Checked against: the analogue of government-assigned tasks (2017: 88% of completed tasks on
time under monitoring, Report 1270/BC-TCTTTg; research notes); VALIDATION.md, "Resolution 57 tasks".
"""

from __future__ import annotations

import numpy as np

from sim.schema import TasksSpec


class TaskPipeline:
    def __init__(self, spec: TasksSpec, rng: np.random.Generator) -> None:
        self.spec = spec
        self.assigned = spec.assigned
        under_way = spec.assigned - spec.done
        median = spec.duration_months.value
        self.remaining = median * np.exp(spec.duration_spread * rng.standard_normal(under_way))
        self.done = spec.done

    @property
    def under_way(self) -> int:
        return int((self.remaining > 0).sum())

    def need_vnd(self, task_year_vnd: float) -> float:
        """Money the tasks under way need this month."""
        return self.under_way * task_year_vnd / 12.0

    def month(self, funded_vnd: float, task_year_vnd: float) -> float:
        """Advance the tasks with this month's money; returns the money absorbed."""
        need = self.need_vnd(task_year_vnd)
        if need <= 0:
            return 0.0
        used = min(funded_vnd, need)
        active = self.remaining > 0
        self.remaining[active] -= used / need
        self.done = self.assigned - self.under_way
        return used
