"""Ctrl-C (issue 9, point 3): a SIGINT to the whole process group, as a terminal sends it,
at any stage: one line, exit status 130, the previous output intact, no process left running."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import DAK_LAK, ROOT

from sim.outputs.outfolder import MARKER


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _alive_in_group(pgid: int) -> list[str]:
    """Processes of the group that are still running (zombies are dead: reaped by init)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(stat.parent.name)
    return alive


@pytest.fixture(scope="module")
def previous(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """An earlier result in the folder (marked as a run's; what is in it does not matter here)."""
    out = tmp_path_factory.mktemp("ctrlc") / "r"
    (out / "figures").mkdir(parents=True)
    (out / MARKER).write_text('{"kind": "run"}\n', encoding="utf-8")
    (out / "verdict.json").write_text("[]\n", encoding="utf-8")
    (out / "figures" / "fan_x.png").write_bytes(b"an earlier figure")
    return out, _digest(out)


# Ctrl-C while helpers start and while they work, in every command and executor (dask too):
# tests/test_faults.py. Here: during start-up (imports) and deep in a long ensemble.
@pytest.mark.parametrize("delay,executor", [(0.2, "processes"), (6.0, "processes")], ids=["start-up", "ensemble"])
def test_ctrl_c_to_the_process_group(previous, delay, executor):
    out, before = previous
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    # Long enough that the signal always lands before the end (about 40 s of work on 2 cores).
    proc = subprocess.Popen([sys.executable, "-m", "sim.app.cli", "run", str(DAK_LAK), "--out", str(out),
                             "--runs", "24", "--scale", "0.03", "--quiet", "--executor", executor], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            # as from a terminal: a shell's background job (CI) inherits Ctrl-C ignored
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        time.sleep(delay)
        assert proc.poll() is None
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:  # whatever failed, leave nothing running for the next test
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["citytwin: interrupted; earlier results are unchanged"], err
    deadline = time.time() + 10
    while _alive_in_group(proc.pid) and time.time() < deadline:
        time.sleep(0.1)
    assert _alive_in_group(proc.pid) == []
    assert _digest(out) == before and (out / MARKER).is_file()
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".r.") and not p.name.endswith(".lock")] == []
