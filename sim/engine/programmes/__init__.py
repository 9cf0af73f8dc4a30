"""What Resolution 57 money buys: one component per programme, each turning money into
physical change within what the province can absorb in a year (`sim.engine.programmes.base`).

| programme      | budget part | buys                                                               |
|----------------|-------------|--------------------------------------------------------------------|
| infrastructure | DX          | co-funded 4G sites where people are uncovered, 5G sites, fibre     |
| services       | DX          | integration and data (fewer returned dossiers); assisted filing by |
|                |             | community digital teams; a year of back-office officers            |
| skills         | DX          | trainees of community digital teams (older and rural first)        |
| incentives     | DX          | merchant onboarding; fee discounts on online dossiers              |
| awareness      | DX          | campaign months that raise the innovation coefficient p            |
| enterprise     | innovation  | firms supported to move up a digital level (not certain)           |
| research       | S&T         | Resolution 57 tasks under way first (`sim.engine.tasks`), where listed    |

Each is a module of this package, registered by its schema `Programme` name; adding one is a
module plus its schema entry (ARCHITECTURE.md, "A programme").
"""

# The built-in programmes register themselves as they are imported.
from sim.engine.programmes import awareness, enterprise, incentives, infrastructure, research, services, skills  # noqa: F401
from sim.engine.programmes.base import Inputs, Programme, Province, stochastic_round
from sim.engine.programmes.registry import REGISTRY, Programmes, register

__all__ = ["REGISTRY", "Inputs", "Programme", "Programmes", "Province", "register", "stochastic_round"]
