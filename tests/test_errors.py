"""Bad input: one line naming the file, the key and what is allowed; exit 2; nothing written."""

from __future__ import annotations

import pytest

from conftest import DAK_LAK, citytwin


def _variant(tmp_path, body: str) -> str:
    path = tmp_path / "variant.toml"
    path.write_text(f'extends = "{DAK_LAK.as_posix()}"\n{body}\n', encoding="utf-8")
    return str(path)


CASES = [
    # (description, scenario body or None, extra args, words the message must contain)
    ("unknown key", "[budget]\ndx_shar = 0.05", [], ["variant.toml", "budget.dx_shar", "unknown key"]),
    ("wrong type", "[budget]\ndx_share = \"lots\"", [], ["variant.toml", "budget.dx_share", "number"]),
    ("share above 1", "[budget]\ndx_share = 1.5", [], ["variant.toml", "budget.dx_share", "less than or equal to 1"]),
    ("negative share", None, ["--set", "baseline.smartphone_ownership=-0.1"],
     ["baseline.smartphone_ownership", "greater than or equal to 0"]),
    ("end before start", "[time]\nend = \"2024-06\"", [], ["variant.toml", "time", "must come after start"]),
    ("bad month", "[time]\nstart = \"2025-13\"", [], ["variant.toml", "time", "YYYY-MM"]),
    ("target year outside horizon", "[time]\nend = \"2028-12\"", [], ["targets.goals", "outside the horizon"]),
    ("custom target outside horizon",
     "[[targets.custom]]\nid='x'\nindicator='cashless_share'\ncomparison='>='\nthreshold=0.5\nyear=2040\nsource='test'",
     [], ["targets.custom.0.year", "outside the horizon"]),
    ("unknown goal id", "[targets]\ngoals = [\"dak_lak.nope\"]", [], ["targets.goals.0", "unknown goal id"]),
    ("missing geojson", "[province]\ngeojson = \"nowhere.geojson\"", [], ["province.geojson", "file not found"]),
    ("assumption without range",
     "[baseline]\nfixed_broadband = { value = 0.3, source = \"assumption: a guess\" }", [],
     ["baseline.fixed_broadband", "needs a range"]),
    ("malformed --set", None, ["--set", "budget.dx_share"], ["--set", "key.path=value"]),
    ("--set unknown section", None, ["--set", "budgets.dx_share=0.05"], ["budgets", "not a section"]),
    ("--set unknown key", None, ["--set", "budget.dx_shar=0.05"], ["budget.dx_shar", "unknown key"]),
    ("--runs zero", None, ["--runs", "0"], ["ensemble.runs", "greater than or equal to 1"]),
    ("--scale above 1", None, ["--scale", "2"], ["ensemble.scale", "less than or equal to 1"]),
    ("--runs not a number", None, ["--runs", "many"], ["--runs", "invalid int"]),
    ("unknown commune in a pilot",
     "[[policies]]\nname='p'\nprogramme='skills'\namount_vnd_per_year=1e9\nstart='2026-01'\nend='2027-12'\ncommunes=['Atlantis']",
     [], ["policies.0.communes", "Atlantis"]),
]


@pytest.mark.parametrize("name,body,args,words", CASES, ids=[c[0] for c in CASES])
def test_bad_input(tmp_path, name, body, args, words):
    scenario = _variant(tmp_path, body) if body is not None else str(DAK_LAK)
    out = tmp_path / "out"
    small = [] if {"--runs", "--scale"} & set(args) else ["--runs", "1", "--scale", "0.002"]
    proc = citytwin("run", scenario, "--out", str(out), *small, *args)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert not out.exists()  # nothing half-written


def test_missing_scenario_file(tmp_path):
    proc = citytwin("run", str(tmp_path / "nope.toml"))
    assert proc.returncode == 2
    assert "nope.toml: file not found" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_not_toml(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml", encoding="utf-8")
    proc = citytwin("run", str(bad))
    assert proc.returncode == 2 and "bad.toml: not valid TOML" in proc.stderr
