"""Scenario files: reading, `extends`, `--set` overrides, the shipped province data, checks.

The schema (what a file may say) is `sim.schema`; this module turns files into a checked
`Scenario`: it reads the file and the chain it `extends`, applies `--set`, fills what the
shipped data know (the province's name, area and population; numbers given per person),
validates against the schema, then checks what needs the data: the province code, the
data files, commune names in policies, `[free]` boxes and targets. Every failure is one
`ScenarioError` line naming the file and the key.

Example:
    >>> from sim.inputs.scenario import load_scenario
    >>> s = load_scenario("scenarios/dak_lak.toml", overrides=["budget.dx_share=0.05"])
    >>> s.budget.dx_share
    0.05
"""

from __future__ import annotations

import copy
import re
import tomllib
import unicodedata
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim import geodata
from sim.errors import ScenarioError
from sim.files import MAX_DEPTH, confined, read_toml
from sim.files import depth as nesting
from sim.geodata import lookup_communes, province_units
from sim.inputs.as_of import restrict
from sim.inputs.provincefiles import check_province_files
from sim.inputs.targets import resolve_targets
from sim.schema import Scenario, levers, lookup, set_number

__all__ = ["load_scenario", "validate_scenario", "scenario_dict", "with_province_data", "parse_override",
           "apply_override", "with_values", "with_levers", "check_lever", "is_whole"]

# Province totals a scenario may give per person instead (national defaults for any province).
PER_PERSON = ("budget.spending_vnd", "baseline.sites_4g", "baseline.sites_5g")


def _province_filled(data: Any) -> Any:
    """The province's name, area and population from the shipped data where the scenario gives
    none (before `--set`, so `--set province.population=2e6` sets the value of that number)."""
    if not isinstance(data, dict) or not isinstance(data.get("province"), dict):
        return data
    data = dict(data)
    prov = data["province"] = dict(data["province"])
    code = prov.get("code")
    units = geodata.units(code) if isinstance(code, int) and not isinstance(code, bool) else []
    if units and isinstance(code, int):
        prov.setdefault("name", geodata.province_name(code))
        prov.setdefault("area_km2", {"value": round(sum(u.area_km2 for u in units), 2),
                                     "source": f"sum of the units' areas, {geodata.SOURCE}"})
        people = sum(geodata.populations(units))
        # The dossier figures add up to 113.7 M nationally against the statistical office's ~101 M.
        prov.setdefault("population", {
            "value": round(people), "range": [round(people * 101 / 113.7), round(people)],
            "source": f"assumption: sum of the 2025 merger-dossier populations of the units, {geodata.SOURCE}; "
                      "they add up to 113.7 M nationally against the statistical office's ~101 M, so the "
                      "range goes down by that ratio"})
    return data


def with_province_data(data: Any, file: str = "scenario") -> Any:
    """What the shipped data know fills what the scenario leaves out: the province's name,
    area and population (a scenario's own sourced figure wins); then numbers given per
    person (`{ per_person = ..., source = ..., range = [...] }`, for national defaults of
    budgets and site counts) become province totals."""
    data = _province_filled(data)
    if not isinstance(data, dict) or not isinstance(data.get("province"), dict):
        return data
    prov = data["province"]
    pop = prov.get("population")
    pop = pop.get("value") if isinstance(pop, dict) else None
    for dotted in PER_PERSON:
        section, key = dotted.split(".")
        node = data.get(section, {}).get(key) if isinstance(data.get(section), dict) else None
        if not (isinstance(node, dict) and "per_person" in node):
            continue
        node = dict(node)
        per = node.pop("per_person")
        if "value" not in node and isinstance(pop, (int, float)) and isinstance(per, (int, float)):
            node["value"] = per * pop
            node["source"] = f"{node.get('source', '')} (x {pop:,.0f} people)"
            if isinstance(node.get("range"), list) and len(node["range"]) == 2 \
                    and all(isinstance(v, (int, float)) for v in node["range"]):
                node["range"] = [v * pop for v in node["range"]]
        elif "value" not in node:
            raise ScenarioError(f"{file}: {dotted}.per_person: expected a number and a province population")
        data[section] = dict(data[section]) | {key: node}
    return data


def _merge(base: dict[str, Any], top: dict[str, Any], origin: dict[str, str], path: str,
           prefix: str = "") -> None:
    """Deep-merge `top` into `base` in place, recording which file set each key."""
    for key, value in top.items():
        dotted = f"{prefix}{key}"
        # A sourced number ({value or per_person, source, range}) is replaced whole: a new source never
        # inherits the old range.
        if isinstance(value, dict) and isinstance(base.get(key), dict) and not {"value", "per_person"} & set(value):
            _merge(base[key], value, origin, path, dotted + ".")
        else:
            base[key] = copy.deepcopy(value)
            origin.pop(dotted, None)  # re-insert: the order of `origin` is the order of setting
            origin[dotted] = path


# Files in one `extends` chain: the shipped ones are three deep (a variant, its province, the nation).
MAX_EXTENDS = 16


def _resolve(path: Path, origin: dict[str, str], roots: tuple[Path, ...] | None = None,
             base: Path | None = None) -> dict[str, Any]:
    """Read a scenario file and the chain of files it `extends` (inside `roots`, if given). The
    first file's `extends` is looked up in `base` (default: its own folder; an uploaded file's is
    the app's scenario folder), every later one's beside the file that names it."""
    chain: list[tuple[Path, dict[str, Any]]] = []
    seen: list[Path] = []
    while True:
        if roots is not None:
            confined(path, roots, "extends" if seen else "scenario file", str(seen[-1]) if seen else str(path))
        try:
            path = path.resolve()
        except (OSError, RuntimeError, ValueError) as exc:  # a link loop, a NUL byte
            raise ScenarioError(f"{str(path)[:200]}: cannot be read ({exc})") from None
        if path in seen:
            raise ScenarioError(f"{path}: extends: cycle through {' -> '.join(p.name for p in seen)}")
        if len(seen) >= MAX_EXTENDS:
            raise ScenarioError(f"{seen[0]}: extends: a chain of more than {MAX_EXTENDS} files")
        data = read_toml(path)
        parent = data.pop("extends", None)
        chain.append((path, data))
        if parent is None:
            break
        if not isinstance(parent, str) or not parent.strip():
            raise ScenarioError(f"{path}: extends: expected the name of a scenario file (a string), got {parent!r}")
        if not parent.endswith(".toml") or "\x00" in parent:
            raise ScenarioError(f"{path}: extends: expected a .toml scenario file, got {parent!r}")
        folder = base if base is not None and not seen else path.parent
        seen.append(path)
        path = folder / parent
    merged: dict[str, Any] = {}
    for file, data in reversed(chain):  # the nation first, the file named last
        _merge(merged, data, origin, str(file))
    return merged


# Keys citytwin sets itself: a scenario file or --set may not (source_file anchors relative paths).
INTERNAL_KEYS = ("source_file", "extends", "as_of")


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split `key.path=value`; the value is read as a TOML literal, else as a string.

    >>> parse_override("budget.dx_share=0.05")
    (['budget', 'dx_share'], 0.05)
    """
    if "=" not in text:
        raise ScenarioError(f"--set {text!r}: expected key.path=value, e.g. --set budget.dx_share=0.05")
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise ScenarioError(f"--set {text!r}: a line break or control character; give one key.path=value per --set")
    key, raw = text.split("=", 1)
    keys = key.strip().split(".")
    if not all(k.strip() for k in keys):
        raise ScenarioError(f"--set {text!r}: empty key in {key!r}; expected key.path=value")
    try:
        parsed = tomllib.loads(f"v = {raw.strip()}")
    except tomllib.TOMLDecodeError:
        parsed = {"v": raw.strip()}
    except RecursionError:
        raise ScenarioError(f"--set {text[:60]!r}...: nested more than {MAX_DEPTH} deep") from None
    except ValueError:  # an integer of more than 4,300 digits
        raise ScenarioError(f"--set {text[:60]!r}...: not a value citytwin can use") from None
    if list(parsed) != ["v"]:
        raise ScenarioError(f"--set {text!r}: more than one value; give one key.path=value per --set")
    value = parsed["v"]
    if nesting(value) > MAX_DEPTH:
        raise ScenarioError(f"--set {text[:60]!r}...: nested more than {MAX_DEPTH} deep")
    keys = [k.strip() for k in keys]
    if keys[0] in INTERNAL_KEYS:
        raise ScenarioError(f"--set {text!r}: {keys[0]} is set by citytwin, not by a scenario")
    return keys, value


def apply_override(data: dict[str, Any], keys: list[str], value: Any, text: str) -> None:
    node: Any = data
    for depth, key in enumerate(keys[:-1]):
        if isinstance(node, list):
            if not (key.isascii() and key.isdigit()) or int(key) >= len(node):
                raise ScenarioError(f"--set {text!r}: {'.'.join(keys[:depth + 1])}: no such list item")
            node = node[int(key)]
            continue
        if not isinstance(node, dict) or key not in node or not isinstance(node[key], (dict, list)):
            raise ScenarioError(f"--set {text!r}: {'.'.join(keys[:depth + 1])} is not a section of the scenario")
        node = node[key]
    last = keys[-1]
    if isinstance(node, list):
        if not (last.isascii() and last.isdigit()) or int(last) >= len(node):
            raise ScenarioError(f"--set {text!r}: {'.'.join(keys)}: no such list item")
        node[int(last)] = value
    elif isinstance(node, dict) and isinstance(node.get(last), dict) and not isinstance(value, dict):
        # `--set budget.spending_vnd=5e13` sets the value of a sourced number; its source then says
        # so (the file's source described the file's value, not this one). Its range stays: a
        # value outside it is refused, naming the range.
        sourced = node[last]
        if "value" in sourced and sourced["value"] != value and isinstance(sourced.get("source"), str):
            was = sourced["source"]
            sourced["source"] = (f"set on the command line: --set {text} (the scenario had {sourced['value']!r}, "
                                 f"source: {was})")
            if was.lower().startswith("assumption") and sourced.get("range") is not None:
                sourced["source"] = "assumption: " + sourced["source"]  # still drawn from its range
        sourced["value"] = value
    else:
        node[last] = value


def _format_error(exc: ValidationError, origin: dict[str, str], default: str) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    # The file that last set this key, a key inside it, or the section holding it.
    related = [f for k, f in origin.items()
               if loc and (k == loc or k.startswith(loc + ".") or loc.startswith(k + "."))]
    file = related[-1] if related else default
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "string_pattern_mismatch" and loc == "name":
        msg = ("expected letters, digits, '_', '-' or '.', starting with a letter or digit "
               "(the name becomes the results folder)")
    if err["type"] == "extra_forbidden":
        msg = "unknown key (check the spelling against the scenario schema)"
    elif err["type"] == "missing":
        msg = "missing key"
    elif "input" in err and not isinstance(err["input"], (dict, list)):
        got = repr(err["input"])
        msg = f"{msg} (got {got if len(got) <= 60 else got[:57] + '...'})"
    msg += _unit_hint(err)
    msg = re.sub(r" or instance of \w+", "", " ".join(msg.split()))  # one line, no class names
    more = len(exc.errors()) - 1
    tail = f" [and {more} more error{'s' if more > 1 else ''}]" if more else ""
    return f"{file}: {loc or '(top level)'}: {msg}{tail}"


def _unit_hint(err: Any) -> str:
    """The hint a per cent written as a per cent needs: shares are fractions (0.05 = 5%).

    >>> _unit_hint({"type": "less_than_equal", "ctx": {"le": 1.0}, "input": 5})
    '; a share is a fraction: 0.05 = 5%'
    >>> _unit_hint({"type": "float_parsing", "input": "5%"})
    '; write 5% as 0.05 (a share is a fraction)'
    """
    got = err.get("input")
    if err["type"] == "less_than_equal" and err.get("ctx", {}).get("le") == 1.0 and isinstance(got, (int, float)) \
            and 1.0 < got <= 100.0:
        return "; a share is a fraction: 0.05 = 5%"
    if err["type"] in ("float_parsing", "float_type") and isinstance(got, str) and got.strip().endswith("%"):
        number = got.strip().removesuffix("%").strip()
        try:
            return f"; write {number}% as {float(number) / 100:g} (a share is a fraction)"
        except ValueError:
            return ""
    return ""


def parent_plan(path: str | Path) -> Path | None:
    """The plan a scenario file varies: the file its `extends` names, when that is a plan of the
    same province (`dak_lak_5g_delay.toml` -> `dak_lak.toml`), not shared parameters (a file in a
    `common` folder) or a nation. None when there is none or it cannot be read (the run itself
    reports a broken file)."""
    path = Path(path)
    try:
        parent = tomllib.loads(path.read_text(encoding="utf-8")).get("extends")
        if not isinstance(parent, str):
            return None
        found = (path.parent / parent) if not Path(parent).is_absolute() else Path(parent)
        if "common" in found.parts or not found.is_file():
            return None
        own, theirs = (tomllib.loads(p.read_text(encoding="utf-8")) for p in (path, found))
    except (OSError, ValueError):
        return None
    if "provinces" in theirs or own.get("province", {}).get("code", theirs.get("province", {}).get("code")) != \
            theirs.get("province", {}).get("code"):
        return None
    resolved = found.resolve()
    return resolved.relative_to(Path.cwd().resolve()) if resolved.is_relative_to(Path.cwd().resolve()) else resolved


def scenario_dict(path: str | Path, overrides: list[str] | tuple[str, ...] = (),
                  roots: tuple[Path, ...] | None = None,
                  base: Path | None = None, as_of: date | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """The merged raw data of a scenario file with overrides applied, and each key's file
    (`base`: where the file's own `extends` is looked up, default its folder; `as_of`: only the
    evidence published by that date, `sim.inputs.as_of`, before the overrides)."""
    path = Path(path)
    origin: dict[str, str] = {}
    data = _resolve(path, origin, roots=roots, base=base)
    for key in INTERNAL_KEYS:
        if key in data:
            raise ScenarioError(f"{origin.get(key, path)}: {key}: set by citytwin, not by a scenario")
    data.setdefault("name", path.stem)
    if as_of is not None:
        data["as_of"] = restrict(data, as_of, str(path), origin).as_dict()
    data = _province_filled(data)
    for text in overrides:
        keys, value = parse_override(text)
        apply_override(data, keys, value, text)
        origin.pop(".".join(keys), None)
        origin[".".join(keys)] = f"--set {text}"
    data["source_file"] = str(path)
    return data, origin


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = (),
                  roots: Iterable[Path] | None = None, base: Path | None = None,
                  as_of: date | None = None) -> Scenario:
    """Read, merge, override and validate a scenario; raises ScenarioError with one line.

    `roots`: for a scenario from someone else (an upload), the folders that the file itself,
    its `extends` chain and its data files (GeoJSON, CSV) must lie in. None: anywhere.
    `base`: the folder the file's own `extends` is looked up in (an upload's: the app's folder).
    `as_of`: the scenario as it could have been written that day (`sim.inputs.as_of`)."""
    roots_t = None if roots is None else tuple(Path(r) for r in roots)
    data, origin = scenario_dict(path, overrides, roots_t, base, as_of)
    return validate_scenario(data, origin, str(Path(path).resolve()), roots_t)


def validate_scenario(data: dict[str, Any], origin: dict[str, str] | None = None, file: str = "scenario",
                      roots: tuple[Path, ...] | None = None) -> Scenario:
    """The Scenario, checked whole: province code, schema (with the province's data filled in),
    data files, commune names, `[free]` boxes and targets."""
    code = data.get("province", {}).get("code") if isinstance(data.get("province"), dict) else None
    if isinstance(code, int) and not isinstance(code, bool) and code not in geodata.all_units():
        where = (origin or {}).get("province.code") or (origin or {}).get("province") or file
        raise ScenarioError(f"{where}: province.code: unknown province code {code}; "
                            f"allowed: {sorted(geodata.all_units())}")
    try:
        scenario = Scenario.model_validate(with_province_data(data, file))
    except ValidationError as exc:
        raise ScenarioError(_format_error(exc, origin or {}, file)) from None
    base = Path(scenario.source_file).resolve().parent if scenario.source_file else Path.cwd()
    for key in ("geojson", "communes_csv"):
        name = getattr(scenario.province, key)
        if name is not None and roots is not None:
            confined(base / name, roots, f"province.{key}", file)
    check_province_files(scenario, file)
    _check_policy_communes(scenario, file)
    for table in ("priors", "free"):
        for key in getattr(scenario, table):
            why = NOT_READ_BY_A_RUN.get(key) or NOT_READ_BY_A_RUN.get(key.split(".", 1)[0])
            if why:
                raise ScenarioError(f"{file}: {table}.{key}: {why}")
    _check_free(scenario, file)
    resolve_targets(scenario, file)
    return scenario


def with_values(spec: Scenario, values: dict[str, float]) -> Scenario:
    """A copy of the scenario with dotted keys set, as `--set` would (a sourced number keeps its
    source); raises pydantic's ValidationError if a value is not allowed there."""
    data = spec.model_dump()
    for key, value in values.items():
        apply_override(data, key.split("."), value, key)
    return Scenario.model_validate(data)


def with_levers(spec: Scenario, point: dict[str, float], uncertainty: bool | None = None) -> Scenario:
    """A validated copy of the scenario with numbers at dotted keys set: a sourced number keeps
    its source, a whole number (lead days, contacts) is rounded, and a budget split's key is a
    weight (its table is divided by its sum, so raising one key rescales the others of its table
    and the table still sums to one). `uncertainty` sets `ensemble.uncertainty` (None: kept).
    Raises ScenarioError for a key that is not a number, pydantic's ValidationError for a value
    the schema refuses."""
    data = spec.model_dump()
    splits = set(levers(spec))
    tables: set[str] = set()
    for key, value in point.items():
        node = lookup(data, key)
        sourced = isinstance(node, dict) and "value" in node  # set_number keeps its source
        if not sourced and (isinstance(node, bool) or not isinstance(node, (int, float))):
            raise ScenarioError(f"{key}: not a number of the scenario")
        set_number(data, key, int(round(value)) if isinstance(node, int) and not sourced else float(value))
        parent = key.rsplit(".", 1)[0]
        if not sourced and key in splits and parent.count(".") and isinstance(lookup(data, parent), dict):
            tables.add(parent)
    for table in tables:
        shares = lookup(data, table)
        total = sum(shares.values())
        for k in shares:
            shares[k] = shares[k] / total
    if uncertainty is not None:
        data["ensemble"]["uncertainty"] = uncertainty
    return Scenario.model_validate(data)


# Numbers of a scenario that no run reads (or that say which province it is): not levers.
NOT_READ_BY_A_RUN = {
    "ensemble": "ensemble.* says how many runs, which seeds and what scale, not what a run does (give them with "
                "--runs, --seed, --scale)",
    "targets": "a target says how runs are judged, not what they do (give another target with --set)",
    "observed": "observations are read by citytwin calibrate only",
    "free": "calibration boxes are read by citytwin calibrate only",
    "posterior": "posterior draws are drawn per run, not set",
    "province.code": "the province code says which province this is: run another scenario instead",
    "province.centres": "the count of urban centres shapes only a schematic map",
}


def is_whole(spec: Scenario, key: str) -> bool:
    """True if the number at `key` is a whole number (a count, lead days), set rounded (`with_levers`)."""
    node = lookup(spec.model_dump(), key)
    return isinstance(node, int) and not isinstance(node, bool)


def check_lever(spec: Scenario, key: str, low: float, high: float, option: str = "--lever") -> None:
    """A range to explore: the key is a number of the scenario, low < high, and both ends are
    values the schema accepts there (a budget split's key as a weight, `with_levers`); one-line
    ScenarioError otherwise."""
    where = f"{option} {key}={low:g}:{high:g}"
    if not low < high:
        raise ScenarioError(f"{where}: expected LOW < HIGH")
    section = key.split(".", 1)[0]
    if section in NOT_READ_BY_A_RUN or key in NOT_READ_BY_A_RUN:
        raise ScenarioError(f"{option} {key}: {NOT_READ_BY_A_RUN.get(key, NOT_READ_BY_A_RUN.get(section))}; "
                            "every point would run the same runs under a different label")
    if spec.number_at(key) is None:
        raise ScenarioError(f"{option} {key}: not a number of the scenario (give a dotted key such as "
                            f"budget.dx_share)")
    if is_whole(spec, key) and not (float(low).is_integer() and float(high).is_integer()):
        raise ScenarioError(f"{where}: {key} is a whole number; give whole ends (a run rounds what it is given, "
                            "so the value reported would not be the value run)")
    if spec.ensemble.uncertainty:
        # A run draws these afresh, so setting the value would move only the mode of its draw (or nothing).
        node = lookup(spec.model_dump(), key)
        prior = spec.priors.get(key)
        drawn = ("an assumption with a range" if isinstance(node, dict) and node.get("range") is not None
                 else "a calibrated parameter" if spec.posterior and key in spec.posterior.parameters
                 else "a prior on an absolute range" if prior is not None and prior.range is not None else None)
        if drawn:
            raise ScenarioError(f"{option} {key}: {drawn}, drawn afresh by every run; explore it with citytwin "
                                "sensitivity, or add --set ensemble.uncertainty=false to set it outright")
    for end in (low, high):
        try:
            with_levers(spec, {key: end})
        except ValidationError as exc:
            msg = " ".join(exc.errors()[0]["msg"].removeprefix("Value error, ").split())
            raise ScenarioError(f"{where}: {end:g} is not allowed there ({msg})") from None


def _check_free(scenario: Scenario, file: str) -> None:
    """Every `[free]` key is a real-valued number of the scenario, inside its box, and both ends
    of the box are values the schema accepts (so no candidate of a calibration can be refused).

    Checked at loading only: a run's drawn assumptions may leave the box, which only
    `citytwin calibrate` uses (it does not draw)."""
    for key, (low, high) in scenario.free.items():
        where = f"{file}: free.{key}"
        if not low < high:
            raise ScenarioError(f"{where}: expected [low, high] with low < high, got {[low, high]}")
        value = scenario.number_at(key)
        if value is None:
            raise ScenarioError(f"{where}: not a number in the scenario (give a dotted key such as "
                                f"behaviour.online_services.p)")
        if not low <= value <= high:
            raise ScenarioError(f"{where}: the scenario's value {value} lies outside [{low}, {high}]")
        if high - low < 1e-9 * max(abs(low), abs(high), 1e-3):
            raise ScenarioError(f"{where}: [{low}, {high}] is too narrow to fit anything in; give a box wider than "
                                "a billionth of its values")
        for end in (low, high):
            try:
                with_values(scenario, {key: end})  # an integer key refuses a fractional end here
            except ValidationError as exc:
                msg = " ".join(exc.errors()[0]["msg"].removeprefix("Value error, ").split())
                raise ScenarioError(f"{where}: {end} is not allowed there ({msg})") from None


def _check_policy_communes(scenario: Scenario, file: str) -> None:
    units = province_units(scenario.province.code)
    for i, policy in enumerate(scenario.policies):
        lookup_communes([n for _, n, _ in units], [c for c, _, _ in units], policy.communes, file,
                        f"policies.{i}.communes")
