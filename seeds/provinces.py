"""Build the figure table of the 34 provinces (`seeds/provinces.csv`) and a scenario for each
(`scenarios/provinces/<code>_<name>.toml`) from the published figures in `seeds/research/` and
the shipped communes (`sim/data/geo/units.csv`).

Every starting value of a province is one of:
- a **provincial figure**: the value a source published for this province (post-2025 borders,
  or the pre-2025 province whose name it keeps when the source says so), with its URL;
- a **small-area estimate**: where the province has no figure, a regression on covariates every
  province has (urban share of the people, from the communes; GRDP per person) fitted on the
  provinces that have one, with the leave-one-out error carried as the range (95%); where fewer
  than six provinces publish the indicator, a synthetic estimate: the national value moved by
  the province's digital gradient (the smartphone regression, the one adoption indicator with
  provincial figures), benchmarked so that the adult-weighted mean is the national value;
- a **national default** (`scenarios/common/province_defaults.toml`), said so in its source.

DTI scores are not covariates: VALIDATION.md tests the estimates against them.

Run `python seeds/provinces.py` after changing a research table; `--check` (tests) fails if the
committed table or scenarios differ from what the research tables give.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESEARCH = ROOT / "seeds" / "research"
UNITS = ROOT / "sim" / "data" / "geo" / "units.csv"
DEFAULTS = ROOT / "scenarios" / "common" / "province_defaults.toml"
TABLE = ROOT / "seeds" / "provinces.csv"
SCENARIOS = ROOT / "scenarios" / "provinces"

# The seed provinces keep their own scenario (more detail, sourced budgets and sites).
SEED_SCENARIOS = {31: "hai_phong", 48: "da_nang", 66: "dak_lak", 75: "dong_nai"}

# Merger dossiers count 113.7 M people against the statistical office's 101.3 M average
# population of 2024 (GSO, 6 Jan 2025): provincial people per GRDP use the dossier figures
# scaled by this ratio (the same for every province: an assumption, the dossiers' excess is
# registered residents counted twice or not present).
NATIONAL_POPULATION_2024 = 101.3e6
NATIONAL_GDP_2024_VND = 11_511.9e12  # GSO, 6 Jan 2025: GDP 2024 at current prices (VND 11,511.9 trillion)
NATIONAL_GDP_SOURCE = ("GSO socio-economic report of 6 Jan 2025: GDP 2024 at current prices VND 11,511.9 "
                       "trillion (USD 476.3 bn, thesaigontimes.vn 2025-01-06), average population 101.3 M")
Z95 = 1.96
MIN_FIT = 6  # fewest provinces with a figure for a regression with its own leave-one-out error


@dataclass
class Row:
    """One line of seeds/provinces.csv."""

    code: int
    province: str
    indicator: str
    year: int
    value: float
    low: float | None
    high: float | None
    unit: str
    basis: str           # provincial figure | small-area estimate | national default | communes data
    definition: str
    source: str


@dataclass
class Province:
    code: int
    name: str
    slug: str
    population: float                 # merger-dossier people (sum over the communes)
    area_km2: float
    urban: float                      # share of people in wards
    rows: list[Row] = field(default_factory=list)

    @property
    def people(self) -> float:
        """People on the statistical office's count (dossier people x the national ratio)."""
        return self.population * NATIONAL_POPULATION_2024 / DOSSIER_TOTAL


DOSSIER_TOTAL = 0.0


def logit(p: np.ndarray | float) -> np.ndarray | float:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def expit(x: np.ndarray | float) -> np.ndarray | float:
    return 1 / (1 + np.exp(-x))


def read_research(name: str) -> list[dict[str, str]]:
    with open(RESEARCH / name, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def provinces() -> dict[int, Province]:
    """The 34 provinces from the shipped communes: people, area, urban share, file name."""
    global DOSSIER_TOTAL
    acc: dict[int, dict] = {}
    with open(UNITS, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            code = int(r["province_code"])
            a = acc.setdefault(code, {"name": r["province"], "pop": 0.0, "area": 0.0, "urban": 0.0})
            pop = float(r["population"] or 0)
            a["pop"] += pop
            a["area"] += float(r["area_km2"] or 0)
            a["urban"] += pop if r["type"] == "ward" else 0.0
    slugs = {int(p.name[:2]): p.stem[3:] for p in (UNITS.parent / "provinces").glob("*.geojson")}
    DOSSIER_TOTAL = sum(a["pop"] for a in acc.values())
    return {c: Province(c, a["name"], slugs[c], a["pop"], a["area"], a["urban"] / a["pop"])
            for c, a in sorted(acc.items())}


def figures(rows: list[dict[str, str]], indicator: str, whole_only: bool = True,
            year: int | None = None) -> dict[int, dict[str, str]]:
    """The latest published figure of an indicator per province (post-merger borders unless
    `whole_only` is False, when a pre-merger province of the same name also counts)."""
    out: dict[int, dict[str, str]] = {}
    for r in rows:
        if r["indicator"] != indicator or not r["value"]:
            continue
        code = int(r["province_code"])
        if code == 0 or (year is not None and int(float(r["year"] or 0)) != year):
            continue
        old = (r.get("old_province") or "").strip()
        if old and whole_only:
            continue
        if code in out and int(float(out[code]["year"] or 0)) >= int(float(r["year"] or 0)):
            continue
        out[code] = r
    return out


@dataclass
class Fit:
    """An OLS fit of a transformed indicator on covariates, with its leave-one-out error."""

    beta: np.ndarray
    sigma: float          # leave-one-out root mean square error (transformed scale)
    n: int
    r2: float

    def predict(self, x: np.ndarray) -> np.ndarray:
        return x @ self.beta


def fit(x: np.ndarray, y: np.ndarray) -> Fit:
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    loo = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        b, *_ = np.linalg.lstsq(x[keep], y[keep], rcond=None)
        loo.append(y[i] - x[i] @ b)
    resid = y - x @ beta
    r2 = 1 - resid.var() / y.var() if y.var() > 0 else 0.0
    return Fit(beta, float(np.sqrt(np.mean(np.square(loo)))), len(y), float(r2))


def covariates(ps: list[Province], gdppc: dict[int, float]) -> np.ndarray:
    """Intercept, urban share, log GRDP per person (VND million)."""
    return np.array([[1.0, p.urban, math.log(gdppc[p.code] / 1e6)] for p in ps])


def fmt_share(v: float) -> str:
    return f"{100 * v:.1f}%"


@dataclass
class Context:
    """What the steps of `build` share: the provinces, the research tables, the fits' notes and
    the covariates as each step adds them."""

    ps: dict[int, Province]
    econ: list[dict[str, str]]
    dti: list[dict[str, str]]
    serv: list[dict[str, str]]
    notes: dict[str, str] = field(default_factory=dict)
    gdppc: dict[int, float] = field(default_factory=dict)
    x_all: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    gradient: np.ndarray = field(default_factory=lambda: np.zeros(0))
    defaults: dict = field(default_factory=lambda: tomllib.loads(DEFAULTS.read_text(encoding="utf-8"))["baseline"])
    growth: list[dict[str, str]] = field(default_factory=lambda: read_research("growth.csv"))

    @property
    def plist(self) -> list[Province]:
        return list(self.ps.values())

def _population(ctx: Context) -> None:
    ps, plist, econ, dti, serv, notes, gdppc = ctx.ps, ctx.plist, ctx.econ, ctx.dti, ctx.serv, ctx.notes, ctx.gdppc  # noqa: E501, F841
    for p in plist:
        src = "sum over the province's communes and wards, sim/data/geo (2025 merger dossiers)"
        p.rows.append(Row(p.code, p.name, "population_dossiers", 2025, round(p.population), None, None, "people",
                          "communes data", "people in the merger dossiers of the province's units", src))
        p.rows.append(Row(p.code, p.name, "population", 2024, round(p.people), None, None, "people",
                          "small-area estimate",
                          "average population on the statistical office's count: dossier people x 101.3 M / "
                          f"{DOSSIER_TOTAL / 1e6:.1f} M", NATIONAL_GDP_SOURCE + "; " + src))
        p.rows.append(Row(p.code, p.name, "urban_share", 2025, round(p.urban, 4), None, None, "share",
                          "communes data", "share of the people living in wards (not communes or special zones)",
                          src))
        p.rows.append(Row(p.code, p.name, "area_km2", 2025, round(p.area_km2, 2), None, None, "km2",
                          "communes data", "sum of the units' areas", src))



def _grdp(ctx: Context) -> None:
    ps, plist, econ, dti, serv, notes, gdppc = ctx.ps, ctx.plist, ctx.econ, ctx.dti, ctx.serv, ctx.notes, ctx.gdppc  # noqa: E501, F841
    # --- GRDP 2024 (VND): figure where published for the whole post-merger province, else the sum
    # of its pre-merger parts when all are published, else a regression of log GRDP per person.
    grdp_fig = figures(econ, "grdp_current", year=2024)
    for c, r in grdp_fig.items():
        gdppc[c] = float(r["value"]) * 1e9 / ps[c].people
    known = [ps[c] for c in sorted(grdp_fig)]
    xg = np.array([[1.0, p.urban, math.log(p.people / p.area_km2)] for p in known])
    fg = fit(xg, np.log([gdppc[p.code] / 1e6 for p in known]))
    notes["grdp"] = (f"log GRDP per person (VND M) on urban share and log density, {fg.n} provinces, "
                     f"R² {fg.r2:.2f}, leave-one-out error {fg.sigma:.2f} (log)")
    for p in plist:
        if p.code in grdp_fig:
            r = grdp_fig[p.code]
            v = float(r["value"]) * 1e9
            p.rows.append(Row(p.code, p.name, "grdp_vnd", 2024, v, None, None, "VND", "provincial figure",
                              r["definition"], r["source_url"]))
        else:
            x = np.array([1.0, p.urban, math.log(p.people / p.area_km2)])
            mu = float(x @ fg.beta)
            gdppc[p.code] = math.exp(mu) * 1e6
            v = gdppc[p.code] * p.people
            lo, hi = (math.exp(mu + s * Z95 * fg.sigma) * 1e6 * p.people for s in (-1, 1))
            p.rows.append(Row(p.code, p.name, "grdp_vnd", 2024, round(v, -9), round(lo, -9), round(hi, -9), "VND",
                              "small-area estimate", "GRDP 2024 at current prices", notes["grdp"]))
        p.rows.append(Row(p.code, p.name, "grdp_per_person_vnd", 2024, round(gdppc[p.code], -3), None, None, "VND",
                          p.rows[-1].basis, "GRDP 2024 / population (statistical office's count)",
                          "seeds/provinces.csv grdp_vnd / population"))
    x_all = covariates(plist, gdppc)

    ctx.x_all = x_all


def _structure(ctx: Context) -> None:
    ps, plist, econ, dti, serv, notes, gdppc = ctx.ps, ctx.plist, ctx.econ, ctx.dti, ctx.serv, ctx.notes, ctx.gdppc  # noqa: E501, F841
    x_all, gradient, defaults = ctx.x_all, ctx.gradient, ctx.defaults  # noqa: F841
    # --- GRDP structure: agriculture (forestry, fishery) and industry-construction shares;
    # services (with product taxes) the rest.
    for ind, key in (("grdp_share_agri", "agriculture"), ("grdp_share_ind_constr", "industry")):
        fig = figures(econ, ind)
        codes = sorted(fig)
        f = fit(covariates([ps[c] for c in codes], gdppc), logit(np.array([float(fig[c]["value"]) for c in codes])))
        notes[key] = (f"logit of the {key} share of GRDP on urban share and log GRDP per person, {f.n} provinces, "
                      f"R² {f.r2:.2f}, leave-one-out error {f.sigma:.2f} (logit)")
        pred = f.predict(x_all)
        for p, mu in zip(plist, pred):
            if p.code in fig:
                r = fig[p.code]
                p.rows.append(Row(p.code, p.name, f"grdp_share_{key}", int(float(r["year"])), float(r["value"]),
                                  None, None, "share", "provincial figure", r["definition"], r["source_url"]))
            else:
                lo, hi = expit(mu - Z95 * f.sigma), expit(mu + Z95 * f.sigma)
                p.rows.append(Row(p.code, p.name, f"grdp_share_{key}", 2024, round(float(expit(mu)), 4),
                                  round(float(lo), 4), round(float(hi), 4), "share", "small-area estimate",
                                  f"{key} share of GRDP", notes[key]))



def _digital_economy(ctx: Context) -> None:
    ps, plist, econ, dti, serv, notes, gdppc = ctx.ps, ctx.plist, ctx.econ, ctx.dti, ctx.serv, ctx.notes, ctx.gdppc  # noqa: E501, F841
    x_all, gradient, defaults = ctx.x_all, ctx.gradient, ctx.defaults  # noqa: F841
    # --- Digital economy share of GRDP, MIC definition (annual report 2022, pre-merger provinces:
    # a figure of the province's namesake is used as the figure, said so; others regress).
    # The regression uses one year (2022, the annual report's); a province's namesake figure is its latest.
    de_all = sorted((r for r in econ if r["indicator"] == "digital_economy_share_grdp_mic"), key=lambda r: r["year"])
    de_rows = [r for r in de_all if r["year"] == "2022"]
    namesake = {int(r["province_code"]): r for r in de_all
                if r["old_province"].strip().lower().replace("tp. ", "") in ps[int(r["province_code"])].name.lower()}
    codes = [int(r["province_code"]) for r in de_rows]
    vals = np.array([float(r["value"]) for r in de_rows])
    f = fit(covariates([ps[c] for c in codes], gdppc), logit(vals))
    notes["digital_economy"] = (f"logit of the MIC digital economy share (2022, {f.n} pre-merger provinces placed in "
                                f"their merged province) on urban share and log GRDP per person, R² {f.r2:.2f}, "
                                f"leave-one-out error {f.sigma:.2f} (logit)")
    pred = f.predict(x_all)
    for p, mu in zip(plist, pred):
        lo, hi = float(expit(mu - Z95 * f.sigma)), float(expit(mu + Z95 * f.sigma))
        if p.code in namesake:
            r = namesake[p.code]
            v = float(r["value"])
            merged = "" if p.code == 1 else "; the provinces merged into it in 2025 are not measured"
            est = float(expit(mu))
            p.rows.append(Row(p.code, p.name, "digital_economy_share_mic", int(r["year"]), v, round(min(v, est), 4),
                              round(max(v, est), 4), "share", "provincial figure",
                              f"digital economy / GRDP, MIC definition, pre-merger {r['old_province']}{merged} "
                              "(range: to the regression's estimate for the merged province)", r["source_url"]))
        else:
            # MIC 2022 lists every province above 20% and the two below 5%: a province none of whose
            # parts is listed lies between (a published bound, not an assumption).
            top = max((v for c, v in zip(codes, vals) if c == p.code), default=0.0)
            cap = (0.05, 0.20) if top <= 0.20 else (0.05, 1.0)
            clip = lambda v, cap=cap: min(max(v, cap[0]), cap[1])  # noqa: E731
            p.rows.append(Row(p.code, p.name, "digital_economy_share_mic", 2022, round(clip(float(expit(mu))), 4),
                              round(clip(lo), 4), round(clip(hi), 4), "share", "small-area estimate",
                              "digital economy / GRDP, MIC definition", notes["digital_economy"] +
                              (f"; within {cap[0]:.0%}-{cap[1]:.0%}: MIC 2022 names the 5 provinces above 20% and "
                               "the 2 below 5%, none of them part of this one" if cap[1] < 1 else "")))



def _core(ctx: Context) -> None:
    ps, plist, econ, dti, serv, notes, gdppc = ctx.ps, ctx.plist, ctx.econ, ctx.dti, ctx.serv, ctx.notes, ctx.gdppc  # noqa: E501, F841
    x_all, gradient, defaults = ctx.x_all, ctx.gradient, ctx.defaults  # noqa: F841
    # --- The core (ICT industries incl. electronics) in the digital economy: high provincial shares
    # come from electronics manufacturing (FACTS.md), so the digitalisation of the other sectors is
    # capped near the national level (MIC 2022: 14.26% of GDP of which ICT 7.18, so ~7 points).
    notes["core"] = ("the digitalisation of other sectors is 65% of the digital economy up to 8 points of GRDP, the "
                     "rest is core (assumption: MIC 2022 nationally 7.1 of 14.3 points are not ICT, FACTS.md; "
                     "range: 50-85% up to 6-10 points)")
    for p in plist:
        de = next(r for r in p.rows if r.indicator == "digital_economy_share_mic").value
        core = lambda share, cap, de=de: 1 - min(share * de, cap) / de  # noqa: E731
        p.rows.append(Row(p.code, p.name, "digital_economy_core_fraction", 2022, round(core(0.65, 0.08), 4),
                          round(core(0.85, 0.10), 4), round(core(0.5, 0.06), 4), "share", "small-area estimate",
                          "core share of the digital economy, MIC definition", notes["core"]))



def _smartphones(ctx: Context) -> None:
    ps, plist, econ, dti, serv, notes, gdppc = ctx.ps, ctx.plist, ctx.econ, ctx.dti, ctx.serv, ctx.notes, ctx.gdppc  # noqa: E501, F841
    x_all, gradient, defaults = ctx.x_all, ctx.gradient, ctx.defaults  # noqa: F841
    # --- Smartphones: adults with a smartphone, March 2022 (MIC), 8 provinces; moved to January
    # 2025 by the national change on the logit scale (73.5% -> the national default).

    sm = figures(serv, "adult_smartphone_share", whole_only=False)
    codes = sorted(sm)
    ysm = logit(np.array([float(sm[c]["value"]) / 100 for c in codes]))
    fsm = fit(covariates([ps[c] for c in codes], gdppc), ysm)
    national_2022 = 0.735
    shift = float(logit(defaults["smartphone_ownership"]["value"]) - logit(national_2022))
    notes["smartphone"] = (f"logit of adults with a smartphone (MIC, March 2022, {fsm.n} provinces) on urban share "
                           f"and log GRDP per person, R² {fsm.r2:.2f}, leave-one-out error {fsm.sigma:.2f} (logit); "
                           f"moved to January 2025 by the national change ({fmt_share(national_2022)} -> "
                           f"{fmt_share(defaults['smartphone_ownership']['value'])}, +{shift:.2f} logit)")
    gradient = fsm.predict(x_all)  # the digital gradient, reused below
    # Benchmarked: the provinces' 2022 values (figures where published, the fit elsewhere) average,
    # weighted by people, to the national 73.5% (the fit, made on 8 mostly mountainous provinces,
    # would otherwise say 2022's nation had fewer smartphones than it had).
    people = np.array([p.people for p in plist])
    have = np.array([p.code in sm for p in plist])
    own = np.array([logit(float(sm[p.code]["value"]) / 100) if p.code in sm else 0.0 for p in plist])
    lo_c, hi_c = -3.0, 3.0
    for _ in range(60):
        c = (lo_c + hi_c) / 2
        mean = np.average(expit(np.where(have, own, gradient + c)), weights=people)
        lo_c, hi_c = (c, hi_c) if mean < national_2022 else (lo_c, c)
    bench = (lo_c + hi_c) / 2
    notes["smartphone"] += f"; the fit benchmarked to the national 2022 figure ({bench:+.2f} logit)"
    for p, mu in zip(plist, gradient + bench):
        if p.code in sm:
            v2022 = float(sm[p.code]["value"]) / 100
            base = float(logit(v2022)) + shift
            sd = 0.5 * fsm.sigma  # the 2022 figure is measured; the move to 2025 is not
            what = f"from the province's own 2022 figure {fmt_share(v2022)} ({sm[p.code]['source_url']}), moved"
        else:
            base, sd, what = float(mu) + shift, fsm.sigma, "regression"
        p.rows.append(Row(p.code, p.name, "smartphone_ownership", 2025, round(float(expit(base)), 4),
                          round(float(expit(base - Z95 * sd)), 4), round(float(expit(base + Z95 * sd)), 4), "share",
                          "small-area estimate", f"adults with a smartphone, January 2025 ({what})",
                          notes["smartphone"]))

    ctx.gradient = gradient


def _synthetic(ctx: Context) -> None:
    ps, plist, econ, dti, serv, notes, gdppc = ctx.ps, ctx.plist, ctx.econ, ctx.dti, ctx.serv, ctx.notes, ctx.gdppc  # noqa: E501, F841
    x_all, gradient, defaults = ctx.x_all, ctx.gradient, ctx.defaults  # noqa: F841
    # --- Indicators with no provincial figures: synthetic estimates on the digital gradient.
    adults = np.array([p.people for p in plist])
    dev = gradient - np.average(gradient, weights=adults)
    notes["synthetic"] = ("synthetic small-area estimate: logit(national default) + k x (the province's digital "
                          "gradient: the smartphone regression's prediction minus its adult-weighted mean), k = 1 "
                          "(assumption: the gradient of smartphones holds for the other adoption indicators; range "
                          "k = 0.5-1.5 with the national default's own range), then shifted so that the "
                          "adult-weighted mean is the national default")
    for key in ("account_ownership", "online_services_adoption", "cashless_adoption", "merchant_acceptance",
                "business_online_services", "fixed_broadband", "digital_skill"):
        d = defaults[key]
        nat, (nlo, nhi) = d["value"], d["range"]

        def bench(level: float, k: float) -> np.ndarray:
            z = logit(level) + k * dev
            # shift so that the adult-weighted mean equals `level` (bisection on the logit shift)
            a, b = -5.0, 5.0
            for _ in range(60):
                m = (a + b) / 2
                if np.average(expit(z + m), weights=adults) > level:
                    b = m
                else:
                    a = m
            return expit(z + (a + b) / 2)

        mid = bench(nat, 1.0)
        ends = np.vstack([bench(level, k) for level in (nlo, nhi) for k in (0.5, 1.5)])
        for i, p in enumerate(plist):
            p.rows.append(Row(p.code, p.name, key, 2025, round(float(mid[i]), 4), round(float(ends[:, i].min()), 4),
                              round(float(ends[:, i].max()), 4), "share", "small-area estimate",
                              f"{key.replace('_', ' ')}, January 2025 (national default {fmt_share(nat)})",
                              notes["synthetic"]))



def _budget(ctx: Context) -> None:
    ps, plist, econ, dti, serv, notes, gdppc = ctx.ps, ctx.plist, ctx.econ, ctx.dti, ctx.serv, ctx.notes, ctx.gdppc  # noqa: E501, F841
    x_all, gradient, defaults = ctx.x_all, ctx.gradient, ctx.defaults  # noqa: F841
    # --- Budget spending per person: elasticity to GRDP per person from the provinces with a
    # full-year figure (transfers even out spending more than income).
    budget = {66: (4.522e13, "seeds/figures.toml#dak_lak.budget_spending_2025h1 (doubled)"),
              31: (8.48e13, "seeds/figures.toml#hai_phong.budget_spending_2026 (deflated)")}
    for c, r in figures(econ, "local_budget_spending").items():
        budget[c] = (float(r["value"]) * 1e9, r["source_url"])
    codes = sorted(budget)
    xb = np.array([[1.0, math.log(gdppc[c] / 1e6)] for c in codes])
    yb = np.log([budget[c][0] / ps[c].people / 1e6 for c in codes])
    bb, *_ = np.linalg.lstsq(xb, yb, rcond=None)
    elasticity = float(bb[1])
    notes["budget"] = (f"local budget spending per person, elasticity {elasticity:.2f} to GRDP per person through "
                       f"{len(codes)} provinces with a full-year figure (codes {codes}); too few for a leave-one-out "
                       "error: range ±35% (assumption: the spread of the national default's range)")
    for p in plist:
        if p.code in budget:
            v, src = budget[p.code]
            p.rows.append(Row(p.code, p.name, "budget_spending_vnd", 2025, v, None, None, "VND a year",
                              "provincial figure", "local budget spending of the year", src))
        else:
            v = math.exp(float(bb[0]) + elasticity * math.log(gdppc[p.code] / 1e6)) * 1e6 * p.people
            p.rows.append(Row(p.code, p.name, "budget_spending_vnd", 2025, round(v, -9), round(0.65 * v, -9),
                              round(1.35 * v, -9), "VND a year", "small-area estimate",
                              "local budget spending of the year", notes["budget"]))



def _sites(ctx: Context) -> None:
    ps, plist, econ, dti, serv, notes, gdppc = ctx.ps, ctx.plist, ctx.econ, ctx.dti, ctx.serv, ctx.notes, ctx.gdppc  # noqa: E501, F841
    x_all, gradient, defaults = ctx.x_all, ctx.gradient, ctx.defaults  # noqa: F841
    # --- 4G sites: enough to cover the people as the national figure says (99.8%): sites for the
    # people plus sites for the land a sparse, mountainous province must reach.
    for p in plist:
        v = 6.0e-4 * p.population + 0.08 * p.area_km2
        p.rows.append(Row(p.code, p.name, "sites_4g", 2025, round(v), round(0.75 * v), round(1.3 * v), "sites",
                          "small-area estimate",
                          "4G sites at the start: 6 per 10,000 dossier people + 8 per 100 km²",
                          "assumption: fitted so that every province starts near the national 99.8% of the "
                          "population covered by 4G (FACTS.md), Son La at its published 94.8% and Dong Nai's "
                          "~3,550 stations (seeds/figures.toml#dong_nai.mobile_base_stations) are in the range; "
                          "range -25%/+30%"))



# National GDP growth 2015-2021 and investment rate (GSO, seeds/research/growth.csv): vietnam.toml's defaults.
NATIONAL_GROWTH = 0.0588
NATIONAL_INVESTMENT = 0.33


def _growth(ctx: Context) -> None:
    """GRDP growth at constant prices over 2021-2024 from the statistics offices' figures (a year's
    growth or an average over a period ending then) of the province or its pre-merger parts. The
    figures come mostly from lists of the fastest-growing provinces, so a merged province's slower
    parts are often missing: the range reaches down to the national growth."""
    by_code: dict[int, list[dict[str, str]]] = {}
    for r in ctx.growth:
        if r["indicator"] not in ("grdp_growth", "grdp_growth_avg") or not r["province_code"]:
            continue
        end = int(r["year"].split("-")[-1])
        if 2021 <= end <= 2024:
            by_code.setdefault(int(r["province_code"]), []).append(r)
    for code, rows in sorted(by_code.items()):
        p = ctx.ps.get(code)
        if p is None or code in SEED_SCENARIOS:  # a seed province's own file weighs its parts by hand
            continue
        values = [float(r["value"]) for r in rows]
        parts = sorted({r["old_province"] or r["province_name"] for r in rows})
        mean = sum(values) / len(values)
        p.rows.append(Row(code, p.name, "grdp_growth_history", 2024, round(mean, 4),
                          round(min(min(values), NATIONAL_GROWTH) - 0.005, 4), round(max(values) + 0.005, 4),
                          "share a year", "provincial figure",
                          f"GRDP growth at constant prices 2021-2024, mean of {len(values)} figures of "
                          f"{', '.join(parts)} (statistics offices via the press); the range reaches the national "
                          f"{NATIONAL_GROWTH:.2%} as slower merged parts may be missing",
                          "; ".join(sorted({r['source_url'] for r in rows}))))
        # Without its own investment figure a province invests as the nation does per point of growth:
        # otherwise all of a fast province's extra growth would be counted as TFP.
        icor = NATIONAL_INVESTMENT / NATIONAL_GROWTH
        rate = min(max(icor * mean, 0.2), 0.6)
        p.rows.append(Row(code, p.name, "investment_rate", 2024, round(rate, 4), round(max(0.8 * rate, 0.15), 4),
                          round(min(1.2 * rate, 0.7), 4), "share of GRDP", "small-area estimate",
                          "total social investment / GRDP",
                          f"assumption: no provincial figure; the nation's investment per point of growth "
                          f"({NATIONAL_INVESTMENT:.0%} of GDP for {NATIONAL_GROWTH:.2%} a year, 5.6; GSO's ICOR "
                          f"6.07-6.42 counts it differently) times this GRDP growth, within 0.2-0.6; range ±20%"))


def _reported(ctx: Context) -> None:
    ps, plist, econ, dti, serv, notes, gdppc = ctx.ps, ctx.plist, ctx.econ, ctx.dti, ctx.serv, ctx.notes, ctx.gdppc  # noqa: E501, F841
    x_all, gradient, defaults = ctx.x_all, ctx.gradient, ctx.defaults  # noqa: F841
    # --- Figures reported for comparison only (not starting values): DTI 2024, online submission.
    for r in dti:
        c = int(r["province_code"])
        if c in ps and r["value"]:
            ps[c].rows.append(Row(c, ps[c].name, r["indicator"], int(r["year"]), float(r["value"]), None, None,
                                  "index 0-1" if r["indicator"] != "dti_rank" else "rank", "provincial figure",
                                  r["definition"], r["source_url"]))
    for ind in ("online_submission_share", "overdue_dossier_share"):
        for c, r in figures(serv, ind).items():
            if c in ps and r["year"]:
                ps[c].rows.append(Row(c, ps[c].name, ind, int(float(r["year"])), float(r["value"]) / 100, None,
                                      None, "share", "provincial figure", r["definition"], r["source_url"]))


def build() -> tuple[list[Row], dict[int, Province], dict[str, str]]:
    """The table's rows, the provinces (each with its rows) and the small-area models' notes."""
    c = Context(provinces(), read_research("economy.csv"), read_research("dti.csv"), read_research("services.csv"))
    for step in (_population, _grdp, _structure, _digital_economy, _core, _smartphones, _synthetic, _budget,
                 _sites, _growth, _reported):
        step(c)
    rows = [r for p in c.plist for r in p.rows]
    return rows, c.ps, c.notes


def table_text(rows: list[Row]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["province_code", "province", "indicator", "year", "value", "low", "high", "unit", "basis",
                "definition", "source"])
    for r in rows:
        num = lambda v: "" if v is None else f"{v:.6g}" if abs(v) < 1e6 else f"{v:.0f}"  # noqa: E731
        w.writerow([f"{r.code:02d}", r.province, r.indicator, r.year, num(r.value), num(r.low), num(r.high),
                    r.unit, r.basis, r.definition, r.source])
    return buf.getvalue()


def toml_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sourced(row: Row, scale: float = 1.0, digits: int = 4) -> str:
    """A sourced number of a scenario from a row of the table."""
    tag = {"provincial figure": "provincial figure", "small-area estimate": "small-area estimate"}[row.basis]
    value = round(row.value * scale, digits)
    text = f"{tag}: {row.definition}, {row.year} (seeds/provinces.csv; {row.source})"
    parts = [f"value = {value!r}", f"source = {toml_string(text)}"]
    if row.low is not None and row.high is not None:
        lo, hi = round(min(row.low, row.value) * scale, digits), round(max(row.high, row.value) * scale, digits)
        if hi > lo:
            parts.append(f"range = [{lo!r}, {hi!r}]")
    return "{ " + ", ".join(parts) + " }"


def population(p: Province) -> str:
    """The province's people on the statistical office's count, the dossier figure the top of
    the range (the dossiers count 113.7 M people nationally against 101.3 M)."""
    text = (f"small-area estimate: average population 2024, the merger dossiers' {p.population:,.0f} people x "
            f"101.3 M / {DOSSIER_TOTAL / 1e6:.1f} M so that the provinces add up to the statistical office's "
            f"count (seeds/provinces.csv; {NATIONAL_GDP_SOURCE}); the range goes up to the dossiers' figure")
    return (f"{{ value = {round(p.people)!r}, source = {toml_string(text)}, "
            f"range = [{round(p.people)!r}, {round(p.population)!r}] }}")


# Services of a province's GRDP split as the national structure splits them (vietnam.toml).
SERVICES_SPLIT = {"retail_trade": 0.14, "transport_logistics": 0.07, "tourism_hospitality": 0.05,
                  "other_services": 0.21}


def scenario_text(p: Province) -> str:
    get = {r.indicator: r for r in p.rows}
    lines = [f"# {p.name} (code {p.code:02d}): generated by seeds/provinces.py from seeds/provinces.csv; edit the",
             "# research tables (seeds/research) and rerun it, not this file. Every starting value below is a",
             "# provincial figure or a small-area estimate (its source says which); the rest are national defaults.",
             ]
    if p.code in SEED_SCENARIOS:
        seed = SEED_SCENARIOS[p.code]
        lines += [f"# A seed province: its own scenario ({seed}.toml) keeps its sourced detail.",
                  f'extends = "../{seed}.toml"', "", "[province]",
                  f"grdp_vnd = {sourced(get['grdp_vnd'], digits=-9)}", ""]
        return "\n".join(lines)
    agri, ind = get["grdp_share_agriculture"], get["grdp_share_industry"]
    services = max(1.0 - agri.value - ind.value, 0.05)
    total = agri.value + ind.value + services
    split = sum(SERVICES_SPLIT.values())
    lines += ['extends = "../common/province_defaults.toml"', f'name = "{p.slug}"',
              f'description = "{p.name} at the Resolution 57 minimum of 3% of the budget, its own figures, 2025-2035"',
              "", "[province]", f"code = {p.code}",
              f"population = {population(p)}",
              f"grdp_vnd = {sourced(get['grdp_vnd'], digits=-9)}", "", "[baseline]"]
    for key in ("smartphone_ownership", "account_ownership", "online_services_adoption", "cashless_adoption",
                "merchant_acceptance", "business_online_services", "fixed_broadband", "digital_skill"):
        lines.append(f"{key} = {sourced(get[key])}")
    de = get["digital_economy_share_mic"]
    lines.append(f"digital_economy_share = {sourced(de)}")
    lines.append(f"digital_economy_core_fraction = {sourced(get['digital_economy_core_fraction'])}")
    lines.append(f"sites_4g = {sourced(get['sites_4g'], digits=0)}")
    if "overdue_dossier_share" in get:
        o = get["overdue_dossier_share"]
        text = f"provincial figure: {o.definition}, {o.year} (seeds/provinces.csv; {o.source})"
        lines.append(f"backoffice_overdue_share = {{ value = {round(o.value, 4)!r}, source = {toml_string(text)} }}")
    lines += ["", "[budget]", f"spending_vnd = {sourced(get['budget_spending_vnd'], digits=-9)}", "",
              f"[businesses.grdp_shares]   # agriculture and industry: {agri.basis} / {ind.basis} "
              "(seeds/provinces.csv); services split as the national structure"]
    shares = {"agriculture": agri.value / total, "manufacturing": ind.value / total}
    shares |= {k: services / total * v / split for k, v in SERVICES_SPLIT.items()}
    shares = {k: round(v, 4) for k, v in shares.items()}
    shares["other_services"] = round(1.0 - sum(v for k, v in shares.items() if k != "other_services"), 4)
    lines += [f"{k} = {v:.4f}" for k, v in shares.items()]
    if "grdp_growth_history" in get:
        lines += ["", "[economy.production]   # the rest: national defaults (vietnam.toml)",
                  f"grdp_growth_history = {sourced(get['grdp_growth_history'])}",
                  f"investment_rate = {sourced(get['investment_rate'])}"]
    return "\n".join(lines) + "\n"


def outputs() -> dict[Path, str]:
    rows, ps, _ = build()
    files = {TABLE: table_text(rows)}
    for p in ps.values():
        files[SCENARIOS / f"{p.code:02d}_{p.slug}.toml"] = scenario_text(p)
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed files differ")
    parser.add_argument("--notes", action="store_true", help="print the small-area models' fits")
    args = parser.parse_args()
    if args.notes:
        for k, v in build()[2].items():
            print(f"{k}: {v}")
    files = outputs()
    stale = [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    if args.check:
        for p in stale:
            print(f"{p.relative_to(ROOT)}: differs from what seeds/research gives; run python seeds/provinces.py")
        return 1 if stale else 0
    SCENARIOS.mkdir(exist_ok=True)
    for p in stale:
        p.write_text(files[p], encoding="utf-8")
    print(f"wrote {len(stale)} of {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
