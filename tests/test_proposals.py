"""A month of proposals valued in one batch decides as proposal-by-proposal would; batched draws keep their laws."""

from __future__ import annotations

import numpy as np
import pytest

import model.model as model_module
import model.rules.renewal as renewal_module
from conftest import city, make_model
from model import DiplomacyModel, build_rules
from model.proposals import Offers, value_offers
from model.rules.renewal import side_utilities
from model.rules.partner import GravityPartner, RandomPartner, _first_distinct, _foreign_unique
from test_partner import DRAWS, exact_gravity, total_variation
from test_rules import ring_world


def one_by_one(model, proposers, candidates, kind):
    """The reference: each proposal valued against the state left by the ones before it (``offer``)."""
    domains = model.draw_domains(proposers)
    for r, proposer in enumerate(proposers.tolist()):
        if model.has_room(proposer):
            row = candidates[r]
            model.offer(proposer, row[row >= 0], int(domains[r]), kind)


def events(model):
    return [(e.step, e.event, e.parties, e.domain, e.actor) for e in model.ledger.events]


@pytest.mark.parametrize("seed", [1, 2])
def test_a_batched_month_decides_every_proposal_as_one_by_one(article, monkeypatch, seed):
    """Without noise (τ = 0) the draws are the same, so the ledgers must be identical event for event."""
    rules = {"utility": {"name": "mutual_consent", "tau": 0.0}}
    batched = DiplomacyModel(article, build_rules(rules, "test"), rng=seed)
    revalued = []
    revalue = Offers.revalue
    monkeypatch.setattr(Offers, "revalue", lambda offers, model, r: revalued.append(r) or revalue(offers, model, r))
    for _ in range(18):
        batched.step()
    monkeypatch.setattr(model_module, "propose_month", one_by_one)
    reference = DiplomacyModel(article, build_rules(rules, "test"), rng=seed)
    for _ in range(18):
        reference.step()
    assert sum(e[1] == "signed" for e in events(reference)) > 100
    assert events(batched) == events(reference)
    assert len(revalued) > 20  # proposals whose values moved during the month were valued again


def test_deciding_one_row_in_scalars_equals_deciding_it_in_arrays(article):
    model = DiplomacyModel(article, rng=4)
    for _ in range(6):
        model.step()
    proposers = model.pool[model.stream("proposals").integers(0, len(model.pool), 300)]
    offers = value_offers(model, proposers, model.rules.partner.choose_many(model, proposers),
                          model.draw_domains(proposers))
    rng = np.random.default_rng(0)  # some candidates and proposers near or at their ceilings
    model.actors.signed_this_year[:] = np.floor(model.actors.capacity * rng.uniform(0, 1.2, len(model.actors.capacity)))
    proposes, best, accepts = offers.decide(model, np.arange(len(proposers)))
    rows = [offers.decide_row(model, r) for r in range(len(proposers))]
    assert rows == list(zip(proposes.tolist(), best.tolist(), accepts.tolist()))
    assert 0 < sum(p for p, _, _ in rows) < len(rows) and 0 < sum(a for _, _, a in rows) < len(rows)


def settle_terms_one_by_one(model):
    """The reference: each agreement at term valued against the state left by the ones before it."""
    for aid in model._expiring.pop(model.month, []):
        ag = model.agreements[aid]
        if not ag.live or ag.expires_step != model.month:
            continue
        if len(ag.parties) != 2:
            model._end(ag, "expired")
            continue
        eta_i, eta_j = model.rules.utility.shocks(model, 1)
        model._settle_term(ag, side_utilities(model, ag, (float(eta_i[0]), float(eta_j[0]))))


def review_one_by_one(model):
    """The reference: each review valued against the state left by the ones before it."""
    for aid in model._reviews.pop(model.month, []):
        ag = model.agreements[aid]
        if ag.live:
            model._review_one(ag, side_utilities(model, ag))


@pytest.mark.parametrize("seed, tau", [(3, 0.0), (4, 0.5)])
def test_batched_reviews_and_terms_decide_as_one_by_one(article, monkeypatch, seed, tau):
    """Reviews and renewals valued in one batch a month: the same ledger, utilities included.

    Short terms and reviews every 3 months make many of both, and pairs and
    actors with several due in the same month (values that move within it).
    The fresh shocks at term are drawn as one by one draws them, so with
    noise too (τ > 0) the ledgers must be identical.
    """
    rules = {"utility": {"name": "mutual_consent", "tau": tau}, "renewal": {"name": "merits", "review_months": 3},
             "expiry": {"name": "fixed", "months": 7}}
    revalued = []
    batched = DiplomacyModel(article, build_rules(rules, "test"), rng=seed)
    monkeypatch.setattr(renewal_module, "side_utilities",
                        lambda *args: revalued.append(args[1].id) or side_utilities(*args))
    for _ in range(30):
        batched.step()
    monkeypatch.undo()
    monkeypatch.setattr(DiplomacyModel, "_settle_terms", settle_terms_one_by_one)
    monkeypatch.setattr(DiplomacyModel, "_review", review_one_by_one)
    reference = DiplomacyModel(article, build_rules(rules, "test"), rng=seed)
    for _ in range(30):
        reference.step()
    kinds = [e[1] for e in events(reference)]
    assert min(kinds.count("renewed"), kinds.count("withdrawn"), kinds.count("expired")) > 20, \
        (kinds.count("renewed"), kinds.count("withdrawn"), kinds.count("expired"))
    assert revalued  # agreements whose values moved during the month were valued again
    assert [(e.step, e.event, e.parties, e.domain, e.detail) for e in batched.ledger.events] == \
        [(e.step, e.event, e.parties, e.domain, e.detail) for e in reference.ledger.events]


def test_first_distinct_is_foreign_unique_row_by_row():
    model = make_model(ring_world())
    rng = np.random.default_rng(3)
    proposers = rng.integers(0, len(model.pool), 300)
    draws = rng.integers(0, len(model.pool), (300, 12))
    country = model.actors.country
    got = _first_distinct(draws, country[draws] != country[proposers][:, None], 5)
    for r in range(300):
        expected = _foreign_unique(model, int(proposers[r]), draws[r])[:5]
        assert got[r][got[r] >= 0].tolist() == expected.tolist()


def test_batched_gravity_rows_follow_each_proposers_exact_law():
    """Rows of two proposers interleaved in one ``choose_many``: each first candidate follows its own law."""
    from test_partner import clustered_world

    model = make_model(clustered_world())
    rule = GravityPartner(candidates=3, alpha=1.0, gamma=1.5)
    model.partner_table = rule.prepare(model)
    proposers = np.tile([3, 250], DRAWS // 2)
    chosen = rule.choose_many(model, proposers)
    assert (chosen >= 0).all() and (chosen[:, 0] != chosen[:, 1]).all()
    rng = np.random.default_rng(11)
    for proposer in (3, 250):
        exact = exact_gravity(model, rule, proposer)
        first = chosen[proposers == proposer, 0]
        tv = total_variation(np.bincount(first, minlength=len(exact)) / len(first), exact)
        noise = [total_variation(np.bincount(rng.choice(len(exact), len(first), p=exact),
                                             minlength=len(exact)) / len(first), exact) for _ in range(20)]
        assert tv <= np.mean(noise) + 4 * np.std(noise), (proposer, tv, np.mean(noise))
        # the second candidate: a draw without replacement, P(a then b) = p_a·p_b/(1 - p_a)
        second = chosen[proposers == proposer, 1]
        a, b = np.argsort(-exact)[:2]
        expected = exact[a] * exact[b] / (1 - exact[a])
        seen = np.mean((first == a) & (second == b))
        assert seen == pytest.approx(expected, abs=4 * np.sqrt(expected / len(first)) + 1e-3)


def test_batched_random_rows_are_uniform_over_the_foreign_pool():
    model = make_model(ring_world())
    rule = RandomPartner(candidates=4)
    model.partner_table = rule.prepare(model)
    chosen = rule.choose_many(model, np.zeros(5000, dtype=np.int64))
    country = model.actors.country
    foreign = model.pool[country[model.pool] != country[0]]
    counts = np.bincount(chosen.ravel(), minlength=len(model.pool))[foreign]
    assert counts.sum() == 4 * 5000 and (country[chosen] != country[0]).all()
    expected = counts.sum() / len(foreign)
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < len(foreign) + 5 * np.sqrt(2 * len(foreign))


def test_batched_domains_follow_interests_times_salience(article):
    model = DiplomacyModel(article, rng=4)
    model.salience[2] = 3.0
    actor = 0
    weights = model.actors.interests[actor] * model.salience
    drawn = model.draw_domains(np.full(20_000, actor))
    seen = np.bincount(drawn, minlength=len(weights)) / len(drawn)
    expected = weights / weights.sum()
    assert np.abs(seen - expected).max() < 4 * np.sqrt(expected.max() / len(drawn))
    assert seen[weights == 0].sum() == 0


def test_chance_to_sign_asked_per_regime_equals_asking_each_government(article):
    """Rows of every government and domain at once (``probabilities``) give each row's own ``probability``."""
    from model.proposals import _chance_to_sign
    from model.scenario import DOMAINS

    model = DiplomacyModel(article, rng=2)
    for government in model.nationals[::3]:
        government.stance = 0.3  # stances differ between governments under the same regime
    rng = np.random.default_rng(5)
    proposers = rng.integers(0, len(model.subnationals) + len(model.nationals), 2000)
    candidates = rng.integers(0, len(model.subnationals), (2000, 6))
    domains = rng.integers(0, len(DOMAINS), 2000)
    expected = np.ones(candidates.shape)
    for r, proposer in enumerate(proposers.tolist()):
        if model.is_subnational(proposer):
            approve = model.government_of(proposer).oversight.probability(model, proposer, candidates[r],
                                                                          int(domains[r]))
            expected[r] = approve + (1 - approve) * model.actors.assertiveness[proposer]
    assert len({type(g.oversight) for g in model.nationals}) == 3
    assert len(np.unique(expected)) > 20
    approval, chance = _chance_to_sign(model, proposers, candidates, domains)
    assert np.array_equal(chance, expected)
    for r in range(0, 2000, 7):  # the approval a government then decides with is its one-partner probability
        proposer, partner = int(proposers[r]), int(candidates[r, r % 6])
        if model.is_subnational(proposer):
            assert approval[r, r % 6] == model.government_of(proposer).oversight.probability(
                model, proposer, partner, int(domains[r]))
        else:
            assert approval[r, r % 6] == 1.0
def test_a_foreign_city_at_the_proposers_own_coordinates_is_drawn_at_the_minimum_distance():
    """Distance 0 (the cosine may round above 1): weighted at ``min_distance_km``, like any near city."""
    data = ring_world(12)
    data["subnationals"][0].update(lat=45.2, lon=-150.1)
    data["subnationals"].append(city("twin", "ZW", 45.2, -150.1, population=data["subnationals"][0]["population"]))
    model = make_model(data)
    rule = GravityPartner(candidates=1, alpha=1.0, gamma=1.5)
    model.partner_table = rule.prepare(model)
    twin = model.by_id["twin"].index
    exact = exact_gravity(model, rule, 0)
    first = rule.choose_many(model, np.zeros(4000, dtype=np.int64))[:, 0]
    assert exact[twin] > 0.5
    assert np.mean(first == twin) == pytest.approx(exact[twin], abs=4 * np.sqrt(exact[twin] / 4000))


def test_at_term_only_an_agreement_whose_pair_was_decided_before_it_is_valued_again(tiny_data, monkeypatch):
    """Two agreements of one pair and one of another pair at term in one month: the batch values serve
    the first of each pair; the pair's second is valued again after the first's decision."""
    tiny_data["agreements"] = [{"id": f"{a}_{b}_{d}", "parties": [a, b], "domain": d, "duration": 3}
                               for a, b, d in (("madrid", "lisbon", "economy"), ("madrid", "lisbon", "culture"),
                                               ("paris", "tokyo", "economy"))]
    model = make_model(tiny_data, rules={"expiry": {"name": "fixed", "months": 48}}, steps=2)
    revalued = []
    monkeypatch.setattr(renewal_module, "side_utilities",
                        lambda *args: revalued.append(args[1]) or side_utilities(*args))
    model.step()
    assert [(ag.parties, ag.domain) for ag in revalued] == [((0, 1), "culture")]
    assert all(ag.status == "expired" or ag.expires_step > 3 for ag in list(model.agreements.values())[:3])


def test_a_nations_offer_is_a_bilateral_treaty_to_a_nation_and_a_state_relation_to_a_subnational(tiny_data):
    tiny_data["nationals"] = [{"id": c, "name": c, "country": c.upper(), "stance": 0.8, "treaties_per_year": 24}
                              for c in ("es", "pt", "fr", "jp", "pe", "eg")]
    model = make_model(tiny_data, steps=24)
    nations = {n.index for n in model.nationals}
    kinds = {(ag.kind, sum(p in nations for p in ag.parties)) for ag in model.agreements.values()}
    assert kinds == {("bilateral", 0), ("state_relation", 1), ("bilateral", 2)}
