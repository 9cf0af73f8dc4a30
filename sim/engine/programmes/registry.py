"""The programmes by name: `register` a `Programme` class, `Programmes` runs one of each."""

from __future__ import annotations

from sim.engine.programmes.base import Communes, Inputs, Programme

# Every registered programme, by its name. The order does not matter: each programme draws from its
# own stream, and the pools' money returns in name order (`Programmes.end_year`).
REGISTRY: dict[str, type[Programme]] = {}


def register[P: type[Programme]](cls: P) -> P:
    """Class decorator: make `cls` the programme of its `name` (a later one replaces it)."""
    REGISTRY[cls.name] = cls
    return cls


class Programmes:
    """One of every registered programme, over the same inputs; the government pays them by name."""

    def __init__(self, inputs: Inputs) -> None:
        self.delivered = inputs.delivered  # every programme's outputs, counted (real, cumulative)
        self.by_name: dict[str, Programme] = {name: cls(inputs) for name, cls in REGISTRY.items()}

    def __getitem__(self, name: str) -> Programme:
        return self.by_name[name]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.by_name)

    def deliver(self, programme: str, vnd: float, communes: Communes, year: int) -> float:
        """Spend `vnd` on `programme` in `communes`; returns the VND absorbed (the rest returns)."""
        return self.by_name[programme].deliver(vnd, communes, year)

    def lead_days(self, programme: str) -> float:
        return self.by_name[programme].lead_days

    def end_month(self) -> None:
        for p in self.by_name.values():
            p.end_month()

    def end_year(self) -> dict[str, float]:
        """The money left in every programme's pools at the end of a year, by programme (in name
        order), the pools emptied: it returns to the budget."""
        left = {name: self.by_name[name].end_year() for name in sorted(self.by_name)}
        return {name: vnd for name, vnd in left.items() if vnd is not None}
