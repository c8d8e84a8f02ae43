"""The actor catalogue: each actor written once; scenarios include entries and say what they change."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from experiments.config import CATALOGUE, PROJECT_ROOT, load_scenario, read_yaml
from model import scenario_from_data
from model.catalogue import SECTIONS, compose, step_of
from model.validation import SchemaError

SCENARIO_FILES = sorted(p for p in (PROJECT_ROOT / "scenarios").glob("*.yaml") if p != CATALOGUE)


def test_no_actor_block_is_written_in_more_than_one_scenario_file():
    """Acceptance (issue 10, point 4): actors live in the catalogue, scenario files only name them."""
    defined = Counter()
    for path in SCENARIO_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for section in SECTIONS:
            for entry in data.get(section) or []:
                defined[entry["id"]] += 1
    assert not [i for i, n in defined.items() if n > 1]
    assert sum(defined.values()) == 0, "shipped scenarios take every actor from the catalogue"


def test_every_catalogue_entry_is_used_and_every_scenario_loads():
    catalogue = read_yaml(CATALOGUE, "file")
    used = set()
    for path in SCENARIO_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for ids in (data.get("include") or {}).values():
            used.update(ids)
        load_scenario(path, min_population=5_000_000)
    entries = {e["id"] for section in SECTIONS for e in catalogue.get(section) or []}
    assert entries - used == set()


CATALOGUE_DATA = {
    "subnationals": [
        {"id": "a", "name": "A", "kind": "city", "country": "ES", "population": 10, "lat": 0, "lon": 0,
         "capacity": 4.0, "memberships": ["net1", "net2"]},
        {"id": "b", "name": "B", "kind": "city", "country": "FR", "population": 10, "lat": 1, "lon": 1},
        {"id": "c", "name": "C", "kind": "city", "country": "IT", "population": 10, "lat": 2, "lon": 2},
    ],
    "nationals": [{"id": f"gov_{c}", "name": c, "country": c, "stance": 0.5} for c in ("ES", "FR", "IT")],
    "networks": [{"id": "net1", "name": "N1", "focus": ["water"], "seat": "a", "members": ["a", "b", "c"]},
                 {"id": "net2", "name": "N2", "focus": ["water"], "seat": "a"}],
    "agreements": [{"id": "ab", "parties": ["a", "b"], "domain": "water", "signed": 2013}],
    "offices": [{"id": "a_in_b", "holder": "a", "host": "b", "opened": "2016-03"}],
    "relations": [{"a": "ES", "b": "FR", "value": 0.5}, {"a": "FR", "b": "IT", "value": -0.2}],
}


def compose_story(**data):
    return compose({"name": "story", "start_year": 2015, **data}, CATALOGUE_DATA, "story.yaml", "cat.yaml")


def test_compose_keeps_present_members_applies_changes_and_dates():
    out = compose_story(include={"subnationals": ["a", "b"], "nationals": ["gov_ES", "gov_FR"],
                                 "networks": ["net1"], "agreements": ["ab"], "offices": ["a_in_b"]},
                        changes={"a": {"capacity": 9.0}, "b": {"lat": None}},
                        relations=[{"a": "FR", "b": "ES", "value": 0.9}])
    a, b = out["subnationals"]
    assert a["memberships"] == ["net1"] and a["capacity"] == 9.0
    assert "lat" not in b  # null restores the default (here: required, so the schema will say so)
    assert out["networks"][0]["members"] == ["a", "b"]
    assert out["agreements"][0]["signed_step"] == -23 and "signed" not in out["agreements"][0]
    assert out["offices"][0]["opened_step"] == 15
    assert out["relations"] == [{"a": "FR", "b": "ES", "value": 0.9}]  # the story's own value wins
    assert CATALOGUE_DATA["subnationals"][0]["capacity"] == 4.0  # the catalogue is not edited


def test_relations_need_both_governments():
    out = compose_story(include={"subnationals": ["a"], "nationals": ["gov_ES", "gov_IT"]})
    assert out["relations"] == []


@pytest.mark.parametrize("date, step", [(2015, 1), ("2015-01", 1), ("2014-12", 0), (2013, -23), ("2016-03", 15)])
def test_step_of_dates(date, step):
    assert step_of(date, 2015, "f", "x") == step


@pytest.mark.parametrize("date", ["2015-13", "March 2015", True, 2015.5, "15-01"])
def test_bad_dates_are_one_line_errors(date):
    with pytest.raises(SchemaError) as err:
        step_of(date, 2015, "cat.yaml", "agreements.ab.signed")
    assert err.value.field == "agreements.ab.signed" and err.value.where == "cat.yaml" and err.value.value == date
    assert err.value.allowed == 'a year (2013) or a year and month ("2013-05")'


def test_catalogue_ids_are_unique():
    bad = {**CATALOGUE_DATA, "networks": CATALOGUE_DATA["networks"] + [{"id": "a", "name": "dup"}]}
    with pytest.raises(SchemaError) as err:
        compose({"name": "s", "include": {}}, bad, "s.yaml", "cat.yaml")
    assert (err.value.where, err.value.field, err.value.value) == ("cat.yaml", "networks[2].id", "a")
    assert err.value.allowed == "an id not used by another entry"


def test_a_scenario_without_include_is_returned_as_it_is():
    data = {"name": "inline", "subnationals": [{"id": "x"}]}
    assert compose(data, CATALOGUE_DATA, "s.yaml", "cat.yaml") is data


def test_inline_entries_follow_the_included_ones_and_the_start_year_dates_them():
    out = compose({"name": "s", "start_year": 2013, "include": {"subnationals": ["a"], "agreements": ["ab"]},
                   "subnationals": [{"id": "z"}]}, CATALOGUE_DATA, "s.yaml", "cat.yaml")
    assert [x["id"] for x in out["subnationals"]] == ["a", "z"]
    assert out["agreements"][0]["signed_step"] == 1  # January 2013 in a run from 2013
    assert out["networks"] == [] and out["offices"] == [] and "include" not in out and "changes" not in out


def test_a_start_year_left_out_is_2015():
    out = compose({"name": "s", "include": {"agreements": ["ab"]}}, CATALOGUE_DATA, "s.yaml", "cat.yaml")
    assert out["agreements"][0]["signed_step"] == -23


def test_network_members_and_memberships_keep_only_included_entries():
    out = compose_story(include={"subnationals": ["a", "c"], "networks": ["net2", "net1"]})
    assert out["subnationals"][0]["memberships"] == ["net1", "net2"]
    assert out["networks"][1]["members"] == ["a", "c"]
    assert "members" not in out["networks"][0]  # a network that lists none gets none


def test_the_scenarios_relations_keep_their_order_and_bad_ones_are_left_for_validation():
    own = [{"a": "ES", "b": "FR"}, "ES-IT", ["FR", "IT"], {"a": "IT", "value": 1}]  # no value; three malformed
    out = compose_story(include={"nationals": ["gov_ES", "gov_FR"]}, relations=own)
    assert out["relations"] == own
    with pytest.raises(SchemaError) as err:
        scenario_from_data(dict(out, subnationals=[CATALOGUE_DATA["subnationals"][1]]), "story.yaml")
    assert err.value.field.startswith("relations[0]")


def test_catalogue_relations_stay_for_every_pair_of_present_governments():
    out = compose_story(include={"nationals": ["gov_ES", "gov_FR"]})
    assert out["relations"] == [{"a": "ES", "b": "FR", "value": 0.5}]
    out = compose_story(include={"nationals": ["gov_ES", "gov_FR", "gov_IT"]},
                        relations=[{"a": "IT", "b": "ES", "value": 0.1}])
    assert out["relations"] == [{"a": "ES", "b": "FR", "value": 0.5}, {"a": "FR", "b": "IT", "value": -0.2},
                                {"a": "IT", "b": "ES", "value": 0.1}]


DATED = {
    "subnationals": CATALOGUE_DATA["subnationals"],
    "nationals": CATALOGUE_DATA["nationals"],
    "networks": [{"id": "cor", "name": "CoR", "focus": ["water"], "seat": "a", "founded": "1994-03",
                  "scope_changes": [{"date": "2016-05", "add": ["IT"]}, {"step": 30, "remove": ["IT"]}]},
                 {"id": "new", "name": "New", "focus": ["water"], "seat": "a", "founded": None}],
    "private_actors": [{"id": "firm", "name": "Firm", "home": "a",
                        "campaigns": [{"name": "old", "date": 2010}, {"name": "soon", "date": "2015-04"}]}],
    "offices": [{"id": "o", "holder": "a", "host": "b", "opened": 2012, "closed": "2016-02"}],
    "practices": [{"id": "old", "introduced": 2001}, {"id": "later", "introduced": "2016-01"},
                  {"id": "campaign_only", "introduced": None}],
    "events": [
        {"id": "expo", "type": "mega_event", "actor": "a", "date": "2010-05", "months": 6, "name": "Expo 2010"},
        {"id": "long", "type": "crisis", "date": "2014-11", "months": 4, "name": "Drought"},
        {"id": "past", "type": "crisis", "date": "2014-11", "months": 2, "name": "Short"},
        {"id": "tail", "type": "crisis", "date": "2014-12", "months": 2, "name": "Tail"},
        {"id": "first", "type": "milestone", "date": 2015, "name": "First"},
        {"id": "unnamed", "type": "milestone", "date": 2014},
        {"id": "vote", "type": "milestone", "date": "2015-06", "name": "Vote"},
        {"id": "decl", "type": "declaration", "convenor": "a", "date": 2013, "name": "Old declaration"},
        {"id": "decl2", "type": "declaration", "convenor": "a", "date": "2015-03", "name": "Declaration"},
        {"id": "turn", "type": "stance_change", "actor": "gov_ES", "date": "2014-01", "name": "Turn"},
    ],
}


def compose_dated(**include):
    own = {"milestones": [{"name": "Own", "step": 2}]}
    return compose({"name": "s", "start_year": 2015, "include": include, "timeline": own},
                   DATED, "s.yaml", "cat.yaml")


def test_catalogue_dates_of_networks_offices_practices_and_campaigns_become_steps():
    out = compose_dated(networks=["cor", "new"], private_actors=["firm"], offices=["o"],
                        practices=["old", "later", "campaign_only"])
    cor, new = out["networks"]
    assert cor["founded_step"] == (1994 - 2015) * 12 + 3 and new["founded_step"] is None
    assert cor["scope_changes"] == [{"step": 17, "add": ["IT"]}, {"step": 30, "remove": ["IT"]}]
    assert [c["step"] for c in out["private_actors"][0]["campaigns"]] == [1, 4]  # under way at the start: month 1
    assert (out["offices"][0]["opened_step"], out["offices"][0]["closed_step"]) == (-35, 14)
    assert [p["step"] for p in out["practices"]] == [0, 13, None]  # before the start: in circulation at step 0
    assert out["timeline"] == {"milestones": [{"name": "Own", "step": 2}]}  # no event included: the own timeline
    assert DATED["networks"][0]["scope_changes"][0] == {"date": "2016-05", "add": ["IT"]}


def test_events_in_the_run_go_on_the_timeline_earlier_ones_are_history():
    timeline = compose_dated(events=[e["id"] for e in DATED["events"]])["timeline"]
    assert timeline["milestones"] == [{"name": "Own", "step": 2}, {"name": "First", "step": 1},
                                      {"name": "Vote", "step": 6}]  # no catalogue id; January 2015 is step 1
    assert timeline["crises"] == [{"name": "Drought", "step": 1, "months": 2},  # straddles the start: what is left
                                  {"name": "Tail", "step": 1, "months": 1}]
    assert timeline["declarations"] == [{"id": "decl2", "convenor": "a", "name": "Declaration", "step": 3}]
    assert timeline["history"] == [
        {"name": "Expo 2010", "type": "mega_event", "step": -55, "actor": "a"},
        {"name": "Short", "type": "crisis", "step": -1, "actor": ""},
        {"name": "", "type": "milestone", "step": -11, "actor": ""},
        {"name": "Old declaration", "type": "declaration", "step": -23, "actor": "a"},
        {"name": "Turn", "type": "stance_change", "step": -11, "actor": "gov_ES"}]
    assert "mega_events" not in timeline and "stance_changes" not in timeline


@pytest.mark.parametrize("scenario, field, allowed", [
    ({"changes": {"a": {}}}, "changes", "changes to entries listed under include:"),
    ({"include": ["a"]}, "include", "a mapping of catalogue sections to lists of ids"),
    ({"include": {"subnationals": ["a"]}, "changes": ["a"]}, "changes", "a mapping of included ids"),
    ({"include": {"mayors": ["a"]}}, "include.mayors", "catalogue sections subnationals, nationals"),
    ({"include": {"subnationals": "a"}}, "include.subnationals", "a list of ids of the catalogue's subnationals"),
    ({"include": {"subnationals": ["a", "zz"]}}, "include.subnationals[1]",
     "ids of the catalogue's subnationals (cat.yaml), e.g. a, b, c"),
    ({"include": {"subnationals": ["a", "b", "a"]}}, "include.subnationals[2]", "an id included once"),
    ({"include": {"subnationals": ["a"]}, "changes": {"b": {}}}, "changes.b", "ids listed under include:"),
    ({"include": {"subnationals": ["a"]}, "changes": {"a": 3}}, "changes.a", "a mapping of field: new value"),
])
def test_bad_includes_and_changes_name_the_scenario_file(scenario, field, allowed):
    with pytest.raises(SchemaError) as err:
        compose({"name": "s", **scenario}, CATALOGUE_DATA, "s.yaml", "cat.yaml")
    assert (err.value.where, err.value.field) == ("s.yaml", field) and err.value.allowed.startswith(allowed)


@pytest.mark.parametrize("event, value", [({"type": "festival"}, "festival"), ({}, None)])
def test_an_event_of_unknown_or_no_type_names_the_scenario_and_the_event(event, value):
    catalogue = {**CATALOGUE_DATA, "events": [{"id": "party", "date": 2016, **event}]}
    with pytest.raises(SchemaError) as err:
        compose({"name": "s", "include": {"events": ["party"]}}, catalogue, "s.yaml", "cat.yaml")
    assert (err.value.where, err.value.field, err.value.value) == ("s.yaml", "include.events.party.type", value)
    assert err.value.allowed == "one of mega_event, stance_change, crisis, declaration, milestone"


def test_an_event_without_a_date_is_a_one_line_error_naming_its_missing_step():
    catalogue = {**CATALOGUE_DATA, "events": [{"id": "e", "type": "milestone", "name": "Undated"}]}
    out = compose({"name": "s", "include": {"subnationals": ["a", "b"], "events": ["e"]}}, catalogue, "s.yaml",
                  "cat.yaml")
    with pytest.raises(SchemaError) as err:
        scenario_from_data(out, "s.yaml")
    assert (err.value.field, err.value.value) == ("timeline.milestones[0].step", None)


ALL_SECTIONS = "subnationals, nationals, networks, private_actors, agreements, offices, practices, events, relations"


@pytest.mark.parametrize("catalogue, field, allowed", [
    ([], "", "a mapping with sections " + ALL_SECTIONS),
    ({"mayors": {"colau": 1}}, "mayors", "sections " + ALL_SECTIONS),
    ({"subnationals": [{"id": "a"}, {"name": "no id"}]}, "subnationals[1]", "a mapping with an id"),
    ({"subnationals": [{"id": 7}]}, "subnationals[0]", "a mapping with an id"),
    ({"networks": ["eurocities"]}, "networks[0]", "a mapping with an id"),
    ({"relations": [{"a": "ES", "b": "FR"}, {"a": "ES", "value": 1}]}, "relations[1]", "a mapping with a, b and value"),
    ({"relations": ["ES-FR"]}, "relations[0]", "a mapping with a, b and value"),
])
def test_a_bad_catalogue_names_the_catalogue_file(catalogue, field, allowed):
    with pytest.raises(SchemaError) as err:
        compose({"name": "s", "include": {}}, catalogue, "s.yaml", "cat.yaml")
    assert (err.value.where, err.value.field, err.value.allowed) == ("cat.yaml", field, allowed)
    section, _, index = field.partition("[")
    bad = catalogue if not field else catalogue[field] if not index else catalogue[section][int(index[:-1])]
    assert err.value.value == bad


def test_a_bad_date_in_the_catalogue_names_the_entry():
    catalogue = {**DATED, "events": [{"id": "e", "type": "milestone", "date": "2015-13"}]}
    with pytest.raises(SchemaError) as err:
        compose({"name": "s", "include": {"events": ["e"]}}, catalogue, "s.yaml", "cat.yaml")
    assert (err.value.where, err.value.field) == ("cat.yaml", "events.e.date")


@pytest.mark.parametrize("timeline, field", [("oops", "timeline"), ({"milestones": None}, "timeline.milestones")])
def test_a_bad_timeline_of_a_scenario_that_includes_events_is_named_not_dropped(timeline, field):
    data = compose({"name": "s", "start_year": 2015, "include": {"subnationals": ["a", "b"], "events": ["vote"]},
                    "timeline": timeline}, DATED, "s.yaml", "cat.yaml")
    with pytest.raises(SchemaError) as err:
        scenario_from_data(data, "s.yaml")
    assert (err.value.where, err.value.field) == ("s.yaml", field)
