"""What the DataCollector records each step, and the graph measures behind it.

Model-level: agreements in force (total, by domain, by kind), signed, vetoed
and contested this step, the share of agreements in force that have a
subnational party, members per network, the Gini coefficient of degrees and
the average clustering of the agreement graph.  Actor-level: degree,
agreements by domain, memberships.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import networkx as nx
import numpy as np

from model.scenario import DOMAINS

if TYPE_CHECKING:
    from model.model import DiplomacyModel


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal, → 1 = concentrated in one)."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if n == 0 or x.sum() == 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2 * (ranks * x).sum()) / (n * x.sum()) - (n + 1) / n)


def agreement_graph(model: DiplomacyModel) -> nx.Graph:
    """Undirected graph of the agreements in force (bilateral and state relations)."""
    g = nx.Graph()
    g.add_edges_from(ag.parties for ag in model.live.values() if len(ag.parties) == 2)
    return g


def clustering(model: DiplomacyModel) -> float:
    """Average clustering coefficient over actors with at least one agreement (networkx)."""
    g = agreement_graph(model)
    return float(nx.average_clustering(g)) if g.number_of_nodes() else 0.0


def model_reporters(model: DiplomacyModel) -> dict[str, Callable]:
    """Model reporters named as in the metrics table (DESIGN.md §7)."""
    subnational_rows = model.pool
    reporters: dict[str, Callable] = {
        "agreements_active": lambda m: m.active_total,
        "signed": lambda m: m.ledger.tally["signed"],
        "vetoed": lambda m: m.ledger.tally["vetoed"],
        "contested": lambda m: m.ledger.tally["contested"],
        "proposed": lambda m: m.ledger.tally["proposed"],
        "joined": lambda m: m.ledger.tally["joined"],
        "expired": lambda m: m.ledger.tally["expired"],
        "subnational_share": lambda m: m.subnational_share,
        "degree_gini": lambda m: gini(m.actors.degree[subnational_rows]),
        "clustering": clustering,
    }
    for d in DOMAINS:
        reporters[f"active_by_domain.{d}"] = lambda m, d=d: m.active_by_domain[d]
    for kind in ("bilateral", "state_relation", "declaration"):
        reporters[f"active_by_kind.{kind}"] = lambda m, k=kind: m.active_by_kind[k]
    for net in model.networks:
        reporters[f"network_members.{net.actor_id}"] = lambda m, n=net: len(n.members)
    return reporters


def _by_domain(d: int) -> Callable:
    return lambda agent: int(agent.model.actors.by_domain[agent.index, d])


AGENT_REPORTERS: dict[str, Callable] = {
    "degree": lambda agent: int(agent.model.actors.degree[agent.index]),
    "memberships": lambda agent: int(agent.model.actors.membership[agent.index].sum()),
    **{f"agreements_{d}": _by_domain(k) for k, d in enumerate(DOMAINS)},
}
