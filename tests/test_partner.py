"""Partner choice: bounded, foreign, distinct candidates; exact gravity; friends of friends."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import make_model
from model.rules.partner import GravityPartner, NetworkPartner, PreferentialPartner, RandomPartner
from test_rules import ring_world


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
