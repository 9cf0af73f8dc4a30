"""Plain words (issue 29, point 3, the indicators): every indicator has a planner's label, short
and unique, shown in place of its id in the verdict table, the dashboard and verdict.json."""

from __future__ import annotations

from sim.labels import INDICATOR_LABELS, label
from sim.schema import INDICATORS


def test_every_indicator_has_one_short_label_of_its_own() -> None:
    assert set(INDICATOR_LABELS) == set(INDICATORS), sorted(set(INDICATORS) ^ set(INDICATOR_LABELS))
    assert len(set(INDICATOR_LABELS.values())) == len(INDICATOR_LABELS)  # no two indicators read the same
    assert all(len(v) <= 50 and "_" not in v and not v[0].islower() for v in INDICATOR_LABELS.values())


def test_the_verdict_carries_the_label_and_shows_it() -> None:
    import numpy as np

    from sim.experiments.ensemble import RunResult, RunTable
    from sim.inputs.targets import Target
    from sim.outputs.verdict import judge, verdict_table

    runs = [RunResult(run=r, seed=r, years=np.array([2030]), months=np.array([12]), names=["cashless_share"],
                      values=np.array([[0.5 + 0.1 * r]]), communes=[], citizens=1, businesses=1, build_seconds=0.0,
                      run_seconds=0.0) for r in range(4)]
    v = judge(Target("t", "cashless_share", ">=", 0.8, 2030, "test"), RunTable(runs=runs))
    assert v.as_dict()["label"] == label("cashless_share") == "Retail payments made cashless"
    rows = verdict_table([v]).splitlines()
    assert rows[2].startswith("Retail payments made cashless") and "cashless_share" not in rows[2]


# ----------------------------------------------------------------- parameters, levers, programmes, goals

def _shipped() -> list:
    """Every scenario the repository ships that loads as a province's plan."""
    from conftest import ROOT

    from sim.errors import ScenarioError
    from sim.inputs.scenario import load_scenario

    out = []
    for path in sorted((ROOT / "scenarios").rglob("*.toml")):
        try:
            out.append(load_scenario(path))
        except ScenarioError:
            continue  # shared defaults and the nation: not a plan of their own
    return out


def test_every_parameter_a_run_draws_every_lever_and_every_warned_value_has_a_label() -> None:
    """A driver, a sensitivity factor, a slider or a warning never shows a bare dotted key."""
    from sim.inputs.plausibility import RULES
    from sim.inputs.uncertainty import uncertain_keys
    from sim.parameter_labels import parameter_label
    from sim.schema import levers

    keys = {r.key for r in RULES} | {"infrastructure.five_g_start_year"}
    for spec in _shipped():
        keys |= {k for k, _ in uncertain_keys(spec.model_dump())} | set(spec.priors) | set(levers(spec))
        if spec.posterior:
            keys |= set(spec.posterior.parameters)
    assert len(keys) > 150  # every shipped scenario's draws, not a handful
    labels = {k: parameter_label(k) for k in keys}
    assert not [k for k, v in labels.items() if v == k], "no label"
    assert all(len(v) <= 60 and "_" not in v and not v[0].islower() for v in labels.values()), labels
    assert len(set(labels.values())) == len(labels)  # no two parameters read the same


def test_every_goal_of_the_seeds_reads_in_plain_words_modelled_or_not() -> None:
    import tomllib

    from conftest import ROOT

    from sim.labels import GOAL_LABELS, programme_label
    from sim.schema import PROGRAMMES

    goals = tomllib.loads((ROOT / "seeds" / "goals.toml").read_text(encoding="utf-8"))["goal"]
    assert all(label(g["indicator"]) != g["indicator"] for g in goals), [g["indicator"] for g in goals
                                                                         if label(g["indicator"]) == g["indicator"]]
    assert not set(GOAL_LABELS) & set(INDICATORS)
    assert all(programme_label(p) != p or " " not in p for p in PROGRAMMES)
    assert programme_label("skills") == "digital skills"


def _verdict_with_drivers():
    import numpy as np

    from sim.experiments.ensemble import RunResult, RunTable
    from sim.inputs.targets import Target
    from sim.outputs.verdict import judge

    runs = [RunResult(run=r, seed=r, years=np.array([2030]), months=np.array([12]), names=["online_services_uptake"],
                      values=np.array([[0.5 + 0.1 * r]]), communes=[], citizens=1, businesses=1, build_seconds=0.0,
                      run_seconds=0.0) for r in range(4)]
    v = judge(Target("t", "online_services_uptake", ">=", 0.8, 2030, "test"), RunTable(runs=runs))
    v.drivers = ["behaviour.online_services.q", "costs.lead_days.awareness"]
    return v


def test_drivers_read_in_plain_words_with_their_keys_once_below_the_table() -> None:
    from sim.outputs.verdict import verdict_table

    v = _verdict_with_drivers()
    text = verdict_table([v])
    table, below = text.split("\n\n", 1)
    assert "Word of mouth in online services (Bass q); Lead time of awareness campaigns (days)" in table
    assert "behaviour.online_services.q" not in table and "online_services_uptake" not in table
    assert "  Word of mouth in online services (Bass q): behaviour.online_services.q" in below
    assert v.as_dict()["driver_labels"] == ["Word of mouth in online services (Bass q)",
                                            "Lead time of awareness campaigns (days)"]


def test_the_dashboard_shows_no_id_where_a_label_exists() -> None:
    """What the planner reads of the verdict, the levers, the pilot's programmes and the map's
    indicators: labels; the keys only in a hover title (what --set calls them)."""
    import re

    from sim.app.page import verdict_html
    from sim.app.session import controls
    from sim.names import COMMUNE_INDICATORS
    from sim.parameter_labels import parameter_label

    v = _verdict_with_drivers()
    shown = re.sub(r'<[^>]*>', " ", verdict_html([v]))  # the text, not the attributes
    ids = set(INDICATORS) | set(v.drivers)
    assert not [i for i in ids if i in shown], shown
    assert parameter_label("behaviour.online_services.q") in shown
    for spec in _shipped()[:3]:
        for c in controls(spec):
            assert c.label == parameter_label(c.key) != c.key and "." not in c.label and "_" not in c.label
    assert all(label(c) != c for c in COMMUNE_INDICATORS)


def test_what_an_indicator_measures_names_other_indicators_by_their_labels() -> None:
    """The definitions the verdict's "where" lines, the fans and the maps print: another
    indicator they mention is called by its label, never by its id."""
    import re

    from sim.labels import definition

    for indicator in INDICATORS:
        text = definition(indicator)
        assert text, indicator
        assert not [i for i in INDICATORS if re.search(rf"\b{i}\b", text)], (indicator, text)
    assert "'Online dossiers filed with a team's help'" in definition("online_services_uptake")
