"""Offices of representation: a lasting kind, opened and closed only by the scenario's events."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from conftest import ROOT, TINY
from experiments.config import load_scenario
from model import DiplomacyModel, scenario_from_data, with_background
from model.scenario import DOMAINS
from model.validation import SchemaError

OFFICES = [
    {"id": "madrid_in_paris", "holder": "madrid", "host": "paris", "opened_step": -60},
    {"id": "madrid_in_tokyo", "holder": "madrid", "host": "tokyo", "opened_step": 6},
    {"id": "lisbon_in_lima", "holder": "lisbon", "host": "lima", "opened_step": 0, "closed_step": 10},
]


def tiny_with_offices(offices=OFFICES):
    return with_background(scenario_from_data(dict(copy.deepcopy(TINY), offices=offices), "tiny"))


def run(scenario, months, seed=1):
    model = DiplomacyModel(scenario, rng=seed)
    states = [{k: ag.live for k, ag in model.office_of.items()}]
    for _ in range(months):
        model.step()
        states.append({k: ag.live for k, ag in model.office_of.items()})
    return model, states


def test_offices_open_and_close_only_by_their_events():
    model, states = run(tiny_with_offices(), 24)
    assert states[0] == {"madrid_in_paris": True, "lisbon_in_lima": True}
    assert all(s["madrid_in_paris"] for s in states)  # no term: it outlives any drawn duration
    assert [s.get("madrid_in_tokyo", False) for s in states] == [m >= 6 for m in range(25)]
    assert [s["lisbon_in_lima"] for s in states] == [m < 10 for m in range(25)]
    events = [(e.step, e.event, e.detail) for e in model.ledger.events if e.kind == "office"]
    assert events == [(-60, "opened", "madrid_in_paris"), (0, "opened", "lisbon_in_lima"),
                      (6, "opened", "madrid_in_tokyo"), (10, "closed", "lisbon_in_lima")]


def test_an_office_is_a_tie_but_not_an_agreement():
    model, _ = run(tiny_with_offices(), 0)
    madrid, paris = model.by_id["madrid"].index, model.by_id["paris"].index
    assert model.in_force_between(madrid, np.array([paris])).tolist() == [1.0]  # a tie for partner choice and trust
    assert not model.has_in_force(madrid, paris, DOMAINS.index("economy"))  # the pair may still sign
    assert model.actors.degree[madrid] == 0 and model.actors.signed_this_year[madrid] == 0


@pytest.mark.parametrize("office, field, allowed", [
    ({"holder": "atlantis"}, "offices[0].holder", "the id of a subnational"),
    ({"host": "madrid"}, "offices[0].host", "a subnational other than the holder"),
    ({"closed_step": 3, "opened_step": 5}, "offices[0].closed_step", "a step after it opened"),
    ({"domain": "sport"}, "offices[0].domain", "one of"),
])
def test_bad_offices_are_one_line_errors(office, field, allowed):
    with pytest.raises(SchemaError) as err:
        tiny_with_offices([dict(OFFICES[0], **office)])
    assert err.value.field == field and allowed in err.value.allowed


@pytest.mark.slow
def test_article_offices_in_force_from_step_0_to_the_end_in_50_seeds():
    """Acceptance (issue 10, point 3): no seed loses an office; those of 2015 and the planned ones open on their date."""
    scenario = load_scenario(ROOT / "scenarios" / "article.yaml", min_population=5_000_000)
    opened_later = {o.id for o in scenario.offices if o.opened_step > 0}
    assert len(scenario.offices) == 12 and len(opened_later) == 6
    for seed in range(50):
        model, states = run(scenario, 120, seed=seed)
        assert all(states[0][o.id] for o in scenario.offices if o.id not in opened_later)
        assert all(states[-1].values()) and len(states[-1]) == 12
