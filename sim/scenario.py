"""Scenario files: schema, loading, `extends`, and `--set` overrides.

A scenario is TOML data, never code. Every section is a strict pydantic model
(unknown keys are errors), so a typo in a planner's file is caught before any
simulation runs, and the error names the file, the key and what is allowed.

Example:
    >>> from sim.scenario import load_scenario
    >>> s = load_scenario("scenarios/dak_lak.toml", overrides=["budget.dx_share=0.05"])
    >>> s.budget.dx_share
    0.05
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

PROGRAMMES = ("infrastructure", "services", "skills", "incentives", "awareness", "research")
Programme = Literal["infrastructure", "services", "skills", "incentives", "awareness", "research"]

Share = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]


class ScenarioError(Exception):
    """A scenario or argument that cannot be used; the message is one line for the planner."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def _year_month(text: str) -> tuple[int, int]:
    """Parse "YYYY-MM"; raises ValueError with the allowed form."""
    try:
        year_s, month_s = text.split("-")
        year, month = int(year_s), int(month_s)
    except ValueError:
        raise ValueError(f"expected a month as 'YYYY-MM', got {text!r}") from None
    if not (1 <= month <= 12 and 1900 <= year <= 2200):
        raise ValueError(f"expected a month as 'YYYY-MM' with month 01-12, got {text!r}")
    return year, month


YearMonth = Annotated[str, Field(pattern=r"^\d{4}-\d{2}$")]


class Sourced(Strict):
    """A number with where it comes from; assumptions must carry an uncertainty range."""

    value: float
    source: Annotated[str, Field(min_length=3)]
    range: tuple[float, float] | None = None

    @model_validator(mode="after")
    def _check(self) -> "Sourced":
        if self.source.lower().startswith("assumption") and self.range is None:
            raise ValueError("an 'assumption: ...' source needs a range = [low, high]")
        if self.range is not None and not (self.range[0] <= self.value <= self.range[1]):
            raise ValueError(f"value {self.value} lies outside its range {list(self.range)}")
        return self


class SourcedShare(Sourced):
    value: Share


class SourcedCount(Sourced):
    value: NonNeg


class ProvinceSpec(Strict):
    name: str
    code: int = Field(description="vietnam-provinces code of the post-2025 province")
    area_km2: SourcedCount
    population: SourcedCount
    adult_share: SourcedShare
    businesses_per_1000: SourcedCount
    ward_weight: Positive = Field(description="people in a ward relative to a rural commune")
    centres: Annotated[int, Field(ge=1, le=10)] = 1
    geojson: str | None = None
    communes_csv: str | None = None

    @field_validator("code")
    @classmethod
    def _known_code(cls, code: int) -> int:
        from vietnam_provinces import Province

        codes = sorted(int(p.code) for p in Province.iter_all())
        if code not in codes:
            raise ValueError(f"unknown province code {code}; allowed: {codes}")
        return code


class TimeSpec(Strict):
    start: YearMonth
    end: YearMonth

    @model_validator(mode="after")
    def _order(self) -> "TimeSpec":
        if _year_month(self.end) <= _year_month(self.start):
            raise ValueError(f"end {self.end} must come after start {self.start}")
        return self

    @property
    def start_year(self) -> int:
        return _year_month(self.start)[0]

    @property
    def end_year(self) -> int:
        return _year_month(self.end)[0]

    @property
    def months(self) -> int:
        (y0, m0), (y1, m1) = _year_month(self.start), _year_month(self.end)
        return (y1 - y0) * 12 + (m1 - m0) + 1


class Baseline(Strict):
    smartphone_ownership: SourcedShare
    account_ownership: SourcedShare
    online_services_adoption: SourcedShare
    cashless_adoption: SourcedShare
    merchant_acceptance: SourcedShare
    business_online_services: SourcedShare
    procedures_online: SourcedShare
    fixed_broadband: SourcedShare
    digital_skill: SourcedShare
    digital_economy_share: SourcedShare
    sites_4g: SourcedCount
    sites_5g: SourcedCount
    backoffice_capacity: SourcedCount = Field(description="dossiers a day per 1,000 people")


class PopulationSpec(Strict):
    age_shares: tuple[Share, Share, Share, Share] = Field(description="15-24, 25-39, 40-59, 60+")
    skill_by_age: tuple[NonNeg, NonNeg, NonNeg, NonNeg]
    rural_skill_factor: Positive
    smartphone_uptake: NonNeg = Field(description="yearly hazard for a non-owner to get a smartphone")
    account_uptake: NonNeg = Field(description="yearly hazard for an adult without one to open an account")
    needs_per_year: Positive = Field(description="administrative dossiers per adult per year")
    home_commune_share: Share = 0.8

    @field_validator("age_shares")
    @classmethod
    def _sum_one(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if abs(sum(v) - 1.0) > 1e-6:
            raise ValueError(f"age shares must sum to 1, they sum to {sum(v):.4f}")
        return v


SECTORS = ("agriculture", "manufacturing", "retail_trade", "transport_logistics", "tourism_hospitality",
           "ict", "other_services")
SIZES = ("household", "sme", "large")
Sector = Literal["agriculture", "manufacturing", "retail_trade", "transport_logistics", "tourism_hospitality",
                 "ict", "other_services"]


class BusinessesSpec(Strict):
    sector_shares: dict[Sector, Share]
    size_shares: dict[Literal["household", "sme", "large"], Share]
    size_value_added: dict[Literal["household", "sme", "large"], Positive]
    consumer_facing: list[Sector] = Field(description="sectors whose merchants take retail payments")
    sources: str = Field(min_length=3)

    @field_validator("sector_shares", "size_shares")
    @classmethod
    def _sum_one(cls, v: dict[str, float]) -> dict[str, float]:
        if set(v) not in (set(SECTORS), set(SIZES)):
            raise ValueError(f"give a share for every one of {sorted(SECTORS) if len(v) > 3 else list(SIZES)}")
        if abs(sum(v.values()) - 1.0) > 1e-6:
            raise ValueError(f"shares must sum to 1, they sum to {sum(v.values()):.4f}")
        return v


class NetworkSpec(Strict):
    household_adults: Annotated[float, Field(ge=1.0, le=10.0)]
    local_contacts: Annotated[int, Field(ge=0, le=100)]
    long_range_contacts: Annotated[int, Field(ge=0, le=100)]
    mean_field: bool = False


class AdoptionSpec(Strict):
    """Bass parameters (per year) and the UTAUT gates for one citizen behaviour."""

    p: NonNeg
    q: NonNeg
    lapse: NonNeg = Field(description="yearly lapse hazard with a perfect experience")
    lapse_experience: NonNeg = Field(description="extra yearly lapse hazard at the worst experience")
    skill_weight: Share = Field(description="how much digital skill scales attractiveness")
    five_g_boost: NonNeg = 0.0
    gates: bool = True
    fixed_attractiveness: Share | None = None


class MerchantSpec(Strict):
    p: NonNeg
    q: NonNeg
    fee: Share = Field(description="merchant fee as a share of transaction value")
    fee_sensitivity: NonNeg
    lapse: NonNeg


class BusinessServicesSpec(Strict):
    p: NonNeg
    q: NonNeg
    mandate_year: int
    compliance_lag_months: Positive
    needs_per_year: Positive


class DigitalEconomySpec(Strict):
    upgrade_rate: NonNeg = Field(description="yearly hazard of moving up one digital level")
    level_weights: tuple[Share, Share, Share, Share]
    acceptance_boost: NonNeg = 1.0
    sector_digital_base: Share = Field(description="digital share of ICT value added")


class BehaviourSpec(Strict):
    online_services: AdoptionSpec
    cashless: AdoptionSpec
    merchants: MerchantSpec
    business_services: BusinessServicesSpec
    digital_economy: DigitalEconomySpec


class BudgetSpec(Strict):
    spending_vnd: SourcedCount
    growth: Annotated[float, Field(ge=-0.5, le=1.0)]
    dx_share: Share
    dx_share_growth: Annotated[float, Field(ge=-0.1, le=0.1)] = 0.0
    disbursement: Share
    allocation: dict[Programme, Share]
    infrastructure_mix: dict[Literal["sites_4g", "sites_5g", "fibre"], Share]
    services_mix: dict[Literal["procedures", "backoffice"], Share]
    incentives_mix: dict[Literal["merchant_onboarding", "fee_discount"], Share]
    adaptive: bool = False
    adaptive_shift: Share = 0.2

    @field_validator("allocation", "infrastructure_mix", "services_mix", "incentives_mix")
    @classmethod
    def _sum_one(cls, v: dict[str, float]) -> dict[str, float]:
        if abs(sum(v.values()) - 1.0) > 1e-6:
            raise ValueError(f"shares must sum to 1, they sum to {sum(v.values()):.4f}")
        return v


class CostSpec(Strict):
    site_4g_vnd: Positive
    site_5g_vnd: Positive
    fibre_household_vnd: Positive
    procedure_vnd: Positive
    backoffice_dossier_day_vnd: Positive = Field(description="yearly cost of one dossier/day of capacity")
    trainee_vnd: Positive
    merchant_onboarding_vnd: Positive
    fee_discount_dossier_vnd: Positive
    campaign_month_vnd: Positive
    research_business_vnd: Positive
    lead_days: dict[Programme, Annotated[int, Field(ge=0, le=3650)]]
    sources: str = Field(min_length=3, description="where the unit costs come from")


class EffectSpec(Strict):
    training_gain: Share
    campaign_p_boost: NonNeg = Field(description="multiplier on p minus one while a campaign runs")
    fee_discount_boost: NonNeg
    wait_tolerance_days: Positive
    online_dossier_effort: Share = Field(description="back-office effort of an online dossier, offline = 1")
    total_procedures: Positive


class InfrastructureSpec(Strict):
    operators: list[str] = Field(min_length=1)
    radius_urban_km: Positive
    radius_rural_km: Positive
    radius_5g_km: Positive
    commercial_4g_per_year: NonNeg
    commercial_5g_per_year: NonNeg
    five_g_start_year: int
    broadband_growth: NonNeg = Field(description="yearly hazard of a household getting fibre")


class PolicySpec(Strict):
    """Extra money for one programme, in named communes (a pilot) or province-wide."""

    name: str
    programme: Programme
    amount_vnd_per_year: Positive
    start: YearMonth
    end: YearMonth
    communes: list[str] = Field(default_factory=list, description="names or codes; empty = province")

    @model_validator(mode="after")
    def _order(self) -> "PolicySpec":
        if _year_month(self.end) < _year_month(self.start):
            raise ValueError(f"end {self.end} must not come before start {self.start}")
        return self


class TargetSpec(Strict):
    """A target written in the scenario itself (seed goals are referenced by id instead)."""

    id: str
    indicator: str
    comparison: Literal[">", ">=", "<", "<="]
    threshold: float
    year: int
    source: str = Field(min_length=3)
    every_year: bool = False


class TargetsSpec(Strict):
    goals: list[str] = Field(default_factory=list, description="ids in seeds/goals.toml")
    custom: list[TargetSpec] = Field(default_factory=list)


class ObservedSpec(Strict):
    """One observed value of a model indicator, for calibration and hindcasts."""

    year: int
    month: Annotated[int, Field(ge=1, le=12)] = 12
    indicator: str
    value: float
    sigma: Positive = Field(description="standard error of the observation against the model's indicator "
                                        "(sampling plus definitional error), in the indicator's units")
    source: str = Field(min_length=3)

    @field_validator("indicator")
    @classmethod
    def _known(cls, name: str) -> str:
        from sim.indicators import INDICATORS  # late import: indicators import this module

        if name not in INDICATORS:
            raise ValueError(f"unknown indicator {name!r}; allowed: {sorted(INDICATORS)}")
        return name


class ForcingPoint(Strict):
    year: int
    month: Annotated[int, Field(ge=1, le=12)] = 12
    value: Share
    source: str = Field(min_length=3)


class ForcingSpec(Strict):
    """Known history fed in from outside (hindcasts): the value is interpolated linearly between
    points month by month and held flat before the first and after the last."""

    procedures_online: list[ForcingPoint] = Field(
        default_factory=list, description="share of procedures offered online, replacing the services programme")

    @field_validator("procedures_online")
    @classmethod
    def _in_order(cls, points: list[ForcingPoint]) -> list[ForcingPoint]:
        times = [(p.year, p.month) for p in points]
        if times != sorted(set(times)):
            raise ValueError("forcing points must be in time order, one per month")
        return points


class EnsembleSpec(Strict):
    runs: Annotated[int, Field(ge=1, le=100_000)]
    seed: Annotated[int, Field(ge=0)]
    scale: Annotated[float, Field(gt=0.0, le=1.0)]
    workers: Annotated[int, Field(ge=0, le=256)] = 0
    uncertainty: bool = Field(True, description="draw every assumption with a range afresh for each run")


class Scenario(Strict):
    name: str
    description: str = ""
    province: ProvinceSpec
    time: TimeSpec
    baseline: Baseline
    population: PopulationSpec
    network: NetworkSpec
    businesses: BusinessesSpec
    behaviour: BehaviourSpec
    budget: BudgetSpec
    costs: CostSpec
    effects: EffectSpec
    infrastructure: InfrastructureSpec
    institutions: bool = Field(True, description="false switches off government and operators")
    policies: list[PolicySpec] = Field(default_factory=list)
    targets: TargetsSpec = Field(default_factory=TargetsSpec)
    forcing: ForcingSpec = Field(default_factory=ForcingSpec)
    observed: list[ObservedSpec] = Field(default_factory=list, description="observed series to calibrate on")
    free: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="parameters `citytwin calibrate` fits: dotted key = [low, high]")
    ensemble: EnsembleSpec
    source_file: str = ""

    @model_validator(mode="after")
    def _years_in_horizon(self) -> "Scenario":
        lo, hi = self.time.start_year, self.time.end_year
        for i, t in enumerate(self.targets.custom):
            if not lo <= t.year <= hi:
                raise ValueError(f"targets.custom.{i}.year {t.year} lies outside the horizon {lo}-{hi}")
        for i, o in enumerate(self.observed):
            if not _year_month(self.time.start) <= (o.year, o.month) <= _year_month(self.time.end):
                raise ValueError(f"observed.{i}: {o.year}-{o.month:02d} lies outside the horizon "
                                 f"{self.time.start}..{self.time.end}")
        for key, (low, high) in self.free.items():
            if not low < high:
                raise ValueError(f"free.{key}: expected [low, high] with low < high, got {[low, high]}")
            value = self._numeric(key)
            if value is None:
                raise ValueError(f"free.{key}: not a number in the scenario (give a dotted key such as "
                                 f"behaviour.online_services.p)")
            if not low <= value <= high:
                raise ValueError(f"free.{key}: the scenario's value {value} lies outside [{low}, {high}]")
        for i, p in enumerate(self.policies):
            if _year_month(p.start) < _year_month(self.time.start) or _year_month(p.start) > _year_month(self.time.end):
                raise ValueError(f"policies.{i}.start {p.start} lies outside {self.time.start}..{self.time.end}")
        return self


    def _numeric(self, key: str) -> float | None:
        """The number at a dotted key (a sourced number's value), or None if there is none."""
        node = lookup(self.model_dump(), key)
        if isinstance(node, dict) and "value" in node:
            node = node["value"]
        return float(node) if isinstance(node, (int, float)) and not isinstance(node, bool) else None


def lookup(data: Any, key: str) -> Any:
    """The node at a dotted key of scenario data (list items by index), or None.

    >>> lookup({"a": {"b": [1, 2]}}, "a.b.1")
    2
    """
    node = data
    for part in key.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


# --------------------------------------------------------------------------- loading


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ScenarioError(f"{path}: file not found")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None


def _merge(base: dict[str, Any], top: dict[str, Any], origin: dict[str, str], path: str,
           prefix: str = "") -> None:
    """Deep-merge `top` into `base` in place, recording which file set each key."""
    for key, value in top.items():
        dotted = f"{prefix}{key}"
        # A sourced number ({value, source, range}) is replaced whole: a new source never
        # inherits the old range.
        if isinstance(value, dict) and isinstance(base.get(key), dict) and "value" not in value:
            _merge(base[key], value, origin, path, dotted + ".")
        else:
            base[key] = copy.deepcopy(value)
            origin.pop(dotted, None)  # re-insert: the order of `origin` is the order of setting
            origin[dotted] = path


def _resolve(path: Path, origin: dict[str, str], seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a scenario file and the chain of files it `extends`."""
    path = path.resolve()
    if path in seen:
        raise ScenarioError(f"{path}: extends: cycle through {' -> '.join(p.name for p in seen)}")
    data = _read_toml(path)
    parent = data.pop("extends", None)
    merged: dict[str, Any] = {}
    if parent is not None:
        if not isinstance(parent, str):
            raise ScenarioError(f"{path}: extends: expected a file name (string), got {parent!r}")
        merged = _resolve(path.parent / parent, origin, seen + (path,))
    _merge(merged, data, origin, str(path))
    return merged


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split `key.path=value`; the value is read as a TOML literal, else as a string.

    >>> parse_override("budget.dx_share=0.05")
    (['budget', 'dx_share'], 0.05)
    """
    if "=" not in text:
        raise ScenarioError(f"--set {text!r}: expected key.path=value, e.g. --set budget.dx_share=0.05")
    key, raw = text.split("=", 1)
    keys = key.strip().split(".")
    if not all(k.strip() for k in keys):
        raise ScenarioError(f"--set {text!r}: empty key in {key!r}; expected key.path=value")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return [k.strip() for k in keys], value


def apply_override(data: dict[str, Any], keys: list[str], value: Any, text: str) -> None:
    node: Any = data
    for depth, key in enumerate(keys[:-1]):
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                raise ScenarioError(f"--set {text!r}: {'.'.join(keys[:depth + 1])}: no such list item")
            node = node[int(key)]
            continue
        if not isinstance(node, dict) or key not in node or not isinstance(node[key], (dict, list)):
            raise ScenarioError(f"--set {text!r}: {'.'.join(keys[:depth + 1])} is not a section of the scenario")
        node = node[key]
    last = keys[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            raise ScenarioError(f"--set {text!r}: {'.'.join(keys)}: no such list item")
        node[int(last)] = value
    elif isinstance(node, dict) and isinstance(node.get(last), dict) and not isinstance(value, dict):
        # `--set budget.spending_vnd=5e13` sets the value of a sourced number, keeping its source.
        node[last]["value"] = value
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
    if err["type"] == "extra_forbidden":
        msg = "unknown key (check the spelling against the scenario schema)"
    elif err["type"] == "missing":
        msg = "missing key"
    elif "input" in err and not isinstance(err["input"], (dict, list)):
        msg = f"{msg} (got {err['input']!r})"
    more = len(exc.errors()) - 1
    tail = f" [and {more} more error{'s' if more > 1 else ''}]" if more else ""
    return f"{file}: {loc or '(top level)'}: {msg}{tail}"


def scenario_dict(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> tuple[dict[str, Any], dict[str, str]]:
    """The merged raw data of a scenario file with overrides applied, and each key's file."""
    path = Path(path)
    origin: dict[str, str] = {}
    data = _resolve(path, origin)
    data.setdefault("name", path.stem)
    data["source_file"] = str(path)
    for text in overrides:
        keys, value = parse_override(text)
        apply_override(data, keys, value, text)
        origin.pop(".".join(keys), None)
        origin[".".join(keys)] = f"--set {text}"
    return data, origin


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read, merge, override and validate a scenario; raises ScenarioError with one line."""
    data, origin = scenario_dict(path, overrides)
    return validate_scenario(data, origin, str(Path(path).resolve()))


def validate_scenario(data: dict[str, Any], origin: dict[str, str] | None = None, file: str = "scenario") -> Scenario:
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_format_error(exc, origin or {}, file)) from None
    # Files named by the scenario must exist, relative to the scenario file.
    base = Path(scenario.source_file).resolve().parent if scenario.source_file else Path.cwd()
    for key in ("geojson", "communes_csv"):
        name = getattr(scenario.province, key)
        if name is not None and not (base / name).is_file():
            raise ScenarioError(f"{file}: province.{key}: file not found: {base / name}")
    _check_policy_communes(scenario, file)
    from sim.targets import resolve_targets  # late import: targets read seeds/

    resolve_targets(scenario, file)
    return scenario


def _check_policy_communes(scenario: Scenario, file: str) -> None:
    from sim.geography import lookup_communes, province_units

    units = province_units(scenario.province.code)
    for i, policy in enumerate(scenario.policies):
        lookup_communes([n for _, n, _ in units], [c for c, _, _ in units], policy.communes, file,
                        f"policies.{i}.communes")
