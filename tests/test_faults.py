"""Faults, round two (issue 23, points 3 and 5): Ctrl-C at any instant of any command, a worker
stuck in a kernel, citytwin itself killed, a full disk, a damaged sweep store, a scheduler that is
not one. Each case runs real processes, as a planner's terminal would.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import DAK_LAK, ROOT, citytwin

from sim.files import MARKER

INTERRUPTED = "citytwin: interrupted; earlier results are unchanged"
ENV = dict(os.environ, PYTHONWARNINGS="ignore")
ENV.pop("CITYTWIN_DEBUG", None)


def _group(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


def _start(*args: str) -> subprocess.Popen:
    """`citytwin ARGS` in a session of its own, with Ctrl-C as a terminal's foreground job has it."""
    return subprocess.Popen([sys.executable, "-m", "sim.app.cli", *args], cwd=ROOT, env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _finish(proc: subprocess.Popen, timeout: float = 60) -> str:
    """Wait for the process, kill the whole group if it hangs (and fail), return its stderr."""
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"no exit within {timeout} s of the signal")
    assert _reaped(proc.pid) == [], "processes of the command still running"
    return err


def _reaped(pgid: int) -> list[int]:
    """The group's processes still running 10 s on (killed then, so no test leaves any behind)."""
    deadline = time.time() + 10
    while _group(pgid) and time.time() < deadline:
        time.sleep(0.05)
    left = _group(pgid)
    if left:
        os.killpg(pgid, signal.SIGKILL)
    return left


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# A year of months and one target: the least a run can be and still write every kind of file.
QUICK = ["--set", 'time.end="2025-12"', "--set", 'targets.goals=["national.smartphone_2025"]']
SMALL = ["--scale", "0.005", "--quiet", "--set", 'time.end="2028-12"', "--set",
         'targets.goals=["dak_lak.budget_floor", "national.smartphone_2025"]']
CTRL_C = {
    "run": ["run", str(DAK_LAK), "--runs", "8", *SMALL],
    "run inline": ["run", str(DAK_LAK), "--runs", "8", "--executor", "inline", *SMALL],
    "run dask": ["run", str(DAK_LAK), "--runs", "8", "--executor", "dask", *SMALL],
    "seek --cost": ["seek", str(DAK_LAK), "--cost", "--target", "dak_lak.budget_floor", "--trials", "4", "--runs", "4",
                    *SMALL],
    "sweep": ["sweep", str(DAK_LAK), "--vary", "budget.dx_share=0.02:0.05:3", "--runs", "4", *SMALL],
    "discover": ["discover", str(DAK_LAK), "--target", "national.smartphone_2025", "--runs", "40", *SMALL],
    "sensitivity": ["sensitivity", str(DAK_LAK), "--samples", "2", *SMALL],
    "calibrate": ["calibrate", str(ROOT / "scenarios" / "validation" / "vietnam_dossiers.toml"), "--draws", "8",
                  "--runs", "2", "--quiet"],
}


@pytest.mark.parametrize("command", sorted(CTRL_C))
def test_ctrl_c_while_helpers_start_or_work(tmp_path, command):
    """Ctrl-C to the whole group at a moment drawn (seeded) from the most fragile window: just
    after the first helper process (resource tracker, forkserver, dask scheduler) appears, while
    the pool or cluster starts, or a little later while it works. One line, status 130, nothing
    left running, the earlier result in the folder unchanged."""
    out = tmp_path / "out"
    if command != "sweep":  # a sweep keeps the runs it finished, by design: it starts a new store here
        out.mkdir()
        (out / MARKER).write_text("{}", encoding="utf-8")
        (out / "earlier.txt").write_text("an earlier result", encoding="utf-8")
    option = "--store" if command == "sweep" else "--out"
    args = [*CTRL_C[command], option, str(out)]
    if command == "calibrate":
        args += ["--write", str(tmp_path / "calibrated.toml")]
    before = _digest(out) if out.exists() else None
    rng = random.Random(f"ctrl-c {command}")
    proc = _start(*args)
    deadline = time.time() + 60
    while len(_group(proc.pid)) < 2 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    time.sleep(rng.choice([0.0, rng.uniform(0, 0.3), rng.uniform(0.3, 2.0)]))
    assert proc.poll() is None, "finished before the signal: give it more work"
    os.killpg(proc.pid, signal.SIGINT)
    err = _finish(proc)
    lines = err.strip().splitlines()
    assert proc.returncode == 130, err
    assert len(lines) == 1 and lines[0].startswith("citytwin: interrupted;"), err
    if before is not None:
        assert lines[0] == INTERRUPTED and _digest(out) == before
    assert not (tmp_path / "calibrated.toml").exists()


def test_ctrl_c_stops_a_worker_stuck_in_a_kernel(tmp_path):
    """A worker inside a long numba kernel runs no Python-level handler: the parent's stop kills
    it after a grace period instead of waiting for ever."""
    script = textwrap.dedent("""
        import signal, sys, numba
        from sim.experiments.runner import worker_pool

        @numba.njit(nogil=True, cache=False)
        def spin(n):
            x = 0.0
            for i in range(n):
                x += (i % 7) * 1e-9
            return x

        def job(n):
            return spin(n)

        if __name__ == "__main__":
            signal.signal(signal.SIGINT, signal.default_int_handler)
            try:
                with worker_pool(2) as pool:
                    print("started", flush=True)
                    pool.map(job, [20_000_000_000] * 2)
            except KeyboardInterrupt:
                print("stopped", flush=True)
                sys.exit(130)
    """)
    (tmp_path / "stuck.py").write_text(script, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(tmp_path / "stuck.py")], cwd=ROOT, env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
    time.sleep(3)  # the workers compile and enter the kernel
    t0 = time.time()
    os.killpg(proc.pid, signal.SIGINT)
    _finish(proc, timeout=30)
    assert proc.returncode == 130 and time.time() - t0 < 15


def test_killing_citytwin_ends_its_workers(tmp_path):
    """`kill -9` of citytwin itself: no worker outlives it (each dies with its parent)."""
    proc = _start(*CTRL_C["run"], "--runs", "40", "--out", str(tmp_path / "out"))
    deadline = time.time() + 60
    while len(_group(proc.pid)) < 4 and time.time() < deadline:  # citytwin, tracker, forkserver, workers
        time.sleep(0.05)
    time.sleep(1.0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert _reaped(proc.pid) == []


# ----------------------------------------------------------------------------- a full disk

def _small_disk(path: Path, megabytes: int) -> bool:
    """A tmpfs of this size at `path` (root can mount one; elsewhere the test is skipped)."""
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(path)],
                          capture_output=True)
    return done.returncode == 0


def test_a_full_disk_is_one_line_and_the_old_result_stays(tmp_path):
    disk = tmp_path / "disk"
    if not _small_disk(disk, 6):
        pytest.skip("cannot mount a small file system here (needs root, as in CI)")
    try:
        out = disk / "r"
        out.mkdir()  # an earlier result
        (out / MARKER).write_text(json.dumps({"kind": "run"}), encoding="utf-8")
        (out / "verdict.json").write_text("[]", encoding="utf-8")
        before = _digest(out)
        free = shutil.disk_usage(disk).free
        (disk / "filler").write_bytes(b"\0" * (free - 200_000))  # room for the lock, not for the results
        proc = citytwin("run", str(DAK_LAK), "--runs", "2", "--scale", "0.002", "--quiet", "--out", str(out),
                        *QUICK)
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 1 and len(lines) == 1, proc.stderr
        assert lines[0].startswith("citytwin: error: the disk is full") and "unchanged" in lines[0]
        assert _digest(out) == before
        assert [p.name for p in disk.iterdir() if p.name.startswith(".r.") and p.name != ".r.lock"] == []
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


# ----------------------------------------------------------------------------- a damaged sweep store

def test_a_damaged_sweep_store_is_repaired_or_refused_never_counted_short(tmp_path):
    store = tmp_path / "store"
    args = ["sweep", str(DAK_LAK), "--vary", "budget.dx_share=0.02:0.05:2", "--runs", "3", "--scale", "0.002",
            *QUICK, "--store", str(store), "--quiet"]
    first = citytwin(*args)
    assert first.returncode == 0, first.stderr
    reach = pd.read_csv(store / "_reach.csv")
    parts = sorted(store.glob("p*-r*.parquet"))
    assert len(parts) == 6 and (reach.runs == 3).all()
    # A stray file: pandas could no longer read the store whole. Refused, naming it; nothing run.
    (store / "notes.txt").write_text("mine", encoding="utf-8")
    proc = citytwin(*args)
    assert proc.returncode == 2 and "notes.txt is not part of a sweep" in proc.stderr, proc.stderr
    assert (store / "notes.txt").read_text(encoding="utf-8") == "mine"
    (store / "notes.txt").unlink()
    # Damage: a truncated run, a run's file holding another run's rows, a run with rows missing.
    parts[0].write_bytes(parts[0].read_bytes()[:100])
    shutil.copy(parts[2], parts[1])
    rows = pd.read_parquet(parts[3])
    rows.iloc[: len(rows) // 2].to_parquet(parts[3], index=False)
    proc = citytwin(*args)
    assert proc.returncode == 0, proc.stderr
    notes = [line for line in proc.stderr.splitlines() if line.startswith("citytwin: note:")]
    assert len(notes) == 3 and all("its run is made again" in n for n in notes), proc.stderr
    assert "3 runs in" in proc.stdout and "3 were in the store already" in proc.stdout, proc.stdout
    assert (pd.read_csv(store / "_reach.csv").runs == 3).all()
    assert len(pd.read_parquet(store)) == len(rows) * 6  # the store reads whole again
    # A run taken away after the check: P(reach) is never computed from fewer runs than asked.
    from sim.experiments.outcomes import modelled
    from sim.experiments.sweep import Store, Vary, make_design, reach_table
    from sim.inputs.scenario import load_scenario
    from sim.inputs.targets import resolve_targets

    spec = load_scenario(DAK_LAK, ["ensemble.runs=3", *QUICK[1::2]])
    design = make_design(spec, [Vary("budget.dx_share", 0.02, 0.05, 2)])
    parts[4].unlink()
    with pytest.raises(Exception, match="holds 2 of 3 runs of point"):
        reach_table(Store(store).read(), design, modelled(resolve_targets(spec)), 3)


# ----------------------------------------------------------------------------- a scheduler that is not one

def test_a_scheduler_that_answers_but_is_not_dask_is_one_line(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]

    def hang_up():  # accept and close at once, like a service that speaks another protocol
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=hang_up, daemon=True).start()
    try:
        proc = citytwin("run", str(DAK_LAK), "--runs", "2", "--scale", "0.002", "--quiet", "--scheduler",
                        f"tcp://127.0.0.1:{port}", "--out", str(tmp_path / "out"))
    finally:
        server.close()
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and "--scheduler" in lines[0], proc.stderr
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- a repaired boundary runs

def test_a_self_intersecting_boundary_is_repaired_and_runs(tmp_path):
    """A bow-tie polygon (a digitising slip) is made valid and the whole run goes through."""
    from sim.geodata import boundaries

    geo = json.loads(boundaries(66).read_text(encoding="utf-8"))
    ring = geo["features"][5]["geometry"]["coordinates"][0]
    x0, y0 = ring[0]
    geo["features"][5]["geometry"] = {"type": "Polygon", "coordinates": [
        [[x0, y0], [x0 + 0.05, y0 + 0.05], [x0 + 0.05, y0], [x0, y0 + 0.05], [x0, y0]]]}
    (tmp_path / "map.geojson").write_text(json.dumps(geo), encoding="utf-8")
    (tmp_path / "v.toml").write_text(f'extends = "{DAK_LAK}"\n[province]\ngeojson = "map.geojson"\n',
                                     encoding="utf-8")
    proc = citytwin("run", str(tmp_path / "v.toml"), "--runs", "1", "--scale", "0.002", "--quiet", *QUICK,
                    "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "verdict.json").is_file()
