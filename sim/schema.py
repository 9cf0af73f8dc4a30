"""The scenario schema: what a scenario file may say, and the names it may use.

A scenario is TOML data, never code. Every section is a strict pydantic model:
unknown keys are errors, TOML types are kept (no string read as a number, no
boolean read as a count), numbers must be finite and inside the ranges the
model can use (bounds that keep every division and count meaningful), and
tables keyed by a fixed list (programmes, sectors, sizes) must be complete. So a
typo or a wrong value in a planner's file is caught before any simulation runs,
and the error names the key and what is allowed.

This module imports nothing from `sim`: it is the bottom of the stack, and the
vocabulary every layer shares (programmes, sectors, firm sizes, indicators) is
written here once. Reading files, `extends`, `--set`, the shipped province data
and the checks against them are `sim.inputs.scenario`'s.

Example:
    >>> from sim.schema import Scenario
    >>> {'baseline', 'behaviour', 'budget'} <= set(Scenario.model_fields)
    True
"""

from __future__ import annotations

import copy
import math
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

# --------------------------------------------------------------------------- vocabulary
# A `Literal` type and its tuple are one list (the tuple is read off the type).

# DX programmes share the digital-transformation part of the Resolution 57 budget; `enterprise`
# (firms' digital transformation) is the innovation part, `research` the science-and-technology part.
DxProgramme = Literal["infrastructure", "services", "skills", "incentives", "awareness"]
Programme = Literal[DxProgramme, "enterprise", "research"]
DX_PROGRAMMES: tuple[DxProgramme, ...] = get_args(DxProgramme)
PROGRAMMES: tuple[Programme, ...] = DX_PROGRAMMES + ("enterprise", "research")

Sector = Literal["agriculture", "manufacturing", "retail_trade", "transport_logistics", "tourism_hospitality",
                 "ict", "other_services"]
SECTORS: tuple[Sector, ...] = get_args(Sector)
# Every sector but ICT (the core digital economy): the digitalisation of these is measured.
NonCoreSector = Literal["agriculture", "manufacturing", "retail_trade", "transport_logistics", "tourism_hospitality",
                        "other_services"]
NON_CORE: tuple[NonCoreSector, ...] = get_args(NonCoreSector)
assert NON_CORE == tuple(s for s in SECTORS if s != "ict")  # one list: the sectors without ICT, in order
Size = Literal["household", "sme", "large"]
SIZES: tuple[Size, ...] = get_args(Size)

# Every indicator the model records (targets may only use these names), with what it measures.
INDICATORS: dict[str, str] = {
    "online_services_adoption": "share of adult citizens who are adopters of online public services",
    "online_services_uptake": ("share of people and businesses with a dossier in the last 12 months who filed their "
                               "latest online dossier themselves (assisted filings are online_services_assisted)"),
    "online_services_assisted": ("share of people and businesses with a dossier in the last 12 months whose latest "
                                 "online dossier a community digital team filed for them"),
    "online_dossier_share": "share of the month's dossiers filed online (by the person or with a team's help)",
    "procedures_online": "share of procedures offered online (national forcing)",
    "online_dossier_rejection": "share of online dossiers returned for correction (population-weighted)",
    "cashless_adoption": "share of adult citizens who pay cashless",
    "cashless_share": "share of the month's retail transactions (count) paid cashless",
    "merchant_acceptance": "share of consumer-facing businesses accepting cashless",
    "account_ownership": "share of adults with a payment account (Findex survey definition)",
    "smartphone_ownership": "share of adults with a smartphone",
    "coverage_4g": "share of adults whose home is covered by 4G",
    "coverage_5g": "share of adults whose home is covered by 5G",
    "digital_skill": "mean digital skill of adults (0-1)",
    "digital_economy_share": "digital economy as a share of GRDP, in the scenario's definition (core + digitalisation)",
    "digital_economy_core_share": "core digital economy (ICT industries) as a share of GRDP",
    "digital_economy_digitalisation_share": "digitalisation of the other sectors as a share of GRDP",
    "digital_economy_min_sector_share": "digital share of the least digital sector's value added",
    "grdp_growth": "GRDP growth at constant prices on the same month a year earlier (growth accounting)",
    "labour_productivity_growth": "growth of GRDP per employed person on the same month a year earlier",
    "tfp_growth": "average yearly growth of total factor productivity since the start (log rate)",
    "grdp_growth_average": "average yearly GRDP growth since the start (log rate)",
    "tfp_contribution_share": ("TFP's share of GRDP growth since the start (average TFP growth over average GRDP "
                               "growth, as the statistics office computes it for a period)"),
    "digital_tfp_gain": "log TFP added since the start by firms' digital adoption and the core digital economy",
    "hightech_export_share": "share of high-tech goods in the province's goods exports (the month's annualised flows)",
    "business_online_services": "share of businesses using online public services",
    "backoffice_wait_days": "population-weighted mean wait of a dossier in a commune office's queue (working days)",
    "backoffice_overdue_share": "population-weighted share of dossiers waiting beyond the statutory deadline",
    "backoffice_utilisation": "population-weighted utilisation of commune offices (arrivals over capacity)",
    "dx_budget_share": "Resolution 57 budget (S&T, innovation and DX) / total spending of the year",
    "dx_spent_vnd": "Resolution 57 money delivered and absorbed (cumulative, VND)",
    "dx_unabsorbed_vnd": "Resolution 57 money paid out but not absorbed, returned to the budget (cumulative, VND)",
    **{f"dx_spent_{p}_vnd": f"money absorbed by the {p} programme (cumulative, VND)" for p in PROGRAMMES},
    "dx_spent_unmodelled_vnd": ("money absorbed whose effect the model does not represent: science and technology "
                                "beyond the Resolution 57 tasks (cumulative, VND; counted towards the 3% floor)"),
    "sites_4g_built": "4G sites the programmes co-funded (cumulative)",
    "sites_5g_built": "5G sites the programmes co-funded (cumulative)",
    "fibre_households": "households connected to fibre by the programmes (cumulative)",
    "people_trained": "people trained by community digital teams (cumulative)",
    "merchants_onboarded": "merchants onboarded to cashless payments (cumulative)",
    "dossiers_assisted": "dossiers filed online with a community digital team's help (cumulative)",
    "firms_supported": "firms supported in their digital transformation (cumulative)",
    "officers_funded": "officer-years of back-office staff funded (cumulative)",
    "r57_tasks_done": "Resolution 57 tasks done (of those the centre assigned)",
    "r57_tasks_done_share": "share of the assigned Resolution 57 tasks done",
    "dti_proxy_score": ("DTI-like composite (0-1): the provincial Digital Transformation Index's pillars the model "
                        "measures (infrastructure, human resources, digital government, economy, society), weighted "
                        "by the ministry's points"),
    "dti_proxy_rank": ("rank among the 34 provinces on the DTI-like composite, the others on their own scenarios at "
                       "the Resolution 57 minimum (a proxy for the DTI ranking)"),
}

# Indicators that are shares or means of 0-1 scores: observed values of them lie in [0, 1].
# TFP's share of growth is not bounded: below 0 or above 1 when the inputs grow faster than GRDP.
SHARE_INDICATORS = frozenset(k for k, what in INDICATORS.items()
                             if ("share of" in what or "(0-1)" in what or k == "dx_budget_share")
                             and k != "tfp_contribution_share")
# Indicators read as per cent: shares, growth rates and log changes.
PERCENT_INDICATORS = SHARE_INDICATORS | frozenset(k for k in INDICATORS if "growth" in k or k == "digital_tfp_gain"
                                                  or k == "tfp_contribution_share")

# --------------------------------------------------------------------------- schema

# Bounds. They are not parameters (nothing is calibrated against them): they say what the
# model can use, so a value outside them is a typo or a unit error, refused before any work.
# Each upper bound is orders of magnitude above any real province (largest post-2025 province:
# ~14 M people, ~25,000 km²; Vietnam's whole state budget: ~2.5e15 VND a year).
MAX_RATE = 100.0              # a yearly hazard; 100/yr is a monthly probability of 1 - e^-8.3
MAX_VND = 1e17                # a year's spending or a policy's yearly amount
MIN_UNIT_VND, MAX_UNIT_VND = 1e3, 1e15   # one thing bought (a site, a trainee, a campaign month)
MAX_LARGE_SHARE = 0.2         # large firms among businesses (real: about 1%)

# A lever is what a planner sets (the money and how it is split; how much the province can
# absorb is an assumption about it, not a lever); `levers()` lists them and tests/test_mechanisms.py
# checks that each moves something.
LEVER: dict[str, JsonValue] = {"lever": True}

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
Rate = Annotated[float, Field(ge=0.0, le=MAX_RATE, description="per year")]
Factor = Annotated[float, Field(ge=0.0, le=100.0)]
UnitCost = Annotated[float, Field(ge=MIN_UNIT_VND, le=MAX_UNIT_VND, description="VND")]
Year = Annotated[int, Field(ge=1900, le=2200)]


def _list_to_tuple(value: Any) -> Any:
    # TOML has arrays, not tuples: accept an array for a fixed-length field (its items keep
    # their strict types) and let the tuple's own validation check the length.
    return tuple(value) if isinstance(value, list) else value


Pair = Annotated[tuple[float, float], BeforeValidator(_list_to_tuple)]
Four = Annotated[tuple[Share, Share, Share, Share], BeforeValidator(_list_to_tuple)]


class Strict(BaseModel):
    # strict: TOML's types are kept (no "0.3" or true for a number, no "no" for a boolean);
    # allow_inf_nan=False: inf and nan are never a valid input.
    model_config = ConfigDict(extra="forbid", validate_assignment=True, strict=True, allow_inf_nan=False)


def table(field: str, keys: tuple[str, ...], sums_to_one: bool = False) -> Any:
    """A validator for a table keyed by a fixed list: every key present (a missing one is not a
    silent zero) and, for shares, a sum of 1."""
    def check(cls: type, v: dict[str, float]) -> dict[str, float]:
        missing = [k for k in keys if k not in v]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}; give a value for every one of {', '.join(keys)}")
        if sums_to_one and abs(sum(v.values()) - 1.0) > 1e-6:
            raise ValueError(f"shares must sum to 1, they sum to {sum(v.values()):.4f}")
        return v
    return field_validator(field)(classmethod(check))


def year_month(text: str) -> tuple[int, int]:
    """Parse "YYYY-MM"; raises ValueError with the allowed form."""
    try:
        year_s, month_s = text.split("-")
        if not (year_s + month_s).isascii():  # int() reads other scripts' digits ("２０２５") too
            raise ValueError
        year, month = int(year_s), int(month_s)
    except ValueError:
        raise ValueError(f"expected a month as 'YYYY-MM', got {text!r}") from None
    if not (1 <= month <= 12 and 1900 <= year <= 2200):
        raise ValueError(f"expected a month as 'YYYY-MM' with month 01-12, got {text!r}")
    return year, month


def _a_month(text: str) -> str:
    year_month(text)  # month 01-12, year 1900-2200, or the one-line reason
    return text


# [0-9], not \d: \d matches the digits of every script ("２０２５-01", "٢٠٢٥-01").
YearMonth = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}$"), AfterValidator(_a_month)]
# A name that becomes a folder under results/: no path separators, no "." or "..", not empty.
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")]


class Sourced(Strict):
    """A number with where it comes from; assumptions must carry an uncertainty range.

    The range obeys the same bounds as the value (each run may draw any point of it)."""

    value: float
    source: Annotated[str, Field(min_length=3)]
    range: Pair | None = None

    @model_validator(mode="after")
    def _check(self) -> Sourced:
        if self.source.lower().startswith("assumption") and self.range is None:
            raise ValueError("an 'assumption: ...' source needs a range = [low, high]")
        if self.range is not None:
            low, high = self.range
            if not low <= high:
                raise ValueError(f"range {list(self.range)}: expected [low, high] with low <= high")
            if not (low <= self.value <= high):
                raise ValueError(f"value {self.value} lies outside its range {list(self.range)}")
            for end in self.range:
                try:
                    type(self).model_validate({"value": end, "source": "its range"})
                except ValidationError as exc:
                    msg = exc.errors()[0]["msg"].removeprefix("Value error, ")
                    raise ValueError(f"range {list(self.range)}: {end} is not allowed ({msg})") from None
        return self


class SourcedShare(Sourced):
    value: Share


class SourcedHalf(Sourced):
    value: Annotated[float, Field(ge=0.0, le=0.5)]


class SourcedAdultShare(Sourced):
    value: Annotated[float, Field(gt=0.0, le=1.0)]


class SourcedArea(Sourced):
    value: Annotated[float, Field(gt=0.0, le=1e5, description="km²")]


class SourcedPopulation(Sourced):
    value: Annotated[float, Field(ge=1000.0, le=5e7, description="people")]


class SourcedDensity(Sourced):
    value: Annotated[float, Field(gt=0.0, le=1000.0, description="per 1,000 people")]


class SourcedSites(Sourced):
    value: Annotated[float, Field(ge=0.0, le=1e6, description="sites")]


class SourcedFactor(Sourced):
    value: Factor


class SourcedRate(Sourced):
    value: Rate


class SourcedGrowth(Sourced):
    value: Annotated[float, Field(ge=-0.5, le=1.0, description="per year")]


class SourcedMonths(Sourced):
    value: Annotated[float, Field(gt=0.0, le=1200.0, description="months")]


class SourcedCount(Sourced):
    value: Annotated[float, Field(ge=0.0, le=1e12, description="a year per million people")]


class SourcedUnitCost(Sourced):
    value: UnitCost


class SourcedVnd(Sourced):
    value: Annotated[float, Field(gt=0.0, le=MAX_VND, description="VND a year")]


class ProvinceSpec(Strict):
    """The province: its code picks the shipped communes, boundaries and populations
    (`sim.geodata`); name, area and population default to the data's (`sim.inputs.scenario.with_province_data`)."""

    name: Annotated[str, Field(min_length=1)]
    code: int = Field(description="official code of the post-2025 province (01-96)")
    area_km2: SourcedArea
    population: SourcedPopulation
    adult_share: SourcedAdultShare
    businesses_per_1000: SourcedDensity
    grdp_vnd: SourcedVnd | None = Field(
        None, description="GRDP at current prices of the last full year (VND): weights a national run's "
                          "GRDP-share indicators (seeds/provinces.csv)")
    # Used only where no population data exist (a schematic map):
    # assumption: a ward holds 2.5x the people of a rural commune (range 1.5-4).
    ward_weight: Annotated[float, Field(gt=0.0, le=100.0)] = Field(
        2.5, description="people in a ward relative to a rural commune (schematic maps only)")
    centres: Annotated[int, Field(ge=1, le=10)] = Field(1, description="urban centres (schematic maps only)")
    geojson: Annotated[str, Field(min_length=1)] | None = None
    communes_csv: Annotated[str, Field(min_length=1)] | None = None


class TimeSpec(Strict):
    start: YearMonth
    end: YearMonth

    @model_validator(mode="after")
    def _order(self) -> TimeSpec:
        if year_month(self.end) <= year_month(self.start):
            raise ValueError(f"end {self.end} must come after start {self.start}")
        return self

    @property
    def start_year(self) -> int:
        return year_month(self.start)[0]

    @property
    def end_year(self) -> int:
        return year_month(self.end)[0]

    @property
    def months(self) -> int:
        (y0, m0), (y1, m1) = year_month(self.start), year_month(self.end)
        return (y1 - y0) * 12 + (m1 - m0) + 1


class Baseline(Strict):
    """Starting values: one definition and one dated source each (README, "Starting values")."""

    smartphone_ownership: SourcedShare
    account_ownership: SourcedShare
    online_services_adoption: SourcedShare
    cashless_adoption: SourcedShare
    merchant_acceptance: SourcedShare
    business_online_services: SourcedShare
    fixed_broadband: SourcedShare
    digital_skill: SourcedShare
    digital_economy_share: SourcedShare = Field(description="digital economy / GRDP, MIC definition")
    digital_economy_core_fraction: SourcedShare = Field(
        description="share of the digital economy that is core (ICT industries incl. electronics), MIC definition")
    sites_4g: SourcedSites
    sites_5g: SourcedSites
    backoffice_overdue_share: SourcedShare = Field(
        description="share of dossiers overdue at the start: commune offices are staffed from the drawn load to it")

    @property
    def digital_economy_core_share(self) -> float:
        """Core digital economy / GRDP (MIC): a fraction of the total, so any draw of the two is consistent."""
        return self.digital_economy_share.value * self.digital_economy_core_fraction.value


class CitizenSynthesisSpec(Strict):
    """Who holds what at the start (`sim.world.population.build_citizens`): the shares come from
    `[baseline]`; these decide how income, skill, devices and use go together."""

    urban_wealth_premium: SourcedFactor = Field(
        description="added to a ward resident's uniform wealth draw before the province-wide quintiles")
    skill_income_step: SourcedFactor = Field(
        description="relative skill rises by this per income quintile, from 0.7 in the poorest")
    skill_spread: SourcedFactor = Field(description="log-normal spread of individual skill (sd of its log)")
    ownership_noise: SourcedFactor = Field(
        description="sd of the individual noise in who owns a device or uses a service first (skill units)")
    account_income_weight: SourcedFactor = Field(description="weight of the income quintile in who has an account")
    broadband_urban_weight: SourcedFactor = Field(description="weight of living in a ward in who has fixed broadband")
    broadband_income_weight: SourcedFactor = Field(
        description="weight of the income quintile in who has fixed broadband")


class PopulationSpec(Strict):
    age_shares: Four = Field(description="15-24, 25-39, 40-59, 60+")
    skill_by_age: Annotated[tuple[Factor, Factor, Factor, Factor], BeforeValidator(_list_to_tuple)]
    rural_skill_factor: Annotated[float, Field(gt=0.0, le=10.0)]
    smartphone_uptake: Rate = Field(description="yearly hazard for a non-owner to get a smartphone")
    account_uptake: Rate = Field(description="yearly hazard for an adult without one to open an account")
    needs_per_year: Annotated[float, Field(gt=0.0, le=1000.0)] = Field(
        description="administrative dossiers per adult per year")
    home_commune_share: Share = 0.8
    unable_online: SourcedShare = Field(description="share of adults who cannot file online alone (never adopt)")
    device_income_gradient: SourcedHalf = Field(
        description="rise of the device hazards per income quintile, relative to the middle one (1 - 2g ... 1 + 2g)")
    synthesis: CitizenSynthesisSpec
    settlement_centre_share: Share = Field(
        description="share of a commune's people in the settlement around its centre, the rest spread evenly")
    settlement_spread: Annotated[float, Field(gt=0.0, le=2.0)] = Field(
        description="the centre settlement's spread (sd), as a share of the square root of the commune's area")

    @field_validator("age_shares")
    @classmethod
    def _sum_one(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if abs(sum(v) - 1.0) > 1e-6:
            raise ValueError(f"age shares must sum to 1, they sum to {sum(v):.4f}")
        return v

    @model_validator(mode="after")
    def _someone_skilled(self) -> PopulationSpec:
        # Skills are rescaled to the baseline's mean: a population with no relative skill anywhere
        # has nothing to rescale (0 / 0).
        if sum(a * s for a, s in zip(self.age_shares, self.skill_by_age)) <= 0:
            raise ValueError("skill_by_age: every age group present (age_shares > 0) has a relative skill of 0; "
                             "give at least one a positive value")
        return self




class BusinessSynthesisSpec(Strict):
    """Where businesses are and which go digital first (`sim.world.population.build_businesses`):
    the shares come from `[baseline]`; these decide who holds them."""

    urban_concentration: SourcedFactor = Field(
        description="businesses per resident in a ward relative to a rural commune")
    urban_digital_head_start: SourcedFactor = Field(
        description="head start of a business in a ward in going online and up the digital levels, in size steps")
    online_noise: SourcedFactor = Field(description="sd of the individual noise in which businesses file online")
    level_noise: SourcedFactor = Field(description="sd of the individual noise in the starting digital levels")


class BusinessesSpec(Strict):
    """Who the businesses are (counts) and what they produce (value added, from the GRDP structure)."""

    sector_shares: dict[Sector, Share] = Field(description="share of businesses by sector (counts)")
    size_shares: dict[Size, Share]
    size_value_added: dict[Size, Annotated[float, Field(gt=0.0, le=1e6)]] = Field(
        description="value added of a firm relative to a household business, within a sector")
    grdp_shares: dict[NonCoreSector, Share] = Field(
        description="non-core sectors' shares of the GRDP outside the core digital economy")
    consumer_facing: list[Sector] = Field(description="sectors whose merchants take retail payments")
    sources: str = Field(min_length=3)
    synthesis: BusinessSynthesisSpec

    _sectors = table("sector_shares", SECTORS, sums_to_one=True)
    _sizes = table("size_shares", SIZES, sums_to_one=True)
    _values = table("size_value_added", SIZES)
    _grdp = table("grdp_shares", NON_CORE, sums_to_one=True)

    @model_validator(mode="after")
    def _sizes_modelled(self) -> BusinessesSpec:
        # Household businesses and SMEs are sampled (every commune has one); every large firm is
        # built at every scale. Large firms are ~1% of Vietnam's businesses (FACTS.md): a share
        # above MAX_LARGE_SHARE is a unit error, and would build hundreds of thousands of them.
        shares = self.size_shares
        if shares.get("household", 0.0) + shares.get("sme", 0.0) <= 0:
            raise ValueError("size_shares: household and sme are both 0; every commune has household businesses "
                             "or SMEs")
        if shares.get("large", 0.0) > MAX_LARGE_SHARE:
            raise ValueError(f"size_shares.large {shares['large']:g}: at most {MAX_LARGE_SHARE:g} (large firms are "
                             "about 1% of businesses)")
        return self


class NetworkSpec(Strict):
    household_adults: Annotated[float, Field(ge=1.0, le=10.0)]
    local_contacts: Annotated[int, Field(ge=0, le=100)]
    long_range_contacts: Annotated[int, Field(ge=0, le=100)]
    mean_field: bool = False


class AdoptionSpec(Strict):
    """Bass parameters (per year), the UTAUT gates and effort for one citizen behaviour."""

    p: Rate
    q: Rate
    lapse: Rate = Field(description="yearly lapse hazard of a fully skilled user with a good experience")
    lapse_experience: Rate = Field(description="extra yearly lapse hazard at the worst experience")
    skill_weight: Share = Field(description="effort: how much low digital skill slows adoption (0 = not at all)")
    lapse_effort: Factor = Field(0.0, description="lapse of an unskilled user relative to a skilled one, minus one")
    gates: bool = True
    fixed_attractiveness: Share | None = None


class MerchantSpec(Strict):
    """A merchant's yearly net benefit of accepting cashless payments (utility units, logistic)."""

    join_rate: Rate = Field(description="yearly hazard of reconsidering, for a merchant who does not accept")
    leave_rate: Rate = Field(description="yearly hazard of reconsidering, for a merchant who accepts")
    demand_weight: SourcedFactor = Field(description="benefit per unit share of cashless customers")
    fee: SourcedShare = Field(description="merchant discount rate, share of the transaction value")
    fee_weight: Factor = Field(description="benefit lost per unit of fee (1% fee = 0.01 x fee_weight)")
    size_benefit: Annotated[tuple[Factor, Factor, Factor], BeforeValidator(_list_to_tuple)] = Field(
        description="benefit multiplier for household, SME and large merchants (volume of sales)")
    fixed_cost: SourcedFactor = Field(description="cost of accepting (set-up, learning)")
    tax_visibility: SourcedFactor = Field(description="mean cost household stalls see in visible revenue")
    tax_declaration_year: Year = Field(description="year household businesses must declare revenue (lump-sum tax ends)")
    tax_after: Share = Field(description="tax-visibility cost left once revenue must be declared anyway")
    heterogeneity: SourcedFactor = Field(description="standard deviation of a merchant's own benefit")
    onboarding_cost_relief: Share = Field(description="share of the fixed cost an onboarding visit removes")
    revisit_months: Annotated[float, Field(gt=0.0, le=1200.0)] = Field(
        description="months before a merchant who refused an onboarding visit may be visited again")


class PaymentsSpec(Strict):
    """A cashless adopter's choice per purchase at a merchant who accepts."""

    habit_start: SourcedShare = Field(description="share of purchases a new adopter pays cashless where accepted")
    habit_max: SourcedShare = Field(description="the share an established user reaches")
    habit_months: SourcedMonths = Field(description="months for the habit to close 63% of the gap")
    small_purchase_share: SourcedShare = Field(description="share of purchases below VND 50,000 (by count)")
    small_cash_preference: SourcedShare = Field(description="share of small purchases paid cash even by habit")


class BusinessServicesSpec(Strict):
    p: Rate
    q: Rate
    mandate_year: Year
    compliance_lag_months: Annotated[float, Field(gt=0.0, le=1200.0)]
    needs_per_year: Annotated[float, Field(gt=0.0, le=1000.0)]
    never_online: SourcedShare = Field(description="share of household businesses that never file online themselves")
    lapse: Rate = Field(description="yearly hazard that a business filing online stops (closes, hands it to an agent)")


class InvestmentSpec(Strict):
    """A named cause of a jump in the core digital economy (a factory, a data-centre park)."""

    name: Annotated[str, Field(min_length=1)]
    year: Year
    core_share_added: Annotated[float, Field(ge=0.0, le=0.5)] = Field(description="share of GRDP added")
    source: str = Field(min_length=3)


class DigitalEconomySpec(Strict):
    """The digital economy as national accounts measure it: core ICT industries plus the
    digitalisation of every other sector."""

    definition: Literal["MIC", "GSO"] = "MIC"
    upgrade_rate: SourcedRate = Field(description="yearly hazard of a business moving up one digital level")
    upgrade_level_decline: SourcedHalf = Field(
        description="fall of the upgrade hazard per level climbed, relative (level k: 1 - k x decline)")
    level_weights: Four = Field(description="share of a sector's digital intensity realised at levels 0-3")
    sector_intensity: dict[NonCoreSector, Share] = Field(
        description="digital share of a sector's value added when all its firms are at the top level")
    acceptance_boost: Factor = Field(
        1.0, description="relative rise of the upgrade hazard for merchants accepting cashless")
    five_g_boost: SourcedFactor = Field(
        description="relative rise of the upgrade hazard of a firm where 5G reaches (the uses that need 5G are firms')")
    core_growth: SourcedGrowth = Field(description="yearly growth of core value added above the rest of GRDP")
    investments: list[InvestmentSpec] = Field(default_factory=list)
    intensity_sources: str = Field(min_length=3)

    _intensity = table("sector_intensity", NON_CORE)


class SourcedRatio(Sourced):
    value: Annotated[float, Field(gt=0.0, le=20.0, description="years of output")]


class SourcedYears(Sourced):
    value: Annotated[float, Field(ge=0.0, le=50.0, description="years")]


class SourcedUsd(Sourced):
    value: Annotated[float, Field(gt=0.0, le=1e13, description="US dollars a year")]


class ProductionSpec(Strict):
    """Growth accounting (`sim.world.production`): GRDP = TFP x capital^alpha x labour^(1-alpha).

    Base TFP growth is not a free number: it is the residual of the province's own history (GRDP
    growth minus the inputs' contributions at the same investment rate, capital-output ratio and
    employment growth), less the part of that history the model attributes to digital adoption."""

    capital_share: SourcedShare = Field(description="alpha: output elasticity of capital (income share of capital)")
    capital_output_ratio: SourcedRatio = Field(description="capital stock / GRDP at the start")
    depreciation: SourcedRate = Field(description="yearly depreciation of the capital stock")
    investment_rate: SourcedShare = Field(description="gross investment / GRDP (total social investment)")
    employment_growth: SourcedGrowth = Field(description="yearly growth of employed persons")
    grdp_growth_history: SourcedGrowth = Field(
        description="average yearly GRDP growth at constant prices over the history the base TFP growth is read from")
    digital_tfp_elasticity: SourcedFactor = Field(
        description="log TFP gained per unit of firms' digital realisation (0: no firm digital, 1: every firm at the "
                    "top level), value-added weighted outside the core")
    core_productivity_premium: SourcedFactor = Field(
        description="log TFP gained per unit of GRDP share moved into the core digital economy (ICT industries' "
                    "higher output per worker: 1 - 1/relative labour productivity)")
    digital_pace_history: SourcedRate = Field(
        description="yearly rise of firms' digital realisation over the history (its TFP is taken out of the base)")
    tfp_shock_sd: SourcedRate = Field(
        description="standard deviation of a year's TFP growth around its path (harvests, demand, FDI timing), "
                    "drawn for each year of each run")
    tfp_shock_national_share: SourcedShare = Field(
        description="share of a year's TFP shock's variance common to every province (the rest is the province's own)")


ExportStage = Literal["announced", "under_construction", "producing"]


class ExportInvestmentSpec(Strict):
    """A named investment that exports (a factory, a technology park's tenants), as a pipeline:
    announced -> under construction (after `approval_years`) -> producing (after
    `construction_years`), ramping to `exports_usd` over `ramp_years`. Its exports start in
    its producing year, never before."""

    stage: ExportStage = Field(description="the stage it had reached in `stage_year`")
    stage_year: Year
    approval_years: SourcedYears = Field(description="years from announcement to construction starting")
    construction_years: SourcedYears = Field(description="years from construction start to first production")
    ramp_years: SourcedYears = Field(description="years from first production to full exports")
    exports_usd: SourcedUsd = Field(description="exports a year at full production (USD)")
    hightech: bool = Field(True, description="its exports count as high-tech goods")
    source: str = Field(min_length=3)


class ExportsSpec(Strict):
    """The province's goods exports and their high-tech share (`sim.world.exports`)."""

    exports_usd: SourcedUsd = Field(description="goods exports of the last full year before the start (USD)")
    hightech_share: SourcedShare = Field(description="high-tech goods' share of those exports")
    growth: SourcedGrowth = Field(description="yearly growth of exports other than the named investments'")
    hightech_growth_premium: SourcedGrowth = Field(
        description="yearly growth of existing high-tech exports above the rest's (negative: they grow slower)")
    investments: dict[str, ExportInvestmentSpec] = Field(
        default_factory=dict, description="named investments by name (a table keeps each one's draws by name)")


class EconomySpec(Strict):
    production: ProductionSpec
    exports: ExportsSpec


class BehaviourSpec(Strict):
    online_services: AdoptionSpec
    cashless: AdoptionSpec
    merchants: MerchantSpec
    payments: PaymentsSpec
    business_services: BusinessServicesSpec
    digital_economy: DigitalEconomySpec


# The keys of the budget's split tables (each a Literal, read by `table` too: one list each).
R57Part = Literal["science_technology", "innovation", "digital_transformation"]
InfrastructureItem = Literal["sites_4g", "sites_5g", "fibre"]
ServicesItem = Literal["integration", "assisted_filing", "backoffice"]
IncentivesItem = Literal["merchant_onboarding", "fee_discount"]


class BudgetSpec(Strict):
    """The Resolution 57 share of spending (science & technology, innovation and DX together),
    its split, and the DX part's allocation to programmes."""

    spending_vnd: SourcedVnd
    growth: Annotated[float, Field(ge=-0.5, le=1.0)]
    dx_share: Share = Field(description="Resolution 57 share: S&T, innovation and DX together",
                            json_schema_extra=LEVER)
    dx_share_growth: Annotated[float, Field(ge=-0.1, le=0.1)] = Field(0.0, json_schema_extra=LEVER)
    r57_split: dict[R57Part, Share] = Field(
        json_schema_extra=LEVER)
    disbursement: Share = Field(description="share of each month's allocation paid out", json_schema_extra=LEVER)
    allocation: dict[DxProgramme, Share] = Field(description="the DX part's split among DX programmes",
                                                 json_schema_extra=LEVER)
    infrastructure_mix: dict[InfrastructureItem, Share] = Field(json_schema_extra=LEVER)
    services_mix: dict[ServicesItem, Share] = Field(
        json_schema_extra=LEVER)
    incentives_mix: dict[IncentivesItem, Share] = Field(json_schema_extra=LEVER)
    adaptive: bool = False
    adaptive_shift: Share = Field(0.2, description="share of donors' allocation moved (when adaptive)",
                                  json_schema_extra=LEVER)
    adaptive_target: Share = Field(0.8, description="the uptake and cashless share the adaptive government steers "
                                                    "towards (Resolution 57's goals of 80%)", json_schema_extra=LEVER)

    _split = table("r57_split", get_args(R57Part), sums_to_one=True)
    _allocation = table("allocation", DX_PROGRAMMES, sums_to_one=True)
    _infrastructure = table("infrastructure_mix", get_args(InfrastructureItem), sums_to_one=True)
    _services = table("services_mix", get_args(ServicesItem), sums_to_one=True)
    _incentives = table("incentives_mix", get_args(IncentivesItem), sums_to_one=True)


class CostSpec(Strict):
    """Unit costs (VND), each with a source or an assumption and its range."""

    site_4g_vnd: SourcedUnitCost
    site_5g_vnd: SourcedUnitCost
    fibre_household_vnd: SourcedUnitCost
    integration_vnd_per_person: SourcedUnitCost = Field(
        description="integration and data spending per person that closes 63% of the gap to the best service")
    assisted_dossier_vnd: SourcedUnitCost
    officer_year_vnd: SourcedUnitCost
    trainee_vnd: SourcedUnitCost
    merchant_onboarding_vnd: SourcedUnitCost
    fee_discount_dossier_vnd: SourcedUnitCost
    campaign_month_vnd: SourcedUnitCost
    firm_support_vnd: SourcedUnitCost
    task_year_vnd: SourcedUnitCost = Field(description="yearly funding a Resolution 57 task under way needs")
    lead_days: dict[Programme, Annotated[int, Field(ge=0, le=3650)]]

    _lead_days = table("lead_days", PROGRAMMES)


class DeliverySpec(Strict):
    """Absorptive capacity: the most each programme can deliver in a year, per million people.
    Money beyond it is not disbursed and returns to the budget (`dx_unabsorbed_vnd`)."""

    growth: SourcedGrowth = Field(description="yearly growth of every capacity (the province learns)")
    sites_4g: SourcedCount
    sites_5g: SourcedCount
    fibre_households: SourcedCount
    integration_vnd: SourcedCount
    assisted_dossiers: SourcedCount
    officers: SourcedCount
    trainees: SourcedCount
    merchants: SourcedCount
    firms: SourcedCount


class EffectSpec(Strict):
    training_gain: SourcedShare = Field(description="share of a trainee's skill gap to 1 a course closes")
    campaign_boost: SourcedFactor = Field(
        description="relative rise of the whole adoption hazard while an awareness campaign runs "
                    "(Generalized Bass Model)")
    fee_discount_boost: Factor = Field(description="benefit of online filing, relative, while fees are discounted")
    rejection_start: SourcedShare = Field(description="share of online dossiers returned for correction, at the start")
    rejection_floor: SourcedShare = Field(description="the share with complete integration and data")
    rejection_national: SourcedRate = Field(
        description="yearly rate at which national data sharing closes the gap to the floor, without provincial money")
    rejection_lapse: Rate = Field(description="extra yearly lapse hazard if every online dossier were returned")
    online_dossier_effort: SourcedShare = Field(description="back-office effort of an online dossier, offline = 1")
    assisted_conversion: SourcedShare = Field(description="chance an assisted filer goes on to file alone")
    assisted_contract_months: SourcedMonths = Field(
        description="months a community digital team stays staffed on the money committed to it")
    officer_dossiers_per_day: SourcedFactor = Field(description="dossiers an officer completes in a working day")
    officer_reassignment: SourcedShare = Field(
        description="share a month of the gap between an office's officers and its share by load that is closed")
    staffing_response: SourcedShare = Field(
        description="share a year of the gap between the province's own officer posts and those its load needs "
                    "that is closed")
    staffing_spread: Annotated[float, Field(ge=0.0, le=2.0)] = Field(
        description="standard deviation of log staff per person across communes")
    deadline_days: Annotated[float, Field(gt=0.0, le=365.0)] = Field(description="statutory deadline, working days")
    firm_support_success: SourcedShare = Field(description="chance a supported firm moves up a level")
    officer_target_utilisation: SourcedAdultShare = Field(
        description="utilisation funded officer posts bring the busiest offices down to (they go where it is exceeded)")
    training_rural_priority: SourcedFactor = Field(
        description="age bands a rural person counts as older in the community teams' order of training")


class TasksSpec(Strict):
    """Resolution 57 tasks the central government assigned to the province (a pipeline)."""

    assigned: Annotated[int, Field(ge=1, le=10_000)]
    done: Annotated[int, Field(ge=0, le=10_000)]
    as_of: YearMonth
    duration_months: SourcedMonths = Field(description="median months a task under way still needs, fully funded")
    duration_spread: Annotated[float, Field(ge=0.0, le=3.0)] = Field(description="log-normal sd of the durations")
    source: str = Field(min_length=3)

    @model_validator(mode="after")
    def _done_within(self) -> TasksSpec:
        if self.done > self.assigned:
            raise ValueError(f"done {self.done} exceeds assigned {self.assigned}")
        return self



class InfrastructureSpec(Strict):
    operators: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1, max_length=20)
    radius_urban_km: Annotated[float, Field(gt=0.0, le=100.0)]
    radius_rural_km: Annotated[float, Field(gt=0.0, le=100.0)]
    radius_5g_km: Annotated[float, Field(gt=0.0, le=100.0)]
    commercial_4g_per_year: Annotated[float, Field(ge=0.0, le=1e5)]
    commercial_5g_per_year: Annotated[float, Field(ge=0.0, le=1e5)]
    five_g_start_year: Year
    broadband_growth: Rate = Field(description="yearly hazard of a household getting fibre")
    commercial_urban_weight: SourcedFactor = Field(
        description="weight of an uncovered ward resident against a rural one where operators site commercial sites")
    out_of_reach: SourcedHalf = Field(
        description="share of people, in the hamlets farthest from their commune's centre, whom no mobile site can "
                    "reach: coverage approaches 1 - this and reaches 100% only where it is 0")


class PolicySpec(Strict):
    """Extra money for one programme, in named communes (a pilot) or province-wide."""

    name: Annotated[str, Field(min_length=1)]
    programme: Programme
    # 0 is allowed: a pilot without money (a no-op, whose measured effect is exactly 0)
    amount_vnd_per_year: Annotated[float, Field(ge=0.0, le=MAX_VND)]
    start: YearMonth
    end: YearMonth
    communes: list[str] = Field(default_factory=list, description="names or codes; empty = province")

    @model_validator(mode="after")
    def _order(self) -> PolicySpec:
        if year_month(self.end) < year_month(self.start):
            raise ValueError(f"end {self.end} must not come before start {self.start}")
        return self


def _known_indicator(name: str) -> str:
    if name not in INDICATORS:
        raise ValueError(f"unknown indicator {name!r}; allowed: {', '.join(sorted(INDICATORS))}")
    return name


class TargetSpec(Strict):
    """A target written in the scenario itself (seed goals are referenced by id instead)."""

    id: Annotated[str, Field(min_length=1)]
    indicator: str
    comparison: Literal[">", ">=", "<", "<="]
    threshold: float
    year: Year
    source: str = Field(min_length=3)
    every_year: bool = False

    _indicator = field_validator("indicator")(classmethod(lambda cls, v: _known_indicator(v)))


class TargetsSpec(Strict):
    goals: list[str] = Field(default_factory=list, description="ids in seeds/goals.toml")
    custom: list[TargetSpec] = Field(default_factory=list)


class ObservedSpec(Strict):
    """One observed value of a model indicator, for calibration and hindcasts."""

    year: Year
    month: Annotated[int, Field(ge=1, le=12)] = 12
    indicator: str
    value: float
    sigma: Positive = Field(description="standard error of the observation against the model's indicator "
                                        "(sampling plus definitional error), in the indicator's units")
    source: str = Field(min_length=3)

    _indicator = field_validator("indicator")(classmethod(lambda cls, v: _known_indicator(v)))

    @model_validator(mode="after")
    def _sane(self) -> ObservedSpec:
        # On the indicator's own scale: a share in [0, 1], anything else within the largest money
        # figure; sigma no finer than a billionth of the value (a smaller one makes every draw's
        # likelihood zero and the posterior undefined) and no wider than the scale itself.
        top = 1.0 if self.indicator in SHARE_INDICATORS else MAX_VND
        if not 0 <= self.value <= top:  # every indicator is a share, a count, an amount or a wait
            raise ValueError(f"value {self.value:g}: {self.indicator} lies in [0, {top:g}]")
        floor = 1e-9 * max(abs(self.value), 1e-3)
        if not floor <= self.sigma <= top:
            raise ValueError(f"sigma {self.sigma:g}: expected {floor:.3g} to {top:g} for a value of {self.value:g} "
                             f"of {self.indicator} (its standard error, in its units)")
        return self


class ForcingPoint(Strict):
    year: Year
    month: Annotated[int, Field(ge=1, le=12)] = 12
    value: Share
    source: str = Field(min_length=3)


class ForcingSpec(Strict):
    """What the nation, not the province, decides: the share of procedures offered online.

    The national list of procedures and the national portal set it; a province cannot buy it.
    Known points are interpolated linearly month by month (held flat before the first); after
    the last point the share rises towards `procedures_online_ceiling` with a constant yearly
    gain `procedures_online_trend` in the log-odds of (share / ceiling), the shape of the known
    points (28% 2021 -> 51.5% 2024). Both are uncertain and drawn per run."""

    procedures_online: list[ForcingPoint] = Field(
        default_factory=list, description="share of procedures offered online nationally")
    procedures_online_trend: SourcedGrowth | None = Field(
        None, description="yearly gain in the log-odds of share / ceiling after the last point (None: flat)")
    procedures_online_ceiling: SourcedShare | None = Field(
        None, description="share of procedures that can be offered online at all")

    @field_validator("procedures_online")
    @classmethod
    def _in_order(cls, points: list[ForcingPoint]) -> list[ForcingPoint]:
        times = [(p.year, p.month) for p in points]
        if times != sorted(set(times)):
            raise ValueError("forcing points must be in time order, one per month")
        if not points:
            raise ValueError("give at least one point: the share of procedures offered online nationally")
        return points

    @model_validator(mode="after")
    def _trend_needs_ceiling(self) -> ForcingSpec:
        if (self.procedures_online_trend is None) != (self.procedures_online_ceiling is None):
            raise ValueError("procedures_online_trend and procedures_online_ceiling go together")
        ceiling = self.procedures_online_ceiling
        if ceiling is not None:
            top = max(p.value for p in self.procedures_online)
            if top >= (ceiling.range[0] if ceiling.range else ceiling.value):
                raise ValueError(f"procedures_online_ceiling (and its range) must exceed the known points "
                                 f"(largest {top})")
        return self


class PriorSpec(Strict):
    """The uncertainty of a plain number of the scenario (a behavioural parameter, an effect size,
    a lead time): drawn for each run like a ranged assumption, triangular with its mode at the
    scenario's value, on an absolute `range` or on `factor` times the value (a relative range
    that follows the value when a province or `--set` changes it)."""

    range: Pair | None = None
    factor: Pair | None = None
    source: Annotated[str, Field(min_length=3)]

    @model_validator(mode="after")
    def _one(self) -> PriorSpec:
        if (self.range is None) == (self.factor is None):
            raise ValueError("give exactly one of range = [low, high] or factor = [low, high]")
        low, high = self.range or self.factor or (0.0, 0.0)
        if not low <= high:
            raise ValueError(f"expected [low, high] with low <= high, got {[low, high]}")
        if self.factor is not None and not (0 <= low <= 1 <= high):
            raise ValueError(f"factor {[low, high]}: expected low <= 1 <= high, both >= 0")
        return self

    def bounds(self, value: float) -> tuple[float, float]:
        """The range a run draws from, for the scenario's value."""
        if self.factor is not None:
            return value * self.factor[0], value * self.factor[1]
        assert self.range is not None  # exactly one of the two (_one)
        return self.range


class PosteriorSpec(Strict):
    """A calibration's posterior (written by `citytwin calibrate`): weighted joint draws of
    `parameters`, one row of `samples` per draw. Every run of the ensemble draws one row
    (so the parameters keep their correlation); it supersedes any prior on them."""

    parameters: Annotated[list[str], Field(min_length=1)]
    samples: Annotated[list[list[float]], Field(min_length=1)]
    weights: Annotated[list[Annotated[float, Field(gt=0.0)]], Field(min_length=1)]
    source: Annotated[str, Field(min_length=3)]

    @model_validator(mode="after")
    def _shape(self) -> PosteriorSpec:
        if len(set(self.parameters)) != len(self.parameters):
            raise ValueError("parameters: a parameter is listed twice")
        if len(self.weights) != len(self.samples):
            raise ValueError(f"expected one weight per sample, got {len(self.weights)} weights "
                             f"for {len(self.samples)} samples")
        for i, row in enumerate(self.samples):
            if len(row) != len(self.parameters):
                raise ValueError(f"samples.{i}: expected {len(self.parameters)} values (one per parameter), "
                                 f"got {len(row)}")
        return self


class AsOfSpec(Strict):
    """What `--as-of DATE` did to a scenario (`sim.inputs.as_of`): set by citytwin, not by a file."""

    date: str
    replaced: dict[str, str] = Field(default_factory=dict, description="key -> the later figures it no longer uses")
    kept: dict[str, str] = Field(default_factory=dict, description="key -> frame or policy figures it keeps")
    dropped: dict[str, str] = Field(default_factory=dict, description="observations and forcing points not known")
    only: list[str] | None = Field(None, description="later numbers kept as inert: the indicators the forecast "
                                                     "holds for (None: all)")


class EnsembleSpec(Strict):
    runs: Annotated[int, Field(ge=1, le=100_000)]
    seed: Annotated[int, Field(ge=0, le=2**62)]
    scale: Annotated[float, Field(gt=0.0, le=1.0)]
    workers: Annotated[int, Field(ge=0, le=256)] = 0
    uncertainty: bool = Field(True, description="draw every assumption with a range afresh for each run")


class Scenario(Strict):
    name: Name
    description: str = ""
    province: ProvinceSpec
    time: TimeSpec
    baseline: Baseline
    population: PopulationSpec
    network: NetworkSpec
    businesses: BusinessesSpec
    behaviour: BehaviourSpec
    economy: EconomySpec
    budget: BudgetSpec
    costs: CostSpec
    effects: EffectSpec
    infrastructure: InfrastructureSpec
    institutions: bool = Field(True, description="false switches off government and operators")
    policies: list[PolicySpec] = Field(default_factory=list)
    targets: TargetsSpec = Field(default_factory=TargetsSpec)
    forcing: ForcingSpec
    delivery: DeliverySpec
    tasks: TasksSpec | None = None
    observed: list[ObservedSpec] = Field(default_factory=list, description="observed series to calibrate on")
    free: dict[str, Pair] = Field(
        default_factory=dict, description="parameters `citytwin calibrate` fits: dotted key = [low, high]")
    ensemble: EnsembleSpec
    priors: dict[str, PriorSpec] = Field(
        default_factory=dict, description="dotted key of a plain number = its prior (drawn per run)")
    posterior: PosteriorSpec | None = Field(
        None, description="a calibration's weighted joint draws, drawn per run (supersedes priors)")
    source_file: str = ""
    as_of: AsOfSpec | None = Field(
        None, description="set by --as-of: the date the scenario's evidence stops, and what that changed")

    @model_validator(mode="after")
    def _priors_on_numbers(self, info: ValidationInfo) -> Scenario:
        """Every prior names a plain number of the scenario (a sourced number carries its own
        range) whose value lies in its range; both ends of every range must be valid values.
        Not checked when nothing is drawn (`ensemble.uncertainty = false`: the validation
        scenarios pin behaviour at values outside the priors on purpose)."""
        if not self.priors or not self.ensemble.uncertainty or (info.context or {}).get("drawn"):
            return self  # a run's drawn copy was checked as the scenario it was drawn from
        data = self.model_dump()
        # A calibrated parameter is drawn from its posterior, not its prior (checked in _posterior_values).
        priors = {k: v for k, v in self.priors.items() if not self.posterior or k not in self.posterior.parameters}
        for edge in (0, 1):
            trial = copy.deepcopy(data)
            for key, prior in priors.items():
                node = lookup(data, key)
                if isinstance(node, bool) or not isinstance(node, (int, float)):
                    raise ValueError(f"priors.{key}: expected the dotted key of a plain number of the scenario "
                                     "(sourced numbers carry their own range)")
                low, high = prior.bounds(float(node))
                if edge == 0 and not low <= node <= high:
                    raise ValueError(f"priors.{key}: the value {node} lies outside the prior's range {[low, high]}; "
                                     "widen the prior or set ensemble.uncertainty=false")
                set_number(trial, key, type(node)(round(low if edge == 0 else high) if isinstance(node, int)
                                                 else (low if edge == 0 else high)))
            trial.pop("priors")
            try:
                type(self).model_validate(trial | {"priors": {}, "posterior": None})
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(str(p) for p in err["loc"])
                on = f" on {where}" if where else "s"
                raise ValueError(f"priors: the {'low' if edge == 0 else 'high'} end of the prior{on} is not "
                                 f"allowed ({err['msg'].removeprefix('Value error, ')})") from None
        return self

    @model_validator(mode="after")
    def _posterior_values(self, info: ValidationInfo) -> Scenario:
        """Every posterior parameter is a number of the scenario, and its smallest and largest
        sample are values the schema accepts there (so no run's draw can be refused)."""
        if self.posterior is None or (info.context or {}).get("drawn"):
            return self
        data = self.model_dump()
        columns = list(zip(*self.posterior.samples))
        for key, column in zip(self.posterior.parameters, columns):
            if self.number_at(key) is None:
                raise ValueError(f"posterior.parameters: {key} is not a number of the scenario")
            for end in (min(column), max(column)):
                trial = copy.deepcopy(data) | {"posterior": None, "priors": {}}
                set_number(trial, key, end)
                try:
                    type(self).model_validate(trial)
                except ValidationError as exc:
                    msg = exc.errors()[0]["msg"].removeprefix("Value error, ")
                    raise ValueError(f"posterior: the sample {end} of {key} is not allowed ({msg})") from None
        return self

    @model_validator(mode="after")
    def _years_in_horizon(self) -> Scenario:
        lo, hi = self.time.start_year, self.time.end_year
        for i, t in enumerate(self.targets.custom):
            if not lo <= t.year <= hi:
                raise ValueError(f"targets.custom.{i}.year {t.year} lies outside the horizon {lo}-{hi}")
        seen: dict[tuple[int, int, str], int] = {}
        for i, o in enumerate(self.observed):
            if (o.year, o.month, o.indicator) in seen:
                raise ValueError(f"observed.{i}: {o.indicator} in {o.year}-{o.month:02d} is observed already "
                                 f"(observed.{seen[(o.year, o.month, o.indicator)]}); give one value with its sigma")
            seen[(o.year, o.month, o.indicator)] = i
            if not year_month(self.time.start) <= (o.year, o.month) <= year_month(self.time.end):
                raise ValueError(f"observed.{i}: {o.year}-{o.month:02d} lies outside the horizon "
                                 f"{self.time.start}..{self.time.end}")
        for i, p in enumerate(self.policies):
            if year_month(p.start) < year_month(self.time.start) or year_month(p.start) > year_month(self.time.end):
                raise ValueError(f"policies.{i}.start {p.start} lies outside {self.time.start}..{self.time.end}")
        return self


    def number_at(self, key: str) -> float | None:
        """The number at a dotted key (a sourced number's value), or None if there is none."""
        node = lookup(self.model_dump(), key)
        if isinstance(node, dict) and "value" in node:
            node = node["value"]
        return float(node) if isinstance(node, (int, float)) and not isinstance(node, bool) else None


def levers(spec: Scenario) -> list[str]:
    """Dotted keys of every lever (fields marked `LEVER`); a table's lever is each of its keys.

    >>> from sim.inputs.scenario import load_scenario
    >>> "budget.allocation.skills" in levers(load_scenario("scenarios/dak_lak.toml"))
    True
    """
    out = []
    for section in ("budget",):
        model = getattr(spec, section)
        for name, info in type(model).model_fields.items():
            if (info.json_schema_extra or {}).get("lever"):
                value = getattr(model, name)
                keys = [f"{name}.{k}" for k in value] if isinstance(value, dict) else [name]
                out += [f"{section}.{k}" for k in keys]
    return out


def lookup(data: Any, key: str) -> Any:
    """The node at a dotted key of scenario data (list items by index), or None.

    >>> lookup({"a": {"b": [1, 2]}}, "a.b.1")
    2
    """
    node = data
    for part in key.split("."):
        if isinstance(node, list) and part.isascii() and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


def set_number(data: Any, key: str, value: float) -> None:
    """Set the number at a dotted key of scenario data (the key must exist; a sourced number
    keeps its source).

    >>> d = {"a": {"b": [1.0, 2.0]}}; set_number(d, "a.b.1", 3.0); d
    {'a': {'b': [1.0, 3.0]}}
    """
    *parents, last = key.split(".")
    node = lookup(data, ".".join(parents)) if parents else data
    index = int(last) if isinstance(node, list) else last
    if isinstance(node[index], dict) and "value" in node[index]:
        node[index]["value"] = value
    else:
        node[index] = value



def bounds(key: str) -> tuple[float, float]:
    """The closed range the schema allows for the number at a dotted key (a table's key: its
    values' range; ±inf where the schema sets no bound), for controls that must not offer a
    value the schema would refuse. An exclusive bound (`gt`) is returned as the bound itself.

    >>> bounds("budget.dx_share"), bounds("budget.allocation.skills"), bounds("infrastructure.five_g_start_year")
    ((0.0, 1.0), (0.0, 1.0), (1900.0, 2200.0))
    """
    node: Any = Scenario
    metadata: list[Any] = []
    for part in key.split("."):
        if isinstance(node, type) and issubclass(node, BaseModel):
            if part not in node.model_fields:
                raise KeyError(f"{key}: no such key in the scenario schema")
            info = node.model_fields[part]
            node, metadata = info.annotation, list(info.metadata)
        elif get_origin(node) is dict:
            node = get_args(node)[1]
            metadata = []
        else:
            raise KeyError(f"{key}: no such key in the scenario schema")
        while get_origin(node) is Annotated:  # a named range (Share, Year): its Field's limits
            base, *extra = get_args(node)
            metadata += [m for e in extra for m in getattr(e, "metadata", [e])]
            node = base
        if isinstance(node, type) and issubclass(node, Sourced) and "value" in node.model_fields:
            info = node.model_fields["value"]
            node, metadata = info.annotation, list(info.metadata)
    low, high = -math.inf, math.inf
    for m in metadata:
        low = float(getattr(m, "ge", getattr(m, "gt", low)))
        high = float(getattr(m, "le", getattr(m, "lt", high)))
    return low, high
