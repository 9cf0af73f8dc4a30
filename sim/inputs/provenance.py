"""Where each starting value of a scenario comes from: a provincial figure, a small-area
estimate, a national default, a judgement for this province, or the command line.

Read from each sourced number's `source` (the province files say which in their first words,
`seeds/provinces.py`), so the verdict and the manifest can tell a planner which of a
province's starting values are its own and which stand in for missing figures.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sim.schema import Scenario

__all__ = ["BASES", "basis", "starting_values", "summary", "INDICATOR_START"]

# In the order a planner trusts them.
BASES = ("provincial figure", "communes data", "small-area estimate", "assumption", "national default",
         "set on the command line")

# Which starting value a target's indicator starts from (verdict.json says its basis).
INDICATOR_START = {
    "online_services_adoption": "baseline.online_services_adoption",
    "online_services_uptake": "baseline.online_services_adoption",
    "online_dossier_share": "baseline.online_services_adoption",
    "cashless_adoption": "baseline.cashless_adoption",
    "cashless_share": "baseline.cashless_adoption",
    "merchant_acceptance": "baseline.merchant_acceptance",
    "account_ownership": "baseline.account_ownership",
    "smartphone_ownership": "baseline.smartphone_ownership",
    "coverage_4g": "baseline.sites_4g",
    "coverage_5g": "baseline.sites_5g",
    "digital_skill": "baseline.digital_skill",
    "digital_economy_share": "baseline.digital_economy_share",
    "digital_economy_core_share": "baseline.digital_economy_core_fraction",
    "business_online_services": "baseline.business_online_services",
    "backoffice_overdue_share": "baseline.backoffice_overdue_share",
    "dx_budget_share": "budget.spending_vnd",
}


def basis(source: str) -> str:
    """The kind of a source string (see BASES)."""
    s = source.strip().lower()
    if s.startswith("set on the command line"):
        return "set on the command line"
    if s.startswith("provincial figure"):
        return "provincial figure"
    if s.startswith("small-area estimate"):
        return "small-area estimate"
    if "national default" in s:
        return "national default"
    if "merger-dossier populations" in s or "sum of the units' areas" in s:
        return "communes data"
    if s.startswith("assumption"):
        return "assumption"
    return "provincial figure"  # a published figure: seeds/figures.toml#..., a named report


def starting_values(spec: Scenario) -> list[dict[str, Any]]:
    """Every sourced number of `[province]`, `[baseline]` and the budget's spending: key,
    value, range, basis and source."""
    out = []
    data = spec.model_dump(mode="json")
    for section, keys in (("province", None), ("baseline", None), ("budget", ("spending_vnd",))):
        for key, node in data[section].items():
            if keys is not None and key not in keys:
                continue
            if isinstance(node, dict) and {"value", "source"} <= set(node):
                out.append({"key": f"{section}.{key}", "value": node["value"], "range": node.get("range"),
                            "basis": basis(node["source"]), "source": node["source"]})
    return out


def summary(items: list[dict[str, Any]]) -> str:
    """One line: how many starting values of each basis, naming the national defaults."""
    counts = Counter(i["basis"] for i in items)
    parts = [f"{counts[b]} {b}{'s' if counts[b] != 1 and not b.endswith('data') and not b.startswith('set') else ''}"
             for b in BASES if counts[b]]
    defaults = [i["key"].split(".", 1)[1] for i in items if i["basis"] == "national default"]
    tail = f" (national defaults: {', '.join(defaults)})" if defaults else ""
    return "starting values: " + ", ".join(parts) + tail
