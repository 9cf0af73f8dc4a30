"""Beyond one machine: `--scheduler ADDRESS` runs every exploration command, `citytwin run` and
`citytwin calibrate` (`sensitivity` shares the same `sim.experiments.runner.Runner`) on
an existing dask cluster (a real `dask scheduler` and two `dask worker` processes on localhost,
started here), with results identical to the local processes' to the last bit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import DAK_LAK, ROOT, citytwin

DASK = Path(sys.executable).parent / "dask"
SMALL = ["--runs", "2", "--scale", "0.003", "--set", 'time.end="2026-12"',
         "--set", 'targets.goals=["dak_lak.budget_floor"]', "--quiet"]


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory) -> str:
    """The address of a dask scheduler with two single-threaded workers (2 GB each), all on 127.0.0.1."""
    from dask.distributed import Client

    folder = tmp_path_factory.mktemp("dask")
    file = folder / "scheduler.json"
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    procs = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(file)], cwd=folder, env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.time() + 60
        while not file.exists():
            assert time.time() < deadline, "the dask scheduler did not start"
            time.sleep(0.1)
        for _ in range(2):
            procs.append(subprocess.Popen([str(DASK), "worker", "--scheduler-file", str(file), "--nthreads", "1",
                                           "--memory-limit", "2GB", "--no-dashboard", "--host", "127.0.0.1"],
                                          cwd=ROOT, env=env, start_new_session=True,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        address = json.loads(file.read_text())["address"]
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            p.wait(timeout=30)


def _both(tmp_path, scheduler: str, *args: str, out: str = "--out") -> tuple[Path, Path]:
    """The command on the cluster and on local processes; the two output folders."""
    here, there = tmp_path / "local", tmp_path / "cluster"
    for folder, extra in ((here, ["--workers", "2"]), (there, ["--scheduler", scheduler])):
        proc = citytwin(*args, out, str(folder), *extra)
        assert proc.returncode == 0, proc.stderr
    return here, there


def test_run_on_the_cluster_is_identical(tmp_path, scheduler):
    here, there = _both(tmp_path, scheduler, "run", str(DAK_LAK), *SMALL)
    pd.testing.assert_frame_equal(pd.read_csv(here / "indicators.csv"), pd.read_csv(there / "indicators.csv"))
    assert json.loads((there / "manifest.json").read_text())["executor"] == "dask"


def test_sweep_on_the_cluster_is_identical(tmp_path, scheduler):
    here, there = _both(tmp_path, scheduler, "sweep", str(DAK_LAK), "--vary", "budget.dx_share=0.02:0.04:2", *SMALL,
                        out="--store")
    key = ["point", "run", "indicator", "year"]
    a = pd.read_parquet(here).sort_values(key).reset_index(drop=True)
    b = pd.read_parquet(there).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_seek_on_the_cluster_is_identical(tmp_path, scheduler):
    here, there = _both(tmp_path, scheduler, "seek", str(DAK_LAK), "--target", "dak_lak.budget_floor",
                        "--lever", "budget.dx_share=0.02:0.04", *SMALL)
    a, b = (json.loads((f / "seek.json").read_text()) for f in (here, there))
    assert a["value"] == b["value"] and a["curve"] == b["curve"]


def test_discover_on_the_cluster_is_identical(tmp_path, scheduler):
    here, there = _both(tmp_path, scheduler, "discover", str(DAK_LAK), "--target", "dak_lak.budget_floor", *SMALL,
                        "--runs", "10")  # the fewest discover takes
    pd.testing.assert_frame_equal(pd.read_csv(here / "runs.csv"), pd.read_csv(there / "runs.csv"))


def test_calibrate_on_the_cluster_is_identical(tmp_path, scheduler):
    accounts = ROOT / "scenarios" / "validation" / "vietnam_accounts.toml"
    for name, extra in (("local", ["--workers", "2"]), ("cluster", ["--scheduler", scheduler])):
        proc = citytwin("calibrate", str(accounts), "--draws", "4", "--runs", "1", "--scale", "0.003", "--quiet",
                        "--write", str(tmp_path / f"{name}.toml"), "--out", str(tmp_path / name), *extra)
        assert proc.returncode == 0, proc.stderr
    for table in ("draws.csv", "fit.csv"):  # every draw, its likelihood and weight; the fit: to the last digit
        local, cluster = (pd.read_csv(tmp_path / name / table) for name in ("local", "cluster"))
        pd.testing.assert_frame_equal(local, cluster)


def test_the_nation_on_the_cluster_is_identical(tmp_path, scheduler):
    """Issue 26, point 5: provinces x runs are the cluster's tasks; the national runs, the provinces'
    table and the verdict are the local processes' to the last bit."""
    (tmp_path / "p").mkdir()
    for name in ("12_lai_chau.toml", "04_cao_bang.toml"):
        shipped = ROOT / "scenarios" / "provinces" / name
        (tmp_path / "p" / name).write_text(f'extends = "{shipped.as_posix()}"\n', encoding="utf-8")
    nation = tmp_path / "two.toml"
    nation.write_text('name = "two"\n[nation]\nprovinces = "p"\ngoals = ["national.online_services_2030"]\n'
                      '[ensemble]\nruns = 2\nseed = 3\nscale = 0.004\n', encoding="utf-8")
    here, there = _both(tmp_path, scheduler, "run", str(nation), "--quiet")
    for name in ("indicators.csv", "provinces.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(here / name), pd.read_csv(there / name))
    assert json.loads((there / "verdict.json").read_text()) == json.loads((here / "verdict.json").read_text())
    assert json.loads((there / "manifest.json").read_text())["executor"] == "dask"
