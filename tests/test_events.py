"""Timed events of a scenario's timeline: timing with Mesa's event API, effects, and schema errors."""

from __future__ import annotations

import gc

import pytest

from conftest import make_model
from model import DOMAINS, SchemaError, scenario_from_data
from test_rules import ring_world

WATER = DOMAINS.index("water")


def timeline_world(**timeline):
    data = ring_world()
    data["nationals"] = [{"id": "gov_es", "name": "Spain", "country": "ES", "stance": 0.8}]
    data["timeline"] = timeline
    return data


def test_an_event_of_month_n_applies_during_month_n_and_a_window_ends_after_its_months():
    data = timeline_world(mega_events=[{"name": "Expo", "actor": "c3", "step": 5, "months": 2,
                                        "boost": 1.5, "capacity_boost": 6.0}])
    model = make_model(data)
    profile, capacity = model.actors.profile[3], model.actors.capacity[3]
    gc.collect()  # Mesa holds scheduled callables weakly: the timeline must keep them alive
    for _ in range(4):
        model.step()
    assert model.actors.profile[3] == profile
    model.step()  # month 5
    assert model.actors.profile[3] == profile + 1.5 and model.actors.capacity[3] == capacity + 6.0
    model.step()  # month 6
    assert model.actors.profile[3] == profile + 1.5
    model.step()  # month 7: the two months are over
    assert model.actors.profile[3] == pytest.approx(profile) and model.actors.capacity[3] == capacity
    marks = [(e.step, e.event, e.detail) for e in model.ledger.events if e.kind == "event"]
    assert marks == [(5, "mega_event_start", "Expo"), (7, "mega_event_end", "Expo")]


def host_as_partner(model, months):
    """Proposals made to the host (c3) by others over ``months`` months."""
    for _ in range(months):
        model.step()
    return sum(1 for e in model.ledger.events if e.event == "proposed" and 3 in e.parties and e.actor != 3)


def games(boost):
    """A twelve-month mega-event hosted by c3; the capacity boost is the same whatever the profile boost."""
    return timeline_world(mega_events=[{"name": "Games", "actor": "c3", "step": 1, "months": 12, "boost": boost,
                                        "capacity_boost": 100.0}])


def test_the_profile_boost_raises_the_hosts_profile_for_the_window_and_draws_partners():
    boosted, unboosted = make_model(games(20.0), seed=3), make_model(games(0.0), seed=3)
    profile = unboosted.actors.profile[3]
    drawn = host_as_partner(boosted, 12)
    assert boosted.actors.profile[3] == pytest.approx(profile + 20.0)  # month 12: still in the window
    # the capacity boost alone draws (almost) nobody: the profile does (0 vs 19 with seed 3)
    assert drawn >= 10 and drawn > 5 * max(1, host_as_partner(unboosted, 12))
    boosted.step()  # month 13: the window is over
    assert boosted.actors.profile[3] == pytest.approx(profile)


def test_stance_change():
    data = timeline_world(stance_changes=[{"name": "Crackdown", "actor": "gov_es", "step": 2, "stance": 0.1}])
    model = make_model(data)
    government = model.by_id["gov_es"]
    model.step()
    assert government.stance == 0.8
    model.step()
    assert government.stance == 0.1
    assert [(e.step, e.actor) for e in model.ledger.events if e.event == "stance_change"] == [(2, government.index)]


def test_crisis_raises_a_domains_salience_for_its_window():
    data = timeline_world(crises=[{"name": "Drought", "domain": "water", "step": 1, "months": 3, "salience": 4.0}])
    model = make_model(data)
    model.step()
    assert model.salience[WATER] == 4.0
    for _ in range(3):
        model.step()
    assert model.salience[WATER] == pytest.approx(1.0)
    assert [e.step for e in model.ledger.events if e.event.startswith("crisis")] == [1, 4]


@pytest.mark.parametrize("section,entry,field,value", [
    ("mega_events", {"name": "E", "actor": "nowhere", "step": 1}, "timeline.mega_events[0].actor", "nowhere"),
    ("stance_changes", {"name": "S", "actor": "c1", "step": 1, "stance": 0.1},
     "timeline.stance_changes[0].actor", "c1"),
    ("declarations", {"id": "d", "name": "D", "domain": "water", "convenor": "gov_es", "step": 1},
     "timeline.declarations[0].convenor", "gov_es"),
    ("declarations", {"id": "d", "name": "D", "domain": "water", "convenor": "c0", "step": 1,
                      "networks": ["uclg"]}, "timeline.declarations[0].networks", "uclg"),
    ("crises", {"name": "C", "domain": "weather", "step": 1}, "timeline.crises[0].domain", "weather"),
    ("mega_events", {"name": "E", "actor": "c1", "step": 0}, "timeline.mega_events[0].step", 0),
])
def test_a_bad_timeline_entry_is_a_one_line_error(section, entry, field, value):
    data = timeline_world(**{section: [entry]})
    with pytest.raises(SchemaError) as err:
        scenario_from_data(data, "story.yaml")
    assert (err.value.where, err.value.field, err.value.value) == ("story.yaml", field, value)
    assert "\n" not in err.value.one_line()


def test_bad_practices_and_duplicate_ids_are_refused():
    data = ring_world()
    data["practices"] = [{"id": "p", "name": "P", "domain": "water", "origin": "atlantis"}]
    with pytest.raises(SchemaError, match="practices\\[0\\].origin.*atlantis.*ids of subnationals"):
        scenario_from_data(data, "t.yaml")
    data = timeline_world(declarations=[{"id": "d", "name": "D", "domain": "water", "convenor": "c0", "step": 1}] * 2)
    with pytest.raises(SchemaError, match="declarations\\[1\\].id"):
        scenario_from_data(data, "t.yaml")


def test_scenarios_without_a_timeline_stay_valid(classroom):
    assert classroom.timeline.declarations == [] and classroom.practices == []


def event_records(model, event):
    return [(e.step, e.kind, e.actor, e.parties, e.domain, e.detail) for e in model.ledger.events if e.event == event]


def test_a_stance_change_sets_the_disposition_and_may_switch_the_oversight_regime():
    from model.rules.oversight import RestrictiveOversight

    data = timeline_world(stance_changes=[{"name": "Crackdown", "actor": "gov_es", "step": 1, "stance": 0.1,
                                           "oversight": "restrictive"},
                                          {"name": "Thaw", "actor": "gov_es", "step": 2, "stance": 0.6}])
    model = make_model(data)
    government = model.by_id["gov_es"]
    model.step()
    assert government.base_stance == 0.1 and isinstance(government.oversight, RestrictiveOversight)
    model.step()
    assert government.stance == government.base_stance == 0.6
    assert isinstance(government.oversight, RestrictiveOversight)  # no oversight given: the regime stays
    i = government.index
    assert event_records(model, "stance_change") == [(1, "event", i, (i,), "", "Crackdown"),
                                                     (2, "event", i, (i,), "", "Thaw")]


def test_crisis_and_mega_event_records_name_the_event_its_domain_and_its_host():
    data = timeline_world(crises=[{"name": "Drought", "domain": "water", "step": 1, "months": 1, "salience": 3.0}],
                          mega_events=[{"name": "Expo", "actor": "c3", "step": 1, "months": 1}])
    model = make_model(data, steps=2)
    assert event_records(model, "crisis_start") == [(1, "event", None, (), "water", "Drought")]
    assert event_records(model, "crisis_end") == [(2, "event", None, (), "water", "Drought")]
    assert event_records(model, "mega_event_end") == [(2, "event", 3, (3,), "", "Expo")]


def test_milestones_and_history_are_recorded_and_change_nothing():
    data = timeline_world(milestones=[{"name": "Vote", "step": 2, "actor": "c3"}, {"name": "Treaty", "step": 3}],
                          history=[{"name": "Expo 2010", "type": "mega_event", "step": -55, "actor": "c3"},
                                   {"name": "Old crisis", "type": "crisis", "step": 0}])
    quiet = make_model(timeline_world(), steps=3)
    model = make_model(data, steps=3)
    assert event_records(model, "milestone") == [(2, "event", 3, (3,), "", "Vote"), (3, "event", None, (), "", "Treaty")]
    assert event_records(model, "history") == [(-55, "event", 3, (3,), "", "mega_event: Expo 2010"),
                                               (0, "event", None, (), "", "crisis: Old crisis")]
    signed = lambda m: [(e.step, e.parties) for e in m.ledger.events if e.event == "signed"]  # noqa: E731
    assert signed(model) == signed(quiet)
