"""What a planner reads in place of a parameter's dotted key: a short label for every value the
runs draw (an assumption with a range, a prior, a calibrated parameter), so the drivers of a
verdict read "Word of mouth in online services (Bass q)" and not `behaviour.online_services.q`.

The keys stay what `--set` and the scenario files use; the verdict's table, `verdict.json`
(`driver_labels` beside `drivers`) and the dashboard show these labels. The full meaning of each
parameter is its description in `sim.schema`; tests/test_labels.py checks that every value any
shipped scenario draws has a label here.
"""

from __future__ import annotations

from sim.labels import label, programme_label

# A behaviour's adoption parameters (sim.schema.AdoptionSpec, BusinessServicesSpec): the same
# leaf means the same thing in each behaviour.
_BEHAVIOURS = {"online_services": "online services", "cashless": "cashless payment",
               "business_services": "firms' online filing"}
_ADOPTION = {
    "p": "Spontaneous adoption of {} (Bass p)",
    "q": "Word of mouth in {} (Bass q)",
    "lapse": "Yearly lapse from {}",
    "lapse_experience": "Extra lapse from {} after a bad experience",
    "lapse_effort": "Extra lapse from {} of unskilled users",
    "skill_weight": "How much low skill slows {}",
}
_SECTORS = {"agriculture": "agriculture", "manufacturing": "manufacturing", "other_services": "other services",
            "retail_trade": "retail trade", "tourism_hospitality": "tourism and hospitality",
            "transport_logistics": "transport and logistics"}
_INVESTMENT = {"approval_years": "years to approval", "construction_years": "years to build",
               "exports_usd": "exports at full output (USD)", "ramp_years": "years to full output",
               "core_share_added": "core digital economy added"}
_DELIVERY = {"sites_4g": "4G sites", "sites_5g": "5G sites", "fibre_households": "fibre connections",
             "integration_vnd": "integration spending", "assisted_dossiers": "assisted dossiers",
             "officers": "officer posts", "trainees": "trainees", "merchants": "merchant visits",
             "firms": "firms supported"}

# Starting values that are not indicators of their own.
_BASELINE = {"digital_economy_core_fraction": "Core ICT's part of the digital economy at the start",
             "fixed_broadband": "Households with fixed broadband at the start",
             "sites_4g": "4G sites at the start", "sites_5g": "5G sites at the start"}

# The levers of a plan (sim.schema.levers, the dashboard's sliders): the splits read as "share to".
_SPLITS = {"budget.allocation": "DX money", "budget.incentives_mix": "Incentive money",
           "budget.infrastructure_mix": "Infrastructure money", "budget.services_mix": "Online-services money",
           "budget.r57_split": "Resolution 57 money"}
_SPLIT_PARTS = {"fee_discount": "fee discounts", "merchant_onboarding": "merchant onboarding", "fibre": "fibre",
                "sites_4g": "4G sites", "sites_5g": "5G sites", "digital_transformation": "digital transformation",
                "innovation": "innovation", "science_technology": "science and technology",
                "assisted_filing": "assisted filing (digital teams)", "backoffice": "back-office officers",
                "integration": "integration and data"}

PARAMETER_LABELS: dict[str, str] = {
    # Levers
    "budget.dx_share": "Resolution 57 share of the budget",
    "budget.dx_share_growth": "Yearly rise of the Resolution 57 share",
    "budget.disbursement": "Disbursement (share of each month's money paid out)",
    "budget.adaptive_shift": "Share of money an adaptive budget moves to laggards",
    "budget.adaptive_target": "Uptake an adaptive budget steers towards",
    "infrastructure.five_g_start_year": "5G start year",
    "behaviour.business_services.needs_per_year": "Dossiers a firm files a year",
    "behaviour.business_services.compliance_lag_months": "Months firms take to comply with the online mandate",
    "behaviour.business_services.never_online": "Household firms that never file online themselves",
    # Merchants and payments
    "behaviour.merchants.demand_weight": "Merchants' gain from cashless customers",
    "behaviour.merchants.fee_weight": "Merchants' sensitivity to the card fee",
    "behaviour.merchants.fixed_cost": "Merchants' cost of accepting cashless",
    "behaviour.merchants.heterogeneity": "Spread of merchants' own benefit",
    "behaviour.merchants.join_rate": "How often a merchant reconsiders joining",
    "behaviour.merchants.leave_rate": "How often a merchant reconsiders leaving",
    "behaviour.merchants.onboarding_cost_relief": "Cost an onboarding visit removes",
    "behaviour.merchants.revisit_months": "Months before a refusing merchant is revisited",
    "behaviour.merchants.tax_after": "Tax-visibility cost left after declaration",
    "behaviour.merchants.tax_visibility": "Stalls' fear of visible revenue (tax)",
    "behaviour.payments.habit_max": "Share of purchases a settled user pays cashless",
    "behaviour.payments.habit_months": "Months to form a cashless habit",
    "behaviour.payments.habit_start": "Share of purchases a new user pays cashless",
    "behaviour.payments.small_cash_preference": "Small purchases paid cash by habit",
    "behaviour.payments.small_purchase_share": "Share of purchases under VND 50,000",
    # Digital economy and production
    "behaviour.digital_economy.acceptance_boost": "Digital lift from merchants' cashless acceptance",
    "behaviour.digital_economy.core_growth": "Core ICT growth above the economy",
    "behaviour.digital_economy.five_g_boost": "Digital lift from 5G coverage",
    "behaviour.digital_economy.upgrade_level_decline": "Slower upgrades at higher digital levels",
    "behaviour.digital_economy.upgrade_rate": "Firms' yearly chance to go up a digital level",
    "economy.production.capital_output_ratio": "Capital stock to GRDP at the start",
    "economy.production.capital_share": "Capital's share of income",
    "economy.production.core_productivity_premium": "Productivity premium of core ICT",
    "economy.production.depreciation": "Yearly depreciation of capital",
    "economy.production.digital_pace_history": "Pace of digitalisation in the past",
    "economy.production.digital_tfp_elasticity": "Productivity gain per unit of digital adoption",
    "economy.production.employment_growth": "Yearly growth of employment",
    "economy.production.grdp_growth_history": "GRDP growth in the past",
    "economy.production.investment_rate": "Investment, share of GRDP",
    "economy.production.tfp_shock_national_share": "Part of productivity shocks shared nationally",
    "economy.production.tfp_shock_sd": "Size of yearly productivity shocks",
    "economy.exports.exports_usd": "Exports at the start (USD)",
    "economy.exports.growth": "Yearly growth of exports",
    "economy.exports.hightech_growth_premium": "Extra growth of high-tech exports",
    "economy.exports.hightech_share": "High-tech share of exports at the start",
    # Money and programmes
    "budget.spending_vnd": "Provincial budget spending (VND)",
    "budget.growth": "Yearly growth of the provincial budget",
    "costs.assisted_dossier_vnd": "Cost of a dossier filed with help",
    "costs.campaign_month_vnd": "Cost of a month of awareness campaign",
    "costs.fee_discount_dossier_vnd": "Cost of a fee discount per dossier",
    "costs.fibre_household_vnd": "Cost of a fibre connection",
    "costs.firm_support_vnd": "Cost of supporting a firm",
    "costs.integration_vnd_per_person": "Integration spending per person for good services",
    "costs.merchant_onboarding_vnd": "Cost of onboarding a merchant",
    "costs.officer_year_vnd": "Cost of an officer-year",
    "costs.site_4g_vnd": "Cost of a 4G site",
    "costs.site_5g_vnd": "Cost of a 5G site",
    "costs.task_year_vnd": "Yearly cost of a Resolution 57 task",
    "costs.trainee_vnd": "Cost of training a person",
    "delivery.growth": "Yearly growth of delivery capacity",
    "tasks.duration_months": "Months a Resolution 57 task still needs",
    # Programme effects and the back office
    "effects.assisted_contract_months": "Months a digital team stays staffed",
    "effects.assisted_conversion": "Assisted filers who go on alone",
    "effects.campaign_boost": "Lift of adoption during a campaign",
    "effects.fee_discount_boost": "Lift of online filing from fee discounts",
    "effects.firm_support_success": "Supported firms that move up a level",
    "effects.officer_dossiers_per_day": "Dossiers an officer completes a day",
    "effects.officer_reassignment": "Monthly reassignment of officers to load",
    "effects.officer_target_utilisation": "Workload funded officers bring offices to",
    "effects.online_dossier_effort": "Office effort of an online dossier",
    "effects.rejection_floor": "Online dossiers returned, at best",
    "effects.rejection_lapse": "Lapse caused by returned dossiers",
    "effects.rejection_national": "National data sharing's cut in returns",
    "effects.rejection_start": "Online dossiers returned at the start",
    "effects.staffing_response": "Yearly hiring towards the posts needed",
    "effects.staffing_spread": "Spread of staff per person across communes",
    "effects.training_gain": "Skill gap a course closes",
    "effects.training_rural_priority": "Priority of rural people in training",
    "forcing.procedures_online_ceiling": "Most procedures that can go online",
    "forcing.procedures_online_trend": "Pace of putting procedures online",
    # Networks, infrastructure and the synthetic population
    "infrastructure.broadband_growth": "Yearly uptake of fibre",
    "infrastructure.commercial_4g_per_year": "4G sites operators build a year",
    "infrastructure.commercial_5g_per_year": "5G sites operators build a year",
    "infrastructure.commercial_urban_weight": "Operators' preference for towns",
    "infrastructure.out_of_reach": "People no site can reach",
    "infrastructure.radius_5g_km": "Reach of a 5G site (km)",
    "infrastructure.radius_rural_km": "Reach of a rural site (km)",
    "infrastructure.radius_urban_km": "Reach of an urban site (km)",
    "network.household_adults": "Adults per household",
    "network.local_contacts": "Contacts in one's commune",
    "network.long_range_contacts": "Contacts beyond one's commune",
    "population.account_uptake": "Yearly uptake of payment accounts",
    "population.device_income_gradient": "Income gap in smartphone ownership",
    "population.home_commune_share": "Dealings in one's home commune",
    "population.needs_per_year": "Dossiers a person needs a year",
    "population.rural_skill_factor": "Rural digital skill relative to urban",
    "population.smartphone_uptake": "Yearly uptake of smartphones",
    "population.unable_online": "Adults who cannot file online alone",
    "population.synthesis.account_income_weight": "Income's weight in who has an account",
    "population.synthesis.broadband_income_weight": "Income's weight in who has broadband",
    "population.synthesis.broadband_urban_weight": "Towns' weight in who has broadband",
    "population.synthesis.ownership_noise": "Individual noise in who owns what",
    "population.synthesis.skill_income_step": "Skill gained per income step",
    "population.synthesis.skill_spread": "Spread of individual digital skill",
    "population.synthesis.urban_wealth_premium": "Towns' wealth premium",
    "businesses.synthesis.level_noise": "Noise in firms' starting digital level",
    "businesses.synthesis.online_noise": "Noise in which firms file online",
    "businesses.synthesis.urban_concentration": "Firms' concentration in towns",
    "businesses.synthesis.urban_digital_head_start": "Digital head start of town firms",
    "province.adult_share": "Adults' share of the population",
    "province.businesses_per_1000": "Firms per 1,000 people",
    "province.grdp_vnd": "GRDP at the start (VND)",
    "province.population": "Population",
}


def parameter_label(key: str) -> str:
    """The planner's name of a drawn parameter (its key when it has none).

    >>> parameter_label("behaviour.online_services.q")
    'Word of mouth in online services (Bass q)'
    >>> parameter_label("costs.lead_days.awareness")
    'Lead time of awareness campaigns (days)'
    >>> parameter_label("baseline.smartphone_ownership")
    'Start: adults with a smartphone'
    """
    if key in PARAMETER_LABELS:
        return PARAMETER_LABELS[key]
    parts = key.split(".")
    head, leaf = ".".join(parts[:-1]), parts[-1]
    if head in _SPLITS:
        part = programme_label(leaf) if head == "budget.allocation" else _SPLIT_PARTS.get(leaf)
        return f"{_SPLITS[head]} to {part}" if part else key
    if head == "baseline":
        if leaf in _BASELINE:
            return _BASELINE[leaf]
        name = label(leaf)
        return key if name == leaf else f"Start: {name[0].lower()}{name[1:]}"
    if len(parts) == 3 and parts[0] == "behaviour" and parts[1] in _BEHAVIOURS and leaf in _ADOPTION:
        return _ADOPTION[leaf].format(_BEHAVIOURS[parts[1]])
    if head == "costs.lead_days":
        return f"Lead time of {programme_label(leaf)} (days)"
    if head == "delivery" and leaf in _DELIVERY:
        return f"Yearly capacity: {_DELIVERY[leaf]} per million people"
    if head == "behaviour.digital_economy.sector_intensity" and leaf in _SECTORS:
        return f"Digitalisation intensity of {_SECTORS[leaf]}"
    if len(parts) == 5 and parts[:3] == ["economy", "exports", "investments"] and leaf in _INVESTMENT:
        return f"{parts[3].replace('_', ' ').title()}: {_INVESTMENT[leaf]}"
    return key


def parameter_labels(keys: list[str]) -> list[str]:
    """The labels of several keys, in their order."""
    return [parameter_label(k) for k in keys]
