"""Citizens (adults 15+) and businesses as structure-of-arrays populations.

One array per attribute, indexed by agent id; agents are stored commune by
commune (`commune_start[c]:commune_start[c+1]` is commune c), which keeps the
monthly loop cache-friendly and makes per-commune work a slice.
Starting states match the scenario's baseline shares exactly (rank assignment on
a score plus noise), so who adopts first is plausible (skilled, better-off, urban)
without the baseline share itself being random.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np
from numpy.typing import NDArray

from sim.names import ADOPTER, NEVER, UNABLE
from sim.schema import SECTORS, SIZES, Scenario
from sim.streams import uniform
from sim.world.economy import DigitalEconomy
from sim.world.geography import Geography
from sim.world.settlement import place_people

AGE_BANDS = ("15-24", "25-39", "40-59", "60+")


def largest_remainder(total: int, weights: NDArray[np.float64]) -> NDArray[np.int64]:
    """Split an integer total in proportion to weights, exactly (Hamilton's method)."""
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(np.int64)
    out[np.argsort(raw - out)[::-1][: total - out.sum()]] += 1
    return out


def top_share(score: NDArray[np.floating], share: float,
              eligible: NDArray[np.bool_] | None = None) -> NDArray[np.bool_]:
    """Boolean mask of the `share` of all agents with the highest score (among the eligible).

    >>> top_share(np.array([0.1, 0.9, 0.5, 0.3]), 0.5).tolist()
    [False, True, True, False]
    """
    n = len(score)
    k = int(round(share * n))
    s = score.astype(np.float64, copy=True)
    if eligible is not None:
        s[~eligible] = -np.inf
        k = min(k, int(eligible.sum()))
    mask = np.zeros(n, dtype=bool)
    if k > 0:
        mask[np.argpartition(-s, k - 1)[:k]] = True
    return mask


def top_weight_share(score: NDArray[np.float64], weight: NDArray[np.float64], share: float,
                     eligible: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Like `top_share`, for agents standing for `weight` people or firms each: the highest
    scores among the eligible until their weights make up `share` of all weights.

    >>> top_weight_share(np.array([3.0, 2.0, 1.0]), np.array([1.0, 1.0, 2.0]), 0.5, np.ones(3, bool)).tolist()
    [True, True, False]
    """
    mask = np.zeros(len(score), dtype=bool)
    idx = np.flatnonzero(eligible)
    order = idx[np.argsort(-score[idx], kind="stable")]
    cum = np.cumsum(weight[order])
    target = share * weight.sum()
    # structural: rounding slack
    mask[order[:int(np.searchsorted(cum, target * (1 + 1e-12), side="right"))]] = True
    return mask


@dataclass
class Citizens:
    commune: NDArray[np.int32]
    commune_start: NDArray[np.int64]    # C+1 offsets
    xy: NDArray[np.float32]             # (N, 2) km
    age: NDArray[np.uint8]              # band index into AGE_BANDS
    income: NDArray[np.uint8]           # quintile 0..4
    skill: NDArray[np.float32]          # 0..1
    smartphone: NDArray[np.bool_]
    account: NDArray[np.bool_]
    broadband: NDArray[np.bool_]        # household has fixed broadband
    trained: NDArray[np.bool_]          # reached by a community digital team
    online_services: NDArray[np.uint8]  # state code (names.NEVER, ADOPTER, LAPSED)
    cashless: NDArray[np.uint8]         # state code, as online_services
    last_dossier: NDArray[np.int16]     # month index of the last dossier (-100 = none)
    last_online: NDArray[np.int16]      # month index of the last online dossier
    last_assisted: NDArray[np.bool_]    # that dossier was filed for them by a community digital team

    @property
    def n(self) -> int:
        return len(self.commune)


@dataclass
class Businesses:
    commune: NDArray[np.int32]
    commune_start: NDArray[np.int64]     # C+1 offsets (stored commune by commune, like citizens)
    xy: NDArray[np.float32]              # (N, 2) km
    sector: NDArray[np.uint8]            # index into SECTORS
    size: NDArray[np.uint8]              # index into SIZES
    weight: NDArray[np.float64]          # businesses this one stands for (1 for large firms, all enumerated)
    value_added: NDArray[np.float64]     # relative within its sector, times its weight
    consumer_facing: NDArray[np.bool_]
    accepts_cashless: NDArray[np.bool_]
    taste: NDArray[np.float32]           # a merchant's own benefit of accepting (standard normal)
    tax_taste: NDArray[np.float32]       # how much a household stall minds visible revenue (0 for firms)
    onboarded_at: NDArray[np.int16]      # month an onboarding visit came (-1: never)
    online_services: NDArray[np.bool_]
    never_online: NDArray[np.bool_]      # a household business that never files online itself
    digital_level: NDArray[np.uint8]     # 0..3
    last_dossier: NDArray[np.int16]      # month index of the last dossier (-100 = none)
    last_online: NDArray[np.int16]       # month index of the last online dossier (-100 = none)

    @property
    def n(self) -> int:
        return len(self.commune)


def adult_counts(scenario: Scenario, geo: Geography, scale: float) -> NDArray[np.int64]:
    adults = scenario.province.population.value * scenario.province.adult_share.value
    n = max(int(round(adults * scale)), geo.n)
    # Every commune keeps at least one agent so per-commune shares are defined.
    return largest_remainder(n - geo.n, geo.population) + 1


def _dossier_history(n: int, needs_per_year: float, adopter: NDArray[np.bool_], procedures_online: float,
                     rng: np.random.Generator) -> tuple[NDArray[np.int16], NDArray[np.int16]]:
    """Last dossier and last online dossier in the 12 months before the start (months -12..-1).

    Dossiers are Poisson(needs_per_year); an adopter filed online if any of them was offered
    online, and those are Poisson(needs_per_year * procedures_online): one uniform decides
    both "any dossier" and "any online-able dossier", with the right joint probabilities.
    """
    u = rng.random(n)
    has = u < 1 - np.exp(-needs_per_year)
    online = adopter & (u < 1 - np.exp(-needs_per_year * procedures_online))
    # structural: -100 means no dossier in the last 12 months
    last = np.where(has, -1 - rng.integers(0, 12, n, dtype=np.int16), np.int16(-100)).astype(np.int16)
    # structural: -100 means no dossier in the last 12 months
    return last, np.where(online, last, np.int16(-100)).astype(np.int16)


@nb.njit(parallel=True, cache=True, nogil=True)
def _person_draws(n, key, age_cdf):  # type: ignore[no-untyped-def]
    """Each person's own random numbers, in parallel (counter-based, so any thread count gives
    the same): age band, a uniform for wealth, and 6 standard normals (Box-Muller)."""
    age = np.empty(n, np.uint8)
    wealth = np.empty(n)
    # structural: six normals a person (Box-Muller pairs)
    normal = np.empty((6, n), np.float32)
    for i in nb.prange(n):
        # structural: ten draws a person
        base = 10 * i
        u = uniform(key, base)
        a = 0
        while a < len(age_cdf) - 1 and u >= age_cdf[a]:
            a += 1
        age[i] = a
        wealth[i] = uniform(key, base + 1)
        # structural: three Box-Muller pairs
        for k in range(3):
            # structural: Box-Muller
            r = np.sqrt(-2.0 * np.log(1.0 - uniform(key, base + 2 + 2 * k)))
            # structural: Box-Muller
            t = 2.0 * np.pi * uniform(key, base + 3 + 2 * k)
            # structural: Box-Muller
            normal[2 * k, i] = r * np.cos(t)
            # structural: Box-Muller
            normal[2 * k + 1, i] = r * np.sin(t)
    return age, wealth, normal


# Relative skill of the poorest quintile: skills are rescaled to the baseline's mean, so only
# `skill_income_step` against it matters (the step is the scenario's).
SKILL_POOREST = 0.7  # structural: a reference level


def build_citizens(scenario: Scenario, geo: Geography, scale: float, rng: np.random.Generator,
                   procedures_online: float) -> Citizens:
    b, pop = scenario.baseline, scenario.population
    counts = adult_counts(scenario, geo, scale)
    n = int(counts.sum())
    commune = np.repeat(np.arange(geo.n, dtype=np.int32), counts)
    urban = geo.urban[commune]
    shares = np.array(pop.age_shares)
    # structural: a 63-bit key
    age, wealth, normal = _person_draws(n, np.uint64(rng.integers(0, 2**63)), np.cumsum(shares) / shares.sum())
    # Income quintiles: towns are better off; the quintiles are province-wide ranks.
    syn = pop.synthesis
    wealth += syn.urban_wealth_premium.value * urban
    # Quintile q holds ranks ceil(q n / 5) .. ceil((q + 1) n / 5) - 1: cut at those order
    # statistics (a partition, not a sort; ties of continuous draws are immaterial).
    # structural: five income quintiles
    cuts = -(-np.arange(1, 5) * n // 5)
    cuts = cuts[cuts < n]
    income = np.searchsorted(np.partition(wealth, cuts)[cuts], wealth, side="right").astype(np.uint8)
    # Digital skill: age and rurality matter; rescaled so the mean is the baseline.
    raw = (np.array(pop.skill_by_age)[age] * np.where(urban, 1.0, pop.rural_skill_factor)
           # structural: the sixth normal
           * (SKILL_POOREST + syn.skill_income_step.value * income) * np.exp(syn.skill_spread.value * normal[5]))
    skill = np.clip(raw * b.digital_skill.value / raw.mean(), 0, 1).astype(np.float32)
    # Fresh noise for each attribute: the first five normals, one each.
    # structural: five attributes
    n_sp, n_ac, n_bb, n_os, n_cl = syn.ownership_noise.value * normal[:5]
    smartphone = top_share(skill + n_sp, b.smartphone_ownership.value)
    account = top_share(syn.account_income_weight.value * income + skill + n_ac, b.account_ownership.value)
    broadband = top_share(syn.broadband_urban_weight.value * urban + syn.broadband_income_weight.value * income + n_bb,
                          b.fixed_broadband.value)
    os_adopt = top_share(skill + n_os, b.online_services_adoption.value, smartphone)
    # The least skilled non-users cannot file online alone at all (a floor under saturation).
    unable = top_share(-(skill + n_os), pop.unable_online.value, ~os_adopt)
    cl_adopt = top_share(skill + n_cl, b.cashless_adoption.value, smartphone & account)
    last, last_online = _dossier_history(n, pop.needs_per_year, os_adopt, procedures_online, rng)
    return Citizens(
        commune=commune, commune_start=np.r_[0, np.cumsum(counts)].astype(np.int64),
        xy=place_people(geo.cells, geo.polygons, counts, rng), age=age, income=income, skill=skill,
        smartphone=smartphone, account=account, broadband=broadband, trained=np.zeros(n, dtype=bool),
        online_services=np.where(os_adopt, ADOPTER, np.where(unable, UNABLE, NEVER)).astype(np.uint8),
        cashless=cl_adopt.astype(np.uint8) * ADOPTER,
        last_dossier=last, last_online=last_online,
        # Before 2025 every online dossier counts as the person's own: the teams' past work
        # is in the starting adoption, not in a history of assisted filings.
        last_assisted=np.zeros(n, dtype=bool),
    )


def business_counts(scenario: Scenario, scale: float) -> tuple[int, int]:
    """(large firms, other businesses) to build: every large firm, a `scale` sample of the rest."""
    # structural: per 1,000 people
    total = scenario.province.population.value * scenario.province.businesses_per_1000.value / 1000
    large = int(round(total * scenario.businesses.size_shares["large"]))
    return large, int(round((total - large) * scale))


def build_businesses(scenario: Scenario, geo: Geography, scale: float, rng: np.random.Generator,
                     procedures_online: float) -> Businesses:
    """Businesses with sector, size, weight and starting states. Large firms carry most of the
    value added, so all of them are built at every scale (weight 1); household businesses and
    SMEs are a `scale` sample (weight = real businesses per agent)."""
    spec, b = scenario.businesses, scenario.baseline
    n_large, n_rest = business_counts(scenario, scale)
    n_rest = max(n_rest, geo.n)
    rest_shares = np.array([spec.size_shares[s] for s in SIZES[:-1]])
    size = np.r_[rng.choice(len(SIZES) - 1, size=n_rest, p=rest_shares / rest_shares.sum()),
                 np.full(n_large, len(SIZES) - 1)].astype(np.uint8)
    # structural: per 1,000 people
    real_rest = scenario.province.population.value * scenario.province.businesses_per_1000.value / 1000 - n_large
    weight = np.where(size == len(SIZES) - 1, 1.0, max(real_rest, 1.0) / n_rest)
    n = len(size)
    # Businesses concentrate in towns a little more than people do; every commune has one.
    syn = spec.synthesis
    counts = largest_remainder(n - geo.n, geo.population * np.where(geo.urban, syn.urban_concentration.value, 1.0)) + 1
    commune_of = np.repeat(np.arange(geo.n, dtype=np.int32), counts)
    # Place the businesses (in a random order) commune by commune.
    order = rng.permutation(n)
    size, weight = size[order], weight[order]
    sector = rng.choice(len(SECTORS), size=n, p=np.array([spec.sector_shares[s] for s in SECTORS])).astype(np.uint8)
    value_added = np.array([spec.size_value_added[s] for s in SIZES])[size] * weight
    consumer = np.isin(sector, [SECTORS.index(s) for s in spec.consumer_facing])
    urban = geo.urban[commune_of]
    taste = rng.standard_normal(n).astype(np.float32)
    # Household stalls differ in how much they mind visible revenue (exponential: most a little, some a lot).
    tax_taste = np.where(size == 0, rng.exponential(1.0, n), 0.0).astype(np.float32)
    # Who accepts cashless is the model's to draw, at its market's own resting point
    # (`sim.engine.model.CityModel`): the world only says who could (consumer-facing merchants).
    accepts = np.zeros(n, dtype=bool)
    ahead = syn.urban_digital_head_start.value * urban
    online_score = size + ahead + rng.normal(0, syn.online_noise.value, n)
    online = top_weight_share(online_score, weight, b.business_online_services.value, np.ones(n, dtype=bool))
    # The household businesses least likely to file online who never will (below the tax
    # threshold, without the skills): a share of all household businesses, none filing at the start.
    household = size == 0
    floor = scenario.behaviour.business_services.never_online.value
    never_online = top_weight_share(-online_score, np.where(household, weight, 0.0), floor, household & ~online)
    level = _levels_for_share(size + ahead + rng.normal(0, syn.level_noise.value, n), value_added, sector, scenario)
    last = np.where(rng.random(n) < 1 - np.exp(-scenario.behaviour.business_services.needs_per_year),
                    # structural: -100 means no dossier in the last 12 months
                    -1 - rng.integers(0, 12, n), -100).astype(np.int16)
    # structural: -100 means no dossier in the last 12 months
    last_online = np.where(online & (rng.random(n) < procedures_online), last, -100).astype(np.int16)
    return Businesses(commune=commune_of, commune_start=np.r_[0, np.cumsum(counts)].astype(np.int64),
                      xy=place_people(geo.cells, geo.polygons, counts, rng), sector=sector, size=size, weight=weight,
                      value_added=value_added, consumer_facing=consumer, accepts_cashless=accepts, taste=taste,
                      tax_taste=tax_taste, onboarded_at=np.full(n, -1, dtype=np.int16), online_services=online,
                      never_online=never_online, digital_level=level, last_dossier=last, last_online=last_online)


def realised_by_sector(value_added: NDArray[np.float64], sector: NDArray[np.uint8], level: NDArray[np.uint8],
                       level_weights: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(S,) realised digital value added and total value added of each sector."""
    digital = np.bincount(sector, weights=value_added * level_weights[level], minlength=len(SECTORS))
    return digital, np.bincount(sector, weights=value_added, minlength=len(SECTORS))


def _levels_for_share(score: NDArray[np.float64], value_added: NDArray[np.float64], sector: NDArray[np.uint8],
                      scenario: Scenario) -> NDArray[np.uint8]:
    """Digital levels 0..3 whose digitalisation matches the baseline's (total minus core):
    firms ranked by score; level = floor(4 * rank_quantile ** k), k found by bisection."""
    de, b = scenario.behaviour.digital_economy, scenario.baseline
    economy = DigitalEconomy.start(de, b.digital_economy_core_share, scenario.businesses.grdp_shares)
    target = b.digital_economy_share.value - b.digital_economy_core_share
    weights = np.array(de.level_weights)
    # structural: mid-rank quantiles
    quantile = (np.argsort(np.argsort(score)) + 0.5) / len(score)

    def digitalisation(k: float) -> tuple[float, NDArray[np.uint8]]:
        # structural: four digital levels, 0..3
        level = np.minimum((4 * quantile ** k).astype(np.uint8), 3)
        d, t = realised_by_sector(value_added, sector, level, weights)
        # MIC terms: the baseline is stated in them whatever definition the indicators use.
        return float((economy.sector_grdp * economy.intensity * economy.sector_realised(d, t)).sum()), level

    # structural: the bisection's bracket and tolerance
    lo, hi = 0.01, 100.0
    while hi > lo * (1 + 1e-9):  # structural: about 35 halvings of the log-interval
        k = np.sqrt(lo * hi)
        if digitalisation(k)[0] > target:
            lo = k
        else:
            hi = k
    return digitalisation(hi)[1]
