"""Research (the science and technology part of the Resolution 57 budget): funds the
Resolution 57 tasks under way first (`sim.engine.tasks`), if the scenario lists them, from their date
on (before it, the article's state stands); the rest (all of it without a task list) funds
science and technology whose effects (TFP) are not modelled, and counts as spent.
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

    def deliver(self, vnd: float, communes: Communes, year: int) -> float:
        if self.tasks is not None and self.province.month >= self._from:
            self.tasks.month(vnd, self.spec.costs.task_year_vnd.value)
        return vnd  # what the tasks do not need funds other science and technology
