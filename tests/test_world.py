"""The world scenario at a small size, the fast paths behind it, and the benchmark's plumbing."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from conftest import ROOT
from experiments.config import load_scenario
from model import DOMAINS, DiplomacyModel, build_rules, metrics
from model.rules.partner import _weighted_without_replacement
from model.scenario import countries


@pytest.fixture(scope="module")
def small_world():
    return load_scenario(ROOT / "scenarios" / "world.yaml", min_population=1_000_000)


def test_small_world_has_every_country_and_seeded_networks(small_world):
    assert {n.country for n in small_world.nationals} == set(countries())
    assert 500 < len(small_world.subnationals) < 700
    nets = {n.id: n for n in small_world.networks}
    assert len(nets["committee_of_regions"].members) <= 355
    assert len(nets["c40"].members) == 90
    largest = max(small_world.subnationals, key=lambda x: x.population)
    assert largest.id in nets["c40"].members  # seeding takes the most populous first


def test_small_world_runs_and_records(small_world):
    model = DiplomacyModel(small_world, rng=4)
    for _ in range(6):
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert frame["signed"].sum() > 0
    steps, rows, values = model.datacollector.actor_panel()
    assert (steps == 0).sum() == len(model.subnationals)  # every actor at the start, then changes only
    assert len(steps) < 7 * len(model.subnationals)


def test_clustering_equals_networkx(small_world):
    model = DiplomacyModel(small_world, build_rules({"oversight": {"name": "permissive", "scrutiny": 0.0}}, "t"),
                           rng=5)
    for _ in range(12):
        model.step()
    _, first = np.unique(model.actors.country[model.pool], return_index=True)
    a, b, c = (int(i) for i in first[:3])  # three cities of three countries
    for pair in ((a, b), (b, c), (a, c)):  # a triangle, so that clustering is not trivially 0
        if not model.has_in_force(*pair, DOMAINS.index("culture")):
            assert model.negotiate(pair, DOMAINS.index("culture"), "bilateral").live
    expected = nx.average_clustering(metrics.agreement_graph(model))
    assert expected > 0
    assert metrics.clustering(model) == pytest.approx(expected)


def test_the_kept_triangles_equal_networkx_after_ties_end(small_world):
    model = DiplomacyModel(small_world, build_rules({"oversight": {"name": "permissive", "scrutiny": 0.0}}, "t"),
                           rng=3)
    for _ in range(48):
        model.step()
    assert any(e.event in ("expired", "withdrawn") for e in model.ledger.events)  # ties have also ended
    graph = metrics.agreement_graph(model)
    nodes = list(graph)
    assert sum(nx.triangles(graph).values()) > 0
    assert model.actors.triangles[nodes].tolist() == [nx.triangles(graph)[v] for v in nodes]
    assert model.actors.neighbours[nodes].tolist() == [graph.degree[v] for v in nodes]
    assert model.actors.neighbours.sum() == 2 * graph.number_of_edges()
    assert metrics.clustering(model) == pytest.approx(nx.average_clustering(graph))


def test_distance_is_great_circle(small_world):
    model = DiplomacyModel(small_world, rng=1)
    a = model.actors
    i, j = 0, 1
    lat1, lon1, lat2, lon2 = map(np.radians, (a.lat[i], a.lon[i], a.lat[j], a.lon[j]))
    haversine = 2 * 6371.0 * np.arcsin(np.sqrt(np.sin((lat2 - lat1) / 2) ** 2
                                               + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2))
    assert model.distance_km(i, np.array([j]))[0] == pytest.approx(haversine, rel=1e-9)


def test_weighted_sampling_without_replacement_follows_weights():
    rng = np.random.default_rng(0)
    items, weights = np.arange(4), np.array([1.0, 2.0, 3.0, 4.0])
    firsts = np.array([_weighted_without_replacement(rng, items, weights, 1)[0] for _ in range(20000)])
    np.testing.assert_allclose(np.bincount(firsts) / len(firsts), weights / weights.sum(), atol=0.015)
    pairs = _weighted_without_replacement(rng, items, weights, 3)
    assert len(set(pairs.tolist())) == 3


def test_weighted_sampling_of_every_item_is_a_weighted_ordering():
    """k ≥ the number of items: all of them, the first still drawn with probability ∝ weight."""
    rng = np.random.default_rng(1)
    items, weights = np.arange(10, 14), np.array([1.0, 2.0, 3.0, 4.0])
    orders = np.array([_weighted_without_replacement(rng, items, weights, k) for k in (4, 6) for _ in range(5000)])
    assert (np.sort(orders, axis=1) == items).all()
    np.testing.assert_allclose(np.bincount(orders[:, 0] - 10) / len(orders), weights / weights.sum(), atol=0.015)


class _Logged:
    """A stand-in model whose steps append its name to a file shared by the timed processes."""

    def __init__(self, name, path):
        self.name, self.path = name, path

    def step(self):
        with open(self.path, "a") as log:
            log.write(self.name)


def _logged(name, path):
    return _Logged(name, path), 7


def test_timed_models_take_turns_of_twelve_steps_each_in_its_own_process(tmp_path):
    from experiments.bench import Turns

    log = tmp_path / "steps.txt"
    turns = Turns()
    assert turns.start(_logged, "a", log) == 7 and turns.start(_logged, "b", log) == 7
    seconds = turns.run(30)
    assert log.read_text() == "a" * 12 + "b" * 12 + "a" * 12 + "b" * 12 + "a" * 6 + "b" * 6
    assert len(seconds) == 2 and min(seconds) > 0 and len(turns.peaks) == 2 and min(turns.peaks) > 0
    assert all(not process.is_alive() for process in turns.processes)


@pytest.mark.slow
def test_bench_reports_its_keys(tmp_path):
    from experiments.bench import BenchSettings, measure
    from experiments.config import hydra_configs

    with hydra_configs():
        result = measure(BenchSettings(sizes=[60, 120], steps=2, repeats=1, article_steps=2, sweep_runs=2,
                                       sweep_steps=1, calibration="smoke", calibration_population=2), tmp_path)
    assert {"ratio_to_boltzmann", "scaling_exponent", "peak_memory_mb", "article_ratio_to_boltzmann",
            "sweep_parallel_efficiency", "calibration_parallel_efficiency"} <= set(result)
    assert result["article"]["actors"] > 1000 and result["sweep_parallel_efficiency"] > 0
    assert len(list((tmp_path / "sweep" / "sweep").glob("*/manifest.json"))) == 2  # the sweep did its runs
    assert result["sizes"][0]["cities"] < result["sizes"][1]["cities"]
    assert result["peak_memory_mb"] > 0
    assert result["calibration_simulations"] >= 2 and result["calibration_parallel_efficiency"] > 0
