"""Landscape theory of aggregation (Axelrod & Bennett 1993): exact minimum, energy, descent, and the rule."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TINY, make_model
from model.rules import build_rules, landscape_energy, landscape_minimum
from model.rules.coalition import canonical_labels, frustrations, landscape_descent
from model import DiplomacyModel

SETTINGS = settings(max_examples=60, deadline=None)


def brute_force_minimum(sizes, propensities, k):
    """The lowest energy over every labelling in {0..k−1}^n, by the double sum of the definition."""
    n = len(sizes)
    best = float("inf")
    for labels in itertools.product(range(k), repeat=n):
        energy = sum(sizes[i] * sizes[j] * propensities[i][j]
                     for i in range(n) for j in range(n) if i != j and labels[i] != labels[j])
        best = min(best, energy)
    return best


@st.composite
def landscapes(draw, max_n=7):
    """Random sizes (n,), symmetric propensities (n, n) and k ∈ {1, 2, 3}."""
    n = draw(st.integers(1, max_n))
    sizes = draw(st.lists(st.floats(0.1, 5.0), min_size=n, max_size=n))
    upper = draw(st.lists(st.floats(-1.0, 1.0), min_size=n * n, max_size=n * n))
    p = np.array(upper).reshape(n, n)
    p = (p + p.T) / 2
    return np.array(sizes), p, draw(st.integers(1, 3))


@SETTINGS
@given(landscapes())
def test_minimum_agrees_with_brute_force(case):
    sizes, p, k = case
    labels, energy = landscape_minimum(sizes, p, k)
    assert energy == pytest.approx(brute_force_minimum(sizes, p, k), abs=1e-9)
    assert landscape_energy(sizes, p, labels) == pytest.approx(energy)
    assert labels[0] == 0 and labels.max() < k
    np.testing.assert_array_equal(labels, canonical_labels(labels))


@SETTINGS
@given(landscapes(), st.data())
def test_energy_is_invariant_to_relabelling_coalitions(case, data):
    sizes, p, k = case
    labels = np.array(data.draw(st.lists(st.integers(0, 4), min_size=len(sizes), max_size=len(sizes))))
    names = data.draw(st.permutations(range(5)))
    codes = np.array([100 + 7 * c for c in names])  # any distinct values, in any order
    assert landscape_energy(sizes, p, codes[labels]) == pytest.approx(landscape_energy(sizes, p, labels))


def test_energy_by_hand():
    sizes = [1.0, 2.0, 3.0]
    p = [[0, 1, -1], [1, 0, 2], [-1, 2, 0]]
    # actor 2 apart from 0 and 1: pairs (0,2) and (1,2), counted both ways
    assert landscape_energy(sizes, p, [0, 0, 1]) == pytest.approx(2 * (1 * 3 * -1 + 2 * 3 * 2))
    assert landscape_energy(sizes, p, [5, 5, 5]) == 0.0


def two_blocs():
    """Six actors in two blocs: attraction +1 inside a bloc, repulsion −1 across, varied sizes."""
    bloc = np.array([0, 0, 0, 1, 1, 1])
    p = np.where(bloc[:, None] == bloc[None, :], 1.0, -1.0)
    np.fill_diagonal(p, 0.0)
    return np.array([1.0, 2.0, 1.5, 3.0, 1.0, 2.5]), p


def test_descent_reaches_the_exhaustive_minimum_from_every_start():
    sizes, p = two_blocs()
    best, energy = landscape_minimum(sizes, p, 2)
    np.testing.assert_array_equal(best, [0, 0, 0, 1, 1, 1])
    for start in itertools.product(range(2), repeat=6):
        result = landscape_descent(sizes, p, np.array(start), k=2)
        assert result.energies[-1] == pytest.approx(energy), start
        np.testing.assert_array_equal(canonical_labels(result.labels), best)


@SETTINGS
@given(landscapes(max_n=9), st.data())
def test_energy_never_rises_under_descent_and_ends_in_a_local_minimum(case, data):
    sizes, p, k = case
    start = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=len(sizes), max_size=len(sizes))))
    result = landscape_descent(sizes, p, start, k)
    assert all(b <= a + 1e-9 for a, b in zip(result.energies, result.energies[1:]))
    assert len(result.energies) == len(result.moved) + 1
    f = frustrations(sizes, p, result.labels, k)
    current = f[np.arange(len(sizes)), result.labels]
    assert np.all(current <= f.min(axis=1) + 1e-9)  # nobody can lower its frustration by moving


def test_minimum_for_twenty_actors_and_two_coalitions_beats_every_descent():
    # its time is measured by `python -m experiments.bench`, not asserted here
    rng = np.random.default_rng(0)
    sizes, p = rng.uniform(0.5, 2.0, 20), rng.normal(size=(20, 20))
    p = (p + p.T) / 2
    labels, energy = landscape_minimum(sizes, p, 2)
    assert len(labels) == 20 and labels[0] == 0
    assert landscape_energy(sizes, p, labels) == pytest.approx(energy)
    for _ in range(30):
        local = landscape_descent(sizes, p, rng.integers(0, 2, 20), k=2).energies[-1]
        assert energy <= local + 1e-9


def test_beyond_exhaustive_reach_is_a_clear_error():
    with pytest.raises(ValueError, match="beyond exhaustive reach"):
        landscape_minimum(np.ones(40), np.ones((40, 40)), 2)
    with pytest.raises(ValueError, match="shape"):
        landscape_energy([1.0, 2.0], np.ones((3, 3)), [0, 1])
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.1"):
        landscape_descent(np.ones(3), np.zeros((3, 3)), np.array([0, 2, 1]), k=2)


# ------------------------------------------------------------------ the rule in the model


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), k=st.integers(1, 4), moves=st.integers(0, 3))
def test_coalition_labels_are_a_partition_and_the_ledger_replays_them(classroom, seed, k, moves):
    rules = build_rules({"coalition": {"name": "landscape", "max_coalitions": k, "moves_per_step": moves}}, "t")
    model = DiplomacyModel(classroom, rules, rng=seed)
    members = set(model.coalitions.members.tolist())
    for _ in range(6):
        model.step()
        labels = model.coalition_labels
        assert set(labels) == members and all(0 <= c < k for c in labels.values())
        assert model.coalitions.moves <= moves
    replay = {e.actor: int(e.detail) for e in model.ledger.events if e.event == "aligned"}
    assert replay == model.coalition_labels
    p = model.coalitions.propensities()
    assert model.coalitions.energy == pytest.approx(landscape_energy(model.coalitions.sizes, p,
                                                                     model.coalitions.current))


def test_agreements_among_members_are_kept_up_to_date(classroom):
    rules = build_rules({"expiry": {"name": "fixed", "months": 3}}, "t")  # agreements lapse within the run
    model = DiplomacyModel(classroom, rules, rng=5)
    position = {int(i): k for k, i in enumerate(model.coalitions.members)}
    for _ in range(12):
        model.step()
        recount = np.zeros((len(position),) * 2)
        for ag in model.live.values():
            if all(p in position for p in ag.parties):
                x, y = (position[p] for p in ag.parties)
                recount[x, y] += 1
                recount[y, x] += 1
        np.testing.assert_array_equal(model.coalitions.ties.counts(model), recount)


def test_named_actors_leave_the_background_out(article):
    model = DiplomacyModel(article, build_rules({}, "t"), rng=1)
    ids = {model.by_index(i).actor_id for i in model.coalition_labels}
    assert "shanghai" in ids and "sao_paulo_state" in ids
    assert not any(i.startswith("gn") for i in ids)


def test_top_actors_are_the_largest(tiny_data):
    for sub, pop in zip(tiny_data["subnationals"], (5, 1, 4, 9, 2, 3)):
        sub["population"] = pop * 1_000_000
    model = make_model(tiny_data, rules={"coalition": {"name": "landscape", "actors": "top", "top_n": 3}})
    assert {model.by_index(i).actor_id for i in model.coalition_labels} == {"tokyo", "madrid", "paris"}


def test_propensities_follow_agreements_and_relations(tiny_data):
    tiny_data["nationals"] = [{"id": "es", "name": "ES", "country": "ES", "stance": 1.0},
                              {"id": "pt", "name": "PT", "country": "PT", "stance": 1.0}]
    tiny_data["relations"] = [{"a": "ES", "b": "PT", "value": -1.0}]
    model = make_model(tiny_data, rules={"coalition": {"name": "landscape", "beta_interest": 0.0,
                                                       "beta_membership": 0.0},
                                         "oversight": {"name": "permissive"}})
    before = model.coalitions.propensities()
    assert before[0, 1] < before[0, 2]  # Madrid–Lisbon hostile, Madrid–Paris neutral
    assert model.negotiate((0, 2), 0, "bilateral").status == "active"
    after = model.coalitions.propensities()
    assert after[0, 2] - after[0, 3] > before[0, 2] - before[0, 3]  # an agreement draws Madrid and Paris together
    np.testing.assert_allclose(after, after.T)


def test_no_coalition_rule_records_nothing(classroom):
    model = DiplomacyModel(classroom, build_rules({"coalition": {"name": "none"}}, "t"), rng=1)
    model.step()
    assert model.coalition_labels == {}
    assert "coalition_energy" not in model.datacollector.get_model_vars_dataframe().columns
    assert not any(e.event == "aligned" for e in model.ledger.events)


# ------------------------------------------------------------------ edge cases of the plain functions


def test_no_actors_give_an_empty_integer_configuration_of_zero_energy():
    labels = canonical_labels([])
    assert labels.shape == (0,) and labels.dtype == np.int64
    labels, energy = landscape_minimum(np.zeros(0), np.zeros((0, 0)))
    assert labels.shape == (0,) and labels.dtype == np.int64 and energy == 0.0
    assert canonical_labels([7, 7, 3, 9, 3]).dtype.kind == "i"


@pytest.mark.parametrize("k", [0, -1, 2.5, "2"])
def test_k_must_be_a_positive_integer(k):
    sizes, p = two_blocs()
    with pytest.raises(ValueError, match="k must be a positive integer"):
        landscape_minimum(sizes, p, k)


def three_blocs():
    """Six actors in three mutually repelling pairs: three coalitions beat two."""
    bloc = np.array([0, 0, 1, 1, 2, 2])
    p = np.where(bloc[:, None] == bloc[None, :], 1.0, -1.0)
    np.fill_diagonal(p, 0.0)
    return np.ones(6), p


def test_at_most_two_coalitions_by_default():
    sizes, p = three_blocs()
    labels, energy = landscape_minimum(sizes, p)
    assert labels.max() == 1
    three, lower = landscape_minimum(sizes, p, 3)
    np.testing.assert_array_equal(three, [0, 0, 1, 1, 2, 2])
    assert lower < energy


def test_exhaustive_reach_is_k_to_the_n_minus_1_configurations(monkeypatch):
    import model.rules.coalition as coalition

    monkeypatch.setattr(coalition, "MAX_CONFIGURATIONS", 2 ** 5)
    sizes, p = two_blocs()  # n = 6: 2^5 configurations, just within reach
    labels, _ = landscape_minimum(sizes, p, 2)
    np.testing.assert_array_equal(labels, [0, 0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="use fewer actors or coalitions, or landscape_descent"):
        landscape_minimum(np.ones(7), np.ones((7, 7)), 2)


def test_minimum_over_several_blocks_of_configurations_is_the_brute_force_one():
    n = 17  # 2^16 configurations: two blocks of 2^15
    rng = np.random.default_rng(3)
    sizes, p = rng.uniform(0.5, 2.0, n), rng.normal(size=(n, n))
    p = (p + p.T) / 2
    w = np.outer(sizes, sizes) * p
    np.fill_diagonal(w, 0.0)
    codes = np.arange(2 ** (n - 1))
    every = np.zeros((len(codes), n), dtype=np.int64)
    every[:, 1:] = (codes[:, None] >> np.arange(n - 1)) & 1
    spin = 2.0 * every - 1  # d_ij = (1 - x_i·x_j) / 2 for x = ±1
    energies = (w.sum() - np.einsum("mi,ij,mj->m", spin, w, spin)) / 2
    labels, energy = landscape_minimum(sizes, p, 2)
    assert energy == pytest.approx(energies.min())
    np.testing.assert_array_equal(labels, every[np.argmin(energies)])


def test_members_without_size_weigh_the_same():
    """Every member's population is 0: the landscape's sizes are uniform, not 0/0."""
    data = dict(TINY, subnationals=[dict(x, population=0) for x in TINY["subnationals"]])
    model = make_model(data, rules={"coalition": {"name": "landscape"}})
    np.testing.assert_array_equal(model.coalitions.sizes, np.full(6, 1 / 6))
