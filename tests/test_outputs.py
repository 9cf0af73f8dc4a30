"""Never lose data (issue 9, point 2): output folders are checked, locked and replaced whole.

Kill tests stop a child process with SIGKILL at each step of the replacement and
check that the folder then holds the complete old or the complete new result, and
that the next run to the folder leaves no hidden leftovers behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import DAK_LAK, ROOT, citytwin

from sim.outputs.outfolder import MARKER, OutputFolder

SMALL = ["--runs", "1", "--scale", "0.002", "--quiet", "--set", 'time.end="2026-12"',
         "--set", 'targets.goals=["dak_lak.budget_floor"]']

CHILD = textwrap.dedent("""
    import os, shutil, signal, sys
    from pathlib import Path
    from sim.outputs import outfolder

    target, path, exchange, content = sys.argv[1:5]
    kill = lambda: os.kill(os.getpid(), signal.SIGKILL)
    if exchange == "off":
        outfolder._exchange = lambda a, b: False      # a filesystem without RENAME_EXCHANGE
    outfolder._step = lambda name: kill() if name == target else None
    if target == "cleanup":                            # killed while removing the old result
        outfolder.shutil = type("S", (), {"rmtree": staticmethod(
            lambda p, ignore_errors=False: (shutil.rmtree(Path(p) / "sub"), kill()) if Path(p).exists() else None)})
    out = outfolder.OutputFolder(Path(path), kind="run")
    with out.locked(), out.replacing("test") as tmp:
        (tmp / "result.txt").write_text(content)
        (tmp / "sub").mkdir()
        (tmp / "sub" / "part.txt").write_text(content)
        if target == "writing":
            kill()
""")


def _write(path: Path, content: str, *, exchange: str = "on", target: str = "none") -> int:
    proc = subprocess.run([sys.executable, "-c", CHILD, target, str(path), exchange, content],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    return proc.returncode


def _content(path: Path) -> str | None:
    """The result held at `path` if it is complete (both files, same content, marked), else None."""
    try:
        a = (path / "result.txt").read_text()
        b = (path / "sub" / "part.txt").read_text()
    except OSError:
        return None
    return a if a == b and (path / MARKER).is_file() else None


def _hidden(parent: Path, name: str) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}.") and not p.name.endswith(".lock"))


@pytest.mark.parametrize("target,expect", [
    ("writing", "old"), ("filled", "old"), ("marked", "old"), ("swapped", "new"), ("cleanup", "new")])
def test_kill_during_replacement_keeps_a_complete_result(tmp_path, target, expect):
    out = tmp_path / "r"
    assert _write(out, "old") == 0 and _content(out) == "old"
    assert _write(out, "new", target=target) == -9  # killed
    assert _content(out) == expect                 # present and complete at once, no repair needed
    assert _write(out, "newer") == 0               # the next run tidies up after the killed one
    assert _content(out) == "newer" and _hidden(tmp_path, "r") == []


def test_kill_on_first_write_leaves_nothing_half_written(tmp_path):
    out = tmp_path / "r"
    assert _write(out, "new", target="writing") == -9
    assert not out.exists()
    assert _write(out, "new", target="renamed") == -9
    assert _content(out) == "new"
    assert _write(out, "newer") == 0 and _content(out) == "newer" and _hidden(tmp_path, "r") == []


@pytest.mark.parametrize("target,expect", [("marked", "old"), ("set_aside", None), ("swapped", "new")])
def test_fallback_swap_is_repaired_by_the_next_run(tmp_path, target, expect):
    """Without an atomic exchange a kill between the two renames leaves the old result set
    aside; the next run to the folder puts it back before anything else."""
    out = tmp_path / "r"
    assert _write(out, "old", exchange="off") == 0
    assert _write(out, "new", exchange="off", target=target) == -9
    assert _content(out) == expect
    if expect is None:
        OutputFolder(out, kind="run").locked().__enter__()  # what any next run does first
        assert _content(out) == "old"
    assert _write(out, "newer", exchange="off") == 0
    assert _content(out) == "newer" and _hidden(tmp_path, "r") == []


def test_foreign_folder_is_refused_not_emptied(tmp_path):
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.docx").write_text("two years of work", encoding="utf-8")
    proc = citytwin("run", str(DAK_LAK), "--out", str(mine), *SMALL)
    assert proc.returncode == 2, proc.stderr
    assert "not a citytwin output folder" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert (mine / "chapter1.docx").read_text(encoding="utf-8") == "two years of work"
    assert sorted(p.name for p in mine.iterdir()) == ["chapter1.docx"]


def test_results_are_marked_and_replaced(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()  # an empty folder is fine
    for _ in range(2):
        proc = citytwin("run", str(DAK_LAK), "--out", str(out), *SMALL)
        assert proc.returncode == 0, proc.stderr
    written = {p.name for p in out.iterdir()}
    assert {"indicators.csv", "communes.csv", "verdict.json", "manifest.json", MARKER} <= written
    assert _hidden(tmp_path, "empty") == []


def test_second_run_to_the_same_folder_is_refused_at_once(tmp_path):
    out = tmp_path / "r"
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    first = subprocess.Popen([sys.executable, "-m", "sim.app.cli", "run", str(DAK_LAK), "--out", str(out),
                              "--runs", "4", "--scale", "0.01", "--quiet"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    lock = tmp_path / ".r.lock"
    deadline = time.time() + 120
    while not (lock.exists() and lock.read_text().strip() == str(first.pid)) and first.poll() is None:
        assert time.time() < deadline
        time.sleep(0.05)
    t0 = time.time()
    second = citytwin("run", str(DAK_LAK), "--out", str(out), *SMALL)
    assert second.returncode == 2 and f"another citytwin run (pid {first.pid})" in second.stderr
    assert time.time() - t0 < 30  # refused before simulating anything
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert (out / "verdict.json").is_file() and (out / MARKER).is_file()


def test_calibrate_never_moves_a_users_file(tmp_path):
    accounts = ROOT / "scenarios" / "validation" / "vietnam_accounts.toml"
    mine = tmp_path / "notes.txt"
    mine.write_text("mine", encoding="utf-8")
    args = ["--draws", "2", "--runs", "1", "--scale", "0.003", "--quiet"]
    proc = citytwin("calibrate", str(accounts), "--out", str(mine), "--write", str(tmp_path / "c.toml"), *args)
    assert proc.returncode == 2 and "exists and is not a folder" in proc.stderr, proc.stderr
    toml = tmp_path / "mine.toml"
    toml.write_text("# my own scenario\n", encoding="utf-8")
    proc = citytwin("calibrate", str(accounts), "--out", str(tmp_path / "o"), "--write", str(toml), *args)
    assert proc.returncode == 2 and "not a scenario written by citytwin calibrate" in proc.stderr, proc.stderr
    assert mine.read_text(encoding="utf-8") == "mine" and toml.read_text(encoding="utf-8") == "# my own scenario\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.toml", "notes.txt"]
