"""What the DataCollector records each step, and the graph measures behind it.

Model-level: agreements in force (total, by domain, by kind), signed, vetoed,
contested, declined, renewed, withdrawn and expired this step, the
subnationals' utilisation of their yearly capacity and how many are at it, the share of agreements in force that have a
subnational party, members and countries per network, the Gini coefficient of degrees and
the average clustering of the agreement graph.  Actor-level: degree,
agreements by domain, memberships.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import mesa
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
    """Undirected graph of the agreements in force between two parties."""
    g = nx.Graph()
    g.add_edges_from(ag.parties for ag in model.pair_agreements())
    return g


def clustering(model: DiplomacyModel) -> float:
    """Average clustering coefficient of the agreement graph (actors with at least one tie).

    The value of networkx's ``average_clustering`` on ``agreement_graph``
    (tested equal): c_i = 2·t_i / (k_i (k_i − 1)) from each actor's distinct
    partners k_i and triangles t_i, which the model keeps as ties come and go
    (``DiplomacyModel._tie``), so that a month's value costs O(N) at world scale.
    """
    k, t = model.actors.neighbours, model.actors.triangles
    tied = k > 0
    if not tied.any():
        return 0.0
    k, t = k[tied], t[tied]
    possible = k * (k - 1) / 2
    return float(np.divide(t, possible, out=np.zeros(len(k)), where=possible > 0).mean())


def network_countries(model: DiplomacyModel, network) -> int:
    """Countries with at least one member of ``network`` (ICLEI: "1,200 cities in 84 countries")."""
    members = model.actors.membership[:, network.column]
    return int(np.count_nonzero(np.bincount(model.actors.country[members], minlength=1)))


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
        "declined": lambda m: m.ledger.tally["declined"],
        "renewed": lambda m: m.ledger.tally["renewed"],
        "withdrawn": lambda m: m.ledger.tally["withdrawn"],
        "utilisation": lambda m: m.utilisation(),
        "at_capacity": lambda m: m.at_capacity(),
        "subnational_share": lambda m: m.subnational_share,
        "degree_gini": lambda m: gini(m.actors.degree[subnational_rows]),
        "clustering": clustering,
    }
    for d in DOMAINS:
        reporters[f"active_by_domain.{d}"] = lambda m, d=d: m.active_by_domain[d]
    for kind in ("bilateral", "state_relation", "declaration", "office"):
        reporters[f"active_by_kind.{kind}"] = lambda m, k=kind: m.active_by_kind[k]
    for net in model.networks:
        reporters[f"network_members.{net.actor_id}"] = lambda m, n=net: len(n.members)
        reporters[f"network_countries.{net.actor_id}"] = lambda m, n=net: network_countries(m, n)
    for process in model.processes:  # coalitions, declarations, diffusion: each names its own metrics
        reporters.update(process.reporters())
    return reporters


PANEL_COLUMNS: tuple[str, ...] = ("degree", "memberships", *(f"agreements_{d}" for d in DOMAINS))
"""Per-actor values recorded each step (for subnational governments)."""


def actor_state(model: DiplomacyModel, rows: np.ndarray | None = None) -> np.ndarray:
    """The PANEL_COLUMNS of every subnational (or of subnationals ``rows``), as an (N, columns) integer array."""
    a = model.actors
    rows = model.pool if rows is None else rows
    return np.column_stack([a.degree[rows], a.membership[rows].sum(axis=1), a.by_domain[rows]]).astype(np.int32)


class DiplomacyCollector(mesa.DataCollector):
    """Mesa's DataCollector plus a per-actor panel stored as changes.

    Model-level metrics go through Mesa's model reporters.  Per-actor values
    (PANEL_COLUMNS) are recorded vectorised, without a Python pass over the
    agents: every actor at the first collection, then only the actors whose
    values changed since the previous step (of those the model marks as
    touched: a party to an agreement that entered or left force, a network's
    new or leaving member), so the record and its cost stay small at world
    scale.  Forward-filling per actor gives the full panel.
    """

    def __init__(self, model_reporters: dict[str, Callable]):
        super().__init__(model_reporters=model_reporters)
        self._previous: np.ndarray | None = None
        self._panel: list[tuple[int, np.ndarray, np.ndarray]] = []

    def collect(self, model) -> None:
        super().collect(model)
        if self._previous is None:
            self._previous = actor_state(model)
            changed, state = np.arange(len(self._previous)), self._previous.copy()
        else:
            touched = np.fromiter(model.touched, dtype=np.int64, count=len(model.touched))
            touched = np.sort(touched[touched < len(model.pool)])
            state = actor_state(model, touched)
            moved = (state != self._previous[touched]).any(axis=1)
            changed, state = touched[moved], state[moved]
            self._previous[changed] = state
        model.touched.clear()
        self._panel.append((model.steps, changed, state))

    def actor_panel(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(steps, subnational positions, values) of every recorded change, in step order."""
        steps = np.concatenate([np.full(len(rows), step) for step, rows, _ in self._panel])
        rows = np.concatenate([rows for _, rows, _ in self._panel])
        values = np.concatenate([values for _, _, values in self._panel])
        return steps, rows, values
