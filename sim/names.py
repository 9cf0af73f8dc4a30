"""Every name list of citytwin, written once: programmes, sectors, firm sizes, citizens' state
codes and indicators.

Imports nothing from `sim`, so the schema, the model and the outputs can all read it. A
`Literal` type and its tuple are one list (the tuple is read off the type).
"""

from __future__ import annotations

from typing import Literal, get_args

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

# States of a citizen's online services and cashless behaviour (uint8 codes in the kernels).
NEVER, ADOPTER, LAPSED = 0, 1, 2
LAPSING = 3  # transient state within a month: lapsed this month (becomes LAPSED when contacts are told)

# Every indicator the model records (targets may only use these names), with what it measures.
INDICATORS: dict[str, str] = {
    "online_services_adoption": "share of adult citizens who are adopters of online public services",
    "online_services_uptake": "share of people and businesses with a dossier in the last 12 months who filed online",
    "online_dossier_share": "share of the month's dossiers filed online",
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
    "business_online_services": "share of businesses using online public services",
    "backoffice_wait_days": "population-weighted mean wait of a dossier in a commune office's queue (working days)",
    "backoffice_overdue_share": "population-weighted share of dossiers waiting beyond the statutory deadline",
    "backoffice_utilisation": "population-weighted utilisation of commune offices (arrivals over capacity)",
    "dx_budget_share": "Resolution 57 budget (S&T, innovation and DX) / total spending of the year",
    "dx_spent_vnd": "Resolution 57 money delivered and absorbed (cumulative, VND)",
    "dx_unabsorbed_vnd": "Resolution 57 money paid out but not absorbed, returned to the budget (cumulative, VND)",
    **{f"dx_spent_{p}_vnd": f"money absorbed by the {p} programme (cumulative, VND)" for p in PROGRAMMES},
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
}
OUTPUT_INDICATORS = ("sites_4g_built", "sites_5g_built", "fibre_households", "people_trained", "merchants_onboarded",
                     "dossiers_assisted", "firms_supported", "officers_funded")

COMMUNE_INDICATORS = ("online_services_adoption", "online_services_uptake", "cashless_adoption", "cashless_share",
                      "merchant_acceptance", "smartphone_ownership", "coverage_4g", "coverage_5g",
                      "backoffice_wait_days", "backoffice_overdue_share")
