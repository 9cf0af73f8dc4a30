"""The model's own names: citizens' state codes and the indicator groups the outputs read.

The scenario's vocabulary (programmes, sectors, firm sizes, every indicator) is the schema's,
in `sim.schema`, the one module every layer can read. Imports nothing from `sim`.
"""

# States of a citizen's online services and cashless behaviour (uint8 codes in the kernels).
NEVER, ADOPTER, LAPSED = 0, 1, 2
LAPSING = 3  # transient state within a month: lapsed this month (becomes LAPSED when contacts are told)
UNABLE = 4  # online services only: cannot file online alone (never adopts; a team may file for them)

# Indicators whose figures are programmes' outputs (cumulative counts), and those recorded
# per commune: names of `sim.schema.INDICATORS`.
OUTPUT_INDICATORS = ("sites_4g_built", "sites_5g_built", "fibre_households", "people_trained", "merchants_onboarded",
                     "dossiers_assisted", "firms_supported", "officers_funded")

COMMUNE_INDICATORS = ("online_services_adoption", "online_services_uptake", "online_services_assisted",
                      "cashless_adoption", "cashless_share",
                      "merchant_acceptance", "smartphone_ownership", "coverage_4g", "coverage_5g",
                      "backoffice_wait_days", "backoffice_overdue_share")

# Indicators of growth accounting and exports (`sim.world.production`, `sim.world.exports`): the
# only ones the `economy.*` parameters can move, since nothing else in the model reads them.
GROWTH_INDICATORS = ("grdp_growth", "labour_productivity_growth", "tfp_growth", "grdp_growth_average",
                     "tfp_contribution_share", "digital_tfp_gain", "hightech_export_share")
