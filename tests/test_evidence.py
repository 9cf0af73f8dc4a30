"""What a scenario knows and since when (issue 28, point 1): the figures its sources cite, dated."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import ROOT

from sim.inputs.evidence import citations, figure_dates, published_after
from sim.inputs.scenario import load_scenario


def test_a_scenario_s_citations_carry_their_publication_dates() -> None:
    spec = load_scenario(ROOT / "scenarios" / "dak_lak.toml")
    cited = citations(spec)
    text = (ROOT / "scenarios" / "dak_lak.toml").read_text(encoding="utf-8")
    assert {c.figure for c in cited} >= {"dak_lak.population", "national.findex_account_2024"}
    assert all(c.published == figure_dates()[c.figure] for c in cited)
    assert any(c.key == "baseline.account_ownership" for c in cited) and "findex_account_2024" in text
    later = published_after(spec, date(2024, 12, 31))
    assert {c.figure for c in later} >= {"national.findex_account_2024"}  # Findex 2024 came out in July 2025
    assert all(c.published > date(2024, 12, 31) for c in later)
    assert published_after(spec, date(2030, 1, 1)) == []


def test_a_source_set_on_the_command_line_is_read_too() -> None:
    spec = load_scenario(ROOT / "scenarios" / "dak_lak.toml", [
        'baseline.digital_skill={value = 0.4, source = "seeds/figures.toml#national.dti_2024 (a test)", '
        'range = [0.3, 0.5]}'])
    keys = {(c.key, c.figure) for c in published_after(spec, date(2025, 1, 1))}
    assert ("baseline.digital_skill", "national.dti_2024") in keys


def test_every_outcome_is_a_sourced_row_matched_to_a_model_indicator() -> None:
    import csv

    from sim.inputs.outcomes import comparable, load_outcomes
    from sim.schema import INDICATORS

    with open(ROOT / "seeds" / "research" / "outcomes.csv", encoding="utf-8") as f:
        research = {(r["indicator"], r["period"], r["province_code"]): r for r in csv.DictReader(f)}
    outcomes = load_outcomes()
    assert len({o.id for o in outcomes}) == len(outcomes) >= 15
    for o in outcomes:
        assert o.indicator in INDICATORS and 1 <= o.month <= 12 and len(o.why) > 20, o.id
        indicator, period = o.research.split(" ", 1)
        row = research[(indicator, period, f"{o.province:02d}")]
        assert float(row["value"]) == pytest.approx(o.value, abs=0.001) or o.id.endswith("r57_tasks_done_2025"), o.id
        assert row["published"] == o.published.isoformat() and row["source_url"] and row["quote"], o.id
        assert o.published > date(2024, 12, 31)  # after the scenarios' evidence: out of sample
    # the nation's comparable outcomes are GDP growth and 5G coverage; GSO's digital economy is not MIC's
    national = {o.id for o in comparable(0, date(2024, 12, 31))}
    assert "national.gdp_growth_2025" in national and "national.digital_economy_gso_2025" not in national
