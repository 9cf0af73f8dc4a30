"""Notebooks are documentation that must run: execute each one end to end."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    # What a reader sees: no object's raw repr, and the plan's own 3% floor decided, not UNDECIDED.
    shown = "".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                    for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "Target(id=" not in shown and "Verdict(id=" not in shown
    floor = [line for line in shown.splitlines() if line.startswith("Resolution 57 share of the budget")]
    assert all("UNDECIDED" not in line for line in floor) and (floor or "01_" not in path.name)
