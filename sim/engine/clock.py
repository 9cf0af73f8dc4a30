"""The simulation's calendar: month indices and simpy days from the scenario's start month.

The institutions' processes run on days (lead times are days); the month loop counts months.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Generator

from simpy.events import Event

from sim.schema import year_month

Process = Generator[Event, object, None]  # a simpy process: what the calendar's routines are


class Calendar:
    """Month index <-> simpy day, from the scenario's start month."""

    def __init__(self, start: str, months: int) -> None:
        y, m = year_month(start)
        self.origin = dt.date(y, m, 1)
        self.months = months
        self._month_start = [self._date(i) for i in range(months + 1)]
        self._days = [float((d - self.origin).days) for d in self._month_start]

    def _date(self, i: int) -> dt.date:
        y, m = divmod(self.origin.month - 1 + i, 12)
        return dt.date(self.origin.year + y, m + 1, 1)

    def day(self, month: int) -> float:
        """simpy time (days) at the start of month index `month`."""
        return float((self._month_start[month] - self.origin).days)

    def year_month(self, month: int) -> tuple[int, int]:
        d = self._month_start[month]
        return d.year, d.month

    def index(self, ym: str) -> int:
        y, m = year_month(ym)
        return (y - self.origin.year) * 12 + (m - self.origin.month)

    def month_at(self, day: float) -> int:
        """The month index whose days contain simpy day `day` (the last month after the end)."""
        return min(bisect.bisect_right(self._days, day) - 1, self.months - 1)

    def days_in(self, month: int) -> float:
        return self.day(month + 1) - self.day(month)
