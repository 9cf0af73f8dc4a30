"""The layers of sim/ point down only, and no modules import each other in a circle.

Every import between sim modules is read from the source: imports inside functions count, and
so do those under `if TYPE_CHECKING:` (a type hint that names a higher layer is a circle in the
design even when nothing imports it at run time).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"

ARCHITECTURE = Path(__file__).resolve().parents[1] / "ARCHITECTURE.md"


def read_layers() -> dict[str, tuple[str, ...]]:
    """The layers, bottom to top, from the table between the `layers` markers of ARCHITECTURE.md
    (the one list): a module may import its own layer and the layers below."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    table = text.split("<!-- layers -->")[1].split("<!-- /layers -->")[0]
    layers = {}
    for line in table.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        layers[cells[0]] = tuple(m.strip(" `") for m in cells[1].split(","))
    return layers


LAYERS = read_layers()
LEVEL = {m: i for i, mods in enumerate(LAYERS.values()) for m in mods}

def module_name(path: Path) -> str:
    """`sim/world/geography.py` -> "world.geography"; a package's `__init__.py` -> its name."""
    if not path.resolve().is_relative_to(SIM):
        return path.stem
    parts = path.resolve().relative_to(SIM).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    path = SIM.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(path: Path, type_hints: bool = True) -> set[str]:
    """The sim modules a module imports (with `type_hints=False`, at run time only)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child) and not type_hints:
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.ImportFrom) and child.module:
                if child.module == "sim" or child.module.startswith("sim."):
                    package = child.module.removeprefix("sim").removeprefix(".")
                    for alias in child.names:  # `from sim.world import geography` names a module
                        sub = f"{package}.{alias.name}".lstrip(".")
                        found.add(sub if _is_module(sub) else package)
            elif isinstance(child, ast.Import):
                found.update(a.name.removeprefix("sim.") for a in child.names if a.name.startswith("sim."))
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    found.discard(module_name(path))
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(SIM.rglob("*.py")) if module_name(p)}


def test_every_module_has_a_layer(graph: dict[str, set[str]]) -> None:
    assert list(LAYERS)[0] == "base" and list(LAYERS)[-1] == "cli"
    assert sorted(set(graph) - set(LEVEL)) == []
    assert sorted(set(LEVEL) - set(graph)) == []


def test_no_module_imports_a_higher_layer(graph: dict[str, set[str]]) -> None:
    upward = sorted((m, d) for m, deps in graph.items() for d in deps if LEVEL[d] > LEVEL[m])
    assert upward == [], "a module imports a higher layer"


def test_the_schema_imports_nothing_from_sim() -> None:
    """The schema is the bottom of the stack: even its type hints name nothing of `sim`."""
    tree = ast.parse((SIM / "schema.py").read_text(encoding="utf-8"))
    modules = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    modules += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert modules and [m for m in modules if m == "sim" or m.startswith("sim.")] == []


def test_no_import_circle(graph: dict[str, set[str]]) -> None:
    colour: dict[str, int] = {}
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        colour[m] = 1
        path.append(m)
        for d in sorted(graph[m]):
            if colour.get(d) == 1:
                return path[path.index(d):] + [d]
            if d not in colour and (cycle := visit(d)):
                return cycle
        colour[m] = 2
        path.pop()
        return None

    for m in sorted(graph):
        if m not in colour:
            cycle = visit(m)
            assert cycle is None, " -> ".join(cycle)


def test_nothing_below_the_model_names_it(graph: dict[str, set[str]]) -> None:
    """Programmes, institutions and monitoring take narrow inputs: no module of the model layer
    or below imports `sim.model`, not even for a type hint."""
    below = {m for m, level in LEVEL.items() if level <= LEVEL["model"] and m != "model"}
    assert sorted(m for m in below if "model" in graph[m]) == []


def test_the_reader_finds_imports_inside_functions_and_type_hints(tmp_path: Path) -> None:
    src = tmp_path / "probe.py"
    src.write_text("from typing import TYPE_CHECKING\nfrom sim import geodata\nimport sim.files\n"
                   "if TYPE_CHECKING:\n    from sim.model import CityModel\n"
                   "def f():\n    from sim.plots import x\n"
                   "from sim.world import World, geography\nfrom sim.world.network import build_network\n",
                   encoding="utf-8")
    assert imports_of(src, type_hints=False) == {"geodata", "files", "plots", "world", "world.geography",
                                                 "world.network"}
    assert imports_of(src) == imports_of(src, type_hints=False) | {"model"}
