"""Whole-model behaviour: determinism, the rules' effects on the article's actors, invariants."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments.outputs import metrics_table
from model import DOMAINS, DiplomacyModel, build_rules
from model.agreements import LIVE_STATUSES

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def run(scenario, steps, seed=1, **rules):
    model = DiplomacyModel(scenario, build_rules({g: {"name": n} for g, n in rules.items()}, "t"), rng=seed)
    for _ in range(steps):
        model.step()
    return model


def test_same_seed_same_tables_different_seed_different(classroom):
    a, b, c = (metrics_table(run(classroom, 24, seed=s)) for s in (5, 5, 6))
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_classroom_signs_and_vetoes(classroom):
    model = run(classroom, 24)
    tally = Counter(e.event for e in model.ledger.events)
    assert tally["signed"] > 0 and tally["vetoed"] > 0


def signed_by(model, actor_id):
    index = model.by_id[actor_id].index
    return sum(1 for e in model.ledger.events
               if e.event in ("signed", "contested") and index in e.parties and e.step > 0)


def test_restrictive_oversight_holds_shanghai_back(article):
    seeds = range(1, 7)  # Shanghai signs about one agreement a year: enough seeds to see the difference
    restrictive = sum(signed_by(run(article, 24, seed=s, oversight="restrictive"), "shanghai") for s in seeds)
    permissive = sum(signed_by(run(article, 24, seed=s, oversight="permissive"), "shanghai") for s in seeds)
    assert restrictive < permissive


@SETTINGS
@given(seed=st.integers(0, 10_000), oversight=st.sampled_from(["permissive", "supervisory", "restrictive"]),
       partner=st.sampled_from(["gravity", "preferential", "network", "random"]))
def test_invariants(classroom, seed, oversight, partner):
    model = run(classroom, 18, seed=seed, oversight=oversight, partner=partner)
    reserved = {g.index: g.reserved for g in model.nationals}
    domains = {d: k for k, d in enumerate(DOMAINS)}
    for ag in model.agreements.values():
        # no uncontested agreement in a domain reserved by a subnational party's government
        if ag.status == "active":
            for p in ag.parties:
                if model.is_subnational(p):
                    assert domains[ag.domain] not in reserved[model.government_of(p).index]
    for net in model.networks:
        assert len(net.members) <= net.member_cap
        assert sorted(net.members) == sorted(model.network_members[net.column])
    assert_ledger_matches_state(model)


def assert_ledger_matches_state(model):
    """The ledger tells the agreements' story, and the incremental counters agree with a recount.

    Bilateral agreements and state relations: the last status event matches the
    state.  Declarations: the parties are the ``endorsed`` actors in ledger
    order, and a declaration is in force once anybody has endorsed it.
    Degrees count the agreements in force other than declarations.
    """
    last, endorsed = {}, {}
    for e in model.ledger.events:
        if e.agreement_id is not None and e.event in ("signed", "contested", "expired", "vetoed"):
            last[e.agreement_id] = e.event
        elif e.event == "endorsed":
            endorsed.setdefault(e.agreement_id, []).append(e.actor)
    for ag in model.agreements.values():
        if ag.kind == "declaration":
            assert list(ag.parties) == endorsed.get(ag.id, [])
            assert ag.status == ("active" if ag.parties else "proposed")
        elif ag.status in LIVE_STATUSES:
            assert last[ag.id] == ("signed" if ag.status == "active" else "contested")
        elif ag.status == "expired":
            assert last[ag.id] == "expired"
        elif ag.status == "vetoed":
            assert last[ag.id] == "vetoed"
    live = [ag for ag in model.agreements.values() if ag.live]
    assert model.active_total == len(live) == len(model.live)
    assert model.active_by_kind["declaration"] == sum(ag.kind == "declaration" for ag in live)
    degree = Counter(p for ag in live if ag.kind != "declaration" for p in ag.parties)
    assert all(model.actors.degree[i] == degree.get(i, 0) for i in range(len(model.actors.degree)))


def test_capacity_caps_yearly_signatures(classroom):
    model = run(classroom, 12)
    signed = Counter(p for ag in model.agreements.values() if ag.signed_step and ag.signed_step > 0
                     for p in ag.parties)
    for i, n in signed.items():
        assert n <= model.actors.capacity[i]


def test_the_actor_panel_forward_filled_is_every_months_state(article):
    """The panel records only the touched actors whose values changed: filled forward, it is the state."""
    from model.metrics import actor_state

    model = DiplomacyModel(article, rng=3)
    states = [actor_state(model)]
    for _ in range(14):
        model.step()
        states.append(actor_state(model))
    steps, rows, values = model.datacollector.actor_panel()
    panel = np.zeros_like(states[0])
    for step, state in enumerate(states):
        at = steps == step
        panel[rows[at]] = values[at]
        assert np.array_equal(panel, state), step
    assert (steps == 0).sum() == len(model.subnationals) and len(steps) < 3 * len(model.subnationals)
