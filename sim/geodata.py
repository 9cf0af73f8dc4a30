"""The shipped geographic data: every post-2025 commune, ward and special zone of the 34 provinces.

`sim/data/geo/` is a copy of the project's `shared/geo` set (see its README for sources and
the MIT licences): `units.csv` lists all 3,321 units with type, area and merger-dossier
population; `provinces/<code>_<name>.geojson` holds their boundaries (WGS84). Populations
are used as relative weights within a province (they add up to 113.7 M nationally, above
the statistical office's ~101 M), so a scenario's sourced province total always wins.
"""

from __future__ import annotations

import csv
import functools
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from numpy.typing import NDArray

from sim.errors import ScenarioError

DATA = Path(__file__).parent / "data" / "geo"
KINDS = {"ward": "ward", "commune": "commune", "special_zone": "special zone"}
PREFIX = {"ward": "Phường", "commune": "Xã", "special zone": "Đặc khu"}
SOURCE = ("sim/data/geo (MIT; boundaries from thanglequoc/vietnamese-provinces-database after "
          "sapnhap.bando.com.vn, populations of the 2025 merger dossiers via lamngockhuong/vietnam-3d-map)")


@dataclass(frozen=True)
class Unit:
    """One commune, ward or special zone as the data list it."""

    code: int
    name: str            # with its type, as in official texts: "Phường Hải Châu"
    kind: str            # "ward" (urban), "commune" (rural), "special zone"
    area_km2: float
    population: float | None  # merger-dossier figure; None where the data have none
    lon: float
    lat: float


@functools.cache
def all_units() -> dict[int, list[Unit]]:
    """Units of every province (by province code), sorted by unit code."""
    out: dict[int, list[Unit]] = {}
    with open(DATA / "units.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            kind = KINDS[r["type"]]
            out.setdefault(int(r["province_code"]), []).append(Unit(
                code=int(r["code"]), name=f"{PREFIX[kind]} {r['name']}", kind=kind, area_km2=float(r["area_km2"]),
                population=float(r["population"]) if r["population"] else None,
                lon=float(r["lon"]), lat=float(r["lat"])))
    return {p: sorted(units, key=lambda u: u.code) for p, units in sorted(out.items())}


def units(province: int) -> list[Unit]:
    """The units of one province ([] for a code the data do not have)."""
    return all_units().get(province, [])


def province_name(province: int) -> str | None:
    """The province's name as the data spell it ("Đắk Lắk"), None if unknown."""
    return _province_names().get(province)


@functools.cache
def _province_names() -> dict[int, str]:
    with open(DATA / "units.csv", encoding="utf-8", newline="") as f:
        return {int(r["province_code"]): r["province"] for r in csv.DictReader(f)}


def bare_name(name: str) -> str:
    """A unit's name without its type ("Phường Hải Châu" -> "Hải Châu"), as the data list it.

    >>> bare_name("Đặc khu Hoàng Sa"), bare_name("Xã Ea Kar"), bare_name("Hải Châu")
    ('Hoàng Sa', 'Ea Kar', 'Hải Châu')
    """
    for prefix in (*PREFIX.values(), "Thị trấn"):
        if name.startswith(prefix + " "):
            return name[len(prefix) + 1:]
    return name


def boundaries(province: int) -> Path | None:
    """The GeoJSON file of the province's unit boundaries, None if not shipped."""
    found = sorted((DATA / "provinces").glob(f"{province:02d}_*.geojson"))
    return found[0] if found else None


def province_outline(province: int, tolerance: float = 0.005) -> shapely.Geometry:
    """The province's boundary (the union of its units', simplified to `tolerance` degrees, about
    half a kilometre) for a map of the country; an empty polygon if no boundaries are shipped."""
    from sim.files import read_geojson

    path = boundaries(province)
    if path is None:
        return shapely.Polygon()
    parts = [shapely.make_valid(shapely.geometry.shape(f["geometry"])) for f in read_geojson(path)]
    # Neighbouring units' borders do not always meet (gaps of metres to a few hundred metres in the
    # source): the union keeps them as holes, so only each part's outer ring is kept (a province
    # has no hole of its own; an enclave of another province would be drawn over by it).
    whole = shapely.union_all(parts)
    return shapely.union_all([shapely.Polygon(p.exterior) for p in shapely.get_parts(whole)]).simplify(tolerance)


def populations(members: list[Unit]) -> list[float]:
    """People per unit, as weights. A unit without a figure (one in the data: Ba Chẽ, Quảng
    Ninh) gets its area times the median density of the province's units of its kind."""
    def density(kind: str) -> float:
        d = sorted(u.population / u.area_km2 for u in members
                   if u.kind == kind and u.population and u.area_km2 > 0)
        return d[len(d) // 2] if d else 0.0
    return [u.population if u.population is not None else u.area_km2 * density(u.kind) for u in members]


_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền, sắc, ngã, hỏi, nặng


def name_key(name: str) -> str:
    """A name's lookup key: lower case, and the tone mark moved to the end of its syllable, so the
    old and new spelling rules match ("Hòa Khánh" and "Hoà Khánh").

    >>> name_key("Phường Hòa Khánh") == name_key("phường hoà khánh")
    True
    """
    words = []
    for word in unicodedata.normalize("NFD", name.strip().lower()).split():
        tones = "".join(ch for ch in word if ch in _TONES)
        words.append("".join(ch for ch in word if ch not in _TONES) + tones)
    return unicodedata.normalize("NFC", " ".join(words))


def lookup_communes(names: list[str], codes: Sequence[int] | NDArray[np.integer], keys: list[str],
                    file: str = "scenario", where: str = "communes") -> NDArray[np.int64]:
    """Sorted indices of the units named in `keys`: a code, the name with its type ("Phường Hải
    Châu") or, where no other unit shares it, without ("Hải Châu"); any case, old or new tone marks.

    >>> lookup_communes(["Phường Hòa Khánh", "Xã B"], [10, 20], ["xã b", "10", "Hoà Khánh"]).tolist()
    [0, 1]
    """
    index = {str(c): i for i, c in enumerate(codes)} | {name_key(n): i for i, n in enumerate(names)}
    bare: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        bare.setdefault(name_key(bare_name(n)), []).append(i)
    index |= {k: v[0] for k, v in bare.items() if len(v) == 1 and k not in index}
    out = set()
    for k in keys:
        key = str(k).strip()
        found = index.get(key, index.get(name_key(key)))
        if found is None:
            raise ScenarioError(f"{file}: {where}: no commune or ward named {key!r} in this province; "
                                f"allowed: names (e.g. {names[0]!r}) or codes (e.g. {codes[0]}) of its units")
        out.add(found)
    return np.array(sorted(out), dtype=np.int64)


@functools.lru_cache(maxsize=64)
def province_units(code: int) -> list[tuple[int, str, str]]:
    """(unit code, name, kind) of every inhabited commune, ward and special zone of a post-2025
    province, sorted by code, from the shipped data. A unit the data give no residents (one:
    the Hoàng Sa special zone of Da Nang, the Paracel Islands) has no one to adopt anything and
    is not modelled (`Geography.uninhabited` keeps its polygon for maps and tables)."""
    return [(u.code, u.name, u.kind) for u in units(code) if u.population != 0]
