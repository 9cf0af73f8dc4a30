"""The network Bass rule written the plain-Mesa way: one `mesa.Agent` per citizen, a contact list each.

It is the reference the vectorised engine is checked against (tests/test_validation.py)
and the baseline it is timed against (benchmarks/). `MesaBassOnNetwork` is the same
model the way Mesa's own examples write it (virus_on_network: a `mesa.discrete_space.Network`
of cells, one `CellAgent` per cell, contacts read through `cell.neighborhood.agents`);
it draws the same random numbers in the same order, so it gives the same result. The rule is the engine's with
every gate open, attractiveness 1 and no lapse: each month a non-adopter adopts
with probability 1 - exp(-(p + q * s) * dt), s being the share of its contacts who
had adopted at the start of the month (synchronous update, as in the engine).

Example:
    >>> import numpy as np
    >>> ring = np.arange(6)
    >>> twin = MesaBass(np.arange(0, 13, 2), np.c_[(ring - 1) % 6, (ring + 1) % 6].ravel(), p=0.5, q=0.5, seed=1)
    >>> shares = twin.run(24)
    >>> len(shares), 0.0 < shares[-1] <= 1.0
    (24, True)
"""

from __future__ import annotations

import math

import mesa
import networkx as nx
import numpy as np
from mesa.discrete_space import CellAgent, Network


class Citizen(mesa.Agent):
    """One person: adopted or not, and the people they talk to."""

    def __init__(self, model: MesaBass) -> None:
        super().__init__(model)
        self.adopted = False
        self.contacts: list[Citizen] = []
        self._adopts_now = False

    def decide(self) -> None:
        """Look at contacts as they were at the start of the month."""
        if self.adopted:
            return
        m = self.model
        s = sum(c.adopted for c in self.contacts) / len(self.contacts) if self.contacts else 0.0
        self._adopts_now = m.random.random() < 1.0 - math.exp(-(m.p + m.q * s) * m.dt)

    def commit(self) -> None:
        if self._adopts_now:
            self.adopted = True
            self._adopts_now = False


class MesaBass(mesa.Model):
    """Plain Mesa: the contact network is given in CSR form (`indptr`, `indices`)."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, p: float, q: float, seed: int,
                 dt: float = 1.0 / 12.0) -> None:
        super().__init__(rng=seed)
        self.p, self.q, self.dt = p, q, dt
        people = [Citizen(self) for _ in range(len(indptr) - 1)]
        for i, person in enumerate(people):
            person.contacts = [people[j] for j in indices[indptr[i]:indptr[i + 1]]]
        self.people = people

    def step(self) -> None:
        self.agents.do("decide")
        self.agents.do("commit")

    def share(self) -> float:
        return sum(p.adopted for p in self.people) / len(self.people)

    def run(self, months: int) -> list[float]:
        """Adoption share at the end of each month."""
        out = []
        for _ in range(months):
            self.step()
            out.append(self.share())
        return out


class CellCitizen(CellAgent):
    """One person on a cell of the network space; contacts are the agents of neighbouring cells."""

    def __init__(self, model: MesaBassOnNetwork, cell) -> None:
        super().__init__(model)
        self.cell = cell
        self.adopted = False
        self._adopts_now = False

    def decide(self) -> None:
        if self.adopted:
            return
        m = self.model
        contacts = list(self.cell.neighborhood.agents)
        s = sum(c.adopted for c in contacts) / len(contacts) if contacts else 0.0
        self._adopts_now = m.random.random() < 1.0 - math.exp(-(m.p + m.q * s) * m.dt)

    def commit(self) -> None:
        if self._adopts_now:
            self.adopted = True
            self._adopts_now = False


class MesaBassOnNetwork(MesaBass):
    """`MesaBass` on Mesa's network space, as in Mesa's virus_on_network example (no layout:
    the space is topological, and a spring layout of 50,000 nodes would take hours)."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, p: float, q: float, seed: int,
                 dt: float = 1.0 / 12.0) -> None:
        mesa.Model.__init__(self, rng=seed)
        self.p, self.q, self.dt = p, q, dt
        n = len(indptr) - 1
        graph = nx.Graph()
        graph.add_nodes_from(range(n))
        rows = np.repeat(np.arange(n), np.diff(indptr))
        graph.add_edges_from(zip(rows.tolist(), np.asarray(indices).tolist()))
        self.grid = Network(graph, capacity=1, random=self.random, layout=None)
        self.people = [CellCitizen(self, self.grid[i]) for i in range(n)]
