"""Every number that decides behaviour lives in the scenario schema (with a source or an
`assumption:` and a range or prior), where sensitivity analysis and scenario discovery can vary
it. In the engine's modules (the model layer, `sim/engine/`) and the world's (`sim/world/`: who the
people and firms are at the start, where they live) a numeric literal is 0 or 1, a unit conversion,
or marked `# structural` on its line or in a comment line just above (an index, a column count, a
hash constant, a display cap, the geometry of a made-up map): anything else is a behavioural number
hiding in code."""

from __future__ import annotations

import ast
import tokenize
from io import StringIO
from pathlib import Path

from test_layers import SIM, modules_of

# Unit conversions: months a year, days a year and a week, per million and per 10,000 people.
UNITS = {12, 365, 7, 1e6, 1e4}
ALLOWED = {0, 1, -1} | UNITS


def _path(module: str) -> Path:
    path = SIM.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def stray_numbers(source: str) -> list[tuple[int, float]]:
    """(line, value) of each numeric literal that is neither allowed nor on a line whose
    comment says `structural`."""
    marked = set()
    for tok in tokenize.generate_tokens(StringIO(source).readline):
        if tok.type == tokenize.COMMENT and "structural" in tok.string:
            marked.add(tok.start[0])
            if tok.line.lstrip().startswith("#"):  # a comment line marks the line below it
                marked.add(tok.start[0] + 1)
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            if node.value not in ALLOWED and node.lineno not in marked:
                out.append((node.lineno, node.value))
    return sorted(out)


def test_the_model_and_world_layers_hold_no_behavioural_number() -> None:
    modules = modules_of("engine") + modules_of("world")
    assert any(m.startswith("world.") for m in modules)
    found = {m: stray_numbers(_path(m).read_text(encoding="utf-8")) for m in modules}
    assert {m: v for m, v in found.items() if v} == {}


def test_the_check_finds_a_number_and_respects_the_marks() -> None:
    source = ("DAYS = 365\nTARGET = 0.8\nCOLUMNS = 11  # structural: count columns\n"
              "# structural: the two behaviours\nPAIR = 2\nTRIPLE = 3\n"
              "def f(x):\n    return x / 12 + 0.5 * x - 1\n")
    assert stray_numbers(source) == [(2, 0.8), (6, 3), (8, 0.5)]
