"""Values a scenario may hold but no source comes near: warned of, never refused.

The schema refuses what cannot be (a share above 1, a year before 1900); a sourced number's range
refuses a value outside its evidence. A lever has no source: it is the plan. Half the budget for
Resolution 57 is a valid plan and a likely typo, so it runs, with a one-line warning saying how
far it lies from anything sourced and, for shares, how to write one (0.05 = 5%)."""

from __future__ import annotations

from dataclasses import dataclass

from sim.parameter_labels import parameter_label
from sim.schema import Scenario, lookup


@dataclass(frozen=True)
class Plausible:
    """The span of a lever a source or a plan has come near; beyond it, a warning."""

    key: str
    low: float
    high: float
    why: str            # what the span rests on
    share: bool = False  # a fraction (of a whole, or a year's growth): shown in per cent, with the unit's hint


# Each span's ends come from the figures the shipped scenarios cite, widened generously: a value
# outside is not wrong, it is beyond anything seen. `why` is what the planner reads; the
# assumptions behind each end are in the comments.
RULES: tuple[Plausible, ...] = (
    # Resolution 57's floor is 3%; the seeds' largest lever is Đắk Lắk's 5%.
    # assumption: no province plans above 10% (range of the bound 7-15%) or below 1% (0.5-2%).
    Plausible("budget.dx_share", 0.01, 0.10, "Resolution 57 asks at least 3%; no province plans above 10%",
              share=True),
    # assumption: a share moving by more than a point a year is beyond any plan (range 0.5-2 points).
    Plausible("budget.dx_share_growth", -0.01, 0.01, "no plan moves the share by more than a point a year",
              share=True),
    # The scenarios take 7% a year (scenarios/common/vietnam.toml, each province's range).
    # assumption: above 30% a year (range 20-40%) or a fall of more than 10% (5-20%) is beyond any plan.
    Plausible("budget.growth", -0.10, 0.30, "the scenarios take about 7% a year", share=True),
    # The scenarios assume 75% of each month's allocation paid out (range 50-95%,
    # scenarios/common/vietnam.toml). assumption: below 30% (range 20-40%) is beyond that evidence.
    Plausible("budget.disbursement", 0.30, 1.0, "the scenarios assume 50-95% paid out", share=True),
    # Viettel launched 5G on 15 October 2024 (seeds/figures.toml#national.viettel_5g_stations_launch_2024).
    # assumption: a start after 2035 is beyond any plan (range 2032-2040).
    Plausible("infrastructure.five_g_start_year", 2024.0, 2035.0, "5G launched in October 2024"),
)


def implausible(spec: Scenario) -> list[str]:
    """One line per lever far outside anything sourced (empty when the plan is plausible)."""
    data = spec.model_dump()
    out = []
    for rule in RULES:
        try:
            value = lookup(data, rule.key)
        except (KeyError, IndexError, TypeError):
            continue  # a scenario without this lever
        if isinstance(value, dict):
            value = value.get("value")
        if not isinstance(value, (int, float)) or rule.low <= value <= rule.high:
            continue
        shown = f"{value:.4g}" + (f", {value:.1%}" if rule.share else "")
        span = (f"{rule.low:.0%} to {rule.high:.0%}" if rule.share else f"{rule.low:g} to {rule.high:g}")
        hint = ("" if not rule.share else "; a growth rate is a fraction: 0.07 = 7% a year" if "growth" in rule.key
                else "; a share is a fraction: 0.05 = 5%")
        out.append(f"{parameter_label(rule.key)} ({rule.key} = {shown}) is far outside anything sourced or "
                   f"planned ({span}: {rule.why}){hint}; "
                   "it runs anyway")
    return out
