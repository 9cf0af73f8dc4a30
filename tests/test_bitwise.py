"""Refactorings keep results: every monthly indicator of the reference runs, bit for bit."""

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
    same = np.array_equal(now.value.to_numpy(), reference.value.to_numpy(), equal_nan=True)
    if not same:
        diff = now.assign(reference=reference.value)
        diff = diff[~np.isclose(diff.value, diff.reference, rtol=0, atol=0, equal_nan=True)]
        raise AssertionError(f"{len(diff)} values differ, first:\n{diff.head(8).to_string()}")
