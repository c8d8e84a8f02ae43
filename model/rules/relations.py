"""National relations that move with what their subnationals do together (rule group ``relations``).

Cities as "the interface in agreements between governments" (the article):
agreements in force across a border between subnationals (or a subnational
and a foreign government) warm the two nations' relation, and agreements
signed against a government's veto (contested) cool it.  Assumed form, for
nations c ≠ d with x_cd = (such agreements in force, approved) −
contested_weight·(contested ones in force):

    target_cd = base_cd + (1 − base_cd)·tanh(x_cd / scale)   if x_cd ≥ 0
                base_cd + (1 + base_cd)·tanh(x_cd / scale)   otherwise
    relation_cd ← relation_cd + rate·(target_cd − relation_cd)

base_cd being the scenario's relation; relations stay in [−1, 1] and a
nation's relation with itself stays 1.  Relations feed back through
oversight (supervisory scaling, restrictive's friendly nations) and the
national governments' own treaties.  Keohane & Nye's complex
interdependence (Power and Interdependence, 1977) is the idea behind it:
transnational ties between societies shape interstate relations.
``fixed`` keeps the scenario's relations throughout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np

from model.rules.registry import Registry
from model.validation import bounds

if TYPE_CHECKING:
    from model.model import DiplomacyModel

RELATIONS_RULES = Registry("relations")


@RELATIONS_RULES.register("cooperation")
@dataclass(frozen=True)
class CooperationRelations:
    """Relations warmed by cross-border agreements in force and cooled by contested ones."""

    rate: float = field(default=0.05, metadata=bounds(0, 1))
    scale: float = field(default=10.0, metadata=bounds(0.001))
    """Cross-border agreements that close about three quarters of the gap to full friendship (tanh 1)."""
    contested_weight: float = field(default=3.0, metadata=bounds(0))

    def start(self, model: DiplomacyModel) -> Relations:
        return Relations(self, model)


@RELATIONS_RULES.register("fixed")
@dataclass(frozen=True)
class FixedRelations:
    """The scenario's relations, unchanged."""

    def start(self, model: DiplomacyModel) -> Relations:
        return Relations(CooperationRelations(rate=0.0), model)


class Relations:
    """The relations dynamics of one run; the matrix lives on the model (``model.relations``)."""

    def __init__(self, rule: CooperationRelations, model: DiplomacyModel):
        self.rule, self.model = rule, model
        self.base = model.relations.copy()

    def step(self) -> None:
        r, m = self.rule, self.model
        if r.rate == 0:
            return
        x = (m.cross_border - r.contested_weight * m.cross_border_contested) / r.scale
        pull = np.tanh(x)
        target = self.base + np.where(x >= 0, 1.0 - self.base, 1.0 + self.base) * pull
        m.relations += r.rate * (target - m.relations)
        np.fill_diagonal(m.relations, 1.0)

    def reporters(self) -> dict[str, Callable]:
        n = len(self.model.countries)
        off = ~np.eye(n, dtype=bool)
        return {"relations_mean": lambda m: float(m.relations[off].mean()) if n > 1 else 0.0}
