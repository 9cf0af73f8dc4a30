"""Reading the files a scenario names (TOML, GeoJSON, CSV): the right kind, or one line why not.

A planner's file can be anything: a binary by mistake, a spreadsheet saved in a
legacy encoding, a GeoJSON path that points at a CSV. Each reader checks the
kind and the encoding and raises `ScenarioError` naming the file, so no such
mistake surfaces later as an internal error deep inside a run.

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
import json
import math
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError

MAX_BYTES = 256 * 1024 * 1024  # larger than any scenario or province boundary file

# Marks a folder as citytwin's output, so a later command may replace or extend it (`sim.outfolder`).
MARKER = ".citytwin-output"


def _text(path: Path, kind: str) -> str:
    """The file's UTF-8 text; a missing, huge, binary or non-UTF-8 file is a one-line error."""
    if not path.exists():
        raise ScenarioError(f"{path}: file not found")
    if not path.is_file():
        raise ScenarioError(f"{path}: not a file (expected a {kind} file)")
    if path.stat().st_size > MAX_BYTES:
        raise ScenarioError(f"{path}: {path.stat().st_size:,} bytes is too large for a {kind} file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc.strerror})") from None
    if b"\x00" in raw:
        raise ScenarioError(f"{path}: a binary file, not a {kind} file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ScenarioError(f"{path}: line {line}: byte 0x{raw[exc.start]:02x} is not UTF-8 "
                            f"({kind} files must be UTF-8 text)") from None


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as data (TOML is data: nothing in it is executed)."""
    text = _text(Path(path), "TOML")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None


def read_geojson(path: Path) -> list[dict[str, Any]]:
    """The features of a GeoJSON FeatureCollection, each with a geometry and properties."""
    text = _text(Path(path), "GeoJSON")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path}: not valid GeoJSON (JSON error at line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" \
            or not isinstance(data.get("features"), list):
        raise ScenarioError(f"{path}: expected a GeoJSON FeatureCollection with a list of features")
    for i, f in enumerate(data["features"]):
        ok = isinstance(f, dict) and isinstance(f.get("geometry"), dict) \
            and f["geometry"].get("type") in ("Polygon", "MultiPolygon") \
            and isinstance(f.get("properties", {}), dict)
        if not ok:
            raise ScenarioError(f"{path}: features[{i}]: expected a Polygon or MultiPolygon feature")
    return data["features"]


def read_csv(path: Path, columns: Iterable[str], numeric: Iterable[str] = ()) -> dict[str, list[str]]:
    """A CSV table with at least the given columns, as columns of strings; `numeric`
    columns must hold finite numbers (checked here, so a bad cell names its row)."""
    text = _text(Path(path), "CSV")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ScenarioError(f"{path}: empty CSV file; expected columns {','.join(columns)}")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in columns if c not in header]
    if missing:
        raise ScenarioError(f"{path}: expected columns {','.join(columns)}; missing {','.join(missing)}")
    table = {c: [r[header.index(c)].strip() if header.index(c) < len(r) else "" for r in rows[1:]]
             for c in columns}
    for c in numeric:
        for i, cell in enumerate(table[c]):
            try:
                finite = math.isfinite(float(cell))
            except ValueError:
                finite = False
            if not finite:
                raise ScenarioError(f"{path}: row {i + 2}, column {c}: expected a finite number, got {cell!r}")
    return table


def confined(path: Path, roots: Iterable[Path], what: str, file: str) -> Path:
    """`path` resolved, if it lies inside one of `roots` (links followed); else a one-line error."""
    resolved = Path(path).resolve()
    allowed = [Path(r).resolve() for r in roots]
    if not any(resolved == r or resolved.is_relative_to(r) for r in allowed):
        raise ScenarioError(f"{file}: {what}: {path} lies outside the allowed folders "
                            f"({', '.join(str(r) for r in allowed)})")
    return resolved
