"""The province scenarios shipped with citytwin (`scenarios/provinces/<code>_<name>.toml`, one
per province, `seeds/provinces.py`) and the nation's (`scenarios/vietnam.toml`): a command may
name a province by code or name instead of a file."""

from __future__ import annotations

import argparse
import re
from datetime import date
from pathlib import Path

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
PROVINCES = SCENARIOS / "provinces"

__all__ = ["SCENARIOS", "PROVINCES", "province_files", "scenario_argument", "as_of_argument"]


def province_files() -> dict[int, Path]:
    """The shipped province scenario of each province code."""
    out = {}
    for path in sorted(PROVINCES.glob("[0-9][0-9]_*.toml")):
        out[int(path.name[:2])] = path
    return out


def scenario_argument(text: str) -> str:
    """A scenario file as given, or the shipped province scenario a code ("79", "01") or a name
    ("ho_chi_minh", "lai-chau") stands for; anything else unchanged (loading says what is wrong)."""
    if text.endswith(".toml"):
        return text  # a file, whatever its state: loading says what is wrong with it in one line
    try:
        if Path(text).exists():
            return text
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte
        return text
    files = province_files()
    if re.fullmatch(r"\d{1,2}", text.strip()):
        path = files.get(int(text))
        return str(path) if path else text
    key = re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")
    for path in files.values():
        if path.stem[3:] == key:
            return str(path)
    return text


def as_of_argument(text: str) -> date:
    """An `--as-of` date: YYYY-MM-DD, not in the future."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, e.g. 2024-12-31, got {text!r}") from None
    if day > date.today():
        raise argparse.ArgumentTypeError(f"{day} is in the future: give a past date")
    return day
