"""Private paradiplomacy (model/rules/private.py): each rule moves what it claims, and fails as a no-op.

A small world of its own: Barcelona (home of a Cisco-like firm co-funding
technology agreements and carrying a smart-city framework), London (home of
a London First-like lobby with a campaign for a city internet domain) and a
dozen technology-minded partner cities, under permissive governments.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from conftest import city, make_model
from experiments.outputs import agents_table, agreements_table
from model import scenario_from_data
from model.rules.private import PartnerAdoption, SectorCofunding
from model.scenario import DOMAINS
from model.validation import SchemaError

TECHNOLOGY = DOMAINS.index("technology")
ECONOMY = DOMAINS.index("economy")
PARTNERS = [("san_francisco", "US", 37.8, -122.4), ("paris", "FR", 48.9, 2.35), ("milan", "IT", 45.5, 9.2),
            ("berlin", "DE", 52.5, 13.4), ("lisbon", "PT", 38.7, -9.1), ("amsterdam", "NL", 52.4, 4.9),
            ("vienna", "AT", 48.2, 16.4), ("warsaw", "PL", 52.2, 21.0), ("seoul", "KR", 37.6, 127.0),
            ("tokyo", "JP", 35.7, 139.7), ("boston", "US", 42.4, -71.1), ("lyon", "FR", 45.8, 4.8)]
CISCO = {"id": "cisco", "name": "Cisco", "kind": "firm", "home": "barcelona", "sectors": ["technology"],
         "budget": 30.0, "cofunding_per_agreement": 1.0, "practices": ["smart_city"]}
LONDON_FIRST = {"id": "london_first", "name": "London First", "kind": "lobby", "home": "london",
                "sectors": ["economy"], "budget": 2.0, "income": 2.0, "lobbying_spend": 1.0,
                "campaigns": [{"name": ".london", "practice": "city_tld", "step": 3, "cost": 0.5}]}


def world(cisco=None, london_first=None):
    """Plain data of the test world; ``cisco`` / ``london_first`` change those actors' fields."""
    cities = [city("barcelona", "ES", 41.4, 2.2, interests={"technology": 1.0, "economy": 0.6}),
              city("london", "GB", 51.5, -0.1, interests={"economy": 0.5, "technology": 0.3})]
    cities += [city(i, c, lat, lon, interests={"technology": 0.8, "economy": 0.8}) for i, c, lat, lon in PARTNERS]
    nationals = [{"id": f"gov_{c}", "name": c, "country": c, "stance": 1.0, "oversight": "permissive"}
                 for c in sorted({x["country"] for x in cities})]
    practices = [{"id": "smart_city", "name": "Smart-city framework", "domain": "technology",
                  "origin": "barcelona", "p": 0.0, "q": 0.0},
                 {"id": "city_tld", "name": "City internet domain", "domain": "economy",
                  "origin": "london", "p": 0.0, "q": 0.0, "step": 1000}]
    return {"name": "private", "subnationals": cities, "nationals": nationals, "practices": practices,
            "private_actors": [dict(CISCO, **(cisco or {})), dict(LONDON_FIRST, **(london_first or {}))]}


def barcelona_technology_signed(model) -> int:
    barcelona = model.by_id["barcelona"].index
    return sum(1 for e in model.ledger.events if e.event in ("signed", "contested") and e.step > 0
               and e.domain == "technology" and barcelona in e.parties)


def adopters(model, practice: str) -> set[str]:
    row = model.diffusion._row[practice]
    return {model.by_index(int(i)).actor_id for i in np.flatnonzero(model.diffusion.adopted[row])}


# ------------------------------------------------------------------ co-funding


def test_cofunding_adds_its_value_to_both_sides_of_the_homes_agreements_in_its_sectors_only():
    model = make_model(world())
    barcelona, london, paris = (model.by_id[x].index for x in ("barcelona", "london", "paris"))
    others = model.rows([paris, london])
    utility = model.rules.utility
    with_tech = utility.systematic(model, barcelona, others, TECHNOLOGY)
    with_economy = utility.systematic(model, barcelona, others, ECONOMY)
    from_paris = utility.systematic(model, paris, model.rows([london]), TECHNOLOGY)
    model.cofunding = None
    assert np.allclose(with_tech[0] - utility.systematic(model, barcelona, others, TECHNOLOGY)[0], 0.5)
    assert np.allclose(with_tech[1] - utility.systematic(model, barcelona, others, TECHNOLOGY)[1], 0.5)
    assert np.allclose(with_economy, utility.systematic(model, barcelona, others, ECONOMY))
    assert np.allclose(from_paris, utility.systematic(model, paris, model.rows([london]), TECHNOLOGY))


def test_cofunding_raises_barcelonas_technology_agreements_and_spends_the_budget():
    with_, without = [], []
    for seed in range(4):
        funded = make_model(world(), seed=seed, steps=48)
        unfunded = make_model(world(), rules={"cofunding": {"name": "none"}}, seed=seed, steps=48)
        with_.append(barcelona_technology_signed(funded))
        without.append(barcelona_technology_signed(unfunded))
        cisco = funded.by_id["cisco"]
        cofunded = [e for e in funded.ledger.events if e.event == "cofunded"]
        assert len(cofunded) == with_[-1]  # one payment per agreement signed, while the budget lasts
        assert all(e.actor == cisco.index and e.domain == "technology" for e in cofunded)
        assert cisco.spent["cofunding"] == pytest.approx(30.0 - cisco.budget) == pytest.approx(len(cofunded))
        assert unfunded.by_id["cisco"].budget == 30.0
    assert sum(with_) >= 1.3 * sum(without)


def test_an_exhausted_budget_stops_cofunding():
    model = make_model(world(cisco={"budget": 2.0}), seed=1, steps=48)
    assert len([e for e in model.ledger.events if e.event == "cofunded"]) <= 3  # the last month's may go unpaid
    assert model.by_id["cisco"].budget == 0.0 and model.cofunding is None


# ------------------------------------------------------------------ lobbying


def test_lobbying_raises_the_homes_interest_and_capacity_in_its_sectors():
    lobbied = make_model(world(), steps=12)
    quiet = make_model(world(), rules={"lobbying": {"name": "none"}}, steps=12)
    london = lobbied.by_id["london"].index
    paid_a_month = 1.0 / 12  # lobbying_spend 1 million a year, budget never short
    expected = 1.0 - 0.5 * (1.0 - 0.05 * paid_a_month) ** 12
    assert lobbied.actors.interests[london, ECONOMY] == pytest.approx(expected)
    assert quiet.actors.interests[london, ECONOMY] == 0.5
    assert lobbied.actors.interests[london, TECHNOLOGY] == quiet.actors.interests[london, TECHNOLOGY] == 0.3
    assert lobbied.actors.capacity[london] == pytest.approx(12.0 + 1.0)  # κ·12·e = 1 agreement a year more
    assert quiet.actors.capacity[london] == 12.0
    events = [e for e in lobbied.ledger.events if e.event == "lobbied"]
    assert len(events) == 12 and {e.parties for e in events} == {(london,)}
    assert not [e for e in quiet.ledger.events if e.event == "lobbied"]


def test_lobbying_funds_capacity_only_while_paid():
    model = make_model(world(london_first={"budget": 0.25, "income": 0.0, "campaigns": []}), steps=6)
    london = model.by_id["london"].index
    assert model.by_id["london_first"].budget == 0.0  # three months of 1/12 million
    assert model.actors.capacity[london] == pytest.approx(12.0)
    assert len([e for e in model.ledger.events if e.event == "lobbied"]) == 3


def test_a_campaign_makes_the_home_adopt_its_practice_and_costs_its_price():
    run = make_model(world(), steps=4)
    quiet = make_model(world(), rules={"lobbying": {"name": "none"}}, steps=4)
    short = make_model(world(london_first={"budget": 0.1, "income": 0.0}), steps=4)
    campaign = [e for e in run.ledger.events if e.event == "campaign"]
    assert [(e.step, run.by_index(e.actor).actor_id) for e in campaign] == [(3, "london_first")]
    assert "london" in adopters(run, "city_tld")
    assert run.by_id["london_first"].spent["campaigns"] == 0.5
    assert "london" not in adopters(quiet, "city_tld")
    assert "london" not in adopters(short, "city_tld")


# ------------------------------------------------------------------ carrying practices


def test_the_firm_carries_its_practice_to_its_homes_technology_partners():
    carried, alone = set(), set()
    for seed in range(3):
        model = make_model(world(), seed=seed, steps=48)
        quiet = make_model(world(), rules={"transfer": {"name": "none"}}, seed=seed, steps=48)
        events = [e for e in model.ledger.events if e.event == "practice_carried"]
        barcelona = model.by_id["barcelona"].index
        for e in events:  # each adopter had a technology agreement with Barcelona that month
            (j,) = e.parties
            assert any(barcelona in s.parties and j in s.parties and s.domain == "technology"
                       for s in model.agreements.values() if s.signed_step is not None and s.signed_step <= e.step)
        carried |= adopters(model, "smart_city") - {"barcelona"}
        alone |= adopters(quiet, "smart_city") - {"barcelona"}
        assert len(events) == len(adopters(model, "smart_city")) - 1
    assert len(carried) >= 5 and not alone  # p = q = 0: nobody adopts on their own


def test_an_actor_with_no_budget_left_carries_nothing():
    model = make_model(world(cisco={"budget": 0.0}), seed=0, steps=36)
    assert adopters(model, "smart_city") == {"barcelona"}


# ------------------------------------------------------------------ schema and tables


@pytest.mark.parametrize("change, field, value", [
    ({"home": "atlantis"}, "private_actors[0].home", "atlantis"),
    ({"practices": ["nothing"]}, "private_actors[0].practices[0]", "nothing"),
    ({"practices": ["city_tld"]}, "private_actors[0].practices[0]", "city_tld"),
    ({"campaigns": [{"name": "c", "practice": "nothing", "step": 1}]}, "private_actors[0].campaigns[0].practice",
     "nothing"),
    ({"kind": "charity"}, "private_actors[0].kind", "charity"),
    ({"sectors": ["sport"]}, "private_actors[0].sectors[0]", "sport"),
    ({"budget": -1.0}, "private_actors[0].budget", -1.0),
    ({"id": "barcelona"}, "private_actors[0].id", "barcelona"),
])
def test_bad_private_actors_are_refused_with_the_field_named(change, field, value):
    data = world(cisco=change)
    with pytest.raises(SchemaError) as err:
        scenario_from_data(copy.deepcopy(data), "private.yaml")
    assert (err.value.where, err.value.field, err.value.value) == ("private.yaml", field, value)
    assert "\n" not in str(err.value)


def test_private_actors_and_their_events_are_in_the_tables():
    model = make_model(world(), steps=12)
    agents = agents_table(model)
    private = agents[agents["type"] == "private"].set_index("actor_id")
    assert list(private.index) == ["cisco", "london_first"]
    assert private.loc["cisco", "kind"] == "firm" and private.loc["london_first", "kind"] == "lobby"
    assert private.loc["cisco", "country"] == "ES"
    assert private.loc["cisco", "budget"] == model.by_id["cisco"].budget < 30.0
    barcelona = agents.set_index("actor_id").loc["barcelona"]
    assert (private.loc["cisco", "lat"], private.loc["cisco", "lon"]) == (barcelona["lat"], barcelona["lon"])
    ledger = agreements_table(model)
    assert set(ledger.loc[ledger["event"].isin(["cofunded", "lobbied", "campaign", "practice_carried"]),
                          "actor_id"]) == {"cisco", "london_first"}
    assert ledger.loc[ledger["event"] == "campaign", "parties"].tolist()[0] == ["london"]


def test_the_apps_actor_panel_describes_a_private_actor():
    from experiments.app.story import actor_choices, actor_report

    model = make_model(world(), steps=2)
    report = actor_report(model, actor_choices(model)["Cisco (ES)"])
    assert report.facts == ["firm of Barcelona", "sectors: technology",
                            f"budget left: {model.by_id['cisco'].budget:.3g} million euros"]
    assert report.agreements.rows == []


# ------------------------------------------------------------------ each rule on its own, called directly


def with_agreements(*pairs, **changes):
    """The test world with agreements in force from step 0 (100 months): (party, party, domain)."""
    data = world(**changes)
    data["agreements"] = [{"id": f"{a}_{b}_{d}", "parties": [a, b], "domain": d, "signed_step": 0, "duration": 100}
                          for a, b, d in pairs]
    return data


def carried(model):
    return [(model.by_index(e.parties[0]).actor_id, e.kind, e.domain, e.detail, model.by_index(e.actor).actor_id)
            for e in model.ledger.events if e.event == "practice_carried"]


def test_a_practice_is_carried_to_the_homes_partners_in_its_domain_only():
    model = make_model(with_agreements(("barcelona", "paris", "technology"), ("milan", "barcelona", "technology"),
                                       ("barcelona", "lyon", "economy"), ("london", "berlin", "technology")))
    cisco = model.by_id["cisco"]
    PartnerAdoption(probability=0.0).carry(model, cisco)
    assert adopters(model, "smart_city") == {"barcelona"}
    PartnerAdoption(probability=1.0).carry(model, cisco)
    assert adopters(model, "smart_city") == {"barcelona", "paris", "milan"}
    assert sorted(carried(model)) == [("milan", "practice", "technology", "smart_city", "cisco"),
                                      ("paris", "practice", "technology", "smart_city", "cisco")]
    PartnerAdoption(probability=1.0).carry(model, cisco)  # adopters are not carried to again
    assert len(carried(model)) == 2


def test_a_practice_the_home_has_not_adopted_or_an_empty_budget_carries_nothing():
    data = with_agreements(("barcelona", "paris", "technology"), cisco={"budget": 0.0})
    model = make_model(data)
    PartnerAdoption(probability=1.0).carry(model, model.by_id["cisco"])
    assert adopters(model, "smart_city") == {"barcelona"}
    data = with_agreements(("london", "paris", "economy"), london_first={"practices": ["city_tld"], "campaigns": []})
    data["practices"][1]["p"] = 0.0
    model = make_model(data)  # London has not adopted its city domain (no campaign yet)
    PartnerAdoption(probability=1.0).carry(model, model.by_id["london_first"])
    assert adopters(model, "city_tld") == set() and carried(model) == []


def test_cofunders_at_one_home_add_up_and_a_budget_of_exactly_the_share_still_cofunds():
    data = world(cisco={"budget": 1.0})
    data["private_actors"].append({"id": "telco", "name": "Telco", "kind": "firm", "home": "barcelona",
                                   "sectors": ["technology", "economy"], "budget": 5.0,
                                   "cofunding_per_agreement": 2.0})
    model = make_model(data)
    barcelona = model.by_id["barcelona"].index
    table = SectorCofunding(value_per_million=0.5).table(model, model.private_actors)
    assert table[barcelona, TECHNOLOGY] == 0.5 * 1.0 + 0.5 * 2.0 and table[barcelona, ECONOMY] == 0.5 * 2.0
    assert table.sum() == 2.5  # nobody else co-funds
    model.by_id["cisco"].budget = 0.99
    assert SectorCofunding(value_per_million=0.5).table(model, model.private_actors)[barcelona, TECHNOLOGY] == 1.0
    assert SectorCofunding(value_per_million=0.0).table(model, model.private_actors) is None


def test_cofunding_pays_for_the_homes_agreements_in_its_sectors_while_the_budget_lasts():
    model = make_model(with_agreements(("barcelona", "paris", "technology"), ("barcelona", "milan", "economy"),
                                       ("london", "lyon", "technology"), ("lisbon", "barcelona", "technology"),
                                       cisco={"budget": 1.5}))
    cisco = model.by_id["cisco"]
    signed = list(model.agreements.values())
    SectorCofunding().pay(model, cisco, signed)
    payments = [(e.step, e.agreement_id, e.detail, e.actor) for e in model.ledger.events if e.event == "cofunded"]
    assert payments == [(0, signed[0].id, "paid=1", cisco.index), (0, signed[3].id, "paid=0.5", cisco.index)]
    assert cisco.budget == 0.0 and cisco.spent["cofunding"] == 1.5
    SectorCofunding().pay(model, cisco, signed)  # nothing left: nothing paid, nothing recorded
    assert len([e for e in model.ledger.events if e.event == "cofunded"]) == 2


def test_a_campaign_whose_cost_is_the_whole_budget_runs_and_is_recorded():
    model = make_model(world(london_first={"budget": 0.5, "income": 0.0, "lobbying_spend": 0.0}), steps=3)
    (campaign,) = [e for e in model.ledger.events if e.event == "campaign"]
    assert (campaign.kind, campaign.domain, campaign.detail) == ("private", "economy", ".london:city_tld")
    assert model.by_id["london_first"].budget == 0.0 and "london" in adopters(model, "city_tld")
    assert not [e for e in model.ledger.events if e.event == "lobbied"]  # no lobbying spend, no lobbying


def test_the_lobbied_event_names_the_sectors_the_sum_paid_and_the_capacity_it_funds():
    model = make_model(world(london_first={"sectors": ["economy", "technology"], "lobbying_spend": 1.2,
                                           "campaigns": []}), steps=1)
    (lobbied,) = [e for e in model.ledger.events if e.event == "lobbied"]
    assert (lobbied.kind, lobbied.domain, lobbied.detail) == ("private", "economy,technology",
                                                             "paid=0.1,capacity=+1.2")


def test_the_actors_are_handed_the_months_signed_and_contested_pair_agreements_only():
    model = make_model(world())
    barcelona, paris, milan = (model.by_id[x].index for x in ("barcelona", "paris", "milan"))
    signed = model.new_agreement((barcelona, paris), TECHNOLOGY, "bilateral")
    contested = model.new_agreement((barcelona, milan), TECHNOLOGY, "bilateral")
    declaration = model.new_agreement((barcelona, paris), TECHNOLOGY, "declaration")
    three = model.new_agreement((barcelona, paris, milan), TECHNOLOGY, "bilateral")
    for ag, event in ((signed, "signed"), (contested, "contested"), (declaration, "signed"), (three, "signed"),
                      (signed, "proposed")):
        model.ledger.record(model.month, event, ag)
    model.private.step()
    assert model.private.signed_this_month == [signed, contested]
    model.private.step()  # the next month: nothing new
    assert model.private.signed_this_month == []


def test_the_monthly_tables_count_each_private_event_and_each_budget_left():
    model = make_model(world(), steps=4)
    frame = model.datacollector.get_model_vars_dataframe()
    for event in ("lobbied", "campaign", "cofunded", "practice_carried"):
        by_month = [sum(1 for e in model.ledger.events if e.event == event and e.step == m) for m in range(1, 5)]
        assert frame[event].tolist()[-4:] == by_month
    assert frame["campaign"].tolist()[-4:] == [0, 0, 1, 0] and frame["lobbied"].tolist()[-4:] == [1, 1, 1, 1]
    assert frame["private_budget.cisco"].iloc[-1] == model.by_id["cisco"].budget


def test_a_lobby_without_sectors_funds_capacity_and_moves_no_interest():
    lobbied = make_model(world(london_first={"sectors": [], "campaigns": []}), steps=3)
    quiet = make_model(world(london_first={"sectors": [], "campaigns": []}), rules={"lobbying": {"name": "none"}},
                       steps=3)
    london = lobbied.by_id["london"].index
    np.testing.assert_array_equal(lobbied.actors.interests[london], quiet.actors.interests[london])
    assert lobbied.actors.capacity[london] == pytest.approx(12.0 + 1.0)
    assert [e.domain for e in lobbied.ledger.events if e.event == "lobbied"] == ["", "", ""]


def test_the_budget_receives_a_twelfth_of_the_yearly_income_each_month():
    model = make_model(world(london_first={"budget": 0.0, "income": 6.0, "lobbying_spend": 0.0, "campaigns": []}),
                       steps=5)
    lobby = model.by_id["london_first"]
    assert lobby.budget + sum(lobby.spent.values()) == pytest.approx(5 * 6.0 / 12)
