"""Scenarios from someone else (issue 9, point 6): data, never code; files only inside trusted folders;
servers on 127.0.0.1."""

from __future__ import annotations

import pytest
from conftest import DAK_LAK, ROOT

from sim.errors import ScenarioError
from sim.inputs.scenario import load_scenario

SCENARIOS = ROOT / "scenarios"


def test_project_scenarios_load_inside_the_project_folders():
    assert load_scenario(DAK_LAK, roots=[SCENARIOS]).name == "dak_lak"


def test_extends_outside_the_trusted_folders_is_refused(tmp_path):
    upload = tmp_path / "upload.toml"
    upload.write_text(f'extends = "{DAK_LAK}"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="lies outside the allowed folders"):
        load_scenario(upload, roots=[tmp_path])  # its parent is in the project, not in the upload folder
    load_scenario(upload, roots=[tmp_path, SCENARIOS])


@pytest.mark.parametrize("key", ["geojson", "communes_csv"])
def test_data_files_outside_the_trusted_folders_are_refused(tmp_path, key):
    upload = SCENARIOS / f".test_upload_{key}.toml"
    upload.write_text(f'extends = "dak_lak.toml"\n[province]\n{key} = "../../../../etc/passwd"\n', encoding="utf-8")
    try:
        with pytest.raises(ScenarioError, match=f"province.{key}: .* lies outside the allowed folders"):
            load_scenario(upload, roots=[SCENARIOS])
    finally:
        upload.unlink()


def test_a_scenario_is_never_executed(tmp_path):
    """TOML is data: a string that looks like code stays a string (and fails the schema)."""
    evil = tmp_path / "evil.toml"
    marker = tmp_path / "pwned"
    evil.write_text(f'extends = "{DAK_LAK}"\nname = "__import__(\'os\').system(\'touch {marker}\')"\n',
                    encoding="utf-8")
    with pytest.raises(ScenarioError, match="name"):
        load_scenario(evil)
    assert not marker.exists()


def test_local_dask_cluster_binds_to_loopback(monkeypatch):
    import dask.distributed

    from sim.experiments.ensemble import run_ensemble
    from sim.experiments.execution import Execution

    seen = {}

    class Refuse(Exception):
        pass

    def fake_cluster(**kwargs):
        seen.update(kwargs)
        raise Refuse

    monkeypatch.delenv("CITYTWIN_DASK_SCHEDULER", raising=False)
    monkeypatch.setattr(dask.distributed, "LocalCluster", fake_cluster)
    with pytest.raises(Refuse):
        run_ensemble(load_scenario(DAK_LAK), runs=2, execution=Execution("dask", 2))
    assert seen["host"] == "127.0.0.1" and seen["dashboard_address"] is None
