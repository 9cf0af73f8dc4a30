"""Research (the science and technology part of the Resolution 57 budget): funds the
Resolution 57 tasks under way first (`sim.engine.tasks`), if the scenario lists them, from their date
on (before it, the article's state stands); the rest (all of it without a task list) funds
science and technology whose effects (TFP) are not modelled: it counts as spent towards the
3% floor, and is reported beside it as spent with no modelled effect (`unmodelled_vnd`,
the indicator `dx_spent_unmodelled_vnd`).
"""

from __future__ import annotations

from sim.engine.programmes.base import Communes, Inputs, Programme
from sim.engine.programmes.registry import register
from sim.engine.tasks import TaskPipeline
from sim.streams import stream


@register
class Research(Programme):
    name = "research"

    def __init__(self, inputs: Inputs) -> None:
        super().__init__(inputs)
        spec = inputs.spec.tasks
        self.tasks = None if spec is None else TaskPipeline(spec, stream(inputs.world.seed, "tasks"))
        self._from = 0 if spec is None else inputs.calendar.index(spec.as_of)  # the month they are funded from
        self.unmodelled_vnd = 0.0  # absorbed, with no effect the model represents (cumulative)

    def deliver(self, vnd: float, communes: Communes, year: int) -> float:
        used = 0.0
        if self.tasks is not None and self.province.month >= self._from:
            used = self.tasks.month(vnd, self.spec.costs.task_year_vnd.value)
        self.unmodelled_vnd += vnd - used
        return vnd  # what the tasks do not need funds other science and technology
