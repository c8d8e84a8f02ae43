"""City networks over time: founding dates, entry rules, admission, initial size, scope changes, growth scenario."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from conftest import ROOT, TINY, city, ledger_events, make_model
from experiments.config import load_scenario
from model import SchemaError, scenario_from_data, with_network_parameters
from model.metrics import network_countries
from model.rules.networks import InterestRecruitment
from model.scenario import continent_of

EXACT = {"networks": {"name": "recruitment", "tau": 0.0}}  # no shocks: a candidate joins iff interest > fee


def world(**network):
    """Ten cities: five in Europe and five elsewhere, populations 1..10 million, one network."""
    data = copy.deepcopy(TINY)
    places = [("ES", 40.4, -3.7), ("FR", 48.9, 2.3), ("DE", 52.5, 13.4), ("IT", 41.9, 12.5), ("PT", 38.7, -9.1),
              ("JP", 35.7, 139.7), ("PE", -12.0, -77.0), ("EG", 30.0, 31.2), ("BR", -23.5, -46.6), ("IN", 19.1, 72.9)]
    data["subnationals"] = [city(f"c{k}", code, lat, lon, population=(k + 1) * 1_000_000)
                            for k, (code, lat, lon) in enumerate(places)]
    data["networks"] = [dict({"id": "net", "name": "Net", "focus": ["economy"], "seat": "c0"}, **network)]
    return data


def members_by_step(model, steps):
    sizes = []
    for _ in range(steps):
        model.step()
        sizes.append(len(model.networks[0].members))
    return sizes


# ------------------------------------------------------------------ founding


def test_a_network_has_no_members_before_its_founding_and_its_founders_join_then():
    model = make_model(world(founded_step=5, members=["c0", "c1"], fee=0.0, recruitment_rate=1), EXACT)
    net = model.networks[0]
    assert not net.founded and not net.members and not model.actors.membership[:, 0].any()
    sizes = members_by_step(model, 6)
    assert sizes[:4] == [0, 0, 0, 0]  # months 1-4: nothing, nobody recruited
    assert sizes[4] == 3  # month 5: the two founders, then the month's recruit
    assert ledger_events(model, "founded") == [(5, net.index)]
    founders = [e for e in model.ledger.events if e.event == "joined" and e.detail == "founder"]
    assert [(e.step, e.actor) for e in founders] == [(5, model.by_id["c0"].index), (5, model.by_id["c1"].index)]
    assert min(e.step for e in model.ledger.events if e.event == "joined") == 5


def test_a_network_founded_before_the_run_has_its_members_at_step_0():
    model = make_model(world(founded_step=0, members=["c0", "c1"], fee=50.0), EXACT)
    assert len(model.networks[0].members) == 2 and model.networks[0].founded
    assert ledger_events(model, "founded") == [] and ledger_events(model, "joined") == []


def test_memberships_listed_by_a_subnational_wait_for_the_founding():
    data = world(founded_step=3, fee=50.0)
    data["subnationals"][4]["memberships"] = ["net"]
    model = make_model(data, EXACT)
    assert members_by_step(model, 3) == [0, 0, 1]


# ------------------------------------------------------------------ initial size


def test_the_network_starts_at_its_reported_size_largest_eligible_first():
    data = world(reported_members=4, members=["c0"], scope=["EU"], fee=50.0)
    scenario = make_model(data).spec
    assert scenario.networks[0].members == ["c0", "c4", "c3", "c2"]  # named, then the largest Europeans


def test_the_reported_size_is_capped_by_the_eligible_pool_and_the_member_cap():
    assert len(make_model(world(reported_members=40, scope=["EU"])).networks[0].members) == 5
    assert len(make_model(world(reported_members=40, member_cap=3)).networks[0].members) == 3


def test_seeding_skips_cities_that_care_too_little_about_the_focus():
    data = world(reported_members=3, seed_min_interest=0.5)
    data["subnationals"][9]["interests"] = {"water": 1.0}  # the largest: no interest in economy
    assert make_model(data).spec.networks[0].members == ["c8", "c7", "c6"]


def test_seed_largest_sets_the_seeded_count_instead_of_the_reported_figure():
    assert len(make_model(world(reported_members=6, seed_largest=2)).spec.networks[0].members) == 2


# ------------------------------------------------------------------ entry rules and admission


def test_scope_kinds_and_minimum_population_decide_who_is_eligible():
    model = make_model(world(scope=["EU", "JP"], min_population=3_000_000))
    eligible = {model.by_index(i).actor_id for i in model.networks[0].eligible}
    assert eligible == {"c2", "c3", "c4", "c5"}
    assert make_model(world(member_kinds=["region"])).networks[0].eligible.size == 0


def test_an_open_network_recruits_only_inside_its_scope():
    model = make_model(world(scope=["EU"], fee=0.0, recruitment_rate=3), EXACT, steps=12)
    members = model.networks[0].members
    assert len(members) == 5
    assert {continent_of(model.by_index(i).country) for i in members} == {"EU"}


def test_invitation_takes_the_most_populous_eligible_non_members_first():
    model = make_model(world(admission="invitation", fee=0.0, recruitment_rate=2, scope=["EU", "JP", "PE"]),
                       EXACT, steps=1)
    assert {model.by_index(i).actor_id for i in model.networks[0].members} == {"c6", "c5"}
    model.step()
    assert {model.by_index(i).actor_id for i in model.networks[0].members} == {"c6", "c5", "c4", "c3"}


def test_open_admission_draws_candidates_at_random_not_by_size():
    firsts = set()
    for seed in range(8):
        model = make_model(world(fee=0.0, recruitment_rate=1), EXACT, seed=seed, steps=1)
        firsts |= {model.by_index(i).actor_id for i in model.networks[0].members}
    assert len(firsts) > 2


def test_a_city_that_declines_an_invitation_is_asked_again_only_after_reinvite_months():
    data = world(admission="invitation", fee=0.5, recruitment_rate=1)
    data["subnationals"][9]["interests"] = {"economy": 0.1}  # the largest declines
    rules = {"networks": {"name": "recruitment", "tau": 0.0, "reinvite_months": 3}}
    model = make_model(data, rules)
    largest = model.by_id["c9"].index
    asked = []
    for _ in range(8):
        model.step()
        asked.append(model.networks[0].declined.get(largest))
    assert asked == [1, 1, 1, 1, 5, 5, 5, 5]  # declined in month 1, asked again in month 5 (after 3 months)
    assert largest not in model.networks[0].members
    assert len(model.networks[0].members) == 6  # the next largest joined meanwhile, one a month


def test_a_fractional_recruitment_rate_gives_that_many_candidates_a_month_on_average():
    sizes = members_by_step(make_model(world(admission="invitation", fee=0.0, recruitment_rate=0.25), EXACT, seed=3),
                            40)
    assert 4 <= sizes[-1] <= 10  # about 0.25 x 40 = 10, with at most the 10 cities


# ------------------------------------------------------------------ scope changes


def test_an_enlargement_widens_the_scope_and_the_cap_and_a_withdrawal_expels_members():
    changes = [{"step": 3, "add": ["JP", "PE"], "member_cap": 5},
               {"step": 5, "remove": ["FR"], "member_cap": 4, "note": "FR leaves"}]
    model = make_model(world(scope=["ES", "FR", "DE"], reported_members=2, member_cap=2, admission="invitation",
                             fee=0.0, recruitment_rate=5, scope_changes=changes), EXACT)
    ids = lambda: {model.by_index(i).actor_id for i in model.networks[0].members}  # noqa: E731
    assert ids() == {"c2", "c1"}
    members_by_step(model, 2)
    assert ids() == {"c2", "c1"}  # at its cap
    members_by_step(model, 1)
    assert ids() == {"c6", "c5", "c2", "c1", "c0"}  # month 3: Japan and Peru admitted, cap 5
    members_by_step(model, 2)
    assert ids() == {"c6", "c5", "c2", "c0"}  # month 5: France's member left, cap 4
    (left,) = [e for e in model.ledger.events if e.event == "left"]
    assert (left.step, left.actor, left.detail) == (5, model.by_id["c1"].index, "FR leaves")
    assert model.by_id["c1"].index not in model.network_members[0]
    assert not model.actors.membership[model.by_id["c1"].index, 0]
    assert [e.step for e in model.ledger.events if e.event == "scope_changed"] == [3, 5]


@pytest.mark.parametrize("change, field_path", [
    ({"step": 2, "add": ["JP"]}, "networks[0].scope_changes[0].step"),            # before the founding
    ({"step": 9, "remove": ["JP"]}, "networks[0].scope_changes[0].remove"),       # not in the scope
    ({"step": 9, "add": ["XX"]}, "networks[0].scope_changes[0].add"),             # unknown code
])
def test_bad_scope_changes_are_named(change, field_path):
    with pytest.raises(SchemaError) as err:
        scenario_from_data(world(scope=["EU"], founded_step=4, scope_changes=[change]), "f.yaml")
    assert err.value.field == field_path


def test_an_enlargement_of_a_global_network_is_refused():
    with pytest.raises(SchemaError) as err:
        scenario_from_data(world(scope_changes=[{"step": 2, "add": ["JP"]}]), "f.yaml")
    assert err.value.field == "networks[0].scope_changes[0].add"


def test_a_declaration_before_its_network_is_founded_is_refused():
    data = world(founded_step=10)
    data["timeline"] = {"declarations": [{"id": "d", "name": "D", "domain": "water", "convenor": "c0",
                                          "networks": ["net"], "step": 4}]}
    with pytest.raises(SchemaError) as err:
        scenario_from_data(data, "f.yaml")
    assert err.value.field == "timeline.declarations[0].step" and "month 10" in err.value.allowed


# ------------------------------------------------------------------ run-time parameters


def test_network_parameters_replace_the_file_and_move_the_growth():
    scenario = make_model(world(fee=0.0, recruitment_rate=1)).spec
    faster = with_network_parameters(scenario, {"net": {"recruitment_rate": 3.0, "fee": None}}, "config")
    assert faster.networks[0].recruitment_rate == 3.0 and faster.networks[0].fee == 0.0
    from model import DiplomacyModel, build_rules

    def grown(s):
        model = DiplomacyModel(s, build_rules(EXACT, "t"), rng=1)
        return members_by_step(model, 2)[-1]

    assert grown(faster) > grown(scenario)


@pytest.mark.parametrize("values, field_path, value, allowed", [
    ({"nope": {"fee": 1.0}}, "networks.nope", "nope", "ids of networks in the scenario: net"),
    ({"net": 3}, "networks.net", 3, "a mapping of recruitment_rate, fee"),
    ({"net": {"scope": ["EU"]}}, "networks.net.scope", "scope", "fields recruitment_rate, fee"),
    ({"net": {"fee": -1.0}}, "networks.net.fee", -1.0, "a number in [0, inf]"),
])
def test_bad_network_parameters_are_named(values, field_path, value, allowed):
    scenario = make_model(world()).spec
    with pytest.raises(SchemaError) as err:
        with_network_parameters(scenario, values, "override")
    assert (err.value.where, err.value.field, err.value.value, err.value.allowed) == (
        "override", field_path, value, allowed)


def test_the_countries_metric_counts_members_countries():
    model = make_model(world(reported_members=4, scope=["EU"]))
    assert network_countries(model, model.networks[0]) == 4
    frame = model.datacollector.get_model_vars_dataframe()
    assert frame["network_countries.net"].iloc[0] == 4 and frame["network_members.net"].iloc[0] == 4


# ------------------------------------------------------------------ the growth scenario


@pytest.fixture(scope="module")
def growth():
    return load_scenario(ROOT / "scenarios" / "network_growth.yaml")


def test_growth_scenario_pool_holds_europes_towns_and_the_worlds_cities(growth):
    background = [x for x in growth.subnationals if x.id.startswith("gn")]
    europe = [x.population for x in background if continent_of(x.country) == "EU"]
    elsewhere = [x.population for x in background if continent_of(x.country) != "EU"]
    assert min(europe) >= 15_000 and min(elsewhere) >= 100_000 and min(europe) < 20_000
    assert len(europe) > 8_000 and len(elsewhere) > 5_000


def test_growth_scenario_networks_start_at_their_founding_sizes(growth):
    nets = {n.id: n for n in growth.networks}
    sizes = {k: len(n.members) + sum(k in x.memberships and x.id not in n.members for x in growth.subnationals)
             for k, n in nets.items()}
    assert sizes == {"eurocities": 6, "iclei": 200, "committee_of_regions": 189, "uclg": 2, "c40": 18,
                     "covenant_of_mayors": 0}
    assert [n.founded_step for n in growth.networks] == [1, 57, 99, 221, 238, 265]
    by_id = {x.id: x for x in growth.subnationals}
    assert {by_id[m].country for m in nets["committee_of_regions"].members} <= set(nets["committee_of_regions"].scope)


def test_growth_scenario_founds_networks_in_order_and_the_covenant_stays_in_europe(growth):
    from model import DiplomacyModel

    model = DiplomacyModel(growth, rng=1)
    before = {n.actor_id for n in model.networks if n.founded}
    assert before == set()  # every network is founded during the run
    covenant = model.by_id["covenant_of_mayors"]
    assert {continent_of(model.by_index(i).country) for i in covenant.eligible.tolist()} == {"EU"}
    assert model.actors.population[covenant.eligible].min() < 100_000  # Europe's towns are in


# ------------------------------------------------------------------ founding and scope events in the ledger


def test_the_founding_is_a_ledger_event_of_the_network_and_sets_it_founded_that_month():
    model = make_model(world(founded_step=3, members=["c0"], fee=50.0), EXACT)
    net = model.networks[0]
    members_by_step(model, 2)
    assert not net.founded
    members_by_step(model, 1)
    assert net.founded
    (founded,) = [e for e in model.ledger.events if e.event == "founded"]
    assert (founded.step, founded.kind, founded.actor, founded.parties, founded.detail) == \
        (3, "event", net.index, (net.index,), "Net")


def test_founders_beyond_the_member_cap_do_not_join():
    model = make_model(world(founded_step=2, members=["c0", "c1", "c2"], member_cap=2, fee=50.0), EXACT)
    assert members_by_step(model, 3) == [0, 2, 2]
    founders = [model.by_index(e.actor).actor_id for e in model.ledger.events if e.detail == "founder"]
    assert founders == ["c0", "c1"]  # in the listed order, up to the cap


def test_continents_leaving_the_scope_take_their_members_out_and_the_change_is_recorded():
    changes = [{"step": 2, "remove": ["EU", "BR"], "add": ["JP", "PE"]}]
    model = make_model(world(scope=["EU", "BR"], reported_members=6, member_cap=6, fee=50.0,
                             scope_changes=changes), EXACT)
    net = model.networks[0]
    assert len(net.members) == 6
    members_by_step(model, 2)
    assert net.scope == ["JP", "PE"] and net.member_cap == 6  # no cap given: it stays
    assert net.members == set()
    assert {model.by_index(i).actor_id for i in net.eligible} == {"c5", "c6"}
    left = [(e.step, model.by_index(e.actor).actor_id) for e in model.ledger.events if e.event == "left"]
    assert left == [(2, f"c{k}") for k in (0, 1, 2, 3, 4, 8)]
    (changed,) = [e for e in model.ledger.events if e.event == "scope_changed"]
    assert (changed.kind, changed.actor, changed.parties, changed.detail) == \
        ("event", net.index, (net.index,), "add=JP,PE remove=EU,BR")


# ------------------------------------------------------------------ the recruitment rule, called directly


def test_a_fractional_rate_invites_its_whole_part_plus_one_with_the_fractional_probability():
    rule = InterestRecruitment()
    for rate, low, high in ((0.25, 0.2, 0.3), (1.75, 1.7, 1.8)):
        model = make_model(world(admission="invitation", recruitment_rate=rate))
        counts = [len(rule.invitees(model, model.networks[0])) for _ in range(2000)]
        assert set(counts) == {int(rate), int(rate) + 1} and low < np.mean(counts) < high


def test_a_network_at_its_cap_or_with_nobody_eligible_invites_nobody():
    rule = InterestRecruitment()
    for admission in ("open", "invitation"):
        full = make_model(world(reported_members=3, member_cap=3, recruitment_rate=5, admission=admission))
        assert rule.invitees(full, full.networks[0]).tolist() == []
    alone = make_model(world(scope=["JP"], recruitment_rate=1))
    assert rule.invitees(alone, alone.networks[0]).tolist() == [alone.by_id["c5"].index]  # the one eligible city
    room = make_model(world(reported_members=3, member_cap=5, recruitment_rate=5, admission="invitation"))
    assert len(rule.invitees(room, room.networks[0])) == 2  # the room left, not the rate
    nobody = make_model(world(member_kinds=["region"], recruitment_rate=5))
    assert rule.invitees(nobody, nobody.networks[0]).tolist() == []


def test_open_candidates_are_distinct_eligible_non_members():
    model = make_model(world(reported_members=3, scope=["EU"], recruitment_rate=8))
    net = model.networks[0]
    for _ in range(50):
        drawn = InterestRecruitment().invitees(model, net).tolist()
        assert len(set(drawn)) == len(drawn) and set(drawn) <= set(net.eligible.tolist()) - net.members
    seen = {i for _ in range(50) for i in InterestRecruitment().invitees(model, net).tolist()}
    assert seen == set(net.eligible.tolist()) - net.members  # both non-members of the scope are drawn


def test_the_benefit_is_the_mean_focus_interest_raised_by_the_networks_size():
    data = world(reported_members=5, focus=["economy", "water"])
    for c in data["subnationals"]:
        c["interests"] = {"economy": 1.0, "water": 0.5}
    model = make_model(data)
    net, outsider = model.networks[0], np.array([model.by_id["c0"].index])
    benefit = 0.75 * (1 + 0.3 * np.log1p(5 / 100))  # mean focus interest 0.75, five members

    def joins(fee, **rule):
        net.fee = fee
        return InterestRecruitment(**{"tau": 0.0, **rule}).accepts(model, net, outsider).tolist() == [True]

    assert joins(benefit - 1e-9) and not joins(benefit + 1e-9)
    assert joins(0.75 - 1e-9, size_effect=0.0) and not joins(0.75, size_effect=0.0)  # equal to the fee: no
    assert not joins(0.75 * (1 + 0.2 * np.log1p(5 / 100)) + 1e-9, size_effect=0.2)


def test_the_gumbel_shock_of_scale_tau_is_drawn_for_each_candidate():
    model = make_model(world())
    net = model.networks[0]
    net.fee = 1.0 + 0.5  # the interest (1.0) falls 0.5 short of the fee
    candidates = np.full(4000, model.by_id["c0"].index)
    share = InterestRecruitment(tau=1.0, size_effect=0.0).accepts(model, net, candidates).mean()
    assert abs(share - (1 - np.exp(-np.exp(-0.5)))) < 0.03  # P(ε > 0.5) for ε ~ Gumbel(0, 1): 0.455
    assert InterestRecruitment(tau=0.0, size_effect=0.0).accepts(model, net, candidates).sum() == 0
