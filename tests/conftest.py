"""Shared fixtures: small, fast versions of the real scenarios."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DAK_LAK = ROOT / "scenarios" / "dak_lak.toml"
# A small but complete configuration: every mechanism runs, in a few seconds.
FAST = ["ensemble.scale=0.003", "time.end=\"2031-12\""]


def citytwin(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the CLI as a planner would (a fresh interpreter), capturing output."""
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-m", "sim.app.cli", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=env, timeout=600)


def in_process(argv: list[str]) -> tuple[int, list[str]]:
    """`citytwin ARGV` in this process (sim.app.cli.main, as the command runs it): its status and the
    lines it wrote to stderr. A refusal costs milliseconds here against ~2 s in a new interpreter."""
    import contextlib
    import io

    from sim.app.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse's own refusals (one line: sim.app.cli._Parser)
            code = int(exit_.code or 0)
    return code, err.getvalue().strip().splitlines()


def assert_refused(proc: subprocess.CompletedProcess, words: list[str], out: Path) -> None:
    """Bad input: status 2, one line holding every word, no traceback, nothing written at `out`."""
    assert proc.returncode == 2, proc.stderr
    line = proc.stderr.strip()
    assert "\n" not in line and "Traceback" not in line and all(w in line for w in words), line
    assert not out.exists()


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
