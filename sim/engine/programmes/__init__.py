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

from sim.engine.programmes import awareness, enterprise, incentives, infrastructure, research, services, skills
from sim.engine.programmes.base import Inputs, Programme, Province, stochastic_round
from sim.engine.programmes.registry import REGISTRY, Programmes, register

# The built-in programmes, registered in the schema's order by importing them (above).
BUILT_IN = (infrastructure.Infrastructure, services.Services, skills.Skills, incentives.Incentives,
            awareness.Awareness, enterprise.Enterprise, research.Research)

__all__ = ["BUILT_IN", "REGISTRY", "Inputs", "Programme", "Programmes", "Province", "register", "stochastic_round"]
