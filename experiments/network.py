"""The agreement network of a run, rebuilt from its tables: the edges in force and a GraphML file.

``network.graphml`` (networkx's GraphML writer) opens in Gephi, networkx,
igraph and R: one node per actor with every ``agents.parquet`` column, one
edge per two-party agreement in force at the end (bilateral agreements and
state relations) with its domain, kind, status and signed step and date.
Declarations, signed by many, stay in the ledger.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from experiments.outputs import write_atomic

LIVE_EVENTS = ("signed", "contested")
END_EVENTS = ("expired", "withdrawn")
LIST_SEPARATOR = ";"
"""List attributes (``memberships``) are written as their items joined by this (GraphML has no lists)."""


def agreements_in_force(agents: pd.DataFrame, agreements: pd.DataFrame) -> pd.DataFrame:
    """Two-party agreements in force at the end of the ledger, one row per agreement.

    In force = a ``signed`` or ``contested`` event and no later ``expired`` or
    ``withdrawn`` one.  Columns: agreement_id, domain, kind, status
    ('active'/'contested'), a, b (the two parties, both known actors),
    signed_step and signed_date (its first ``signed`` or ``contested`` event).
    """
    led = agreements[agreements["agreement_id"].notna() & (agreements["kind"] != "declaration")]
    led = led.sort_values("step", kind="stable")
    led = led.assign(order=np.arange(len(led)))
    last = led.pivot_table(index="agreement_id", columns="event", values="order", aggfunc="max")
    last = last.reindex(columns=[*LIVE_EVENTS, *END_EVENTS])
    start, end = last[list(LIVE_EVENTS)].max(axis=1), last[list(END_EVENTS)].max(axis=1)
    live = last.index[start.notna() & ~(end > start)]
    first = led.drop_duplicates("agreement_id").set_index("agreement_id").loc[live]
    first = first[first["parties"].map(len) == 2]
    signed = led[led["event"].isin(LIVE_EVENTS)].drop_duplicates("agreement_id").set_index("agreement_id")
    signed = signed.loc[first.index]
    edges = pd.DataFrame({
        "agreement_id": first.index.astype("Int64"),
        "domain": first["domain"].to_numpy(),
        "kind": first["kind"].to_numpy(),
        "status": np.where(last.loc[first.index, "contested"].notna(), "contested", "active"),
        "a": first["parties"].map(lambda p: p[0]).to_numpy(),
        "b": first["parties"].map(lambda p: p[1]).to_numpy(),
        "signed_step": signed["step"].to_numpy(dtype=np.int64),
        "signed_date": signed["date"].to_numpy(),
    })
    known = set(agents["actor_id"])
    return edges[edges["a"].isin(known) & edges["b"].isin(known)].reset_index(drop=True)


def graphml_value(value):
    """A GraphML-safe scalar: lists joined by LIST_SEPARATOR, None as "", dates as ISO text, numpy scalars as
    Python ones (a missing float stays NaN, which GraphML's double type holds)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return LIST_SEPARATOR.join(str(v) for v in value)
    if value is None:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def agreement_graph(agents: pd.DataFrame, agreements: pd.DataFrame) -> nx.MultiGraph:
    """Actors as nodes (keyed by actor_id, every agents column as attributes), agreements in force as edges.

    A MultiGraph: two actors can have several agreements in force (one per
    domain); each edge's key is its agreement id.
    """
    graph = nx.MultiGraph()
    for row in agents.to_dict("records"):
        graph.add_node(row["actor_id"], **{k: graphml_value(v) for k, v in row.items() if k != "actor_id"})
    for edge in agreements_in_force(agents, agreements).itertuples(index=False):
        graph.add_edge(edge.a, edge.b, key=str(edge.agreement_id), agreement_id=int(edge.agreement_id),
                       domain=edge.domain, kind=edge.kind, status=edge.status, signed_step=int(edge.signed_step),
                       signed_date=graphml_value(pd.Timestamp(edge.signed_date)))
    return graph


def write_graphml(agents: pd.DataFrame, agreements: pd.DataFrame, path: Path) -> Path:
    """Write the run's agreement network as GraphML, atomically."""
    graph = agreement_graph(agents, agreements)
    return write_atomic(path, lambda tmp: nx.write_graphml(graph, tmp))
