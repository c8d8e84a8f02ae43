"""Threshold declarations (Granovetter 1978): the plain cascade, and declarations in the model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_model, ledger_events
from model.rules import threshold_cascade
from model.rules.declarations import ThresholdDeclarations, cascade, share_of
from test_model import assert_ledger_matches_state
from test_rules import ring_world

SETTINGS = settings(max_examples=40, deadline=None)


# ------------------------------------------------------------------ the plain function


def test_granovetters_riot_on_a_complete_graph_of_100():
    everyone = np.ones((100, 100))
    thresholds = np.arange(100) / 99  # person k riots once k of the 99 others riot
    assert threshold_cascade(thresholds, everyone).all()
    raised = thresholds.copy()
    raised[1] = 2 / 99  # the person at 1 now needs 2: the cascade stops with the instigator
    joined = threshold_cascade(raised, everyone)
    assert joined.sum() == 1 and joined[0]


def test_zero_thresholds_join_at_once_and_isolated_actors_do_not_follow():
    adjacency = np.zeros((3, 3))
    adjacency[0, 1] = adjacency[1, 0] = 1
    np.testing.assert_array_equal(threshold_cascade([0.0, 0.5, 0.1], adjacency), [True, True, False])
    np.testing.assert_array_equal(threshold_cascade([-0.2, 0.0, 0.3], adjacency), [True, True, False])


def test_a_cascade_of_some_rounds_spreads_one_neighbour_a_round():
    """On a path 0–1–2–3–4 with only 0 at threshold 0, round r reaches actor r − 1."""
    adjacency = np.eye(5, k=1) + np.eye(5, k=-1)
    share = share_of(lambda v: adjacency @ v, np.ones(5))
    thresholds, nobody = np.array([0.0, 0.5, 0.5, 0.5, 0.5]), np.zeros(5, dtype=bool)
    for rounds in range(1, 6):
        np.testing.assert_array_equal(cascade(thresholds, share, nobody, rounds=rounds), np.arange(5) < rounds)
    assert cascade(thresholds, share, nobody).all()


def test_weights_make_a_large_neighbour_count_more():
    # 0 watches 1 (weight 9) and 2 (weight 1); only 1 joins on its own
    adjacency = np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]])
    assert threshold_cascade([0.8, 0.0, 0.9], adjacency, weights=[1, 9, 1])[0]
    assert not threshold_cascade([0.8, 0.0, 0.9], adjacency)[0]


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 12))
    thresholds = np.array(draw(st.lists(st.floats(-0.2, 1.2), min_size=n, max_size=n)))
    edges = np.array(draw(st.lists(st.booleans(), min_size=n * n, max_size=n * n))).reshape(n, n)
    weights = np.array(draw(st.lists(st.floats(0.1, 10.0), min_size=n, max_size=n)))
    return thresholds, (edges | edges.T).astype(float), weights


@SETTINGS
@given(graphs())
def test_the_cascade_ends_at_the_smallest_fixed_point(case):
    thresholds, adjacency, weights = case
    joined = threshold_cascade(thresholds, adjacency, weights)
    a = adjacency.copy()
    np.fill_diagonal(a, 0)
    total = a @ weights
    share = np.divide(a @ (weights * joined), total, out=np.zeros(len(joined)), where=total > 0)
    assert not np.any(~joined & (share >= thresholds))  # a fixed point: nobody left out wants in
    assert joined[thresholds <= 0].all()
    lower = threshold_cascade(thresholds - 0.1, adjacency, weights)
    assert np.all(lower >= joined)  # lower thresholds never shrink the cascade


# ------------------------------------------------------------------ declarations in the model


def declaration_world(convenor="c0", step=3, months=4, **rule):
    data = ring_world()
    for sub in data["subnationals"]:
        sub["interests"] = {"economy": 1.0, "water": 1.0}
    data["networks"][0]["members"] = [f"c{k}" for k in range(0, 40, 2)]
    data["timeline"] = {"declarations": [{"id": "consensus", "name": "Consensus", "domain": "water",
                                          "convenor": convenor, "networks": ["net"], "step": step,
                                          "months": months}]}
    return data, {"declarations": {"name": "threshold", **rule}}


def endorsements(model):
    return ledger_events(model, "endorsed")


def test_a_declaration_opens_collects_signatures_in_its_window_and_closes():
    data, rules = declaration_world(step=3, months=4)
    model = make_model(data, rules=rules, steps=10)
    events = {e.event: e.step for e in model.ledger.events if e.event in ("opened", "closed")}
    assert events == {"opened": 3, "closed": 7}
    closed = next(e for e in model.ledger.events if e.event == "closed")
    assert closed.actor == closed.parties[0] == 0  # by its convenor
    signed = endorsements(model)
    assert signed[0] == (3, 0)  # the convenor signs at opening
    assert len(signed) > 5 and all(3 <= step < 7 for step, _ in signed)
    ag = model.declarations.agreements["consensus"]
    assert ag.kind == "declaration" and ag.status == "active" and ag.signed_step == 3
    assert list(ag.parties) == [actor for _, actor in signed]
    assert model.active_by_kind["declaration"] == 1
    assert model.datacollector.get_model_vars_dataframe()["declaration_signatories.consensus"].iloc[-1] == len(signed)
    assert_ledger_matches_state(model)


def test_a_network_convenor_opens_a_declaration_in_force_from_its_first_signature():
    data, rules = declaration_world(convenor="net", step=2, months=3, mean=0.9, spread=0.0,
                                    interest_effect=0.0, network_discount=0.0)
    model = make_model(data, rules=rules)
    model.step()
    model.step()
    ag = model.declarations.agreements["consensus"]
    assert ag.status == "proposed" and ag.parties == () and not ag.live  # nobody's threshold is reached
    data, rules = declaration_world(convenor="net", step=2, months=3)
    model = make_model(data, rules=rules, steps=3)
    ag = model.declarations.agreements["consensus"]
    assert ag.live and ag.convenor == model.by_id["net"].index and len(ag.parties) > 0


def test_declarations_leave_degrees_alone():
    data, rules = declaration_world(step=1, months=12)
    rules["voice"] = {"name": "none"}  # signatures move stances under collective voice: a channel of its own
    with_declaration = make_model(data, rules=rules)
    data.pop("timeline")
    without = make_model(data, rules=rules)
    for _ in range(8):
        with_declaration.step()
        without.step()
    np.testing.assert_array_equal(with_declaration.actors.degree, without.actors.degree)
    assert len(with_declaration.declarations.agreements["consensus"].parties) > 1


def test_backing_networks_members_sign_first():
    # a network convenes, so nobody signs at opening and the first round starts from no signatory:
    # every share is 0, and exactly the thresholds at 0 (the members') are reached, whatever the seed
    data, rules = declaration_world(convenor="net", step=1, months=1, mean=0.3, spread=0.0,
                                    interest_effect=0.0, network_discount=0.3)
    data["networks"][0]["fee"] = 50.0  # no recruitment: members are those at opening
    data["timeline"]["declarations"][0]["networks"] = []  # the convening network backs it all the same
    for seed in range(40):
        model = make_model(data, rules=rules, seed=seed, steps=1)
        signers = {actor for _, actor in endorsements(model)}
        assert signers == set(model.networks[0].members)  # thresholds 0 for members, 0.3 for the others


def two_network_world(**rule):
    """The declaration world with a second backing network: c0, c2, ... in ``net``; c0, c3, ... in ``net2``."""
    data, rules = declaration_world(**rule)
    data["networks"].append({"id": "net2", "name": "Net 2", "focus": ["water"], "seat": "c1", "fee": 50.0,
                             "members": [f"c{k}" for k in range(0, 40, 3)]})
    data["networks"][0]["fee"] = 50.0
    data["timeline"]["declarations"][0]["networks"] = ["net", "net2"]
    return data, rules


def test_membership_of_two_backing_networks_discounts_exactly_as_one():
    data, rules = two_network_world(mean=0.5, spread=0.0, interest_effect=0.0, network_discount=0.3)
    model = make_model(data, rules=rules)
    theta = model.rules.declarations.thresholds(model, model.spec.timeline.declarations[0], np.random.default_rng(0))
    both, one, other, none = theta[[0, 6, 12]], theta[[2, 4, 8]], theta[[3, 9, 15]], theta[[1, 5, 7]]
    np.testing.assert_allclose(np.concatenate([both, one, other]), 0.2)
    np.testing.assert_allclose(none, 0.5)


@SETTINGS
@given(distribution=st.sampled_from(["uniform", "normal"]), mean=st.floats(0.0, 1.0), spread=st.floats(0.0, 3.0),
       interest_effect=st.floats(0.0, 5.0), network_discount=st.floats(0.0, 1.0),
       interests=st.lists(st.floats(0.0, 1.0), min_size=40, max_size=40), seed=st.integers(0, 2**32 - 1))
def test_thresholds_are_shares_and_follow_the_documented_formula(distribution, mean, spread, interest_effect,
                                                                 network_discount, interests, seed):
    data, _ = two_network_world()
    for sub, w in zip(data["subnationals"], interests):
        sub["interests"] = {"economy": 1.0, "water": w}
    model = make_model(data)
    rule = ThresholdDeclarations(distribution=distribution, mean=mean, spread=spread,
                                 interest_effect=interest_effect, network_discount=network_discount)
    theta = rule.thresholds(model, model.spec.timeline.declarations[0], np.random.default_rng(seed))
    assert theta.shape == (40,) and np.all((theta >= 0) & (theta <= 1))
    rng = np.random.default_rng(seed)
    draw = rng.uniform(mean - spread, mean + spread, 40) if distribution == "uniform" else rng.normal(mean, spread, 40)
    backed = np.array([k % 2 == 0 or k % 3 == 0 for k in range(40)])
    expected = np.clip(np.clip(draw, 0, 1) + interest_effect * (1 - np.array(interests)) - network_discount * backed, 0, 1)
    np.testing.assert_allclose(theta, expected, rtol=0, atol=1e-12)


def test_neighbours_weigh_their_population():
    # c1 (not a member, θ = 0.6) has one agreement with the convenor c0 (9 million, signs at opening)
    # and one with c3 (1 million, θ = 0.6): a population-weighted share of 0.9, an equal share of 0.5
    for weight, signs in (("population", True), ("equal", False)):
        data, rules = declaration_world(step=1, months=1, mean=0.6, spread=0.0, interest_effect=0.0,
                                        network_discount=0.6, membership_weight=0.0, weight=weight)
        for sub in data["subnationals"]:
            sub["capacity"] = 1e-9  # no proposals: the ties are the two agreements below
        data["networks"][0]["fee"] = 50.0  # no recruitment: members are those at opening
        data["subnationals"][0]["population"], data["subnationals"][3]["population"] = 9_000_000, 1_000_000
        rules.update(oversight={"name": "permissive", "scrutiny": 0.0}, expiry={"name": "fixed", "months": 48})
        model = make_model(data, rules=rules)
        for partner in (0, 3):
            assert model.negotiate((1, partner), 0, "bilateral").status == "active"
        model.step()
        signers = {actor for _, actor in endorsements(model)}
        assert signers >= set(model.networks[0].members) and 3 not in signers
        assert (1 in signers) == signs, weight


def test_interest_raises_thresholds():
    data, rules = declaration_world(mean=0.3, spread=0.0, interest_effect=0.5, network_discount=0.0)
    data["subnationals"][5]["interests"] = {"economy": 1.0}  # no interest in water
    model = make_model(data, rules=rules)
    theta = model.rules.declarations.thresholds(model, model.spec.timeline.declarations[0], np.random.default_rng(0))
    assert theta[4] == pytest.approx(0.3) and theta[5] == pytest.approx(0.8)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), step=st.integers(1, 6), months=st.integers(1, 6))
def test_signatures_only_inside_the_window(seed, step, months):
    data, rules = declaration_world(step=step, months=months)
    model = make_model(data, rules=rules, seed=seed, steps=12)
    assert all(step <= s < step + months for s, _ in endorsements(model))
    signers = [actor for _, actor in endorsements(model)]
    assert len(signers) == len(set(signers))  # nobody signs twice
    assert_ledger_matches_state(model)
