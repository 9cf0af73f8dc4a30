"""The first run on a new checkout says what it does (issue 29, point 1): the engine's compile is
announced before the runs, and the progress bar, whose estimate would count the compile, starts
only once a run has finished."""

from __future__ import annotations

import pytest
from conftest import DAK_LAK

import sim.experiments.ensemble as ensemble
from sim.experiments.engine_cache import cache_indexes
from sim.experiments.execution import Execution
from sim.inputs.scenario import load_scenario

SMALL = ['time.end="2025-03"', "ensemble.scale=0.002", "ensemble.runs=3", "targets.goals=[]"]


def test_the_entry_kernels_are_the_engines_cached_kernels() -> None:
    """A renamed kernel would leave the check looking at nothing: each is a cached numba kernel."""
    assert all(p.endswith(".nbi") for p in cache_indexes())


@pytest.mark.parametrize("cold", [True, False])
def test_a_cold_engine_is_announced_and_the_bar_waits_for_a_finished_run(monkeypatch, capsys, cold: bool) -> None:
    monkeypatch.setattr(ensemble, "compiled", lambda: not cold)
    spec = load_scenario(DAK_LAK, SMALL)
    result = ensemble.run_ensemble(spec, execution=Execution("inline", progress=True))
    err = capsys.readouterr().err
    assert len(result.runs) == 3
    assert ("preparing the engine" in err) == cold
    # a bar from the start shows 0/3 at once; a bar started by the first finished run shows 1/3
    assert ("0/3" in err) != cold
    assert "1/3" in err or not cold


def test_prepare_leaves_a_compiled_engine_and_says_so_once(tmp_path) -> None:
    """`citytwin prepare` (the README's install line): it compiles when asked (--force), the
    engine is then compiled here, and a second call says it is already."""
    import os

    from conftest import citytwin

    from sim.experiments.engine_cache import compiled

    forced = citytwin("prepare", "--force", cwd=tmp_path)  # from any folder: it finds its own plan
    assert forced.returncode == 0, forced.stderr
    assert "compiling the engine for this machine" in forced.stdout and "done in" in forced.stdout
    assert all(os.path.exists(p) for p in cache_indexes()) and compiled()
    again = citytwin("prepare", cwd=tmp_path)
    assert again.returncode == 0 and "compiled for this machine already" in again.stdout, again.stdout
    assert not any(tmp_path.iterdir())  # it writes nothing where it is run
