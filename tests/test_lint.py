"""The code passes the project's linter and type checker (pyproject.toml: [tool.ruff], [tool.mypy])."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing() -> None:
    folders = ["sim", "tests", "benchmarks", "validation", "seeds"]
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", *folders], cwd=ROOT, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_finds_nothing(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache")], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def bare_array_annotations(source: str) -> list[int]:
    """Lines of `source` where an annotation names `np.ndarray` (or `ndarray`) without a dtype."""
    import ast

    tree = ast.parse(source)
    annotations: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            annotations.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
            annotations.append(node.returns)
    return sorted({a.lineno for a in annotations
                   for sub in ast.walk(a)
                   if (isinstance(sub, ast.Attribute) and sub.attr == "ndarray")
                   or (isinstance(sub, ast.Name) and sub.id == "ndarray")})


def test_array_annotations_carry_their_dtype() -> None:
    """`NDArray[np.float64]`, not `np.ndarray`: two arrays of different dtypes cannot be swapped unnoticed."""
    found = {str(p.relative_to(ROOT)): lines for p in sorted((ROOT / "sim").rglob("*.py"))
             if (lines := bare_array_annotations(p.read_text(encoding="utf-8")))}
    assert found == {}


def test_the_annotation_check_sees_parameters_returns_and_fields() -> None:
    source = ("import numpy as np\nfrom numpy.typing import NDArray\n"
              "def f(a: np.ndarray, b: NDArray[np.float64]) -> tuple[np.ndarray, int]: ...\n"
              "class C:\n    x: np.ndarray\n    y: NDArray[np.int8]\n"
              "def g() -> None:\n    z = isinstance(1, np.ndarray)\n")
    assert bare_array_annotations(source) == [3, 5]


def test_only_numba_kernels_go_untyped() -> None:
    """mypy requires every function typed (pyproject: disallow_untyped_defs); a numba kernel, typed
    by numba from its arguments, may say so with `# type: ignore[no-untyped-def]`, nothing else may."""
    import ast

    wrong = []
    for path in sorted((ROOT / "sim").rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.FunctionDef) and "ignore[no-untyped-def]" in lines[node.lineno - 1]:
                jitted = any("jit" in ast.unparse(d) for d in node.decorator_list)
                if not jitted:
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert wrong == []


# Where a build machine keeps files: a home, a work tree, a temporary folder of tempfile.
MACHINE_PATH = r"(?<![\w.])(/(home|Users|root|work)/[\w.-]+|/tmp/tmp\w+|[A-Z]:\\Users\\)"


def machine_paths(text: str) -> list[str]:
    """Absolute paths of a build machine in `text` (a system path such as /usr/bin/chromium is fine).

    >>> machine_paths('"command": "citytwin run /work/main/scenarios/vietnam.toml"; /usr/bin/chromium')
    ['/work/main']
    """
    import re

    return [m.group(0) for m in re.finditer(MACHINE_PATH, text)]


def test_no_machine_paths_anywhere_in_the_repository() -> None:
    """Files, records and notebooks name files relative to the project: another machine reads them."""
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    files = listed.stdout.split() if listed.returncode == 0 else \
        [p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*") if p.is_file() and ".git" not in p.parts
         and ".venv" not in p.parts and "results" not in p.parts]
    found = {}
    for name in files:
        if name == "tests/test_lint.py" or not (ROOT / name).is_file():
            continue
        try:
            text = (ROOT / name).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # a binary file: figures, tables
        if hits := machine_paths(text):
            found[name] = hits[:3]
    assert not found, found
