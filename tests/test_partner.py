"""Partner choice: bounded, foreign, distinct candidates; exact gravity; friends of friends."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from conftest import city, make_model
from model.rules import build_rules
from model.rules.partner import (FriendsOfFriendsPartner, GravityPartner, NetworkPartner, PreferentialPartner,
                                 RandomPartner)
from model.scenario import DOMAINS, countries
from model.validation import SchemaError
from test_rules import ring_world

ECONOMY = DOMAINS.index("economy")


def chosen(model, rule, proposer=0, draws=400):
    model.partner_table = rule.prepare(model)
    return np.concatenate([rule.choose(model, proposer) for _ in range(draws)])


# ------------------------------------------------------------------ partner choice


@pytest.mark.parametrize("rule", [GravityPartner(candidates=5), RandomPartner(candidates=5),
                                  PreferentialPartner(candidates=5), NetworkPartner(candidates=5)])
def test_candidates_are_bounded_foreign_and_distinct(rule):
    model = make_model(ring_world())
    model.partner_table = rule.prepare(model)
    for proposer in range(10):
        picks = rule.choose(model, proposer)
        assert 0 < len(picks) <= 5
        assert len(set(picks.tolist())) == len(picks)
        assert proposer not in picks
        assert all(model.actors.country[picks] != model.actors.country[proposer])


def test_gravity_prefers_near_and_large_partners():
    model = make_model(ring_world())
    gravity = chosen(model, GravityPartner(candidates=3))
    uniform = chosen(model, RandomPartner(candidates=3))
    assert model.distance_km(0, gravity).mean() < 0.85 * model.distance_km(0, uniform).mean()
    assert model.actors.population[gravity].mean() > 1.3 * model.actors.population[uniform].mean()


def test_preferential_attachment_favours_high_degree():
    model = make_model(ring_world())
    model.actors.degree[7] = 200
    picks = chosen(model, PreferentialPartner(candidates=3, alpha=1.0))
    share = np.mean(picks == 7)
    assert share > 0.5  # uniform would give about 3/39 per draw


def test_network_rule_draws_co_members_first():
    model = make_model(ring_world())
    net = model.networks[0]
    for member in (0, 5, 6, 7):
        model.join(member, net)
    picks = chosen(model, NetworkPartner(candidates=3))
    assert np.isin(picks, [5, 6, 7]).mean() > 0.8  # uniform choice would give 3/39
    loner = chosen(model, NetworkPartner(candidates=3), proposer=20)
    assert len(set(loner.tolist())) > 10  # outside every network: falls back to random


# ------------------------------------------------------------------ exact gravity


def clustered_world(n=600, n_countries=30, seed=0):
    """n cities in clusters of n_countries real countries, with varied populations and profiles."""
    rng = np.random.default_rng(seed)
    codes = sorted(countries())[:n_countries]
    centres = np.column_stack([rng.uniform(-45, 60, n_countries), rng.uniform(-170, 170, n_countries)])
    home = rng.integers(0, n_countries, n)
    subs = [city(f"c{k}", codes[home[k]], float(np.clip(centres[home[k], 0] + rng.normal(0, 4), -80, 80)),
                 float(centres[home[k], 1] + rng.normal(0, 6)), population=int(10 ** rng.uniform(4.2, 7.2)),
                 profile=float(rng.uniform(0, 3))) for k in range(n)]
    return {"name": "clustered", "subnationals": subs,
            "networks": [{"id": "net", "name": "Net", "focus": ["economy"], "seat": "c0"}]}


@pytest.fixture(scope="module")
def clustered():
    return make_model(clustered_world())


def exact_gravity(model, rule, proposer):
    """P(j) over the whole pool by brute force: pop^α·(1 + profile)/max(d, d_min)^γ for foreign j, else 0."""
    a, pool = model.actors, model.pool
    d = np.maximum(model.distance_km(proposer, pool), rule.min_distance_km)
    w = a.population[pool].astype(float) ** rule.alpha * (1 + a.profile[pool]) * d ** -rule.gamma
    w[a.country[pool] == a.country[proposer]] = 0
    return w / w.sum()


def first_choices(model, rule, proposer, draws):
    model.partner_table = rule.prepare(model)
    return np.array([rule.choose(model, proposer)[0] for _ in range(draws)])


def total_variation(p, q):
    return 0.5 * np.abs(p - q).sum()


DRAWS = 20_000


def test_batched_gravity_without_mass_draws_uniformly_among_foreign_cities():
    """Every city of population 0 (mass 0): the candidates are distinct foreign cities, uniform."""
    data = ring_world(8)
    for sub in data["subnationals"]:
        sub["population"] = 0
    model = make_model(data)
    rule = GravityPartner(candidates=3)
    model.partner_table = rule.prepare(model)
    rows = rule.choose_many(model, np.zeros(3000, dtype=np.int64))
    assert (np.sort(rows, axis=1)[:, 1:] != np.sort(rows, axis=1)[:, :-1]).all() and (rows > 0).all()
    np.testing.assert_allclose(np.bincount(rows.ravel(), minlength=8)[1:] / rows.size, 1 / 7, atol=0.015)


def assert_batched_first_choices_exact(model, rule, proposer):
    """The batched first candidates of ``proposer`` are within an exact sampler's noise of the exact law."""
    exact = exact_gravity(model, rule, proposer)
    picks = rule.choose_many(model, np.full(DRAWS // 4, proposer))[:, 0]
    tv = total_variation(np.bincount(picks, minlength=len(exact)) / len(picks), exact)
    rng = np.random.default_rng(7)
    noise = [total_variation(np.bincount(rng.choice(len(exact), len(picks), p=exact), minlength=len(exact))
                             / len(picks), exact) for _ in range(10)]
    assert tv <= np.mean(noise) + 4 * np.std(noise), (tv, np.mean(noise))


def test_batched_gravity_ignores_a_table_prepared_for_another_alpha(clustered):
    """The model's table was built by a rule of another α: ``choose_many`` builds its own, exact for its α."""
    model, rule, proposer = clustered, GravityPartner(candidates=1, alpha=2.0, gamma=1.5), 3
    model.partner_table = GravityPartner(candidates=1, alpha=0.0, gamma=1.5).prepare(model)
    assert_batched_first_choices_exact(model, rule, proposer)


def test_batched_gravity_ignores_a_table_prepared_for_another_model_of_the_same_size():
    """A table built from another world of as many cities (elsewhere) is rebuilt: the draws follow this world's law."""
    model, rule, proposer = make_model(clustered_world()), GravityPartner(candidates=1), 3
    other = make_model(clustered_world(seed=5))
    assert len(other.actors.country) == len(model.actors.country)
    model.partner_table = rule.prepare(other)
    assert_batched_first_choices_exact(model, rule, proposer)


@pytest.mark.parametrize("alpha,gamma,far", [(1.0, 1.0, 0.2), (0.5, 2.0, 0.01)])
def test_gravity_first_candidate_follows_the_exact_distribution(clustered, alpha, gamma, far):
    model, rule, proposer = clustered, GravityPartner(candidates=1, alpha=alpha, gamma=gamma), 3
    exact = exact_gravity(model, rule, proposer)
    picks = first_choices(model, rule, proposer, DRAWS)
    tv = total_variation(np.bincount(picks, minlength=len(exact)) / DRAWS, exact)
    rng = np.random.default_rng(7)  # the noise of an exact sampler with as many draws
    noise = np.array([total_variation(np.bincount(rng.choice(len(exact), DRAWS, p=exact),
                                                  minlength=len(exact)) / DRAWS, exact) for _ in range(30)])
    assert tv <= noise.mean() + 4 * noise.std(), (tv, noise.mean(), noise.std())
    # the far-cell rejection path carried a real share of the draws
    table = model.partner_table
    joined = table.joined(model, np.array([proposer]))
    envelope = slice(joined.start[0], joined.start[0] + joined.sentinel[0])
    cum = joined.cumulative[envelope] - joined.base[0]
    far_slots = joined.rows[envelope] < table.bounds.cells.coarse  # coarse cells: bounded as a whole
    far_share = np.diff(cum, prepend=0.0)[far_slots].sum() / cum[-1]
    assert far_slots.sum() > 10 and far_share > far
    assert table.stats["rejected"] > 0.01 * table.stats["draws"]


def test_the_exact_fallback_completes_the_list_with_gravity_draws(clustered):
    """The fallback after a few rejected batches scores the remaining pool: same law, no repeats."""
    model, rule, proposer = clustered, GravityPartner(candidates=3, alpha=1.0, gamma=1.5), 3
    exact = exact_gravity(model, rule, proposer)
    model.partner_table = table = rule.prepare(model)
    already = np.array([int(np.argmax(exact))])
    draws = [rule._complete(model, table, proposer, already) for _ in range(4000)]
    assert all(len(d) == 3 and d[0] == already[0] and len(set(d.tolist())) == 3 for d in draws)
    country = model.actors.country
    assert all((country[d] != country[proposer]).all() for d in draws)
    second = np.bincount([d[1] for d in draws], minlength=len(exact)) / len(draws)
    rest = exact.copy()
    rest[already] = 0
    rest /= rest.sum()
    assert total_variation(second, rest) < 0.12  # noise of 4,000 draws here is about 0.08
    top = int(np.argmax(rest))
    assert second[top] == pytest.approx(rest[top], abs=4 * np.sqrt(rest[top] / len(draws)))


def test_gravity_without_replacement_follows_successive_draws(clustered):
    """P(first = a, second = b) = p_a·p_b/(1 - p_a): K candidates are successive draws without replacement."""
    model, rule, proposer = clustered, GravityPartner(candidates=2, alpha=2.0, gamma=1.5), 10
    p = exact_gravity(model, rule, proposer)
    top = np.argsort(-p)[:6]
    model.partner_table = rule.prepare(model)
    pairs = np.array([rule.choose(model, proposer) for _ in range(DRAWS)])
    assert len(np.unique(pairs[:, 0] * 10_000 + pairs[:, 1])) > 50 and (pairs[:, 0] != pairs[:, 1]).all()
    for a in top[:3]:
        for b in top[:3]:
            if a != b:
                expected = p[a] * p[b] / (1 - p[a])
                seen = np.mean((pairs[:, 0] == a) & (pairs[:, 1] == b))
                assert seen == pytest.approx(expected, abs=4 * np.sqrt(expected / DRAWS) + 1e-3)


def mean_of(model, rule, proposer, values, draws=3000):
    return values[first_choices(model, rule, proposer, draws)].mean()


def test_alpha_gamma_and_profile_each_move_the_gravity_distribution(clustered):
    model, proposer = clustered, 3
    a = model.actors
    log_pop = np.log1p(a.population.astype(float))
    assert (mean_of(model, GravityPartner(candidates=1, alpha=2.0), proposer, log_pop)
            > mean_of(model, GravityPartner(candidates=1, alpha=0.0), proposer, log_pop) + 1.0)
    distance = model.distance_km(proposer, np.arange(len(a.country)))
    assert (mean_of(model, GravityPartner(candidates=1, gamma=2.0), proposer, distance)
            < 0.6 * mean_of(model, GravityPartner(candidates=1, gamma=0.0), proposer, distance))
    # the (1 + profile) factor: all else equal, the chosen have a higher profile than the exact mass-only law gives
    rule = GravityPartner(candidates=1)
    exact = exact_gravity(model, rule, proposer)
    no_profile = exact / (1 + a.profile[model.pool])
    no_profile /= no_profile.sum()
    seen = mean_of(model, rule, proposer, a.profile, draws=4000)
    assert seen == pytest.approx(exact @ a.profile[model.pool], abs=0.06)
    assert seen > no_profile @ a.profile[model.pool] + 0.2


def test_gravity_returns_the_whole_foreign_pool_when_it_is_small():
    model = make_model(ring_world(n=6))
    rule = GravityPartner(candidates=8)
    model.partner_table = rule.prepare(model)
    assert sorted(rule.choose(model, 0).tolist()) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("hub", [7, 39])  # 39: the last row of the sampling table
def test_preferential_alpha_matters(hub):
    model = make_model(ring_world())
    model.actors.degree[hub] = 20
    flat = np.mean(chosen(model, PreferentialPartner(candidates=1, alpha=0.0), draws=2000) == hub)
    steep = np.mean(chosen(model, PreferentialPartner(candidates=1, alpha=2.0), draws=2000) == hub)
    assert flat == pytest.approx(1 / 39, abs=0.015)
    assert steep > 0.5  # 441 / (441 + 38)


# ------------------------------------------------------------------ friends of friends


def linked(model, pairs):
    """Sign a pair agreement in force between each pair (no oversight)."""
    for i, j in pairs:
        model._sign(model.new_agreement((i, j), ECONOMY, "bilateral"), "active")
    return model


def fof_world():
    """Proposer 0 (country A) with partners 1, 2; their partners: 30 far, small foreigners, a compatriot and 0."""
    data = clustered_world(n=400, n_countries=25, seed=1)
    subs = data["subnationals"]
    subs[0].update(country="NO", lat=60.0, lon=10.0, population=2_000_000)
    subs[1].update(country="SE", lat=59.3, lon=18.0)
    subs[2].update(country="DK", lat=55.7, lon=12.6)
    subs[3].update(country="NO", lat=63.0, lon=10.0)  # a compatriot of 0, partner of 1
    for k in range(10, 40):  # partners' partners: small towns far away
        subs[k].update(country="NZ", lat=-45.0 + 0.1 * k, lon=170.0, population=20_000, profile=0.0)
    return linked(make_model(data), [(0, 1), (0, 2), (1, 3)] + [(1 + k % 2, k) for k in range(10, 40)])


FOF = set(range(10, 40))


def test_friends_of_friends_share_is_the_configured_share():
    model = fof_world()
    rule = FriendsOfFriendsPartner(candidates=8, share=0.3)
    assert set(rule.friends_of_friends(model, 0).tolist()) == FOF
    picks = chosen(model, rule, draws=1500)
    assert len(picks) == 8 * 1500
    share = np.isin(picks, list(FOF)).mean()
    assert share == pytest.approx(0.3, abs=4 * np.sqrt(0.3 * 0.7 / len(picks)) + 0.005)
    base = chosen(model, GravityPartner(candidates=8), draws=300)
    assert np.isin(base, list(FOF)).mean() < 0.005  # the base rule rarely meets them by chance


def test_friends_of_friends_never_offers_the_proposer_or_compatriots():
    model = fof_world()
    rule = FriendsOfFriendsPartner(candidates=8, share=0.9, base="random")
    for proposer in (0, 1, 3, 10):
        picks = chosen(model, rule, proposer=proposer, draws=300)
        assert proposer not in picks
        assert (model.actors.country[picks] != model.actors.country[proposer]).all()
    assert 3 not in chosen(model, rule, draws=300)  # partner of a partner, but a compatriot of 0


def test_friends_of_friends_with_share_zero_is_the_base_rule():
    base_model, fof_model = fof_world(), fof_world()
    base, fof = GravityPartner(candidates=5), FriendsOfFriendsPartner(candidates=5, share=0.0)
    np.testing.assert_array_equal(chosen(base_model, base, draws=200), chosen(fof_model, fof, draws=200))


def test_friends_of_friends_without_partners_uses_the_base_rule():
    model = fof_world()
    rule = FriendsOfFriendsPartner(candidates=8, share=1.0)
    assert not len(model.partners_of(200)) and not len(rule.friends_of_friends(model, 200))
    model.partner_table = rule.prepare(model)
    for _ in range(100):
        picks = rule.choose(model, 200)
        assert len(set(picks.tolist())) == 8 and (model.actors.country[picks] != model.actors.country[200]).all()


def test_friends_of_friends_proposals_are_made_one_by_one_as_bilaterals():
    """No batch (``choose_many`` is None): each subnational proposes itself, a bilateral agreement."""
    model = make_model(ring_world(), rules={"partner": {"name": "friends_of_friends"}}, steps=3)
    proposed = list(model.agreements.values())
    assert len(proposed) > 20 and any(ag.live for ag in proposed)
    assert {ag.kind for ag in proposed if model.is_subnational(ag.parties[0])} == {"bilateral"}


def test_friends_of_friends_base_must_be_another_rule():
    rules = build_rules({"partner": {"name": "friends_of_friends", "base": "random", "share": 0.2}}, "t")
    assert isinstance(rules.partner.base_rule, RandomPartner) and rules.partner.base_rule.candidates == 8
    for bad in ("friends_of_friends", "nope"):
        with pytest.raises(SchemaError, match="base"):
            build_rules({"partner": {"name": "friends_of_friends", "base": bad}}, "t")


# ------------------------------------------------------------------ one rule, several models


@pytest.mark.parametrize("rule", [GravityPartner(candidates=4), FriendsOfFriendsPartner(candidates=4),
                                  PreferentialPartner(candidates=4, alpha=1.5)])
def test_models_sharing_a_rule_do_not_interfere(rule):
    def pair():
        return make_model(ring_world(), seed=5), fof_world()

    def sample(model, proposer):
        return rule.choose(model, proposer).tolist()

    alone = []
    for model in pair():
        model.partner_table = rule.prepare(model)
        alone.append([sample(model, p) for p in range(12)])
    a, b = pair()
    a.partner_table = rule.prepare(a)
    b.partner_table = rule.prepare(b)
    together = [[], []]
    for p in range(12):
        together[0].append(sample(a, p))
        b.partner_table = rule.prepare(b)  # prepared again between draws of the other model
        together[1].append(sample(b, p))
    assert together == alone


def test_partner_rules_are_frozen():
    rule = GravityPartner()
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.alpha = 2.0
