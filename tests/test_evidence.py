"""What a scenario knows and since when (issue 28, point 1): the figures its sources cite, dated."""

from __future__ import annotations

from datetime import date

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
