"""The engine stays statistically the engine of its reference: a speed change must not change behaviour.

tests/data/engine_reference.csv holds year-end indicators of 40 Dak Lak runs (its first line
names the commit and the command). It was first written before the speed work and rewritten
when the mechanisms changed (issues 10 and 25): it guards engine work, not mechanism changes.
The same ensemble on the current engine must agree in mean (Welch t) and spread (F
test on variances) for every indicator and year, Bonferroni-corrected at a strict
level. Raising both Bass q by 20% makes this test fail (checked when it was written).
"""

from __future__ import annotations

import sys

import pandas as pd
from conftest import ROOT
from scipy import stats

sys.path.insert(0, str(ROOT / "benchmarks"))
from reference import RUNS, year_end_table  # noqa: E402

ALPHA = 1e-3          # family-wise: a false alarm once in a thousand suite runs
MIN_EFFECT = 0.002    # differences below this (in share points) are not behaviour


def _compare(old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    keys = sorted(set(zip(old.indicator, old.year)))
    level = ALPHA / (2 * len(keys))
    problems = []
    for indicator, year in keys:
        a = old[(old.indicator == indicator) & (old.year == year)].value.to_numpy()
        b = new[(new.indicator == indicator) & (new.year == year)].value.to_numpy()
        diff = b.mean() - a.mean()
        if a.std() == 0 and b.std() == 0:
            if abs(diff) > MIN_EFFECT:
                problems.append(f"{indicator} {year}: constant {a.mean():.4f} -> {b.mean():.4f}")
            continue
        p_mean = stats.ttest_ind(a, b, equal_var=False).pvalue
        f = b.var(ddof=1) / max(a.var(ddof=1), 1e-300)
        p_var = 2 * min(stats.f.cdf(f, len(b) - 1, len(a) - 1), stats.f.sf(f, len(b) - 1, len(a) - 1))
        if p_mean < level and abs(diff) > MIN_EFFECT:
            problems.append(f"{indicator} {year}: mean {a.mean():.4f} -> {b.mean():.4f} (Welch p={p_mean:.1e})")
        if p_var < level and max(a.std(), b.std()) > MIN_EFFECT:
            problems.append(f"{indicator} {year}: sd {a.std():.4f} -> {b.std():.4f} (F p={p_var:.1e})")
    return problems


def test_same_distribution_as_previous_engine():
    old = pd.read_csv(ROOT / "tests" / "data" / "engine_reference.csv", comment="#")
    new = year_end_table(RUNS)
    assert len(new) == len(old)
    problems = _compare(old, new)
    assert not problems, "\n".join(problems)


def test_comparison_detects_a_shift():
    """The check itself: a 3-sd shift of one indicator is caught, sampling noise is not."""
    old = pd.read_csv(ROOT / "tests" / "data" / "engine_reference.csv", comment="#")
    same = old.sample(frac=1.0, random_state=0)  # the same runs in another order
    assert not _compare(old, same)
    shifted = old.copy()
    sel = (old.indicator == "cashless_adoption") & (old.year == 2030)
    shifted.loc[sel, "value"] += 3 * old[sel].value.std()
    assert any("cashless_adoption 2030" in p for p in _compare(old, shifted))
