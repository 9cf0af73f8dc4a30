"""Hostile input, round two (issue 23, point 5): generated cases across every command and file.

Each case says what it promises and checks it:

* bad input (an argument, a TOML, GeoJSON or CSV file, an upload, an output folder) is one line
  starting "citytwin: error:", status 2, before any work, nothing written, never a traceback;
* a valid but odd input (a self-intersecting boundary, extra CSV columns) is accepted;
* no user data is lost: a folder or a hidden sibling that is not marked as citytwin's is left
  byte for byte as it was.

The cases are drawn by Hypothesis (replayed identically in CI: derandomize; `CITYTWIN_EXPLORE=N`
explores N fresh ones per test) and run in this process through `sim.app.cli.main`, so a refusal
costs milliseconds. The faults that need real processes (Ctrl-C, a full disk, a damaged sweep
store, a stuck worker) are in tests/test_faults.py.
"""

from __future__ import annotations

import copy
import json
import math
import os
import string
import tempfile
from pathlib import Path

import pytest
from conftest import DAK_LAK, ROOT
from conftest import in_process as call
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.app.session import read_scenario_text
from sim.errors import ScenarioError
from sim.files import MARKER, MAX_DEPTH
from sim.geodata import boundaries, province_units
from sim.inputs.scenario import load_scenario
from sim.outputs.outfolder import OutputFolder

EXPLORE = int(os.environ.get("CITYTWIN_EXPLORE", "0"))


def cases(n: int):
    """Hypothesis settings for n replayed cases (or CITYTWIN_EXPLORE fresh ones)."""
    return settings(max_examples=EXPLORE or n, deadline=None, derandomize=not EXPLORE, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def refused(code: int, lines: list[str], *words: str, untouched: Path | None = None) -> str:
    """Status 2, one line starting 'citytwin: error:' holding every word, nothing at `untouched`."""
    assert code == 2, (code, lines)
    assert len(lines) == 1 and lines[0].startswith("citytwin: error: "), lines
    assert "Traceback" not in lines[0] and "internal error" not in lines[0], lines
    for w in words:
        assert w in lines[0], (w, lines[0])
    if untouched is not None:
        assert not untouched.exists(), f"{untouched} was written by a refused command"
    return lines[0]


COMMANDS = {
    "run": ["run", str(DAK_LAK)],
    "seek": ["seek", str(DAK_LAK), "--target", "dak_lak.budget_floor"],
    "seek --cost": ["seek", str(DAK_LAK), "--target", "dak_lak.budget_floor", "--cost", "--trials", "3"],
    "sweep": ["sweep", str(DAK_LAK), "--vary", "budget.dx_share=0.02:0.05:2"],
    "discover": ["discover", str(DAK_LAK), "--target", "dak_lak.online_services_2030"],
    "sensitivity": ["sensitivity", str(DAK_LAK), "--samples", "2"],
    "calibrate": ["calibrate", str(ROOT / "scenarios" / "validation" / "vietnam_accounts.toml"), "--draws", "2"],
    "hindcast": ["hindcast", str(DAK_LAK), "--as-of", "2024-12-31"],
}
OUT_OPTION = {"sweep": "--store"}


def _out(command: str, folder: Path) -> list[str]:
    args = [OUT_OPTION.get(command, "--out"), str(folder / "out")]
    if command == "calibrate":
        args += ["--write", str(folder / "calibrated.toml")]
    return args


# ----------------------------------------------------------------------------- arguments

NON_FINITE = ["nan", "inf", "-inf", "NaN", "1e999"]
# Bad values of the options every command shares, with a word the refusal must name.
SHARED_BAD = {
    "--runs": (["0", "-1", "100001", str(2**70)], "ensemble.runs"),
    "--seed": (["-1", str(2**62 + 1), str(2**80)], "ensemble.seed"),
    "--scale": (["0", "-0.5", "1.0001", "1e-9", "5e-324", *NON_FINITE], "ensemble.scale"),
    "--workers": (["-1", "257", "100000"], "ensemble.workers"),
}
SHARED_NOT_A_NUMBER = ["", " ", "ten", "1,5", "0x10", "1e3.5", "--", "١٢٣x", "\u00a0"]
COMMANDS_WITH = {"--runs": ["run", "seek", "seek --cost", "sweep", "discover", "calibrate", "hindcast"],
                 "--seed": list(COMMANDS), "--scale": list(COMMANDS),
                 "--workers": list(COMMANDS)}


@st.composite
def shared_option(draw):
    option = draw(st.sampled_from(sorted(SHARED_BAD)))
    command = draw(st.sampled_from(COMMANDS_WITH[option]))
    values, word = SHARED_BAD[option]
    if draw(st.booleans()):
        return command, [f"{option}={draw(st.sampled_from(values))}"], [word]  # = keeps "-1" a value
    value = draw(st.sampled_from(SHARED_NOT_A_NUMBER))
    return command, [f"{option}={value}"], [option]


SET_KEYS = ["budget.dx_share", "ensemble.runs", "baseline.backoffice_overdue_share", "behaviour.cashless.q",
            "budget.allocation.skills", "time.start", "province.code", "infrastructure.radius_urban_km"]
CONTROL = [chr(c) for c in (0, 7, 9, 10, 13, 27, 127)] + ["\u2028", "\u0085"]


@st.composite
def bad_set(draw):
    """A --set no schema accepts: non-finite, a wrong type, a line break (a second statement),
    a key that is not there, a key given twice, a key also given by its option."""
    kind = draw(st.sampled_from(["non-finite", "type", "control", "unknown", "twice", "option", "syntax"]))
    key = draw(st.sampled_from(SET_KEYS))
    command = draw(st.sampled_from(list(COMMANDS)))
    if kind == "non-finite":
        return command, ["--set", f"{key}={draw(st.sampled_from(['nan', 'inf', '-inf']))}"], [key]
    if kind == "type":
        value = draw(st.sampled_from(['"0.3"', "true", "[1, 2]", "{a = 1}", "1979-05-27", '"2025-01-01T00:00"']))
        key = draw(st.sampled_from([k for k in SET_KEYS if k != "time.start"]))
        return command, ["--set", f"{key}={value}"], [key]
    if kind == "control":
        ch = draw(st.sampled_from(CONTROL))
        return command, ["--set", f"budget.dx_share=0.05{ch}ensemble.seed=3"], ["--set"]
    if kind == "unknown":
        word = draw(st.text(string.ascii_lowercase, min_size=3, max_size=8)).strip() or "x"
        return command, ["--set", f"budget.{word}z_=1"], [f"budget.{word}z_"]
    if kind == "twice":
        return command, ["--set", "budget.dx_share=0.04", "--set", "budget.dx_share=0.05"], ["budget.dx_share"]
    if kind == "option":
        option = draw(st.sampled_from(["--seed", "--scale", "--workers"]))
        value = {"--seed": "3", "--scale": "0.002", "--workers": "1"}[option]
        return command, ["--set", f"ensemble.{option[2:]}=4", option, value], [option, f"ensemble.{option[2:]}"]
    text = draw(st.sampled_from(["=1", "budget..dx_share=1", "budget.dx_share", ".=.", "budget.=3"]))
    return command, ["--set", text], ["--set"]


LEVERS_NOT_READ = ["ensemble.runs", "ensemble.seed", "ensemble.scale", "ensemble.workers",
                   "targets.custom.0.threshold", "observed.0.value", "province.code"]


@st.composite
def command_option(draw):
    """A bad value of an option of one command, and the words its refusal must hold."""
    which = draw(st.sampled_from(["seek", "sweep", "sensitivity", "calibrate", "discover", "out", "scheduler"]))
    if which == "seek":
        bad = draw(st.sampled_from([
            (["--probability", draw(st.sampled_from(["0", "-0.1", "1.01", "nan", "inf"]))], ["--probability"]),
            (["--lever", draw(st.sampled_from(["", "=0:1", "budget.dx_share=1:0", "budget.dx_share=0:nan",
                                               "budget.dx_share=a:b", "budget.dx_share=0:1:2", "nosuch.key=0:1"]))],
             ["--lever"]),
            (["--lever", f"{draw(st.sampled_from(LEVERS_NOT_READ[:4]))}=1:5"], ["--lever"]),
            (["--target", draw(st.sampled_from(["", "nope", "dak_lak.tfp_2030", "ALL", "dak_lak.budget_floor "]))],
             ["--target"]),
        ]))
        return "seek", *bad
    if which == "sweep":
        n = draw(st.integers(1, 6))
        grid = [f"--vary=budget.allocation.{p}=0.1:0.5:{draw(st.integers(101, 1000))}"
                for p in ("skills", "services", "incentives", "awareness", "infrastructure")[:max(3, n)]]
        bad = draw(st.sampled_from([
            (grid, ["grid has"]),
            (["--vary", f"{draw(st.sampled_from(LEVERS_NOT_READ))}=1:5"], ["--vary"]),
            (["--vary", draw(st.sampled_from(["x", "budget.dx_share=0.1", "budget.dx_share=0:1:1",
                                              "budget.dx_share=0:1:1001", "budget.dx_share=inf:1",
                                              "budget.dx_share=0.05:0.01"]))], ["--vary"]),
            (["--design", "sobol", "--points", str(draw(st.sampled_from([3, 5, 6, 7, 12, 100])))], ["--points"]),
            (["--design", "lhs", "--points", str(draw(st.sampled_from([0, -1, 100001])))], ["--points"]),
        ]))
        return "sweep", *bad
    if which == "sensitivity":
        method, samples = draw(st.sampled_from([("sobol", 3), ("sobol", 6), ("sobol", 100), ("sobol", 0),
                                                ("sobol", 2**21), ("morris", 1), ("morris", 0), ("morris", -4)]))
        return "sensitivity", ["--method", method, "--samples", str(samples)], ["--samples"]
    if which == "calibrate":
        bad = draw(st.sampled_from([
            (["--set", f"observed.0.value={draw(st.sampled_from(['1e300', '-1e300', '1.5', '-0.01']))}"],
             ["observed.0"]),
            (["--set", f"observed.0.sigma={draw(st.sampled_from(['1e-300', '5e-324', '0', '-1', '2']))}"],
             ["observed.0"]),
            (["--draws", draw(st.sampled_from(["0", "-3"]))], ["--draws"]),
            (["--until", draw(st.sampled_from(["1900", "2000"]))], ["--until"]),
        ]))
        return "calibrate", *bad
    if which == "discover":
        return "discover", ["--set", "ensemble.uncertainty=false"], ["uncertainty"]
    if which == "out":
        command = draw(st.sampled_from(list(COMMANDS)))
        name = draw(st.sampled_from(["x" * 256, "y" * 240, "é" * 120, "a\x00b"]))
        option = OUT_OPTION.get(command, "--out")
        return command, [option, str(Path(tempfile.gettempdir()) / name)], [option]
    command = draw(st.sampled_from(list(COMMANDS)))
    address = draw(st.sampled_from(["", "   ", "localhost", "tcp://", "tcp://:8786", "8786", "http://x:80",
                                    "tcp://127.0.0.1:1", "tcp://127.0.0.1:99999", "tcp://host name:1",
                                    "tcp://no-such-host.invalid:8786", "tcp://[::1:8786"]))
    return command, ["--scheduler", address], ["--scheduler"]


@cases(120)
@given(case=st.one_of(shared_option(), bad_set(), command_option()))
def test_bad_arguments_are_refused_before_any_work(tmp_path_factory, case):
    command, args, words = case
    folder = tmp_path_factory.mktemp("args")
    argv = [*COMMANDS[command], *_out(command, folder), "--quiet"]
    if "--out" in args or "--store" in args:  # the case names its own output
        argv = [*COMMANDS[command], "--quiet"] + (["--write", str(folder / "c.toml")] if command == "calibrate" else [])
    code, lines = call([*argv, *args])
    refused(code, lines, *words)
    assert list(folder.iterdir()) == [], "a refused command wrote something"


# ----------------------------------------------------------------------------- the dashboard's options

@cases(30)
@given(args=st.one_of(
    st.tuples(st.just("--host"), st.sampled_from(["", " ", "\t", "127.0.0.1 ", "a b", "http://x", "x/y", "::1,",
                                                  "no-such-host.invalid", "256.1.1.1", "\n"])),
    st.tuples(st.just("--port"), st.sampled_from(["0", "-1", "65536", "99999", "x"])),
    st.tuples(st.just("--scale"), st.sampled_from(["1e-9", "0", "-1", "2", "nan", "inf"])),
    st.tuples(st.just("--runs"), st.sampled_from(["0", "-5", "100001", "1e3"])),
    st.tuples(st.just("--folder"), st.sampled_from(["/nonexistent", str(DAK_LAK), "x" * 300])),
))
def test_the_dashboard_refuses_bad_options_before_serving(args):
    code, lines = call(["app", str(DAK_LAK), *args])
    refused(code, lines, args[0] if args[0] != "--scale" else "scale")


# ----------------------------------------------------------------------------- scenario files

def _variant(folder: Path, body: str, name: str = "v.toml") -> Path:
    path = folder / name
    path.write_text(f'extends = "{DAK_LAK}"\n{body}', encoding="utf-8")
    return path


@st.composite
def toml_attack(draw):
    """(file bytes, extra files, words the refusal names): nesting, size, encoding, syntax, extends."""
    kind = draw(st.sampled_from(["arrays", "tables", "dotted", "headers", "binary", "utf8", "syntax", "chain",
                                 "cycle", "extends type", "extends target", "huge line", "date digits"]))
    deep = draw(st.integers(MAX_DEPTH + 1, 3000))
    if kind == "arrays":
        return f"x = {'[' * deep}1{']' * deep}\n".encode(), {}, ["nested more than"]
    if kind == "tables":
        return ("x = " + "{a = " * deep + "1" + "}" * deep + "\n").encode(), {}, ["nested more than"]
    if kind == "dotted":
        return ("x." + ".".join(["a"] * deep) + " = 1\n").encode(), {}, ["nested more than"]
    if kind == "headers":
        return ("[" + ".".join(["b"] * deep) + "]\nx = 1\n").encode(), {}, ["nested more than"]
    if kind == "binary":
        return draw(st.binary(min_size=1, max_size=64)) + b"\x00", {}, ["binary file"]
    if kind == "utf8":
        return b'name = "Dak L\xe1k"\n', {}, ["not UTF-8"]
    if kind == "syntax":
        text = draw(st.sampled_from(["x = = 1", "[a]\n[a]", "x = 1\nx = 2", "x = [1,", "x = 'a", "= 3",
                                     "x = 1979-13-45", "x = 0x", "[[a]]\n[a]"]))
        return text.encode(), {}, ["not valid TOML"]
    if kind == "chain":
        n = draw(st.integers(17, 60))
        files = {f"c{i}.toml": f'extends = "c{i + 1}.toml"\n'.encode() for i in range(n)}
        files[f"c{n}.toml"] = f'extends = "{DAK_LAK}"\n'.encode()
        return b'extends = "c0.toml"\n', files, ["extends", "chain of more than"]
    if kind == "cycle":
        n = draw(st.integers(1, 5))
        files = {f"c{i}.toml": f'extends = "c{(i + 1) % n}.toml"\n'.encode() for i in range(n)}
        return b'extends = "c0.toml"\n', files, ["cycle"]
    if kind == "extends type":
        value = draw(st.sampled_from(["1", "true", "[\"a.toml\"]", "{a = 1}", '""', '"  "']))
        return f"extends = {value}\n".encode(), {}, ["extends"]
    if kind == "extends target":
        target = draw(st.sampled_from(["/dev/zero.toml", "missing.toml", "dir.toml", "a.txt", "/etc/passwd"]))
        word = "extends" if target.endswith((".txt", "passwd")) else target.split("/")[-1]
        return f'extends = "{target}"\n'.encode(), {"dir.toml/keep": b""}, [word]
    if kind == "huge line":
        return b"x = '" + b"a" * (9 * 1024 * 1024) + b"'\n", {}, ["too large"]
    digits = draw(st.sampled_from(["２０２５-01", "٢٠٢٥-01", "2025-٠١", "२०२५-01"]))
    return f'extends = "{DAK_LAK}"\n[time]\nstart = "{digits}"\n'.encode(), {}, ["time.start"]


@cases(60)
@given(attack=toml_attack(), command=st.sampled_from(list(COMMANDS)))
def test_hostile_scenario_files_are_one_line(tmp_path_factory, attack, command):
    body, files, words = attack
    folder = tmp_path_factory.mktemp("toml")
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    scenario = folder / "v.toml"
    scenario.write_bytes(body)
    argv = [COMMANDS[command][0], str(scenario), *COMMANDS[command][2:], *_out(command, folder), "--quiet"]
    code, lines = call(argv)
    refused(code, lines, *words, untouched=folder / "out")


# ----------------------------------------------------------------------------- GeoJSON

@pytest.fixture(scope="module")
def dak_lak_map() -> dict:
    return json.loads(boundaries(66).read_text(encoding="utf-8"))


def _ring(draw, kind: str) -> object:
    """A geometry for one commune: a bow tie (self-intersecting, repairable), or one that no
    repair can make a commune."""
    x, y = draw(st.floats(108.0, 108.9)), draw(st.floats(12.2, 13.2))
    d = draw(st.floats(0.001, 0.05))
    if kind == "bowtie":
        return {"type": "Polygon", "coordinates": [[[x, y], [x + d, y + d], [x + d, y], [x, y + d], [x, y]]]}
    if kind == "spike":  # a polygon with a zero-width spike and a repeated point: valid after repair
        return {"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x + 2 * d, y + d],
                                                    [x + d, y + d], [x, y + d], [x, y], [x, y]]]}
    if kind == "line":  # every point on one line (eighths of a degree: exact in binary): no area
        a, b = round(x * 8) / 8, round(y * 8) / 8
        return {"type": "Polygon", "coordinates": [[[a, b], [a + 0.125, b + 0.125], [a + 0.25, b + 0.25], [a, b]]]}
    if kind == "far":
        far = draw(st.sampled_from([(0.0, 0.0), (-120.0, 40.0), (108.0, 60.0), (179.0, -89.0), (1e308, 12.0),
                                    (108.0, -1e308), (5e300, 5e300)]))
        return {"type": "Polygon", "coordinates": [[[far[0], far[1]], [far[0] + d, far[1]],
                                                    [far[0], far[1] + d], [far[0], far[1]]]]}
    if kind == "huge":
        return {"type": "Polygon", "coordinates": [[[100.5, 5.5], [119.5, 5.5], [119.5, 24.5], [100.5, 24.5],
                                                    [100.5, 5.5]]]}
    if kind == "nan":
        return {"type": "Polygon", "coordinates": [[[x, y], [float("nan"), y], [x, y + d], [x, y]]]}
    if kind == "empty":
        return {"type": "Polygon", "coordinates": draw(st.sampled_from([[], [[]]]))}
    if kind == "short":
        return {"type": "Polygon", "coordinates": [[[x, y], [x + d, y]]]}
    if kind == "strings":
        return {"type": "Polygon", "coordinates": [[["a", "b"], [1, 2], [3, 4], ["a", "b"]]]}
    if kind == "deep":
        nest: object = [x, y]
        for _ in range(draw(st.integers(MAX_DEPTH, 200))):
            nest = [nest]
        return {"type": "MultiPolygon", "coordinates": nest}
    return {"type": draw(st.sampled_from(["Point", "LineString", "GeometryCollection", "polygon", ""])),
            "coordinates": [x, y]}


REPAIRABLE = ("bowtie", "spike")


@cases(40)
@given(data=st.data(), kind=st.sampled_from(
    [*REPAIRABLE, "line", "far", "huge", "nan", "empty", "short", "strings", "deep", "type"]))
def test_commune_boundaries_are_repaired_or_refused_naming_the_commune(tmp_path_factory, dak_lak_map, data, kind):
    folder = tmp_path_factory.mktemp("geojson")
    geo = copy.deepcopy(dak_lak_map)
    i = data.draw(st.integers(0, len(geo["features"]) - 1))
    geo["features"][i]["geometry"] = _ring(data.draw, kind)
    (folder / "map.geojson").write_text(json.dumps(geo, allow_nan=True), encoding="utf-8")
    scenario = _variant(folder, '[province]\ngeojson = "map.geojson"\n')
    if kind in REPAIRABLE:
        load_scenario(scenario)  # made valid: the run uses the repaired polygon (tests/test_faults.py runs one)
        return
    code, lines = call(["run", str(scenario), "--out", str(folder / "out"), "--quiet"])
    line = refused(code, lines, "province.geojson", untouched=folder / "out")
    props = geo["features"][i]["properties"]
    if kind != "deep":  # too deep to read at all: the file is named, not a feature
        assert f"features[{i}]" in line and str(props.get("name", "")) in line, line


# ----------------------------------------------------------------------------- communes CSV

@pytest.fixture(scope="module")
def dak_lak_people() -> list[tuple[int, float]]:
    from sim import geodata

    units = geodata.units(66)
    people = dict(zip((u.code for u in units), geodata.populations(units)))
    return [(c, people[c]) for c, _, _ in province_units(66)]


def _csv(rows: list[tuple[object, object]], header: str = "code,population") -> str:
    return header + "\n" + "".join(f"{c},{p}\n" for c, p in rows)


@st.composite
def csv_case(draw, people):
    """(CSV text, words of the refusal; None where the file is valid and must be accepted)."""
    rows: list[tuple[object, object]] = list(people)
    i = draw(st.integers(0, len(rows) - 1))
    code = rows[i][0]
    kind = draw(st.sampled_from(["duplicate", "fraction", "missing", "foreign", "zero", "tiny", "negative", "huge",
                                 "all huge", "nan", "text", "header", "long field", "quote", "extra column", "scaled",
                                 "code text", "empty"]))
    if kind == "duplicate":
        rows.insert(draw(st.integers(0, len(rows))), (code, draw(st.floats(1, 1e5))))
        return _csv(rows), ["given twice"]
    if kind == "fraction":
        rows[i] = (f"{code}.{draw(st.integers(1, 9))}", rows[i][1])
        return _csv(rows), ["whole-number code"]
    if kind == "missing":
        del rows[i]
        return _csv(rows), ["no population for ward codes", str(code)]
    if kind == "foreign":
        rows.append((draw(st.sampled_from([1, 26734999, 99999999, 10105])), 100))
        return _csv(rows), ["not a commune or ward of this province"]
    if kind == "zero" or kind == "tiny":
        rows[i] = (code, 0 if kind == "zero" else draw(st.sampled_from(["1e-300", "5e-324", "1e-12", "0.0001"])))
        return _csv(rows), [str(code), "at least one"]
    if kind == "negative":
        rows[i] = (code, -draw(st.floats(1e-3, 1e6)))
        return _csv(rows), ["population"]
    if kind in ("huge", "all huge"):
        value = draw(st.sampled_from(["1e308", "1.7976931348623157e308", "2e9", "1e15"]))
        rows = [(c, value) for c, _ in rows] if kind == "all huge" else rows[:i] + [(code, value)] + rows[i + 1:]
        return _csv(rows), ["population"]
    if kind in ("nan", "text", "code text"):
        bad = draw(st.sampled_from(["nan", "inf", "-inf", ""])) if kind == "nan" else \
            draw(st.sampled_from(["lots", "1,000", "1.2.3", "١٢٣٤x"]))
        rows[i] = (bad, rows[i][1]) if kind == "code text" else (code, bad)
        return _csv(rows), ["thousands separator" if bad == "1,000" else "finite number"]
    if kind == "header":
        return _csv(rows, draw(st.sampled_from(["ma,population", "code;population", "code", "", "population"]))), \
            ["expected columns"]
    if kind == "long field":
        return _csv(rows) + '"' + "x" * 140_000 + '",1\n', ["CSV"]
    if kind == "quote":  # an unbalanced quote swallows the rest of the file into one cell
        return _csv(rows[:i]) + f'"{code},{rows[i][1]}\n' + "".join(f"{c},{p}\n" for c, p in rows[i + 1:]), \
            [f"row {i + 2}"]
    if kind == "empty":
        return "", ["empty CSV"]
    if kind == "extra column":
        return "code,population,note\n" + "".join(f'{c},{p},"a, b"\n' for c, p in rows), None
    factor = draw(st.sampled_from([1e-3, 0.5, 7.0, 1e3]))
    return _csv([(c, p * factor) for c, p in rows]), None


@cases(50)
@given(data=st.data())
def test_commune_populations_are_checked_before_any_work(tmp_path_factory, dak_lak_people, data):
    text, words = data.draw(csv_case(dak_lak_people))
    folder = tmp_path_factory.mktemp("csv")
    (folder / "people.csv").write_text(text, encoding="utf-8")
    scenario = _variant(folder, '[province]\ncommunes_csv = "people.csv"\n')
    if words is None:
        assert load_scenario(scenario).province.communes_csv == "people.csv"
        return
    command = data.draw(st.sampled_from(["run", "seek", "sweep", "discover", "sensitivity"]))
    argv = [command, str(scenario), *COMMANDS[command][2:], *_out(command, folder), "--quiet"]
    code, lines = call(argv)
    refused(code, lines, "province.communes_csv", *words, untouched=folder / "out")


# ----------------------------------------------------------------------------- output folders

USER_FILES = {
    "manifest.json": json.dumps({"citytwin_version": "0.1.0", "scenario": "dak_lak"}),
    "calibration.json": json.dumps({"command": "citytwin calibrate x.toml"}),
    "verdict.json": "[]", "indicators.csv": "run,year\n", "thesis.docx": "two years of work",
    "_sweep.json": json.dumps({"fingerprint": "x"}), "figures/fan_x.png": "not a png",
}


@cases(30)
@given(names=st.lists(st.sampled_from(sorted(USER_FILES)), min_size=1, max_size=4, unique=True),
       command=st.sampled_from(list(COMMANDS)))
def test_a_folder_is_citytwins_by_its_marker_only(tmp_path_factory, names, command):
    """Contents that look like citytwin's (a manifest with citytwin_version, a calibration.json
    with a command) do not make a folder citytwin's: it is refused and left as it was."""
    folder = tmp_path_factory.mktemp("mine")
    out = folder / "out"
    for name in names:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(USER_FILES[name], encoding="utf-8")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    code, lines = call([*COMMANDS[command], *_out(command, folder), "--quiet"])
    refused(code, lines, "not a citytwin output folder")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


@cases(30)
@given(siblings=st.lists(st.tuples(st.sampled_from(["tmp", "old"]),
                                   st.text(string.hexdigits.lower() + string.digits, min_size=1, max_size=16)),
                         min_size=1, max_size=4, unique=True),
       exists=st.booleans(), lock=st.sampled_from([None, "", "1234\n", "my notes", "12 34"]))
def test_hidden_folders_that_look_like_citytwins_are_left_alone(tmp_path_factory, siblings, exists, lock):
    """A user's hidden folders named like citytwin's working folders (`.r.tmp-*`, `.r.old-*`)
    without the marker inside are never removed or moved, whether the run goes ahead or is
    refused; a file named like the lock that holds more than a pid is never truncated."""
    parent = tmp_path_factory.mktemp("siblings")
    out = parent / "r"
    if exists:
        out.mkdir()
        (out / MARKER).write_text("{}", encoding="utf-8")
        (out / "old.txt").write_text("old", encoding="utf-8")
    for kind, token in siblings:
        hidden = parent / f".r.{kind}-{token}"
        hidden.mkdir(exist_ok=True)
        (hidden / "work.txt").write_text(f"mine {kind} {token}", encoding="utf-8")
    if lock is not None:
        (parent / ".r.lock").write_text(lock, encoding="utf-8")
    before = {p: p.read_bytes() for p in parent.rglob("*") if p.is_file() and p.parent != out and p.name != ".r.lock"}
    folder = OutputFolder(out, kind="run")
    if lock not in (None, "", "1234\n"):
        with pytest.raises(ScenarioError, match="not a citytwin lock file"):
            folder.check()
            with folder.locked():
                pass
        assert (parent / ".r.lock").read_text(encoding="utf-8") == lock
    else:
        folder.check()
        with folder.locked(), folder.replacing("test") as tmp:
            (tmp / "new.txt").write_text("new", encoding="utf-8")
        assert (out / "new.txt").read_text(encoding="utf-8") == "new" and (out / MARKER).is_file()
    after = {p: p.read_bytes() for p in parent.rglob("*") if p.is_file() and p.parent != out and p.name != ".r.lock"}
    assert after == before


# ----------------------------------------------------------------------------- the dashboard's uploads

@cases(40)
@given(name=st.one_of(st.text(max_size=300), st.sampled_from(["../../etc/passwd", "/abs/x.toml", "a\x00b.toml",
                                                              "..", ".", "", "con.toml", "x" * 5000, "a/b\\c.toml"])),
       body=st.sampled_from(["valid", "extends sibling", "extends outside", "deep", "binary", "huge", "syntax",
                             "geojson"]))
def test_uploads_are_read_like_files(name, body):
    """Whatever the browser sends as the file's name and content: a scenario, or one line (with no
    trace of the server's private paths), never another exception."""
    scenarios = ROOT / "scenarios"
    text: bytes = {
        "valid": b'extends = "dak_lak.toml"\n[budget]\ndx_share = 0.04\n',
        "extends sibling": b'extends = "dak_lak.toml"\n',
        "extends outside": b'extends = "../../../etc/passwd.toml"\n',
        "deep": b"x = " + b"[" * 5000 + b"]" * 5000,
        "binary": b"\x00\x01\x02",
        "huge": b"# " + b"a" * 5_000_001,
        "syntax": b"x = = 1",
        "geojson": b'extends = "dak_lak.toml"\n[province]\ngeojson = "x.geojson"\n',
    }[body]
    try:
        spec = read_scenario_text(text, roots=(scenarios,), name=name)
    except ScenarioError as exc:
        message = str(exc)
        assert body not in ("valid", "extends sibling"), message
        assert "\n" not in message and "citytwin-upload-" not in message, message
        return
    assert body in ("valid", "extends sibling")
    assert spec.province.code == 66 and spec.budget.dx_share == (0.04 if body == "valid" else 0.03)


def test_an_upload_extends_a_scenario_of_the_apps_folder():
    """The false refusal of round one: `extends = "dak_lak.toml"` in an upload is the app folder's."""
    text = 'extends = "dak_lak.toml"\nname = "mine"\n'
    spec = read_scenario_text(text, roots=(ROOT / "scenarios",), name="mine.toml")
    assert spec.name == "mine" and math.isclose(spec.budget.dx_share, 0.03)
    with pytest.raises(ScenarioError, match="outside the allowed folders"):
        read_scenario_text('extends = "../tests/conftest.toml"\n', roots=(ROOT / "scenarios",))


# ----------------------------------------------------------------------------- found by hand (round two)

def _found_by_hand(folder: Path) -> list[tuple[str, list[str], list[str]]]:
    """(what, argv, words) of the cases a hostile tester found by hand beyond the generated ones."""
    sweep_store = folder / "store"
    sweep_store.mkdir()
    (sweep_store / MARKER).write_text('{"kind": "sweep"}', encoding="utf-8")
    (sweep_store / "_sweep.json").write_text("{}", encoding="utf-8")
    sens = folder / "sens"
    sens.mkdir()
    (sens / "manifest.json").write_text(json.dumps({"method": "morris", "scenario": "dak_lak"}), encoding="utf-8")
    (sens / "sensitivity.csv").write_text("target,year,factor,kind,mu_star\ndak_lak.cashless_2030,2030,,prior,lots\n",
                                          encoding="utf-8")
    (folder / ".link.lock").symlink_to(folder / "victim.txt")
    (folder / "victim.txt").write_text("mine", encoding="utf-8")
    (folder / "cal").mkdir()  # an earlier calibration's results
    (folder / "cal" / MARKER).write_text('{"kind": "calibration"}', encoding="utf-8")
    accounts = str(ROOT / "scenarios" / "validation" / "vietnam_accounts.toml")
    run = ["run", str(DAK_LAK), "--quiet"]
    digits = "9" * 5000
    return [
        ("a lock file that is a symbolic link", [*run, "--out", str(folder / "link")], ["not a citytwin lock file"]),
        ("--out .", [*run, "--out", "."], ["its own name"]),
        ("--out ''", [*run, "--out", ""], ["its own name"]),
        ("--out a/..", [*run, "--out", str(folder / "a" / "..")], ["its own name"]),
        ("a run over a sweep's store", [*run, "--out", str(sweep_store)], ["holds a citytwin sweep output"]),
        ("a damaged --sensitivity folder", [*run, "--sensitivity", str(sens), "--out", str(folder / "o")],
         ["--sensitivity", "not a readable"]),
        ("a month 13", [*run, "--set", 'tasks.as_of="2025-13"'], ["tasks.as_of"]),
        ("only large firms", [*run, "--set", "businesses.size_shares={household=0.0, sme=0.0, large=1.0}"],
         ["size_shares"]),
        ("no skill anywhere", [*run, "--set", "population.skill_by_age=[0.0, 0.0, 0.0, 0.0]"], ["skill_by_age"]),
        ("a goal's December after the horizon", [*run, "--set", 'time.end="2025-02"', "--set",
                                                 'targets.goals=["national.smartphone_2025"]'], ["December 2025"]),
        ("a custom target with a goal's id", [*run, "--set", 'targets.custom=[{id="dak_lak.budget_floor", '
                                              'indicator="dx_budget_share", comparison=">=", threshold=0.03, '
                                              'year=2030, source="test"}]'], ["already the id"]),
        ("a prior on ensemble.scale", [*run, "--set", 'priors={"ensemble.scale"={factor=[0.5, 2.0], source="x"}}'],
         ["priors.ensemble.scale"]),
        ("an integer of 5,000 digits", [*run, "--set", f"ensemble.seed={digits}"], ["--set"]),
        ("a whole-number lever with fractional ends",
         ["seek", str(DAK_LAK), "--target", "dak_lak.budget_floor", "--set", "ensemble.uncertainty=false",
          "--lever", "network.local_contacts=5.5:5.6"], ["whole number"]),
        ("a grid of repeated whole numbers",
         ["sweep", str(DAK_LAK), "--set", "ensemble.uncertainty=false", "--vary", "network.local_contacts=5:6:5"],
         ["whole number"]),
        ("--trials without --cost", ["seek", str(DAK_LAK), "--target", "dak_lak.budget_floor", "--trials", "-5"],
         ["--trials"]),
        ("discover on one run", ["discover", str(DAK_LAK), "--target", "dak_lak.cashless_2030", "--runs", "1"],
         ["at least 10"]),
        ("--write inside --out", ["calibrate", accounts, "--out", str(folder / "cal"), "--write",
                                  str(folder / "cal" / "v.toml")], ["inside the results folder"]),
        ("an observation twice", ["calibrate", accounts, "--set", "observed.1.year=2014", "--write",
                                  str(folder / "w.toml")], ["observed already"]),
        ("a calibration box of no width", ["calibrate", accounts, "--set", "population.account_uptake=0.0", "--set",
                                           'free={"population.account_uptake"=[0.0, 5e-324]}', "--write",
                                           str(folder / "w.toml")], ["too narrow"]),
        ("--draws 1", ["calibrate", accounts, "--draws", "1", "--write", str(folder / "w.toml")], ["--draws"]),
        ("--as-of not a day", ["run", str(DAK_LAK), "--as-of", "2024-13-01"], ["--as-of", "YYYY-MM-DD"]),
        ("--as-of in the future", ["sweep", str(DAK_LAK), "--vary", "budget.dx_share=0.02:0.05:2", "--as-of",
                                   "2999-12-31"], ["--as-of", "future"]),
        ("a hindcast without its date", ["hindcast", str(DAK_LAK)], ["--as-of is required"]),
        ("a calibrated posterior before its data", ["hindcast", accounts.replace(".toml", "_calibrated.toml"),
                                                    "--as-of", "2024-12-31"], ["calibrate", "--as-of 2024-12-31"]),
    ]


def test_the_cases_found_by_hand_are_refused_in_one_line(tmp_path):
    for what, argv, words in _found_by_hand(tmp_path):
        code, lines = call(argv)
        assert code == 2 and len(lines) == 1 and all(w in lines[0] for w in words), (what, lines)
    assert (tmp_path / "victim.txt").read_text(encoding="utf-8") == "mine"
    assert (tmp_path / "store" / "_sweep.json").is_file()


@pytest.mark.parametrize("how", ["a byte-order mark", "old Mac line ends", "extra columns"])
def test_a_spreadsheets_csv_is_read(tmp_path, dak_lak_people, how):
    """Valid files as spreadsheets save them are accepted, not refused."""
    text = _csv(dak_lak_people)
    raw = {"a byte-order mark": b"\xef\xbb\xbf" + text.encode(),
           "old Mac line ends": text.replace("\n", "\r").encode(),
           "extra columns": ("code,population,note,\n" + "".join(f"{c},{p},x,\n" for c, p in dak_lak_people)).encode()}
    (tmp_path / "people.csv").write_bytes(raw[how])
    assert load_scenario(_variant(tmp_path, '[province]\ncommunes_csv = "people.csv"\n')).province.communes_csv
