"""The outcomes come from the mechanisms: volumes, each government's regime, feedbacks, streams, state.

Each test names the mechanism it checks and fails when that mechanism is
switched off or broken.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TINY, city, ledger_events, make_model
from experiments.config import PROJECT_ROOT, load_scenario
from experiments.outputs import agents_table, metrics_table, utilisation_table
from model import DiplomacyModel, build_rules, with_oversight
from model.model import STREAMS
from model.scenario import DEFAULT_AGENDA, DOMAINS

ECONOMY = DOMAINS.index("economy")
CULTURE = DOMAINS.index("culture")


def scenario(name: str, min_population: int | None = None):
    return load_scenario(PROJECT_ROOT / "scenarios" / f"{name}.yaml", min_population)


def two_cities(**rules):
    """Two cities in friendly, tolerant countries, under ``rules``."""
    data = {"name": "pair",
            "subnationals": [city("a", "FR", 48.9, 2.3, interests={"economy": 1.0, "culture": 1.0}),
                             city("b", "IT", 41.9, 12.5, interests={"economy": 1.0, "culture": 1.0})],
            "nationals": [{"id": "fr", "name": "FR", "country": "FR", "stance": 1.0, "oversight": "permissive"},
                          {"id": "it", "name": "IT", "country": "IT", "stance": 1.0, "oversight": "permissive"}],
            "relations": [{"a": "FR", "b": "IT", "value": 0.0}]}
    return make_model(data, rules=rules)


# ------------------------------------------------------------------ agreements in force


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), renewal=st.sampled_from(["merits", "lapse"]),
       oversight=st.sampled_from(["permissive", "supervisory", "restrictive"]))
def test_never_two_agreements_in_force_for_one_pair_and_domain_and_withdrawals_on_merits(classroom, seed, renewal,
                                                                                          oversight):
    model = DiplomacyModel(classroom, build_rules({"renewal": {"name": renewal},
                                                  "oversight": {"name": oversight}}, "t"), rng=seed)
    for _ in range(18):
        model.step()
        keys = [(min(ag.parties), max(ag.parties), DOMAINS.index(ag.domain)) for ag in model.pair_agreements()]
        assert len(keys) == len(set(keys))
        assert set(keys) == model.pair_domains
        assert all(model.partners[i][j] == sum(1 for k in keys if k[:2] == (min(i, j), max(i, j)))
                   for i, js in model.partners.items() for j in js)
        ends = model.pair_edges.array()  # the graph's edges and each actor's count are those agreements'
        assert sorted(map(tuple, ends.tolist())) == sorted(k[:2] for k in keys)
        assert model.actors.partnered.tolist() == np.bincount(ends.ravel(), minlength=len(model.actors.partnered)).tolist()
        crossing = np.zeros_like(model.cross_border)  # the relations rule's counts are those of the agreements
        for ag in model.pair_agreements():
            c, d = model.actors.country[list(ag.parties)]
            if c != d and ag.status == "active" and any(model.is_subnational(p) for p in ag.parties):
                crossing[c, d] += 1
                crossing[d, c] += 1
        np.testing.assert_array_equal(crossing, model.cross_border)
    for ag in model.agreements.values():  # a subnational's own proposals are bilateral agreements
        if model.is_subnational(ag.parties[0]) and ag.kind != "declaration":
            assert ag.kind == "bilateral"
    for e in model.ledger.events:
        if e.event == "withdrawn":  # a side's utility had turned negative, before its term
            assert min(utilities_of(e.detail)) < 0 and model.agreements[e.agreement_id].expires_step > e.step
        elif e.event == "expired" and e.detail:  # at term, not renewed
            assert model.agreements[e.agreement_id].expires_step == e.step


def utilities_of(detail: str) -> list[float]:
    return [float(u) for u in detail.removeprefix("u=").split(",")]


def test_every_withdrawn_agreement_had_a_side_with_negative_utility():
    model = DiplomacyModel(scenario("article"), rng=3)
    for _ in range(48):
        model.step()
    withdrawn = [e for e in model.ledger.events if e.event == "withdrawn"]
    assert len(withdrawn) > 20  # the property below is not vacuous
    for e in withdrawn:
        assert min(utilities_of(e.detail)) < 0
        ag = model.agreements[e.agreement_id]
        assert ag.expires_step > e.step  # withdrawn before its term, on its merits
    lapsed = [e for e in model.ledger.events if e.event == "expired" and e.detail]
    renewed = [e for e in model.ledger.events if e.event == "renewed"]
    assert lapsed and renewed
    cost = model.rules.renewal.renewal_cost
    assert all(min(utilities_of(e.detail)) < cost for e in lapsed)
    assert all(min(utilities_of(e.detail)) >= cost for e in renewed)


def test_renewal_on_merits_keeps_agreements_that_lapse_without_it(classroom):
    def in_force(renewal):
        model = DiplomacyModel(classroom, build_rules({"renewal": {"name": renewal},
                                                      "expiry": {"name": "fixed", "months": 6}}, "t"), rng=4)
        for _ in range(36):
            model.step()
        return model
    merits, lapse = in_force("merits"), in_force("lapse")
    assert not ledger_events(lapse, "renewed") and not ledger_events(lapse, "withdrawn")
    assert ledger_events(merits, "renewed")
    assert merits.active_total > lapse.active_total


def test_a_withdrawal_follows_a_value_that_turned_negative():
    model = two_cities(utility={"name": "mutual_consent", "tau": 0.0})
    ag = model.negotiate((0, 1), ECONOMY, "bilateral")
    assert ag.live
    model.actors.interests[:, ECONOMY] = 0.0  # the shared interest is gone
    model.actors.gdp[:] = 1.0
    for _ in range(13):
        model.step()
    assert ag.status == "withdrawn"
    assert ledger_events(model, "withdrawn") == [(12, None)]


# ------------------------------------------------------------------ volumes emerge


def test_a_proposer_skips_candidates_without_room_this_year():
    data = dict(TINY, subnationals=[dict(s, interests={"economy": 1.0}) for s in TINY["subnationals"]])
    model = make_model(data, rules={"utility": {"name": "mutual_consent", "tau": 0.0, "proposal_cost": 0.0},
                                    "oversight": {"name": "permissive", "scrutiny": 0.0}})
    lisbon, tokyo = model.by_id["lisbon"].index, model.by_id["tokyo"].index
    model.actors.signed_this_year[lisbon] = model.actors.capacity[lisbon]  # the nearer one is full
    ag = model.offer(0, np.array([lisbon, tokyo]), ECONOMY, "bilateral")
    assert ag is not None and ag.parties == (0, tokyo) and ag.live


def test_capacity_is_a_ceiling_not_a_target():
    def signed_per_actor(capacity):
        data = dict(TINY, subnationals=[dict(s, capacity=capacity) for s in TINY["subnationals"]])
        model = make_model(data, seed=2, steps=24)
        return sum(int(s.sum()) for _, s, _ in model.utilisation_log) / len(model.pool)
    low, high = signed_per_actor(6.0), signed_per_actor(60.0)
    assert high < 4 * low  # ten times the capacity does not sign ten times as much
    assert high > low


def test_proposal_cost_and_saturation_move_the_volume(classroom):
    def signed(**utility):
        model = DiplomacyModel(classroom, build_rules({"utility": {"name": "mutual_consent", **utility}}, "t"), rng=6)
        for _ in range(24):
            model.step()
        return len(ledger_events(model, "signed")) - len(classroom.agreements)
    base = signed()
    assert signed(proposal_cost=3.0) < 0.5 * base
    assert signed(domain_saturation=5.0, pair_saturation=5.0) < base
    assert signed(capacity_price=0.0) > signed(capacity_price=5.0)


def test_utilisation_is_in_the_metrics_and_its_own_table():
    model = make_model(TINY, seed=1, steps=24)
    table = utilisation_table(model)
    assert sorted(table["year"].unique()) == [1, 2]
    assert (table["signed"] <= table["capacity"]).all()
    np.testing.assert_allclose(table["utilisation"], table["signed"] / table["capacity"])
    metrics = metrics_table(model)
    assert {"utilisation", "at_capacity", "declined", "renewed", "withdrawn"} <= set(metrics["metric"])
    signed = [e for e in model.ledger.events if e.event == "signed" and e.step > 0]
    assert signed and all(e.detail.startswith("used=") for e in signed)
    used, capacity = signed[-1].detail.removeprefix("used=").split(",")[0].split("/")
    assert int(used) <= float(capacity) == model.actors.capacity[signed[-1].parties[0]]
    year_end = metrics[(metrics.metric == "utilisation") & (metrics.step == 12)].value.item()
    first = table[table.year == 1]
    subnational = first[first.actor_id.isin([a.actor_id for a in model.subnationals])]
    assert year_end == pytest.approx(subnational.signed.sum() / subnational.capacity.sum())


# ------------------------------------------------------------------ each government its own regime


def test_each_government_has_its_own_regime_in_one_run():
    model = DiplomacyModel(scenario("article"), rng=1)
    regime = {g.actor_id: g.oversight.name for g in model.nationals}
    assert (regime["gov_CN"], regime["gov_BR"], regime["gov_ES"]) == ("restrictive", "permissive", "supervisory")
    table = agents_table(model).set_index("actor_id")
    assert table.loc["gov_CN", "oversight"] == "restrictive" and table.loc["shanghai", "oversight"] == ""
    default = model.rules.oversight.name
    generated = [g for g in model.nationals if g.actor_id not in {n.id for n in scenario("article").nationals
                                                                  if n.oversight}]
    assert generated and all(g.oversight.name == default for g in generated)


def test_generated_governments_have_an_agenda_a_restrictive_regime_can_approve():
    data = {"name": "g", "subnationals": [city("a", "CN", 31, 121), city("b", "JP", 35.7, 139.7)],
            "relations": [{"a": "CN", "b": "JP", "value": 0.5}]}
    model = make_model(data, rules={"oversight": {"name": "restrictive"}})
    government = model.government_of(0)
    assert government.agenda_domains == {DOMAINS.index(d) for d in DEFAULT_AGENDA}
    assert government.oversight.approves(model, 0, 1, ECONOMY)


def test_with_oversight_changes_one_government_and_nothing_else():
    base = scenario("shanghai")
    changed = with_oversight(base, {"gov_CN": "permissive"}, "t")
    before = {n.id: n for n in base.nationals}
    for n in changed.nationals:
        assert (n.oversight == "permissive") if n.id == "gov_CN" else (n == before[n.id])


@pytest.mark.parametrize("regime,stances", [("permissive", (1.0, 0.0)), ("supervisory", (0.2, 0.9)),
                                            ("restrictive", (0.0, 1.0))])
def test_a_stance_change_acts_under_every_regime(regime, stances):
    def approvals(stance):
        data = {"name": "s", "subnationals": [city("a", "CN", 31, 121, autonomy=0.5), city("b", "US", 37, -122)],
                "nationals": [{"id": "cn", "name": "CN", "country": "CN", "stance": stances[0],
                               "oversight": regime, "agenda": {"culture": 1.0}}],
                "timeline": {"stance_changes": [{"name": "turn", "actor": "cn", "step": 1, "stance": stance}]}}
        model = make_model(data, rules={"voice": {"name": "none"}}, steps=1)
        return np.mean([model.government_of(0).oversight.approves(model, 0, 1, ECONOMY) for _ in range(1500)])
    assert abs(approvals(stances[1]) - approvals(stances[0])) > 0.06


def test_the_ledger_names_who_approved_vetoed_and_defied():
    data = {"name": "l", "subnationals": [city("a", "CN", 31, 121, assertiveness=1.0), city("b", "US", 37, -122)],
            "nationals": [{"id": "cn", "name": "CN", "country": "CN", "stance": 0.0, "oversight": "restrictive",
                           "agenda": {"culture": 1.0}},
                          {"id": "us", "name": "US", "country": "US", "stance": 1.0, "oversight": "permissive"}]}
    model = make_model(data)
    ag = model.negotiate((0, 1), ECONOMY, "bilateral")
    events = {e.event: e for e in model.ledger.events if e.agreement_id == ag.id}
    cn, us = model.by_id["cn"].index, model.by_id["us"].index
    assert (events["vetoed"].actor, events["vetoed"].detail) == (cn, "a")
    assert (events["approved"].actor, events["approved"].detail) == (us, "b")
    assert events["contested"].actor == 0 and ag.status == "contested"


def test_a_joining_is_recorded_in_its_month_with_member_and_network():
    data = dict(TINY, networks=[dict(TINY["networks"][0], fee=50.0)])  # nobody joins on their own
    model = make_model(data, steps=2)
    model.join(model.by_id["cairo"].index, model.networks[0])
    (event,) = [e for e in model.ledger.events if e.event == "joined" and e.actor == model.by_id["cairo"].index]
    assert event.step == 2 and event.parties == (model.by_id["cairo"].index, model.networks[0].index)
    assert event.kind == "membership" and event.domain == "economy"


def test_governments_sit_at_their_capital_and_keep_only_weighted_agenda_domains():
    data = {"name": "g", "subnationals": [city("a", "CN", 31, 121), city("b", "US", 37, -122)],
            "nationals": [{"id": "cn", "name": "CN", "country": "CN", "stance": 0.5, "lat": 39.9, "lon": 116.4,
                           "agenda": {"economy": 1.0, "culture": 0.0}}]}
    model = make_model(data)
    government = model.by_id["cn"]
    assert (government.lat, government.lon) == (39.9, 116.4)
    assert government.agenda_domains == {ECONOMY}


def test_a_review_values_the_agreement_as_held():
    model = two_cities(utility={"name": "mutual_consent", "tau": 0.0})
    ag = model.negotiate((0, 1), ECONOMY, "bilateral", shocks=(0.25, -0.5))
    from model.rules.renewal import side_utilities
    v_i, v_j = model.rules.utility.systematic(model, 0, np.array([1]), ECONOMY, in_force=True)
    assert side_utilities(model, ag) == pytest.approx((v_i[0] + 0.25, v_j[0] - 0.5))


def test_state_relations_are_counted_by_kind(classroom):
    counted = []
    for seed in (3, 7):  # about half the seeds have none in force at month 36
        model = DiplomacyModel(classroom, rng=seed)
        for _ in range(36):
            model.step()
        metrics = metrics_table(model)
        final = metrics[metrics.step == 36].set_index("metric").value
        in_force = sum(1 for ag in model.live.values() if ag.kind == "state_relation")
        assert final["active_by_kind.state_relation"] == in_force
        counted.append(in_force)
    assert max(counted) > 0


def test_a_rule_group_that_is_not_a_mapping_is_named():
    from model.validation import SchemaError
    with pytest.raises(SchemaError) as err:
        build_rules({"partner": 3}, "config")
    assert (err.value.field, err.value.value, err.value.allowed) == ("rules.partner", 3,
                                                                     "a mapping with a 'name' and its parameters")


def test_a_stance_change_can_switch_the_regime():
    data = {"name": "s", "subnationals": [city("a", "CN", 31, 121), city("b", "US", 37, -122)],
            "nationals": [{"id": "cn", "name": "CN", "country": "CN", "stance": 0.1, "oversight": "permissive"}],
            "timeline": {"stance_changes": [{"name": "crackdown", "actor": "cn", "step": 2, "stance": 0.1,
                                             "oversight": "restrictive"}]}}
    model = make_model(data, steps=1)
    assert model.government_of(0).oversight.name == "permissive"
    model.step()
    assert model.government_of(0).oversight.name == "restrictive"


# ------------------------------------------------------------------ feedbacks


def test_agreements_kept_build_trust_and_withdrawals_break_it():
    model = two_cities()
    ag = model.negotiate((0, 1), ECONOMY, "bilateral")
    gain = model.rules.experience.trust_gain
    model.experience.kept(ag)
    model.experience.kept(ag)
    assert model.pair_trust[(0, 1)] == pytest.approx(1 - (1 - gain) ** 2)
    model.experience.broken(ag)
    assert model.pair_trust[(0, 1)] == pytest.approx((1 - (1 - gain) ** 2) * (1 - model.rules.experience.trust_loss))
    assert model.trust(0, np.array([1]))[0] == model.pair_trust[(0, 1)]
    assert 0 <= model.pair_trust[(0, 1)] <= 1


def test_standing_grows_with_agreements_in_force_and_decays_when_idle():
    model = two_cities(renewal={"name": "lapse"}, expiry={"name": "fixed", "months": 6},
                       utility={"name": "mutual_consent", "proposal_cost": 50.0})  # nobody proposes
    model.negotiate((0, 1), ECONOMY, "bilateral")
    for _ in range(5):
        model.step()
    r = model.rules.experience
    expected = sum(r.standing_gain / 12 * (1 - r.standing_decay) ** k for k in range(5))
    assert model.actors.standing[0] == pytest.approx(expected)
    for _ in range(12):
        model.step()  # the agreement lapsed at month 6: idle since
    assert model.actors.degree[0] == 0
    assert model.actors.standing[0] < 0.9 * expected
    assert model.visibility(0) == pytest.approx(model.actors.profile[0] + model.actors.standing[0])


def test_without_experience_nothing_accumulates(classroom):
    model = DiplomacyModel(classroom, build_rules({"experience": {"name": "none"}}, "t"), rng=2)
    for _ in range(60):
        model.step()
    assert not model.pair_trust and not model.actors.standing.any()


def test_success_breeds_partners(classroom):
    """Standing is rich-get-richer as a mechanism: with it, agreements concentrate on fewer actors."""
    def concentration(experience):
        totals = []
        for seed in range(3):
            model = DiplomacyModel(classroom, build_rules({"experience": experience}, "t"), rng=seed)
            for _ in range(48):
                model.step()
            totals.append(model.actors.standing[model.pool].max())
        return np.mean(totals)
    assert concentration({"name": "standing", "standing_gain": 0.5}) > concentration({"name": "none"}) + 0.5


def test_collective_voice_moves_a_government_toward_tolerance():
    def stance(rule, steps=24):
        data = {"name": "v", "subnationals": [city("a", "CN", 31, 121, memberships=["net"]), city("b", "US", 37, -122)],
                "nationals": [{"id": "cn", "name": "CN", "country": "CN", "stance": 0.1}],
                "networks": [{"id": "net", "name": "Net", "focus": ["economy"], "seat": "a", "recruitment_rate": 0}]}
        return make_model(data, rules={"voice": rule}, steps=steps).government_of(0).stance
    rule = {"name": "collective_voice", "rate": 0.1, "reach": 0.5}
    target = 0.1 + 0.9 * 0.5  # every city of CN is in a network
    assert stance(rule) == pytest.approx(target - (target - 0.1) * 0.9 ** 24)
    assert stance({"name": "none"}) == 0.1


def test_collective_voice_leaves_a_country_without_cities_at_its_stance():
    """ZA, last of the countries in order, has a government and no city: no pressure on it."""
    data = {"name": "v", "subnationals": [city("a", "CN", 31, 121, memberships=["net"]), city("b", "US", 37, -122)],
            "nationals": [{"id": "cn", "name": "CN", "country": "CN", "stance": 0.1},
                          {"id": "za", "name": "ZA", "country": "ZA", "stance": 0.3}],
            "networks": [{"id": "net", "name": "Net", "focus": ["economy"], "seat": "a", "recruitment_rate": 0}]}
    model = make_model(data, rules={"voice": {"name": "collective_voice", "rate": 0.1, "reach": 0.5}}, steps=3)
    assert model.countries[-1] == "ZA" and model.by_id["za"].stance == 0.3 and model.by_id["cn"].stance > 0.1


def test_a_world_of_governments_only_runs():
    """No subnational at all: an empty pool of partners, no voice to weigh; the governments still step."""
    data = {"name": "g", "subnationals": [], "networks": [],
            "nationals": [{"id": "es", "name": "ES", "country": "ES", "stance": 0.5},
                          {"id": "fr", "name": "FR", "country": "FR", "stance": 0.5}]}
    model = make_model(data, rules={"voice": {"name": "collective_voice", "rate": 0.1}}, steps=3)
    assert len(model.pool) == 0 and model.month == 3


def test_relations_warm_with_cross_border_agreements_and_cool_with_contested_ones():
    def relation(status, rule):
        model = two_cities(relations=rule)
        ag = model.negotiate((0, 1), ECONOMY, "bilateral")
        if status == "contested":
            model.count_live(ag, -1)
            ag.status = "contested"
            model.count_live(ag, +1)
        model.relations_dynamics.step()
        return model.relation(0, 1)
    rule = {"name": "cooperation", "rate": 0.5, "scale": 1.0, "contested_weight": 3.0}
    assert relation("active", rule) == pytest.approx(0.5 * np.tanh(1.0))
    assert relation("contested", rule) == pytest.approx(0.5 * np.tanh(-3.0))
    assert relation("active", {"name": "fixed"}) == 0.0


# ------------------------------------------------------------------ initial state, streams, state


def test_every_process_draws_from_its_own_named_stream(article):
    """Two years of ``article`` (every process at work) ask for exactly the named streams; another name is refused."""
    model = DiplomacyModel(article, rng=1)
    for _ in range(24):
        model.step()
    assert set(model._streams) == STREAMS
    with pytest.raises(KeyError, match="no random stream named 'partners'"):
        model.stream("partners")


def test_initial_agreements_are_in_force_at_step_0_in_every_seed(classroom):
    for seed in range(200):
        model = DiplomacyModel(classroom, rng=seed)
        live = [ag for ag in model.live.values() if set(ag.parties) == {model.by_id["barcelona"].index,
                                                                        model.by_id["san_francisco"].index}]
        assert len(live) == 1 and live[0].expires_step > 0, seed
        assert not [ag for ag in model.agreements.values() if ag.status == "proposed"]
    (signed,) = [e for e in model.ledger.events if e.event == "signed" and e.agreement_id == live[0].id]
    assert signed.detail == "initial" and signed.step == live[0].signed_step


@pytest.mark.parametrize("expiry,duration,expected_end", [({"name": "fixed", "months": 12}, None, 6),  # renewed
                                                         ({"name": "fixed", "months": 48}, None, 18),
                                                         ({"name": "geometric"}, 40, 10)])  # the file's own
def test_an_old_initial_agreement_ends_with_its_current_term(expiry, duration, expected_end):
    data = dict(TINY, agreements=[{"id": "old", "parties": ["madrid", "lisbon"], "domain": "economy",
                                   "signed_step": -30, "duration": duration}])
    model = make_model(data, rules={"expiry": expiry})
    (ag,) = model.live.values()
    assert ag.signed_step == -30 and ag.expires_step == expected_end


def test_an_initial_agreement_of_three_parties_lapses_at_its_term():
    """Not a pair: no renewal is valued and the coalition ties ignore it; it expires at its term."""
    data = dict(TINY, agreements=[{"id": "three", "parties": ["madrid", "lisbon", "paris"], "domain": "economy",
                                   "duration": 3}])
    model = make_model(data, steps=4)
    (ag,) = [ag for ag in model.agreements.values() if len(ag.parties) == 3]
    assert (ag.status, ag.expires_step) == ("expired", 3)
    assert [(e.step, e.event) for e in model.ledger.events if e.parties == ag.parties] == [(0, "signed"), (3, "expired")]


def test_timed_events_about_an_actor_name_it_as_their_party():
    data = {"name": "s", "subnationals": [city("a", "CN", 31, 121), city("b", "US", 37, -122)],
            "nationals": [{"id": "cn", "name": "CN", "country": "CN", "stance": 0.5}],
            "timeline": {"stance_changes": [{"name": "turn", "actor": "cn", "step": 1, "stance": 0.2}],
                         "crises": [{"name": "drought", "domain": "water", "step": 1, "months": 2}]}}
    model = make_model(data, steps=1)
    events = {e.event: e for e in model.ledger.events if e.kind == "event"}
    government = model.by_id["cn"].index
    assert events["stance_change"].parties == (government,) and events["stance_change"].actor == government
    assert events["crisis_start"].parties == () and events["crisis_start"].actor is None


def test_a_file_duration_that_lapsed_before_the_start_is_an_error():
    from model.validation import SchemaError
    data = dict(TINY, agreements=[{"id": "old", "parties": ["madrid", "lisbon"], "domain": "economy",
                                   "signed_step": -30, "duration": 12}])
    with pytest.raises(SchemaError, match="agreements\\[0\\].duration"):
        make_model(data)


def test_switching_off_a_process_that_feeds_nothing_back_leaves_the_others_identical():
    istanbul = scenario("istanbul_water")

    def events(coalition):
        model = DiplomacyModel(istanbul, build_rules({"coalition": {"name": coalition}}, "t"), rng=11)
        for _ in range(30):
            model.step()
        return [e for e in model.ledger.events if e.event in ("endorsed", "adopted", "signed", "vetoed")]
    landscape, none = events("landscape"), events("none")
    assert len([e for e in landscape if e.event == "endorsed"]) > 50
    assert landscape == none


def test_one_rule_set_serves_two_models_stepped_alternately(classroom):
    rules = build_rules({}, "t")
    tiny = make_model(TINY).spec

    def tables(model):
        return metrics_table(model), [e for e in model.ledger.events]
    a, b = DiplomacyModel(classroom, rules, rng=5), DiplomacyModel(tiny, rules, rng=5)
    for _ in range(12):
        a.step()
        b.step()
    alone_a, alone_b = DiplomacyModel(classroom, rules, rng=5), DiplomacyModel(tiny, rules, rng=5)
    for _ in range(12):
        alone_a.step()
    for _ in range(12):
        alone_b.step()
    for together, alone in ((a, alone_a), (b, alone_b)):
        (m1, l1), (m2, l2) = tables(together), tables(alone)
        assert m1.equals(m2) and l1 == l2
