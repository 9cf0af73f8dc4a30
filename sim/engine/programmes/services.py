"""Services (DX budget), split by `[budget.services_mix]`:

- integration and data: money that lowers the share of online dossiers returned
  (`ProvinceState.rejection`), capped by the projects the province can run in a year
  (`[delivery] integration_vnd`);
- assisted filing: community digital teams' time for the rest of the year, a pool paid per
  dossier assisted (`[costs] assisted_dossier_vnd`, `[delivery] assisted_dossiers`); what is
  left at the end of the year returns;
- back office: a year of funded officer posts (`[costs] officer_year_vnd`, `[delivery] officers`),
  sent where offices are busiest (`Province.hire_officers`).
"""

from __future__ import annotations

from sim.engine.programmes.base import Communes, Programme
from sim.engine.programmes.registry import register

DAYS_PER_YEAR = 365  # a funded post lasts a year


@register
class Services(Programme):
    name = "services"
    outputs = ("dossiers_assisted", "officers_funded")  # dossiers: counted as citizens file them

    def deliver(self, vnd: float, communes: Communes, year: int) -> float:
        mix, costs, ledger = self.spec.budget.services_mix, self.spec.costs, self.ledger
        population = self.geo.population
        where = ledger.where(communes)
        integration = min(vnd * mix["integration"], ledger.capacity_left("integration_vnd", year, communes))
        ledger.used[("integration_vnd", year, where)] += integration
        self.state.add_integration(integration, communes, population)
        # Assisted filing: team time for the rest of the year, paid per dossier assisted.
        assist_cost = costs.assisted_dossier_vnd.value
        assisted = min(vnd * mix["assisted_filing"] / assist_cost,
                       ledger.capacity_left("assisted_dossiers", year, communes))
        ledger.used[("assisted_dossiers", year, where)] += assisted
        self.state.add_assist_pool(assisted * assist_cost, communes, population)
        officers = min(vnd * mix["backoffice"] / costs.officer_year_vnd.value,
                       ledger.capacity_left("officers", year, communes))
        ledger.used[("officers", year, where)] += officers
        if officers > 0:
            self.province.hire_officers(officers, communes, days=DAYS_PER_YEAR)
            self.delivered["officers_funded"] += officers
        return integration + assisted * assist_cost + officers * costs.officer_year_vnd.value

    def end_year(self) -> float:
        """The community teams' time not used this year returns."""
        return self.state.empty_assist_pool()
