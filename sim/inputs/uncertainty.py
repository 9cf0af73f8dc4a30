"""Parameter uncertainty: every assumption with a range, every prior and a calibration's
posterior are drawn afresh for each run.

A run's draws depend only on its seed and the parameter's key, so run r of two
scenarios shares the same assumptions (paired comparisons), and adding a
parameter does not change the draws of the others. The distribution is
triangular on [low, high] with its mode at the scenario's value. A calibrated scenario's
`[posterior]` gives weighted joint draws of its parameters: a run takes one row by weight
(keeping their correlation), in place of those parameters' priors or ranges.

Example:
    >>> from sim.inputs.scenario import load_scenario
    >>> s = load_scenario("scenarios/dak_lak.toml")
    >>> draw_assumptions(s, seed=1)[1]["baseline.digital_skill"]  # doctest: +SKIP
    0.437
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.schema import Scenario, lookup, set_number
from sim.streams import stream


def uncertain_keys(data: dict[str, Any], prefix: str = "") -> list[tuple[str, dict]]:
    """Dotted keys of every sourced value that carries a range, with the node itself."""
    out = []
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            if {"value", "source", "range"} <= set(value) and value["range"] is not None:
                out.append((dotted, value))
            else:
                out.extend(uncertain_keys(value, dotted + "."))
    return out


def draw_assumptions(spec: Scenario, seed: int) -> tuple[Scenario, dict[str, float]]:
    """A copy of the scenario with every ranged value and every prior drawn for this run, and
    the draws (whole numbers, such as lead days, are rounded)."""
    data = spec.model_dump()
    draws: dict[str, float] = {}
    calibrated = set(spec.posterior.parameters) if spec.posterior else set()
    for key, node in uncertain_keys(data):
        low, high = node["range"]
        if high > low and key not in calibrated:
            node["value"] = draws[key] = _triangular(seed, key, low, node["value"], high)
    if spec.posterior:
        row = spec.posterior.samples[_posterior_row(seed, spec.posterior.weights)]
        for key, value in zip(spec.posterior.parameters, row):
            set_number(data, key, value)
            draws[key] = float(value)
    for key, prior in spec.priors.items():
        if key in calibrated:
            continue
        value = lookup(data, key)
        low, high = prior.bounds(float(value))
        if high > low:
            drawn = _triangular(seed, key, low, float(value), high)
            drawn = round(drawn) if isinstance(value, int) else drawn
            set_number(data, key, drawn)
            draws[key] = float(drawn)
    return Scenario.model_validate(data, context={"drawn": True}), draws


def _posterior_row(seed: int, weights: list[float]) -> int:
    """One run's row of the posterior, drawn by weight from the run's own stream (so run r
    of every policy variant draws the same row)."""
    w = np.asarray(weights, dtype=float)
    if not np.isfinite(w.sum()):  # weights near the float limit overflow their sum: relative ones say the same
        w = w / w.max()
    return int(stream(seed, "posterior").choice(len(w), p=w / w.sum()))


def _triangular(seed: int, key: str, low: float, mode: float, high: float) -> float:
    """One run's draw of one parameter: its stream depends only on the run's seed and the key."""
    rng = stream(seed, key)
    return float(rng.triangular(low, mode, high))
