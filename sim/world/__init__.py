"""The world a run starts from: geography, populations, contacts, infrastructure.

`build_world(scenario, seed)` returns a typed `World` (`sim.world.world`); its parts are built
by one module each: `geography` (units and polygons), `settlement` (where people live),
`population` (citizens and businesses as arrays), `network` (who knows whom),
`infrastructure` (sites and coverage), `economy` (the digital-economy accounts), `sampling`
(a few agents out of millions), `adjacency` (which communes touch).
"""

from sim.world.world import World, build_world

__all__ = ["World", "build_world"]
