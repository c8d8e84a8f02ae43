"""Ties between subnational actors, along which declarations and practices spread (DESIGN.md §4).

Two kinds of tie: an agreement in force between two subnationals (state
relations and declarations, which have a national or many parties, are left
out) and co-membership of a city network (one tie per network shared).  The
tie strength of i and j is

    T_ij = agreement_weight · (agreements in force between i and j) + membership_weight · |M_i ∩ M_j|,

T_ii = 0.  ``Ties.sum(v, agreement_weight, membership_weight)`` gives Σ_j T_ij·v_j for every subnational without
building the n×n matrix, since a network can hold thousands of members:
the membership part is M·(Mᵀ·v) − |M_i|·v_i.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from model.model import DiplomacyModel


class Ties:
    """The month's ties among the model's subnationals (rows 0..n−1 of the actor table)."""

    def __init__(self, model: DiplomacyModel):
        self.n = len(model.pool)
        edges = model.pair_edges.array()
        edges = edges[(edges < len(model.subnationals)).all(axis=1)]
        self._a, self._b = edges[:, 0], edges[:, 1]
        self._m = model.actors.membership[: self.n].astype(float)
        self._shared = self._m.sum(axis=1)

    def sum(self, values: np.ndarray, agreement_weight: float, membership_weight: float) -> np.ndarray:
        """Σ_j T_ij · values_j for each subnational i."""
        v = np.asarray(values, dtype=float)
        out = membership_weight * (self._m @ (self._m.T @ v) - self._shared * v)
        if len(self._a):
            out += agreement_weight * (np.bincount(self._a, v[self._b], self.n)
                                            + np.bincount(self._b, v[self._a], self.n))
        return out
