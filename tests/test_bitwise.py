"""Refactorings keep results: every monthly indicator of the reference runs, bit for bit up to
the last bits that the CPU decides.

numpy picks its vectorised exp/log for the CPU at hand (AVX-512 where there is one, AVX2
elsewhere) and they differ in the last bit or two, so the same code gives values that differ by
about 1e-15 between machines (seen: the back-office queue indicators of the reference, recorded
on an AVX-512 machine and re-run on an AVX2 one). A refactoring that changes a random stream or a
formula moves values by far more than that: the tolerance is 1e-12 relative."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bitwise import table  # noqa: E402


def test_every_indicator_is_bit_identical_to_the_recorded_reference() -> None:
    reference = pd.read_csv(ROOT / "tests" / "data" / "bitwise_reference.csv")
    now = table()
    assert list(now.columns) == list(reference.columns) and len(now) == len(reference)
    keys = ["case", "run", "year", "month", "indicator"]
    assert (now[keys].astype(str).to_numpy() == reference[keys].astype(str).to_numpy()).all()
    close = np.isclose(now.value.to_numpy(), reference.value.to_numpy(), rtol=1e-12, atol=1e-14, equal_nan=True)
    if not close.all():
        diff = now.assign(reference=reference.value)[~close]
        raise AssertionError(f"{len(diff)} values differ, first:\n{diff.head(8).to_string()}")
