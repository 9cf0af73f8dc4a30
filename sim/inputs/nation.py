"""A nation scenario (`scenarios/vietnam.toml`): the provinces' own scenarios, run with the same
runs and seeds, judged together against the national goals.

    name = "vietnam"
    [nation]
    provinces = "provinces"          # a folder of province scenarios, one per province
    goals = ["national.online_services_2030", ...]
    [ensemble]
    runs = 30
    seed = 20250101
    scale = 0.005

`--set key=value` applies to every province; `--set provinces.79.key=value` to one (by code).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.errors import ScenarioError
from sim.files import read_toml
from sim.inputs.scenario import load_scenario
from sim.inputs.targets import Target, resolve_targets
from sim.schema import Name, Scenario

__all__ = ["Nation", "is_nation", "load_nation", "province_files_of"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _NationTable(_Strict):
    provinces: str = Field(min_length=1, description="folder of the province scenarios, beside this file")
    goals: list[str] = Field(min_length=1, description="national goal ids of seeds/goals.toml")
    memory_gb: float = Field(4.0, gt=0.5, le=1e4, description="memory the run may use on this machine (local "
                                                               "processes): provinces' worlds are dispatched to fit")


class _Ensemble(_Strict):
    runs: int = Field(ge=1, le=10_000)
    seed: int = Field(ge=0, le=2**63 - 1)
    scale: float = Field(gt=0.0, le=1.0)


class _NationFile(_Strict):
    name: Name
    description: str = ""
    nation: _NationTable
    ensemble: _Ensemble


@dataclass
class Nation:
    """The nation's provinces (each a checked Scenario with the nation's runs, seed and scale),
    its goals, and where it came from."""

    name: str
    description: str
    source_file: str
    provinces: list[Scenario]
    targets: list[Target]
    runs: int
    seed: int
    scale: float
    memory_bytes: float = 4e9


def is_nation(path: str | Path) -> bool:
    """Whether a TOML file is a nation scenario (it has a [nation] table)."""
    p = Path(path)
    try:
        if p.suffix != ".toml" or not p.is_file():
            return False
        return isinstance(read_toml(p).get("nation"), dict)
    except (ScenarioError, OSError, ValueError):  # unreadable, a name too long: loading says so in one line
        return False


def province_files_of(path: str | Path) -> dict[int, Path]:
    """The province scenario files a nation names (code -> file), without loading them."""
    folder = Path(path).parent / str(read_toml(Path(path)).get("nation", {}).get("provinces", ""))
    return {int(f.name[:2]): f for f in sorted(folder.glob("[0-9][0-9]_*.toml"))}


def _split(overrides: list[str] | tuple[str, ...], codes: set[int]) -> tuple[list[str], dict[int, list[str]]]:
    """Overrides for every province, and those for one (`provinces.<code>.key=value`)."""
    everyone: list[str] = []
    own: dict[int, list[str]] = {}
    for text in overrides:
        key = text.split("=", 1)[0].strip()
        if key.startswith("provinces."):
            _, code, *rest = key.split(".", 2) + [""]
            if not code.isdigit() or int(code) not in codes or not rest[0]:
                raise ScenarioError(f"--set {text}: expected provinces.<code>.<key>=<value> with a province code of "
                                    f"the nation ({', '.join(f'{c:02d}' for c in sorted(codes))})")
            own.setdefault(int(code), []).append(text.split(".", 2)[2])
        else:
            everyone.append(text)
    return everyone, own


def load_nation(path: str | Path, overrides: list[str] | tuple[str, ...] = (), as_of: date | None = None) -> Nation:
    """Read a nation scenario and every province scenario it names, with the overrides (and only the
    evidence published by `as_of`); one-line ScenarioError otherwise."""
    path = Path(path)
    file = str(path)
    data = read_toml(path)
    ens_keys = {"ensemble.runs", "ensemble.seed", "ensemble.scale"}
    own_sets = [t for t in overrides if t.split("=", 1)[0].strip() in ens_keys]
    for text in own_sets:  # the nation's runs, seed and scale are its own
        key, value = (part.strip() for part in text.split("=", 1))
        try:
            data.setdefault("ensemble", {})[key.split(".")[1]] = float(value) if key.endswith("scale") else int(value)
        except ValueError:
            raise ScenarioError(f"--set {text}: expected a number") from None
    try:
        spec = _NationFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ScenarioError(f"{file}: {where}: {err['msg']}") from None
    folder = (path.parent / spec.nation.provinces).resolve()
    files = sorted(folder.glob("[0-9][0-9]_*.toml"))
    if not files:
        raise ScenarioError(f"{file}: nation.provinces: no province scenarios (NN_name.toml) in {folder}")
    codes = {int(f.name[:2]) for f in files}
    everyone, own = _split([t for t in overrides if t not in own_sets], codes)
    e = spec.ensemble
    runs = [f"ensemble.runs={e.runs}", f"ensemble.seed={e.seed}", f"ensemble.scale={e.scale}"]
    provinces = [load_scenario(f, [*everyone, *own.get(int(f.name[:2]), []), *runs], as_of=as_of) for f in files]
    for f, s in zip(files, provinces):
        if s.province.grdp_vnd is None:
            raise ScenarioError(f"{f}: province.grdp_vnd: a nation weighs the digital economy by GRDP; give the "
                                "province's GRDP (seeds/provinces.csv has every province's)")
    horizons = {(s.time.start, s.time.end) for s in provinces}
    if len(horizons) > 1:
        raise ScenarioError(f"{file}: the province scenarios run over different horizons {sorted(horizons)}; "
                            "a nation needs one")
    first = provinces[0]
    judged = first.model_copy(update={"targets": first.targets.model_copy(update={"goals": spec.nation.goals,
                                                                                 "custom": []})})
    targets = resolve_targets(judged, f"{file}: nation")
    return Nation(spec.name, spec.description, str(path.resolve()), provinces, targets, e.runs, e.seed, e.scale,
                  spec.nation.memory_gb * 1e9)
