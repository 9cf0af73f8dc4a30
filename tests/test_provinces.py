"""All 34 provinces on their own figures (issue 26): the figure table and the province scenarios
are what the research tables give, every starting value says its basis, every province loads and
runs, and the small-area estimates add up to the national figures they stand for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import citytwin
from scipy.stats import spearmanr

from sim import geodata
from sim.experiments.ensemble import run_one
from sim.inputs.catalogue import province_files, scenario_argument
from sim.inputs.provenance import BASES, basis, starting_values
from sim.inputs.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "seeds" / "provinces.csv"


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(TABLE, dtype={"province_code": str})


def test_table_and_scenarios_are_what_the_research_tables_give() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "seeds" / "provinces.py"), "--check"], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_one_scenario_per_province_and_each_names_its_code() -> None:
    files = province_files()
    assert sorted(files) == sorted(geodata.all_units())
    for code, path in files.items():
        assert load_scenario(path).province.code == code


def test_every_starting_value_has_a_basis_and_a_source(table: pd.DataFrame) -> None:
    assert set(table.basis) <= set(BASES)
    assert table.source.str.len().min() > 10 and table.definition.str.len().min() > 5
    for code, path in province_files().items():
        items = starting_values(load_scenario(path))
        assert {i["basis"] for i in items} <= set(BASES)
        own = [i for i in items if i["basis"] in ("provincial figure", "small-area estimate", "communes data")]
        # Most of a province's starting values are its own: at most adult share, businesses and 5G sites
        # (and for a seed province its sourced assumptions) stand in from the nation.
        assert sum(i["basis"] == "national default" for i in items) <= 3, (code, items)
        seed = "extends" in path.read_text() and "common/province_defaults" not in path.read_text()
        assert seed or len(own) >= 8, code  # a seed province keeps its own sourced assumptions
        estimates = [i for i in items if i["basis"] == "small-area estimate"]
        assert all(i["range"] is not None for i in estimates), code  # the error carried as the range


def test_basis_is_read_from_the_first_words_of_a_source() -> None:
    assert basis("provincial figure: GRDP 2024 (url)") == "provincial figure"
    assert basis("small-area estimate: regression ...") == "small-area estimate"
    assert basis("assumption: national default; ...") == "national default"
    assert basis("assumption: rural province lower") == "assumption"
    assert basis("seeds/figures.toml#dak_lak.population (FACTS.md)") == "provincial figure"
    assert basis("set on the command line: --set x=1 (the scenario had 2)") == "set on the command line"


def test_a_city_and_a_mountain_province_start_apart() -> None:
    """The issue's example: Ho Chi Minh City and Lai Chau no longer start alike."""
    hcm, lai = (load_scenario(province_files()[c]).baseline for c in (79, 12))
    assert hcm.smartphone_ownership.value > lai.smartphone_ownership.value + 0.1
    assert hcm.online_services_adoption.value > lai.online_services_adoption.value + 0.1
    assert hcm.digital_economy_share.value > 0.18 > 0.1 > lai.digital_economy_share.value


def test_synthetic_estimates_average_to_the_national_default(table: pd.DataFrame) -> None:
    """Check 7: the adult-weighted mean of each small-area estimate is the national figure it
    stands for (the benchmark), and the estimates follow the digital gradient."""
    import tomllib

    defaults = tomllib.loads((ROOT / "scenarios/common/province_defaults.toml").read_text())["baseline"]
    people = table[table.indicator == "population"].set_index("province_code").value
    for key in ("account_ownership", "online_services_adoption", "cashless_adoption", "digital_skill"):
        rows = table[table.indicator == key].set_index("province_code")
        assert len(rows) == 34
        mean = np.average(rows.value, weights=people.loc[rows.index])
        assert mean == pytest.approx(defaults[key]["value"], abs=2e-3), key
        assert (rows.low <= rows.value).all() and (rows.value <= rows.high).all()


def test_provincial_grdp_adds_up_to_national_gdp(table: pd.DataFrame) -> None:
    """Check 7: the provinces' GRDP (figures and estimates, 2024) against GDP 2024 (VND 11,511.9
    trillion): provincial accounts add to more than GDP (the statistics' own discrepancy is a
    few per cent to ~10%)."""
    total = table[table.indicator == "grdp_vnd"].value.sum()
    assert 0.9 < total / 11_511.9e12 < 1.2


def test_higher_dti_starts_with_higher_digital_indicators(table: pd.DataFrame) -> None:
    """Check 7: DTI is not a covariate of any estimate, yet provinces ranked higher by it (2024, of
    34; 13 provinces with a published rank) start with more smartphones and more digital skill.
    Weakly: DTI scores the government's effort as much as the people's (Dien Bien ranks 6th),
    VALIDATION.md section 7 reports rho."""
    rank = table[(table.indicator == "dti_rank") & (table.year == 2024)].set_index("province_code").value
    assert len(rank) >= 12
    rhos = {}
    for key in ("smartphone_ownership", "digital_skill", "online_services_adoption"):
        v = table[table.indicator == key].set_index("province_code").value.loc[rank.index]
        rhos[key] = spearmanr(-rank, v).statistic
    # Smartphones weakest (0.05): the 2022 figures are published mostly for lagging mountain
    # provinces, one of which (Dien Bien) DTI ranks 6th.
    assert rhos["digital_skill"] > 0.2 and rhos["online_services_adoption"] > 0.2, rhos
    assert min(rhos.values()) > -0.1 and np.mean(list(rhos.values())) > 0.2, rhos


def test_a_province_is_named_by_code_or_name(tmp_path: Path) -> None:
    assert scenario_argument("79").endswith("79_ho_chi_minh.toml")
    assert scenario_argument("1").endswith("01_ha_noi.toml")
    assert scenario_argument("lai-chau").endswith("12_lai_chau.toml")
    assert scenario_argument("scenarios/dak_lak.toml") == "scenarios/dak_lak.toml"
    proc = citytwin("run", "12", "--runs", "2", "--scale", "0.005", "--out", str(tmp_path / "lc"))
    assert proc.returncode == 0, proc.stderr
    assert "small-area estimate" in proc.stdout
    manifest = json.loads((tmp_path / "lc" / "manifest.json").read_text())
    bases = {i["key"]: i["basis"] for i in manifest["starting_values"]}
    assert bases["baseline.online_services_adoption"] == "small-area estimate"
    verdict = json.loads((tmp_path / "lc" / "verdict.json").read_text())
    assert {v["start_basis"] for v in verdict} >= {"small-area estimate"}


@pytest.mark.parametrize("code", sorted(geodata.all_units()))
def test_every_province_loads_and_runs_at_a_tiny_scale(code: int) -> None:
    # One year is enough to run every phase; the province's goals lie later, so none is judged here.
    spec = load_scenario(province_files()[code], ["ensemble.uncertainty=false", 'time.end="2025-12"',
                                                   "targets.goals=[]", "targets.custom=[]"])
    r = run_one(spec, 0, scale=0.006)
    v = dict(zip(r.names, r.values[0]))
    assert r.citizens > 50
    assert 0.85 < v["coverage_4g"] <= 1.0  # Quang Ninh's islands: 0.90 (README, "All 34 provinces")
    assert abs(v["smartphone_ownership"] - spec.baseline.smartphone_ownership.value) < 0.1
