"""The actor catalogue: each actor written once; scenarios include entries and say what they change."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from experiments.config import CATALOGUE, PROJECT_ROOT, load_scenario, read_yaml
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
    assert err.value.field == "agreements.ab.signed" and err.value.where == "cat.yaml"


def test_catalogue_ids_are_unique():
    bad = {**CATALOGUE_DATA, "networks": CATALOGUE_DATA["networks"] + [{"id": "a", "name": "dup"}]}
    with pytest.raises(SchemaError) as err:
        compose({"name": "s", "include": {}}, bad, "s.yaml", "cat.yaml")
    assert (err.value.where, err.value.field) == ("cat.yaml", "networks[2].id")
