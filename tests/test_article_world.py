"""The default scenario is the article's world in 2015 with its history (issue 10, acceptance 1)."""

from __future__ import annotations

from collections import Counter

import pytest

from conftest import ROOT
from experiments.config import load_scenario
from model import DiplomacyModel


@pytest.fixture(scope="module")
def world():
    model = DiplomacyModel(load_scenario(ROOT / "scenarios" / "article.yaml"), rng=3)
    at_start = {n.actor_id: (len(n.members), len(set(model.actors.country[list(n.members)].tolist())))
                for n in model.networks}
    for _ in range(24):
        model.step()
    return model, at_start


def test_networks_at_their_reported_size_at_step_0(world):
    _, at_start = world
    assert at_start["uclg"][0] >= 1000
    assert at_start["iclei"][0] >= 1200 and at_start["iclei"][1] >= 84  # the article: 1,200 cities in 84 countries
    assert at_start["committee_of_regions"][0] == 355
    assert "c40" in at_start


def test_private_actors_act(world):
    model, _ = world
    private = {a.actor_id: a.index for a in model.private_actors}
    assert set(private) == {"cisco", "london_first"}
    by_actor = Counter((e.actor, e.event) for e in model.ledger.events)
    assert by_actor[(private["london_first"], "lobbied")] == 24
    assert by_actor[(private["london_first"], "campaign")] == 1
    assert by_actor[(private["cisco"], "cofunded")] >= 1


def test_the_articles_dated_events_are_in_the_ledger(world):
    model, _ = world
    history = {e.detail.split(": ", 1)[1]: e.step for e in model.ledger.events if e.event == "history"}
    assert history["Shanghai is awarded the 2010 Universal Exhibition"] == -144  # December 2002
    assert history["Istanbul Water Consensus"] == -69  # March 2009
    assert history["Expo 2010 Shanghai"] == -55 and history["London 2012 Olympic and Paralympic Games"] == -41
    signed = {e.detail for e in model.ledger.events if e.event == "signed" and e.step == -23}
    assert signed == {"initial"}  # Barcelona–San Francisco and São Paulo state's relations, 2013
    offices = Counter(e.step for e in model.ledger.events if e.event == "opened" and e.kind == "office")
    assert offices == {-71: 6, 1: 2, 18: 2}  # London's offices (2009), Rome and Vienna (2015), China and Eastern Europe
    declarations = {e.detail: e.step for e in model.ledger.events if e.event == "opened" and e.kind == "declaration"}
    assert declarations == {"shanghai_consensus": 1, "cohesion_policy_opinion": 6, "post_2015_local_voice": 9,
                            "habitat_iii_local_agenda": 22}
