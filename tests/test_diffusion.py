"""Diffusion of practices: word of mouth along ties (``cascade``) and Bass's aggregate model (``bass``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import city, make_model, ledger_events
from model.rules.diffusion import market_of
from test_rules import ring_world

RULES = ["cascade", "bass"]
NO_CAPACITY = 1e-9  # no proposals (capacity 0 would mean "the background's default")


def practice_world(p=0.0, q=0.0, step=0, rule="cascade", **params):
    data = ring_world()
    data["practices"] = [{"id": "plan", "name": "Plan", "domain": "economy", "origin": "c0",
                          "p": p, "q": q, "step": step}]
    data["networks"][0]["fee"] = 50.0  # nobody joins: ties are the agreements a test makes
    return data, {"diffusion": {"name": rule, **params}, "oversight": {"name": "permissive", "scrutiny": 0.0}}


def still_world(p, q, rule="cascade", **params):
    """A practice world where no agreement forms on its own (no capacity) or lapses (48-month terms)."""
    data, rules = practice_world(p=p, q=q, rule=rule, **params)
    for sub in data["subnationals"]:
        sub["capacity"] = NO_CAPACITY
    rules["expiry"] = {"name": "fixed", "months": 48}
    return data, rules


def adopters(model):
    return ledger_events(model, "adopted")


def tie(model, i, j, domains=1):
    """``domains`` agreements in force between subnationals i and j (one per domain, economy first)."""
    for d in range(domains):
        assert model.negotiate((i, j), d, "bilateral").status == "active"


# ------------------------------------------------------------------ both rules


@pytest.mark.parametrize("rule", ["cascade", "bass"])
def test_a_practice_starts_with_its_origin_in_its_month(rule):
    data, rules = practice_world(step=3, rule=rule)
    model = make_model(data, rules=rules, steps=4)
    assert adopters(model) == [(3, 0)]  # no innovation, no imitation: the origin alone, in month 3


def test_cascade_is_the_default_rule():
    model = make_model(ring_world())
    assert type(model.rules.diffusion).__name__ == "CascadeDiffusion"


@pytest.mark.parametrize("rule", RULES)
def test_without_innovation_or_imitation_only_the_origin_adopts(rule):
    data, rules = practice_world(p=0.0, q=0.0, rule=rule)
    model = make_model(data, rules=rules, steps=6)
    assert adopters(model) == [(0, 0)]


@pytest.mark.parametrize("rule", RULES)
def test_the_origin_adopts_in_the_practices_month_and_nothing_spreads_before(rule):
    data, rules = practice_world(p=1.0, q=0.0, step=3, rule=rule)
    model = make_model(data, rules=rules)
    model.step()
    model.step()
    assert adopters(model) == []
    model.step()
    assert adopters(model)[0] == (3, 0) and len(adopters(model)) == 40  # p = 1: everyone in month 3


@pytest.mark.parametrize("rule", RULES)
def test_innovation_alone_follows_the_bass_curve(rule):
    data, rules = practice_world(p=0.05, q=0.0, rule=rule, min_interest=0.0)  # q = 0: innovation only
    fractions = []
    for seed in range(10):
        model = make_model(data, rules=rules, seed=seed, steps=12)
        fractions.append((len(adopters(model)) - 1) / 39)
    assert np.mean(fractions) == pytest.approx(1 - 0.95 ** 12, abs=0.05)


@pytest.mark.parametrize("rule", RULES)
def test_actors_outside_the_market_never_adopt(rule):
    data, rules = practice_world(p=1.0, rule=rule, min_interest=0.5)
    for sub in data["subnationals"][10:]:
        sub["interests"] = {"economy": 0.2, "culture": 1.0}
    model = make_model(data, rules=rules)
    model.step()
    assert {actor for _, actor in adopters(model)} == set(range(10))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), p=st.floats(0.0, 0.1), q=st.floats(0.0, 0.5), rule=st.sampled_from(RULES))
def test_adoption_is_never_undone(seed, p, q, rule):
    data, rules = practice_world(p=p, q=q, rule=rule)
    data["networks"][0]["fee"] = 0.0
    model = make_model(data, rules=rules, seed=seed)
    before = model.diffusion.adopted.copy()
    for _ in range(10):
        model.step()
        assert np.all(model.diffusion.adopted >= before)
        before = model.diffusion.adopted.copy()
    actors = [actor for _, actor in adopters(model)]
    assert len(actors) == len(set(actors)) == int(model.diffusion.adopted.sum())
    curve = model.datacollector.get_model_vars_dataframe()["adopters.plan"]
    assert curve.is_monotonic_increasing


# ------------------------------------------------------------------ cascade (Goldenberg, Libai & Muller 2001)


def test_imitation_runs_along_agreements():
    data, rules = practice_world(p=0.0, q=1.0)
    model = make_model(data, rules=rules)
    for partner in (3, 7):
        tie(model, 0, partner)
    model.step()
    new = {actor for step, actor in adopters(model) if step == 1}
    assert {3, 7} <= new  # q = 1: every partner of an adopter adopts the next month


def test_the_cascade_probability_is_one_minus_resisting_innovation_and_every_tie():
    p, q, weight = 0.05, 0.3, 0.5
    data, rules = still_world(p, q, membership_weight=weight)
    data["networks"][0]["members"] = ["c0", "c31", "c32"]  # co-members of the origin: a = weight
    model = make_model(data, rules=rules)
    for j in range(1, 11):
        tie(model, 0, j, domains=1)  # a = 1
    for j in range(11, 21):
        tie(model, 0, j, domains=2)  # a = 2: two agreements in force with the origin
    tie(model, 21, 22)  # a tie between two non-adopters counts for nothing
    spec = model.spec.practices[0]
    market = np.ones(40, dtype=bool)
    prob = model.rules.diffusion.probabilities(model, spec, model.diffusion.adopted[0], market)
    a = np.zeros(40)
    a[1:11], a[11:21], a[[31, 32]] = 1, 2, weight
    np.testing.assert_allclose(prob[1:], 1 - (1 - p) * (1 - q) ** a[1:], rtol=0, atol=1e-12)
    assert prob[21] == pytest.approx(p) and prob[39] == pytest.approx(p)


def test_adopting_ties_raise_adoption_as_the_cascade_says():
    """First-month adoption rates by number of adopting ties a, over 40 seeds, against 1 − (1 − p)(1 − q)^a.

    10 actors per group and 40 seeds: 400 Bernoulli trials per group, tolerance 4 standard errors.
    """
    p, q = 0.05, 0.3
    data, rules = still_world(p, q)
    groups = {0: range(31, 40), 1: range(1, 11), 2: range(11, 21), 3: range(21, 31)}
    adopted = {a: 0 for a in groups}
    seeds = range(40)
    for seed in seeds:
        model = make_model(data, rules=rules, seed=seed)
        for a, actors in groups.items():
            for j in actors:
                if a:
                    tie(model, 0, j, domains=a)
        model.step()
        for a, actors in groups.items():
            adopted[a] += int(model.diffusion.adopted[0, list(actors)].sum())
    for a, actors in groups.items():
        trials = len(actors) * len(seeds)
        expected = 1 - (1 - p) * (1 - q) ** a
        assert adopted[a] / trials == pytest.approx(expected, abs=4 * np.sqrt(expected * (1 - expected) / trials))


def adopters_without_and_with_ties(data, rules, seed):
    """Adopters after 6 months of the same seeded run, without and then with ties to the origin."""
    runs = []
    for with_ties in (False, True):
        model = make_model(data, rules=rules, seed=seed)
        if with_ties:
            for j in range(1, 30):
                tie(model, 0, j, domains=2)
        for _ in range(6):
            model.step()
        runs.append(adopters(model))
    return runs


def test_without_imitation_ties_make_no_difference():
    """q = 0: P = p whatever the ties, so with the same seed the same actors adopt with and without ties."""
    without, with_ties = adopters_without_and_with_ties(*still_world(0.1, 0.0), seed=5)
    assert without == with_ties and len(without) > 5


# ------------------------------------------------------------------ bass (Bass 1969)


def bass_world(n=400, out_of_market=100):
    """n cities in 10 countries without capacity (no ties form); the last ``out_of_market`` care little for the economy."""
    countries = ["ES", "PT", "FR", "JP", "PE", "EG", "DE", "IT", "BR", "AR"]
    rng = np.random.default_rng(0)
    subs = [city(f"c{k}", countries[k % 10], float(rng.uniform(-50, 60)), float(rng.uniform(-170, 170)),
                 capacity=NO_CAPACITY, interests={"economy": 0.2 if k >= n - out_of_market else 1.0})
            for k in range(n)]
    return {"name": "bass", "subnationals": subs,
            "networks": [{"id": "net", "name": "Net", "focus": ["economy"], "seat": "c0"}]}


def test_bass_follows_the_discrete_bass_recursion():
    """Each month the new adopters are Binomial(m − N, p + q·N/m): their expectation is Bass's recursion.

    Over 8 fixed seeds × 30 months, Σ(new − (m − N)(p + qN/m)) / √Σ Var is a standardised sum of
    martingale differences (≈ N(0, 1)); tolerance |z| < 4.  The mean curve also stays within 5% of m
    of the deterministic recursion N ← N + (m − N)(p + qN/m) from N = 1.
    """
    p, q, months = 0.03, 0.4, 30
    data = bass_world()
    data["practices"] = [{"id": "plan", "name": "Plan", "domain": "economy", "origin": "c0", "p": p, "q": q}]
    rules = {"diffusion": {"name": "bass", "min_interest": 0.5}, "coalition": {"name": "none"}}
    m = 300
    residual = variance = 0.0
    curves = []
    for seed in range(8):
        model = make_model(data, rules=rules, seed=seed)
        curve = [int(model.diffusion.adopted[0].sum())]
        for _ in range(months):
            n_before = curve[-1]
            prob = p + q * n_before / m
            model.step()
            curve.append(int(model.diffusion.adopted[0].sum()))
            residual += (curve[-1] - n_before) - (m - n_before) * prob
            variance += (m - n_before) * prob * (1 - prob)
        assert not model.diffusion.adopted[0, m:].any()  # outside the market
        curves.append(curve)
    assert abs(residual / np.sqrt(variance)) < 4
    recursion = [1.0]
    for _ in range(months):
        recursion.append(recursion[-1] + (m - recursion[-1]) * (p + q * recursion[-1] / m))
    np.testing.assert_allclose(np.mean(curves, axis=0), recursion, atol=0.05 * m)


def test_bass_ignores_ties():
    """Bass's imitation is of the market's share, not of partners: ties to the origin change nothing."""
    without, with_ties = adopters_without_and_with_ties(*still_world(0.02, 0.6, rule="bass"), seed=3)
    assert without == with_ties and len(without) > 5


def test_bass_imitation_grows_with_the_adopters_share():
    """Half the market adopted: everyone else adopts with p + q/2, whatever their ties."""
    data, rules = still_world(0.01, 0.6, rule="bass")
    model = make_model(data, rules=rules)
    spec = model.spec.practices[0]
    adopted = np.zeros(40, dtype=bool)
    adopted[:20] = True
    market = np.ones(40, dtype=bool)
    prob = model.rules.diffusion.probabilities(model, spec, adopted, market)
    np.testing.assert_allclose(prob, 0.01 + 0.6 * 0.5)
    market[30:] = False  # 10 outside the market: N/m = 20/30
    np.testing.assert_allclose(model.rules.diffusion.probabilities(model, spec, adopted, market), 0.01 + 0.6 * 2 / 3)


def test_bass_counts_an_origin_outside_the_market_in_it():
    """m = the actors interested enough, plus the origin: here 39 + 1, and the origin is N = 1 of them."""
    data, rules = still_world(0.0, 1.0, rule="bass", min_interest=0.5)
    data["subnationals"][0]["interests"] = {"economy": 0.2}
    model = make_model(data, rules=rules)
    spec = model.spec.practices[0]
    market = market_of(model, spec, 0.5)
    assert market.all()
    prob = model.rules.diffusion.probabilities(model, spec, model.diffusion.adopted[0], market)
    np.testing.assert_allclose(prob, 1 / 40)
