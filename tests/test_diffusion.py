"""Diffusion of practices (Bass 1969 innovation + contagion along ties)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_model, ledger_events
from test_rules import ring_world

ECONOMY = 0


def practice_world(p=0.0, q=0.0, step=0, **rule):
    data = ring_world()
    data["practices"] = [{"id": "plan", "name": "Plan", "domain": "economy", "origin": "c0",
                          "p": p, "q": q, "step": step}]
    data["networks"][0]["fee"] = 50.0  # nobody joins: ties are the agreements a test makes
    return data, {"diffusion": {"name": "bass", **rule}, "oversight": {"name": "permissive"}}


def adopters(model):
    return ledger_events(model, "adopted")


def test_without_innovation_or_imitation_only_the_origin_adopts():
    data, rules = practice_world(p=0.0, q=0.0)
    model = make_model(data, rules=rules, steps=6)
    assert adopters(model) == [(0, 0)]


def test_the_origin_adopts_in_the_practices_month_and_nothing_spreads_before():
    data, rules = practice_world(p=1.0, q=0.0, step=3)
    model = make_model(data, rules=rules)
    model.step()
    model.step()
    assert adopters(model) == []
    model.step()
    assert adopters(model)[0] == (3, 0) and len(adopters(model)) == 40  # p = 1: everyone in month 3


def test_imitation_runs_along_agreements():
    data, rules = practice_world(p=0.0, q=1.0)
    model = make_model(data, rules=rules)
    for partner in (3, 7):
        assert model.negotiate((0, partner), ECONOMY, "bilateral").status == "active"
    model.step()
    new = {actor for step, actor in adopters(model) if step == 1}
    assert {3, 7} <= new  # q = 1: every partner of an adopter adopts the next month


def test_innovation_alone_follows_the_bass_curve():
    data, rules = practice_world(p=0.05, q=0.0, min_interest=0.0)  # q = 0: innovation only
    fractions = []
    for seed in range(10):
        model = make_model(data, rules=rules, seed=seed, steps=12)
        fractions.append((len(adopters(model)) - 1) / 39)
    assert np.mean(fractions) == pytest.approx(1 - 0.95 ** 12, abs=0.05)


def test_actors_outside_the_market_never_adopt():
    data, rules = practice_world(p=1.0, min_interest=0.5)
    for sub in data["subnationals"][10:]:
        sub["interests"] = {"economy": 0.2, "culture": 1.0}
    model = make_model(data, rules=rules)
    model.step()
    assert {actor for _, actor in adopters(model)} == set(range(10))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), p=st.floats(0.0, 0.1), q=st.floats(0.0, 0.5))
def test_adoption_is_never_undone(seed, p, q):
    data, rules = practice_world(p=p, q=q)
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
