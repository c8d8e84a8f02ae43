"""Each rule has a visible effect: these tests fail if a rule is replaced by a no-op."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import city, make_model
from model.rules import REGISTRIES, build_rules
from model.scenario import DOMAINS
from model.validation import SchemaError

ECONOMY = DOMAINS.index("economy")
DEFENCE = DOMAINS.index("defence")


def ring_world(n=40, **extra):
    """n cities in n countries spread over the globe, so every pair is foreign."""
    countries = ["ES", "PT", "FR", "JP", "PE", "EG", "DE", "IT", "BR", "AR", "CL", "MX", "CA", "US", "CN",
                 "IN", "KE", "NG", "ZA", "AU", "NZ", "RU", "TR", "IR", "PK", "TH", "VN", "ID", "PH", "KR",
                 "SE", "NO", "FI", "PL", "UA", "GR", "MA", "DZ", "SA", "CO"]
    rng = np.random.default_rng(0)
    subs = [city(f"c{k}", countries[k], float(rng.uniform(-50, 60)), float(rng.uniform(-170, 170)),
                 population=int(10 ** rng.uniform(4.5, 7.3)), **extra) for k in range(n)]
    return {"name": "ring", "subnationals": subs,
            "networks": [{"id": "net", "name": "Net", "focus": ["economy"], "seat": "c0"}]}


# ------------------------------------------------------------------ utility


def test_utility_matches_the_published_formula_with_diminishing_returns():
    model = make_model(ring_world(), rules={"utility": {"name": "mutual_consent", "tau": 0.0},
                                            "oversight": {"name": "permissive", "scrutiny": 0.0}})
    u, a = model.rules.utility, model.actors
    model.join(0, model.networks[0]); model.join(3, model.networks[0])
    model.pair_trust[(0, 3)] = 0.6
    a.standing[[0, 3]] = [0.5, 0.25]
    assert model.negotiate((0, 3), DOMAINS.index("culture"), "bilateral").live  # one in force for the pair
    assert model.negotiate((0, 7), ECONOMY, "bilateral").live                    # one in economy for actor 0
    js = np.array([3, 4])
    vi, vj = u.systematic(model, 0, js, ECONOMY)
    d = model.distance_km(0, js)
    common = (u.beta_interest * np.minimum(a.interests[0, ECONOMY], a.interests[js, ECONOMY])
              + u.beta_network * np.array([1, 0]) + u.beta_tie * np.array([0.6, 0.0]))
    benefit_i = common + u.beta_economy * np.log1p(a.gdp[js] / a.gdp[0]) + u.beta_profile * (a.profile[js] + [0.25, 0])
    benefit_j = common + u.beta_economy * np.log1p(a.gdp[0] / a.gdp[js]) + u.beta_profile * (a.profile[0] + 0.5)
    pair = 1 + u.pair_saturation * np.array([1, 0])
    loss = u.beta_distance * np.log1p(d / 1000) + u.cost["economy"]
    np.testing.assert_allclose(vi, benefit_i / (pair * (1 + u.domain_saturation * 1)) - loss)
    np.testing.assert_allclose(vj, benefit_j / (pair * 1) - loss)
    # valued while in force, the agreement under review is not counted against itself
    held_i, _ = u.systematic(model, 0, np.array([7]), ECONOMY, in_force=True)
    fresh_i, _ = u.systematic(model, 0, np.array([7]), ECONOMY)
    assert held_i[0] > fresh_i[0]


def test_logit_noise_accepts_a_zero_value_half_the_time():
    model = make_model(ring_world(), rules={"utility": {"name": "mutual_consent", "tau": 0.5}})
    eta_i, eta_j = model.rules.utility.shocks(model, 40_000)
    assert np.mean(eta_i > 0) == pytest.approx(0.5, abs=0.01)
    assert np.mean(eta_j > 0.5) == pytest.approx(1 / (1 + np.e), abs=0.01)  # logistic(-V/τ) at V = −0.5
    assert np.corrcoef(eta_i, eta_j)[0, 1] == pytest.approx(0.0, abs=0.02)   # both sides draw their own


def test_mutual_consent_blocks_agreements_one_side_refuses():
    data = ring_world()
    for sub in data["subnationals"][1:]:
        sub["interests"] = {"culture": 1.0}  # nobody else cares for the economy
    model = make_model(data, rules={"utility": {"name": "mutual_consent", "tau": 0.0}})
    js = np.arange(1, 40)
    outcome = model.offer(0, js, ECONOMY, "bilateral")
    assert outcome is None or outcome.status == "declined"
    assert not any(ag.live for ag in model.agreements.values())


def test_co_membership_raises_agreements():
    def signed(beta_network):
        data = ring_world(capacity=24.0)
        model = make_model(data, seed=3, rules={"utility": {"name": "mutual_consent", "beta_network": beta_network,
                                                            "default_cost": 2.6, "cost": {}},
                                                "partner": {"name": "random", "candidates": 4}})
        for k in range(40):
            model.join(k, model.networks[0])
        for _ in range(12):
            model.step()
        return sum(1 for ag in model.agreements.values()
                   if ag.signed_step is not None and all(model.is_subnational(p) for p in ag.parties))
    assert signed(1.5) > 1.5 * signed(0.0)


# ------------------------------------------------------------------ oversight


def oversight_model(oversight, stance=0.5, autonomy=0.5, relation=0.0, agenda=None):
    data = {"name": "o", "subnationals": [city("a", "CN", 31, 121, autonomy=autonomy), city("b", "US", 37, -122)],
            "nationals": [{"id": "cn", "name": "CN", "country": "CN", "stance": stance,
                           "agenda": agenda if agenda is not None else {"economy": 1.0}}],
            "relations": [{"a": "CN", "b": "US", "value": relation}]}
    return make_model(data, rules={"oversight": {"name": oversight}})


def approval_rate(model, domain=ECONOMY, n=2000):
    rule = model.government_of(0).oversight
    return np.mean([rule.approves(model, 0, 1, domain) for _ in range(n)])


@pytest.mark.parametrize("name", ["permissive", "supervisory", "restrictive"])
def test_reserved_domains_always_vetoed(name):
    model = oversight_model(name, stance=1.0, autonomy=1.0, relation=1.0, agenda={"defence": 1.0})
    assert approval_rate(model, DEFENCE, 200) == 0.0


def test_permissive_passes_everything_else_while_tolerant():
    assert approval_rate(oversight_model("permissive", stance=1.0, autonomy=0.0, relation=-1.0)) == 1.0
    # a crackdown (stance 0) makes even a permissive regime veto: 1 − scrutiny·(1 − stance)·(1 − autonomy)
    assert approval_rate(oversight_model("permissive", stance=0.0, autonomy=0.5)) == pytest.approx(0.9, abs=0.03)


def test_supervisory_probability_follows_stance_and_autonomy():
    rate = approval_rate(oversight_model("supervisory", stance=0.2, autonomy=0.5))
    assert rate == pytest.approx(0.2 + 0.8 * 0.5, abs=0.04)
    hostile = approval_rate(oversight_model("supervisory", stance=1.0, autonomy=1.0, relation=-0.6))
    assert hostile == 0.0
    cool = approval_rate(oversight_model("supervisory", stance=1.0, autonomy=1.0, relation=-0.3))
    assert cool == pytest.approx(0.7, abs=0.04)


def test_restrictive_needs_agenda_and_friendship_or_a_tolerant_stance():
    assert approval_rate(oversight_model("restrictive", relation=0.5)) == 1.0
    # off the agenda, or with an unfriendly nation: only with probability leniency·stance
    assert approval_rate(oversight_model("restrictive", relation=0.0, stance=1.0)) == pytest.approx(0.1, abs=0.02)
    assert approval_rate(oversight_model("restrictive", relation=0.5, agenda={"culture": 1.0},
                                         stance=0.5)) == pytest.approx(0.05, abs=0.015)
    assert approval_rate(oversight_model("restrictive", relation=0.0, stance=0.0)) == 0.0


@pytest.mark.parametrize("assertiveness,expected", [(1.0, "contested"), (0.0, "vetoed")])
def test_vetoed_actor_signs_anyway_with_probability_assertiveness(assertiveness, expected):
    data = {"name": "c", "subnationals": [city("a", "ES", 41, 2, assertiveness=assertiveness),
                                          city("b", "US", 37, -122)],
            "nationals": [{"id": "es", "name": "ES", "country": "ES", "stance": 0.0, "agenda": {}},
                          {"id": "us", "name": "US", "country": "US", "stance": 1.0, "agenda": {"economy": 1}}],
            "relations": [{"a": "ES", "b": "US", "value": 1.0}]}
    model = make_model(data, rules={"oversight": {"name": "restrictive"}})
    statuses = {model.negotiate((0, 1), ECONOMY, "bilateral").status for _ in range(20)}
    assert statuses == {expected}


# ------------------------------------------------------------------ networks and expiry


def test_recruitment_fills_networks_up_to_the_cap():
    data = ring_world()
    data["networks"][0].update(member_cap=10, recruitment_rate=5, fee=0.1)
    model = make_model(data)
    for _ in range(30):
        model.step()
        assert len(model.networks[0].members) <= 10
    assert len(model.networks[0].members) == 10


def test_a_fee_above_every_benefit_recruits_nobody():
    data = ring_world()
    data["networks"][0].update(fee=50.0)
    model = make_model(data, steps=12)
    assert not model.networks[0].members


def test_recruitment_respects_scope():
    data = ring_world()
    data["networks"][0].update(scope=["EU"], recruitment_rate=20, fee=0.0)
    model = make_model(data, steps=12)
    countries = {model.by_index(i).country for i in model.networks[0].members}
    assert countries and countries <= {"ES", "PT", "FR", "DE", "IT", "SE", "NO", "FI", "PL", "UA", "GR", "RU"}


def test_fixed_term_agreements_expire_on_time():
    model = make_model(ring_world(), rules={"expiry": {"name": "fixed", "months": 5},
                                           "oversight": {"name": "permissive"}})
    ag = model.negotiate((0, 1), ECONOMY, "bilateral")
    assert ag.status == "active" and ag.expires_step == 5
    for _ in range(4):
        model.step()
    assert ag.status == "active"
    model.step()
    assert ag.status == "expired"
    assert ("expired", ag.id) in {(e.event, e.agreement_id) for e in model.ledger.events}


def test_geometric_terms_have_the_configured_mean():
    model = make_model(ring_world(), rules={"expiry": {"name": "geometric", "mean_months": 30}})
    durations = [model.rules.expiry.duration(model) for _ in range(4000)]
    assert np.mean(durations) == pytest.approx(30, rel=0.08)


# ------------------------------------------------------------------ registry


def test_every_registered_rule_builds_from_its_name():
    for group, registry in REGISTRIES.items():
        for name in registry.names():
            rules = build_rules({group: {"name": name}}, "t")
            assert getattr(rules, group).name == name


def test_unknown_rule_and_bad_parameter_are_refused():
    with pytest.raises(SchemaError, match="one of"):
        build_rules({"oversight": {"name": "nope"}}, "t")
    with pytest.raises(SchemaError, match="alpha"):
        build_rules({"partner": {"name": "gravity", "alpha": -1}}, "t")
