"""Reading the files a scenario names (TOML, GeoJSON, CSV): the right kind, or one line why not.

A planner's file can be anything: a binary by mistake, a spreadsheet saved in a
legacy encoding, a GeoJSON path that points at a CSV. Each reader checks the
kind and the encoding and raises `ScenarioError` naming the file, so no such
mistake surfaces later as an internal error deep inside a run.

Every reader has limits a real file never reaches and a hostile one does: a size per kind of
file (`MAX_BYTES`) and a nesting depth (`MAX_DEPTH`: a scenario nests 5 tables deep, a GeoJSON
6), so a file nested ten thousand deep is one line, not a RecursionError, and a huge one is
refused before it is read into memory.

Where a scenario comes from someone else (an upload to the dashboard), file
references may only point inside a set of trusted folders: `confined` checks it.

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.toml"
    >>> _ = p.write_bytes(b"x = 1")
    >>> read_toml(p)
    {'x': 1}
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import stat
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError

# Larger than any real file of its kind by two orders of magnitude or more: the largest scenario
# (a calibrated one with its posterior draws) is ~10 kB, the largest province boundary file 0.6 MB,
# a CSV of every unit of the country 0.3 MB.
MAX_BYTES = {"TOML": 8 * 1024 * 1024, "GeoJSON": 128 * 1024 * 1024, "CSV": 32 * 1024 * 1024,
             "JSON": 32 * 1024 * 1024}
MAX_DEPTH = 32       # tables within tables, arrays within arrays
MAX_CSV_ROWS = 1_000_000

# Marks a folder as citytwin's output, so a later command may replace or extend it (`sim.outputs.outfolder`).
MARKER = ".citytwin-output"


def _text(path: Path, kind: str) -> str:
    """The file's UTF-8 text; a missing, huge, binary or non-UTF-8 file is a one-line error."""
    if "\x00" in str(path):
        raise ScenarioError(f"{str(path)!r}: a file name cannot hold a NUL character")
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise ScenarioError(f"{path}: file not found") from None
    except OSError as exc:
        raise ScenarioError(f"{str(path)[:200]}: cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise ScenarioError(f"{path}: not a file (expected a {kind} file)")
    limit = MAX_BYTES[kind]
    try:
        # Read at most one byte past the limit: a file may grow while it is read.
        with path.open("rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    size = st.st_size
    if max(size, len(raw)) > limit:
        raise ScenarioError(f"{path}: {max(size, len(raw)):,} bytes or more is too large for a {kind} file "
                            f"(at most {limit:,})")
    if b"\x00" in raw:
        raise ScenarioError(f"{path}: a binary file, not a {kind} file")
    try:
        return raw.decode("utf-8-sig")  # a byte-order mark (Excel's "CSV UTF-8") is not content
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ScenarioError(f"{path}: line {line}: byte 0x{raw[exc.start]:02x} is not UTF-8 "
                            f"({kind} files must be UTF-8 text)") from None


def depth(data: Any) -> int:
    """How deep tables and arrays nest (a number is 0, [1] is 1), without recursion.

    >>> depth({"a": [1, {"b": 2}]})
    3
    """
    deepest, todo = 0, [(data, 0)]
    while todo:
        node, level = todo.pop()
        if isinstance(node, dict):
            todo.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            todo.extend((v, level + 1) for v in node)
        else:
            continue
        deepest = max(deepest, level + 1)
    return deepest


def _parsed(parse: Callable[[str], Any], text: str, where: str, kind: str) -> Any:
    """`parse(text)` within the depth limit, or one line naming `where`: a syntax error, a value
    Python cannot hold (an integer of more than 4,300 digits), nesting too deep to parse or use."""
    deep = f"{where}: tables or arrays nested more than {MAX_DEPTH} deep; not a {kind} file citytwin can use"
    try:
        data = parse(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{where}: not valid {kind} (JSON error at line {exc.lineno}: {exc.msg})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{where}: not valid {kind}: {' '.join(str(exc).split())}") from None
    except ValueError as exc:
        raise ScenarioError(f"{where}: not a {kind} file citytwin can use ({' '.join(str(exc).split())[:100]})") \
            from None
    except RecursionError:
        raise ScenarioError(deep) from None
    if depth(data) > MAX_DEPTH:
        raise ScenarioError(deep)
    return data


def parse_toml(text: str, where: str) -> dict[str, Any]:
    """TOML text as data, or one line naming `where`."""
    return _parsed(tomllib.loads, text, where, "TOML")


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as data (TOML is data: nothing in it is executed)."""
    return parse_toml(_text(Path(path), "TOML"), str(path))


def read_json(path: Path, kind: str = "JSON") -> Any:
    """A JSON file as data, within the size and depth limits."""
    return _parsed(json.loads, _text(Path(path), kind), str(path), kind)


def read_geojson(path: Path) -> list[dict[str, Any]]:
    """The features of a GeoJSON FeatureCollection, each with a geometry and properties."""
    data = read_json(path, "GeoJSON")
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" \
            or not isinstance(data.get("features"), list):
        raise ScenarioError(f"{path}: expected a GeoJSON FeatureCollection with a list of features")
    for i, f in enumerate(data["features"]):
        ok = isinstance(f, dict) and isinstance(f.get("geometry"), dict) \
            and f["geometry"].get("type") in ("Polygon", "MultiPolygon") \
            and isinstance(f.get("properties", {}), dict)
        if not ok:
            props = f.get("properties") if isinstance(f, dict) else None
            label = " ".join(str(props[k])[:60] for k in ("code", "name") if props.get(k) is not None) \
                if isinstance(props, dict) else ""
            raise ScenarioError(f"{path}: features[{i}]" + (f" ({label})" if label else "")
                                + ": expected a Polygon or MultiPolygon feature")
    return data["features"]


def read_csv(path: Path, columns: Iterable[str], numeric: Iterable[str] = ()) -> dict[str, list[str]]:
    """A CSV table with at least the given columns, as columns of strings; `numeric`
    columns must hold finite numbers (checked here, so a bad cell names its row)."""
    text = _text(Path(path), "CSV")
    if "\r" in text and "\n" not in text:  # old Mac line ends (a spreadsheet's "CSV (Macintosh)")
        text = text.replace("\r", "\n")
    try:
        rows = list(itertools.islice(csv.reader(io.StringIO(text)), MAX_CSV_ROWS + 2))
    except csv.Error as exc:
        raise ScenarioError(f"{path}: not a CSV table citytwin can read ({exc})") from None
    if len(rows) > MAX_CSV_ROWS + 1:
        raise ScenarioError(f"{path}: more than {MAX_CSV_ROWS:,} rows; not a table of communes")
    if not rows:
        raise ScenarioError(f"{path}: empty CSV file; expected columns {','.join(columns)}")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in columns if c not in header]
    if missing:
        raise ScenarioError(f"{path}: expected columns {','.join(columns)}; missing {','.join(missing)}")
    for i, row in enumerate(rows[1:], start=2):
        if any(cell.strip() for cell in row[len(header):]):  # "1,000" unquoted: a cell more than the header
            raise ScenarioError(f"{path}: row {i}: {len(row)} cells, the header has {len(header)} (a number "
                                "written with a thousands separator? write 1000, not 1,000)")
    table = {c: [r[header.index(c)].strip() if header.index(c) < len(r) else "" for r in rows[1:]]
             for c in columns}
    for c in numeric:
        for i, cell in enumerate(table[c]):
            try:
                finite = math.isfinite(float(cell))
            except ValueError:
                finite = False
            if not finite:
                shown = repr(cell if len(cell) <= 40 else cell[:37] + "...")
                raise ScenarioError(f"{path}: row {i + 2}, column {c}: expected a finite number, got {shown}")
    return table


def confined(path: Path, roots: Iterable[Path], what: str, file: str) -> Path:
    """`path` resolved, if it lies inside one of `roots` (links followed); else a one-line error."""
    resolved = Path(path).resolve()
    allowed = [Path(r).resolve() for r in roots]
    if not any(resolved == r or resolved.is_relative_to(r) for r in allowed):
        raise ScenarioError(f"{file}: {what}: {path} lies outside the allowed folders "
                            f"({', '.join(str(r) for r in allowed)})")
    return resolved
