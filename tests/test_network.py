"""The agreement network as GraphML (experiments.network): read back by networkx, checked against the model."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from experiments.network import LIST_SEPARATOR, agreement_graph, graphml_value, write_graphml
from experiments.outputs import run_tables
from model import DiplomacyModel, build_rules


@pytest.fixture(scope="module")
def classroom_tables(classroom):
    model = DiplomacyModel(classroom, build_rules({}, "test"), rng=5)
    for _ in range(18):
        model.step()
    return model, run_tables(model)


def test_graphml_holds_every_actor_with_every_attribute(classroom_tables, tmp_path):
    model, tables = classroom_tables
    agents = tables["agents"]
    graph = nx.read_graphml(write_graphml(agents, tables["agreements"], tmp_path / "network.graphml"))
    assert sorted(graph.nodes) == sorted(agents["actor_id"])
    for row in agents.to_dict("records"):
        node = graph.nodes[row["actor_id"]]
        assert set(node) == set(row) - {"actor_id"}
        for column, value in row.items():
            if column == "actor_id":
                continue
            if isinstance(value, (list, np.ndarray)):
                assert node[column] == LIST_SEPARATOR.join(value), column
            elif isinstance(value, float) and math.isnan(value):
                assert math.isnan(node[column]), column
            else:
                assert node[column] == pytest.approx(value) if isinstance(value, float) else node[column] == value


def test_graphml_edges_are_the_models_agreements_in_force(classroom_tables, tmp_path):
    """Every two-party agreement in force in the model (its own state, not the ledger) is one edge."""
    model, tables = classroom_tables
    graph = nx.read_graphml(write_graphml(tables["agents"], tables["agreements"], tmp_path / "network.graphml"))
    ids = [agent.actor_id for agent in model.subnationals + model.nationals + model.networks]
    expected = {ag.id: ag for ag in model.pair_agreements()}
    assert len(expected) > 10
    edges = {data["agreement_id"]: (u, v, data) for u, v, data in graph.edges(data=True)}
    assert set(edges) == set(expected)
    for aid, (u, v, data) in edges.items():
        ag = expected[aid]
        assert {u, v} == {ids[p] for p in ag.parties}
        assert (data["domain"], data["kind"], data["status"], data["signed_step"]) == (
            ag.domain, ag.kind, ag.status, ag.signed_step)
        month = 2015 * 12 + ag.signed_step - 1
        assert data["signed_date"] == f"{month // 12}-{month % 12 + 1:02d}-01"


def test_parallel_agreements_are_parallel_edges():
    agents = pd.DataFrame({"actor_id": ["a", "b"], "memberships": [["n1", "n2"], []], "stance": [0.5, None]})
    ledger = pd.DataFrame({"step": [1, 2], "date": pd.to_datetime(["2015-01-01", "2015-02-01"]),
                           "event": ["signed", "contested"], "agreement_id": pd.array([0, 1], dtype="Int64"),
                           "kind": ["bilateral"] * 2, "domain": ["water", "culture"], "parties": [["a", "b"]] * 2,
                           "actor_id": ["a", "a"], "detail": ["", ""]})
    graph = agreement_graph(agents, ledger)
    assert graph.number_of_edges("a", "b") == 2
    assert sorted(d["status"] for *_, d in graph.edges(data=True)) == ["active", "contested"]
    assert graph.nodes["a"]["memberships"] == "n1;n2" and graph.nodes["b"]["memberships"] == ""


def test_graphml_values_are_scalars():
    assert graphml_value(["x", "y"]) == "x;y"
    assert graphml_value(None) == ""
    assert graphml_value(np.int64(3)) == 3 and type(graphml_value(np.int64(3))) is int
    assert graphml_value(pd.Timestamp("2015-03-01")) == "2015-03-01"
