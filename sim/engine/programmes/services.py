"""Services (DX budget), split by `[budget.services_mix]`:

- integration and data: money that lowers the share of online dossiers returned
  (`ProvinceState.rejection`), capped by the projects the province can run in a year
  (`[delivery] integration_vnd`);
- assisted filing: community digital teams' time, bought as dossiers they can assist
  (`[costs] assisted_dossier_vnd`) and committed to the teams for their contract (`[effects]
  assisted_contract_months`): the teams stay staffed through it, the same capacity every month,
  so nothing resets in January; time no one comes for is spent all the same. The teams can
  hold at most `[delivery] assisted_dossiers` a year under contract at once (a rate, not a
  yearly quota: a quota filled by November would leave every December short);
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
        # Assisted filing: team time for a contract, priced per dossier it can assist, up to the
        # monthly rate the teams can hold under contract at once.
        assist_cost = costs.assisted_dossier_vnd.value
        contract = max(1, round(self.spec.effects.assisted_contract_months.value))
        held = float(self.state.assist_monthly[communes].sum()) / assist_cost
        rate = ledger.capacity("assisted_dossiers", year, communes) / 12  # structural: months a year
        room = max(0.0, rate - held) * contract
        assisted = min(vnd * mix["assisted_filing"] / assist_cost, room)
        self.state.add_assist_contract(assisted * assist_cost, communes, population, self.province.month, contract)
        officers = min(vnd * mix["backoffice"] / costs.officer_year_vnd.value,
                       ledger.capacity_left("officers", year, communes))
        ledger.used[("officers", year, where)] += officers
        if officers > 0:
            self.province.hire_officers(officers, communes, days=DAYS_PER_YEAR)
            self.delivered["officers_funded"] += officers
        return integration + assisted * assist_cost + officers * costs.officer_year_vnd.value
