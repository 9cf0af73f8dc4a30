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


def read_layers() -> dict[str, str]:
    """The layers, bottom to top, with their folders, from the table between the `layers` markers
    of ARCHITECTURE.md (the one list): a module may import its own layer and the layers below."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    table = text.split("<!-- layers -->")[1].split("<!-- /layers -->")[0]
    layers = {}
    for line in table.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        layers[cells[0]] = cells[1].strip(" `").removeprefix("sim").strip("/")
    return layers


LAYERS = read_layers()  # layer -> its folder under sim/ ("" for the base: the modules in sim/ itself)
FOLDERS = {folder: i for i, folder in enumerate(LAYERS.values())}


def layer_of(module: str) -> str:
    """The layer of a module (dotted, under sim): the one whose folder holds it."""
    folder = module.split(".")[0]
    return next(name for name, f in LAYERS.items() if f == (folder if folder in FOLDERS else ""))


def modules_of(layer: str) -> list[str]:
    """Every module of a layer, dotted under sim."""
    return sorted(module_name(p) for p in SIM.rglob("*.py") if module_name(p) and layer_of(module_name(p)) == layer)


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


def level(module: str) -> int:
    return list(LAYERS).index(layer_of(module))


def test_every_folder_is_a_layer(graph: dict[str, set[str]]) -> None:
    """The layers run from the base (sim/ itself) to the app; every folder of sim/ with code is one."""
    assert list(LAYERS)[0] == "base" and LAYERS["base"] == "" and list(LAYERS)[-1] == "app"
    folders = {p.parent.relative_to(SIM).parts[0] for p in SIM.rglob("*.py") if p.parent != SIM}
    assert sorted(folders - set(FOLDERS)) == []
    assert sorted(set(FOLDERS) - folders - {""}) == []


def test_no_module_imports_a_higher_layer(graph: dict[str, set[str]]) -> None:
    upward = sorted((m, d) for m, deps in graph.items() for d in deps if level(d) > level(m))
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
    """Programmes, institutions and monitoring take narrow inputs: no module the model is made of,
    nor any lower layer, imports `sim.engine.model`, not even for a type hint (the indicators,
    which measure a model, may)."""
    below = {m for m in graph if level(m) <= level("engine.model")} - {"engine.model", "engine.indicators"}
    assert sorted(m for m in below if "engine.model" in graph[m]) == []


def test_the_reader_finds_imports_inside_functions_and_type_hints(tmp_path: Path) -> None:
    src = tmp_path / "probe.py"
    src.write_text("from typing import TYPE_CHECKING\nfrom sim import geodata\nimport sim.files\n"
                   "if TYPE_CHECKING:\n    from sim.engine.model import CityModel\n"
                   "def f():\n    from sim.outputs.plots import x\n"
                   "from sim.world import World, geography\nfrom sim.world.network import build_network\n",
                   encoding="utf-8")
    assert imports_of(src, type_hints=False) == {"geodata", "files", "outputs.plots", "world", "world.geography",
                                                 "world.network"}
    assert imports_of(src) == imports_of(src, type_hints=False) | {"engine.model"}
