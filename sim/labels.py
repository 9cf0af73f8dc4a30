"""What a planner reads in place of the model's names: a short label for every indicator.

The ids (`online_services_uptake`) stay the keys of files and of `--set`; tables, the dashboard
and `verdict.json` (`label` beside `id`) show these. What each indicator measures in full is
`sim.schema.INDICATORS` (tests/test_labels.py: every indicator has a label)."""

from __future__ import annotations

import re

from sim.schema import INDICATORS, PROGRAMMES, Scenario

PROGRAMME_LABELS: dict[str, str] = {
    "infrastructure": "infrastructure", "skills": "digital skills", "services": "online services",
    "incentives": "cashless incentives", "awareness": "awareness campaigns", "enterprise": "enterprise support",
    "research": "science and technology"}

INDICATOR_LABELS: dict[str, str] = {
    "online_services_adoption": "Adults who use online public services",
    "online_services_uptake": "Online public services used (filed oneself)",
    "online_services_assisted": "Online dossiers filed with a team's help",
    "online_dossier_share": "Dossiers filed online",
    "procedures_online": "Procedures offered online",
    "online_dossier_rejection": "Online dossiers returned for correction",
    "cashless_adoption": "Adults who pay cashless",
    "cashless_share": "Retail payments made cashless",
    "merchant_acceptance": "Shops accepting cashless payment",
    "account_ownership": "Adults with a payment account",
    "smartphone_ownership": "Adults with a smartphone",
    "coverage_4g": "People covered by 4G",
    "coverage_5g": "People covered by 5G",
    "digital_skill": "Adults' digital skill (0-1)",
    "digital_economy_share": "Digital economy, share of GRDP",
    "digital_economy_core_share": "Core digital economy (ICT), share of GRDP",
    "digital_economy_digitalisation_share": "Digitalisation of other sectors, share of GRDP",
    "digital_economy_min_sector_share": "Digital share of the least digital sector",
    "grdp_growth": "GRDP growth in the year",
    "labour_productivity_growth": "Labour productivity growth in the year",
    "tfp_growth": "TFP growth a year since the start",
    "grdp_growth_average": "GRDP growth a year since the start",
    "tfp_contribution_share": "TFP's share of growth",
    "digital_tfp_gain": "Productivity added by digital adoption",
    "hightech_export_share": "High-tech goods, share of exports",
    "business_online_services": "Businesses using online public services",
    "backoffice_wait_days": "Wait for a dossier in the office queue (days)",
    "backoffice_overdue_share": "Dossiers past their deadline",
    "backoffice_utilisation": "Commune offices' workload (arrivals / capacity)",
    "dx_budget_share": "Resolution 57 share of the budget",
    "dx_spent_vnd": "Resolution 57 money spent (VND)",
    "dx_unabsorbed_vnd": "Money paid out but not spent (VND)",
    **{f"dx_spent_{p}_vnd": f"Money spent on {PROGRAMME_LABELS.get(p, p)} (VND)" for p in PROGRAMMES},
    "dx_spent_unmodelled_vnd": "Money spent, effect not modelled (VND)",
    "sites_4g_built": "4G sites co-funded",
    "sites_5g_built": "5G sites co-funded",
    "fibre_households": "Households connected to fibre",
    "people_trained": "People trained in digital skills",
    "merchants_onboarded": "Merchants onboarded to cashless",
    "dossiers_assisted": "Dossiers filed with a team's help",
    "firms_supported": "Firms supported to go digital",
    "officers_funded": "Back-office officer-years funded",
    "r57_tasks_done": "Resolution 57 tasks done",
    "r57_tasks_done_share": "Resolution 57 tasks done, share",
    "dti_proxy_score": "DTI-like score (0-1)",
    "dti_proxy_rank": "Rank among the 34 provinces (DTI-like)",
}

# The measures of goals the model does not represent (NOT MODELLED in seeds/goals.toml): named
# in the verdict all the same.
GOAL_LABELS: dict[str, str] = {
    "dx_infrastructure_project_completed": "Provincial DX infrastructure project completed",
    "modern_industrial_province_leading_group": "Modern industrial province, among the leading group",
    "world_leading_digital_firms_attracted": "World-leading digital firms attracted",
    "digital_industry_hub": "A digital-industry hub",
    "modern_industrial_city_sea": "A modern industrial city of South-East Asia",
    "dx_basically_complete": "Digital transformation basically complete",
    "global_smart_city_rank": "Rank among the world's smart cities",
    "resolution57_tasks_completed": "Resolution 57 tasks completed",
    "digital_twin_pilot_units": "Communes piloting a digital twin",
    "online_public_service_payment_share": "Public-service payments made online",
    "ecommerce_cashless_share": "E-commerce paid cashless",
}


def label(indicator: str) -> str:
    """The planner's name of an indicator or a goal's measure (its id when it has none).

    >>> label("online_services_uptake"), label("not_an_indicator")
    ('Online public services used (filed oneself)', 'not_an_indicator')
    """
    return INDICATOR_LABELS.get(indicator) or GOAL_LABELS.get(indicator, indicator)


def definition(indicator: str) -> str:
    """What an indicator measures (`sim.schema.INDICATORS`), another indicator it names called by
    its label: "(assisted filings are 'Online dossiers filed with a team's help')".

    >>> definition("online_services_uptake").endswith("are 'Online dossiers filed with a team's help')")
    True
    """
    text = INDICATORS.get(indicator, "")
    for other, name in INDICATOR_LABELS.items():
        if other != indicator and other in text:
            text = re.sub(rf"\b{other}\b", f"'{name}'", text)
    return text


def programme_label(programme: str) -> str:
    """A Resolution 57 programme in plain words.

    >>> programme_label("incentives")
    'cashless incentives'
    """
    return PROGRAMME_LABELS.get(programme, programme)


def place_name(spec: Scenario) -> str:
    """The province as written, with the plan's name: what a figure's title calls a scenario.

    >>> from sim.inputs.scenario import load_scenario
    >>> place_name(load_scenario("scenarios/dak_lak_5g_delay.toml"))
    'Đắk Lắk (dak_lak_5g_delay)'
    """
    return f"{spec.province.name} ({spec.name})" if spec.province.name else spec.name
