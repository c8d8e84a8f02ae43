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
    ({"closed_step": 5, "opened_step": 5}, "offices[0].closed_step", "a step after it opened (month 5)"),
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


def test_an_office_in_force_is_counted_and_recorded_with_its_holder_and_closing_it_ends_only_its_tie():
    agreement = {"id": "lisbon_lima", "parties": ["lisbon", "lima"], "domain": "economy", "duration": 100}
    data = dict(copy.deepcopy(TINY), offices=[dict(OFFICES[2], domain="culture")], agreements=[agreement])
    model, _ = run(with_background(scenario_from_data(data, "tiny")), 10)
    lisbon, lima = model.by_id["lisbon"].index, model.by_id["lima"].index
    office = model.office_of["lisbon_in_lima"]
    assert (office.parties, office.kind, office.domain, office.signed_step) == ((lisbon, lima), "office", "culture", 0)
    records = [(e.step, e.event, e.agreement_id, e.kind, e.domain, e.parties, e.actor)
               for e in model.ledger.events if e.kind == "office"]
    assert records == [(0, "opened", office.id, "office", "culture", (lisbon, lima), lisbon),
                       (10, "closed", office.id, "office", "culture", (lisbon, lima), lisbon)]
    assert office.status == "closed" and office.id not in model.live
    assert model.in_force_between(lisbon, np.array([lima])).tolist() == [1.0]  # the pair's agreement remains
    live_culture = sum(ag.domain == "culture" for ag in model.live.values())
    assert model.active_by_kind["office"] == 0 and model.active_by_domain["culture"] == live_culture
    model.close_office("lisbon_in_lima", 11)  # closing a closed office changes nothing
    assert len([e for e in model.ledger.events if e.event == "closed"]) == 1
    assert model.active_by_kind["office"] == 0


def test_an_open_office_counts_among_the_cross_border_ties_in_force():
    model, _ = run(tiny_with_offices(OFFICES[1:2]), 6)
    madrid, tokyo = model.by_id["madrid"].index, model.by_id["tokyo"].index
    office = model.office_of["madrid_in_tokyo"]
    assert office.status == "active" and model.live[office.id] is office
    assert model.active_by_kind["office"] == 1
    assert model.active_by_domain["economy"] == sum(ag.domain == "economy" for ag in model.live.values())
    es, jp = model.actors.country[[madrid, tokyo]]
    assert model.cross_border[es, jp] >= 1 and model.cross_border[jp, es] == model.cross_border[es, jp]
    assert model.partners[madrid][tokyo] >= 1 and model.partners[tokyo][madrid] >= 1


def test_an_office_dated_in_the_first_month_opens_then():
    model, states = run(tiny_with_offices([dict(OFFICES[1], opened_step=1)]), 2)
    assert [s.get("madrid_in_tokyo", False) for s in states] == [False, True, True]
