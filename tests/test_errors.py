"""Bad input: one line naming the file, the key and what is allowed; exit 2; nothing written."""

from __future__ import annotations

import pytest
from conftest import DAK_LAK, citytwin, in_process


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
    ("unknown province code", "[province]\ncode = 999", [], ["variant.toml", "province.code", "unknown province code"]),
    ("per-person number without a number",
     "[budget]\nspending_vnd = { per_person = \"lots\", source = \"test\" }", [],
     ["budget.spending_vnd.per_person", "expected a number"]),
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
    # Names that would become a path outside results/ or results/ itself (issue 9).
    ("empty name", None, ["--set", 'name=""'], ["name", "results folder"]),
    ("path-escaping name", 'name = "../../x"', [], ["variant.toml", "name", "results folder"]),
    # Values that used to pass validation and crash later, or give a normal-looking verdict.
    ("population zero", "[province]\npopulation = { value = 0, source = 'test' }", [],
     ["province.population.value", "greater than or equal to 1000"]),
    ("population inf", "[province]\npopulation = { value = inf, source = 'test' }", [],
     ["province.population.value", "finite"]),
    ("population 1e308", "[province]\npopulation = { value = 1e308, source = 'test' }", [],
     ["province.population.value", "less than or equal to"]),
    ("area zero", "[province]\narea_km2 = { value = 0, source = 'test' }", [],
     ["province.area_km2.value", "greater than 0"]),
    ("area inf", None, ["--set", "province.area_km2=inf"], ["province.area_km2.value", "finite"]),
    ("spending inf", None, ["--set", "budget.spending_vnd=inf"], ["budget.spending_vnd.value", "finite"]),
    ("policy amount inf",
     "[[policies]]\nname='p'\nprogramme='skills'\namount_vnd_per_year=inf\nstart='2026-01'\nend='2027-12'",
     [], ["policies.0.amount_vnd_per_year", "finite"]),
    ("unit cost 1e-300", None, ["--set", "costs.trainee_vnd=1e-300"],
     ["costs.trainee_vnd", "greater than or equal to"]),
    ("unit cost inf", None, ["--set", "costs.site_4g_vnd=inf"], ["costs.site_4g_vnd", "finite"]),
    ("p inf", None, ["--set", "behaviour.online_services.p=inf"], ["behaviour.online_services.p", "finite"]),
    ("threshold nan",
     "[[targets.custom]]\nid='x'\nindicator='cashless_share'\ncomparison='>='\nthreshold=nan\nyear=2030\nsource='test'",
     [], ["targets.custom.0.threshold", "finite"]),
    ("target on an unknown indicator",
     "[[targets.custom]]\nid='x'\nindicator='happiness'\ncomparison='>='\nthreshold=0.5\nyear=2030\nsource='test'",
     [], ["targets.custom.0.indicator", "unknown indicator"]),
    ("size table missing a key", None, ["--set", "businesses.size_value_added={household=1.0, sme=15.0}"],
     ["businesses.size_value_added", "missing large"]),
    ("allocation missing a programme", None, ["--set", "budget.allocation={infrastructure=0.5, services=0.5}"],
     ["budget.allocation", "missing skills"]),
    ("range beyond what the value allows",
     "[baseline]\nfixed_broadband = { value = 0.3, source = 'assumption: x', range = [0.1, 1.5] }", [],
     ["baseline.fixed_broadband", "1.5 is not allowed"]),
    # TOML has types: a wrong one is an error, never converted.
    ("boolean for a number", "[province]\npopulation = { value = true, source = 'test' }", [],
     ["province.population.value", "valid number", "True"]),
    ("string for a number", None, ["--set", "budget.dx_share=\"0.05\""], ["budget.dx_share", "valid number"]),
    ("string for a boolean", None, ["--set", "ensemble.uncertainty=no"], ["ensemble.uncertainty", "valid boolean"]),
    ("float for a whole number", "[network]\nlocal_contacts = 8.0", [], ["network.local_contacts", "valid integer"]),
    ("--set source_file", None, ["--set", "source_file=\"/etc\""], ["source_file", "set by citytwin"]),
    # Sizes: a world that would be silently enlarged, or work far beyond a day.
    ("--scale far too small", None, ["--scale", "1e-12", "--runs", "1"], ["ensemble.scale", "smallest scale"]),
    ("--runs 100000", None, ["--runs", "100000", "--scale", "0.01"], ["100,000 runs", "lower --scale, --runs"]),
    ("a world beyond memory", None, ["--runs", "200", "--scale", "1", "--workers", "200"], ["GB", "available"]),
    ("--scale nan", None, ["--scale", "nan"], ["ensemble.scale", "finite"]),
    ("unknown commune in a pilot",
     "[[policies]]\nname='p'\nprogramme='skills'\namount_vnd_per_year=1e9\nstart='2026-01'\nend='2027-12'\ncommunes=['Atlantis']",
     [], ["policies.0.communes", "Atlantis"]),
]


@pytest.mark.parametrize("name,body,args,words", CASES, ids=[c[0] for c in CASES])
def test_bad_input(tmp_path, name, body, args, words):
    """Run in this process (sim.app.cli.main, as the command runs it): tests/test_hostile.py and the
    tests below check the same contract through a new interpreter."""
    scenario = _variant(tmp_path, body) if body is not None else str(DAK_LAK)
    out = tmp_path / "out"
    small = [] if {"--runs", "--scale"} & set(args) else ["--runs", "1", "--scale", "0.002"]
    code, lines = in_process(["run", scenario, "--out", str(out), *small, *args])
    assert code == 2, (code, lines)
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert not out.exists()  # nothing half-written


def _write(path, data: bytes):
    path.write_bytes(data)
    return str(path)


def test_files_of_the_wrong_kind(tmp_path):
    """Each bad file is named in one line with what was expected (exit 2, nothing written)."""
    variant = tmp_path / "v.toml"
    cases = {
        # a non-UTF-8 byte in a comment
        "latin-1 comment": (b'extends = "%s"\n# Dak L\xe1k\n' % str(DAK_LAK).encode(), "not UTF-8"),
        "binary scenario": (b"\x00\x01\x02binary", "binary file"),
        "extends a binary": (b'extends = "blob.bin.toml"\n', "binary file"),
        "extends a folder": (b'extends = "folder.toml"\n', "not a file"),
        "geojson is a CSV": (b'extends = "%s"\n[province]\ngeojson = "table.csv"\n' % str(DAK_LAK).encode(),
                             "province.geojson"),
        "csv is a GeoJSON": (b'extends = "%s"\n[province]\ncommunes_csv = "map.geojson"\n' % str(DAK_LAK).encode(),
                             "province.communes_csv"),
        "csv with a bad cell": (b'extends = "%s"\n[province]\ncommunes_csv = "bad.csv"\n' % str(DAK_LAK).encode(),
                                "finite number"),
    }
    _write(tmp_path / "blob.bin.toml", b"\x7fELF\x00\x00binary")
    (tmp_path / "folder.toml").mkdir()
    _write(tmp_path / "table.csv", b"code,population\n1,2\n")
    _write(tmp_path / "map.geojson", b'{"type": "FeatureCollection", "features": []}')
    _write(tmp_path / "bad.csv", b"code,population\n26734,lots\n")
    out = tmp_path / "out"
    for name, (body, words) in cases.items():
        variant.write_bytes(body)
        code, lines = in_process(["run", str(variant), "--out", str(out), "--runs", "1", "--scale", "0.002", "--quiet"])
        assert code == 2 and len(lines) == 1, (name, code, lines)
        assert words in lines[0] and "Traceback" not in lines[0], (name, lines[0])
        assert not out.exists(), name


@pytest.mark.parametrize("kind", ["file", "under a file", "proc"])
def test_unusable_out_is_refused_before_any_work(tmp_path, kind):
    blocker = tmp_path / "a_file"
    blocker.write_text("mine", encoding="utf-8")
    out = {"file": blocker, "under a file": blocker / "results", "proc": "/proc/citytwin-results"}[kind]
    proc = citytwin("run", str(DAK_LAK), "--out", str(out), "--runs", "1", "--scale", "0.002", "--quiet")
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"citytwin: error: --out {out}")
    assert blocker.read_text(encoding="utf-8") == "mine"


def test_missing_scenario_file(tmp_path):
    proc = citytwin("run", str(tmp_path / "nope.toml"))
    assert proc.returncode == 2
    assert "nope.toml: file not found" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_not_toml(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml", encoding="utf-8")
    proc = citytwin("run", str(bad))
    assert proc.returncode == 2 and "bad.toml: not valid TOML" in proc.stderr
